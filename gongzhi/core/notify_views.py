"""Notifications page: the user's own notifications (newest first), mark read, and the mail preference.
Everything here is the signed-in user's own; there is no object another user could reach."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gongzhi.core import notify, services
from gongzhi.core.models import Notification, NotificationPreference

PAGE_SIZE = 30


class PreferenceForm(forms.Form):
    mail = forms.ChoiceField(
        label=gettext_lazy("邮件提醒"), choices=NotificationPreference.Mail.choices, widget=forms.RadioSelect
    )


class ReadForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["ids"]
        field.choices = [(v, v) for v in self.data.getlist("ids")] if hasattr(self.data, "getlist") else []


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {
            "page": page,
            "unread": notify.unread_count(user),
            "only_unread": only_unread,
            "form": PreferenceForm(initial={"mail": notify.preference(user)}),
            "has_email": bool(user.email),
        },
    )


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids: list[int] | None = None
    if request.POST.getlist("ids"):
        form = ReadForm(request.POST)
        ids = list(form.cleaned_data["ids"]) if form.is_valid() else []
    count = services.mark_notifications_read(actor=request.user, ids=ids)  # type: ignore[arg-type]
    messages.success(request, _("已标记 %(n)d 条为已读。 / Marked read.") % {"n": count})
    return _see_other(reverse("notifications:list"))


@login_required
@require_POST
def preference(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST)
    user: Any = request.user
    if form.is_valid():
        services.set_notification_preference(actor=user, mail=form.cleaned_data["mail"])
        messages.success(request, _("通知设置已保存。 / Preference saved."))
        return _see_other(reverse("notifications:list"))
    qs = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(1)
    return render(
        request,
        "core/notifications.html",
        {
            "page": page,
            "unread": notify.unread_count(user),
            "only_unread": False,
            "form": form,
            "has_email": bool(user.email),
        },
        status=422,
    )
