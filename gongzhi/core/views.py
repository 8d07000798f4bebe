"""Sign-in, sign-out, the profile page and password change. Thin: parse, call auth/services, render."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from gongzhi.core import auth, services
from gongzhi.core.errors import ValidationFailed
from gongzhi.core.forms import PasswordChangeForm, SignInForm
from gongzhi.core.middleware import start_session_clock
from gongzhi.core.models import User
from gongzhi.core.pii import mask_phone
from gongzhi.orgs.permissions import active_memberships


class SignInView(LoginView):
    """GET shows the form; POST signs in. django-axes counts the failures (per name and per address) and, once
    locked, its middleware answers with core.auth.lockout_response, even for the right password."""

    form_class = SignInForm
    template_name = "registration/login.html"
    was_locked = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = request.POST.get("username", "")
        self.was_locked = bool(name) and AxesProxyHandler.is_locked(request, {"username": name})
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)  # django.contrib.auth.login(): rotates the session key
        start_session_clock(self.request)
        auth.record_login(form.get_user())
        return response

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        if form.credentials_tried():
            name = form.cleaned_data["username"]
            auth.record_login_failure(name, locked=self.was_locked)
            if not self.was_locked and getattr(self.request, "axes_locked_out", False):
                auth.record_lockout(name)
        return super().form_invalid(form)


login_view = SignInView.as_view()


def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """The admin site signs in through the same page (one place for the lockout and the audit)."""
    return redirect_to_login(request.GET.get("next") or "/admin/", settings.LOGIN_URL)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST only (a link or an image cannot sign anyone out). Ends the session row and tells the browser to drop
    what it kept for this site (DP-6)."""
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        auth.record_logout(user)
        logout(request)  # flushes the session: the row is deleted and the key is worthless
    response = redirect(settings.LOGIN_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@never_cache
@login_required
@require_safe
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    context = {
        "profile_user": user,
        "masked_phone": mask_phone(user.phone),
        "memberships": active_memberships(user),
    }
    return render(request, "core/profile.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(actor=user, user=user, new_password=form.cleaned_data["new_password1"])
        except ValidationFailed as exc:
            form.add_error("new_password1", exc.fields.get("password", exc.message))
        else:
            # Keep this session; every other session of the user stops working (its auth hash no longer matches).
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。您在其他设备上的登录已失效。"))
            return redirect("core:profile")
    status = 422 if request.method == "POST" else 200
    return render(request, "core/password_change.html", {"form": form}, status=status)
