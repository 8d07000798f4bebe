"""The personal API tokens page (/account/tokens/): list, create (the full token is shown once, in the reply to
the POST, never stored in the session or a URL), revoke. Thin: parse, fetch through core.permissions, call one
service, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.core import permissions, services
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.models import User


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("令牌用途"),
        max_length=80,
        help_text=gettext_lazy("例如“统计报表同步”。令牌代表您本人,拥有您的全部权限。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "aria-describedby": "id_name-help"}),
    )


def _render(
    request: HttpRequest, form: TokenForm, *, created: str | None = None, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "tokens": permissions.api_tokens_for_user(request.user),
        "created": created,
    }
    return render(request, "core/tokens.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method != "POST":
        return _render(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=422)
    try:
        _token, plaintext = services.create_api_token(actor=user, user=user, name=form.cleaned_data["name"])
    except DomainError as exc:
        form.add_error("name", exc.message)
        return _render(request, form, status=exc.status)
    # The only time the full token is shown: in this reply (no-store), not after a redirect.
    return _render(request, TokenForm(), created=plaintext, status=201)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        token = permissions.get_api_token_for_user(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        services.revoke_api_token(actor=user, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("令牌“%(name)s”已撤销,立即失效。") % {"name": token.name})
    return redirect("core:tokens")
