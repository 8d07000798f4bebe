"""Sign-in by username or mobile number, the lockout reply of django-axes, and the audit entries of sign-in events."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongzhi.core import audit, crypto
from gongzhi.core.models import User
from gongzhi.core.pii import is_mobile, mask_phone, normalize_phone


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        model = get_user_model()
        user: User | None
        if is_mobile(username):
            user = model.objects.filter(phone_index=crypto.blind_index(normalize_phone(username))).first()
        else:
            user = model.objects.filter(username=username).first()
        if user is None:
            # Run the hasher anyway so that unknown users take as long as known ones.
            model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The same reply whether or not the user exists (AU-2)."""
    return render(request, "registration/locked_out.html", status=429)


# --- Sign-in events for the audit log and the lockout counter ---------------------------------------------------

AUDIT_NAME_MAX = 64


def audit_name(raw: str | None) -> str:
    """A typed sign-in name made safe for the audit log (LG-2): a mobile number is masked, control and format
    characters are escaped (`\\n` → `\\x0a`), and the result is cut to AUDIT_NAME_MAX characters."""
    value = (raw or "").strip()
    if is_mobile(value):
        return mask_phone(normalize_phone(value))
    escaped = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in value)
    if len(escaped) > AUDIT_NAME_MAX:
        escaped = escaped[: AUDIT_NAME_MAX - 1] + "…"
    return escaped


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The name django-axes counts failures under (AXES_USERNAME_CALLABLE).

    A mobile number is replaced by its blind index so that no phone number is stored in the clear in the lockout
    tables or their log lines. It is not resolved to the account it belongs to: a lock shared between a username
    and a phone would tell an attacker which phone belongs to which account. The per-IP limit covers both.
    """
    if credentials is not None and "username" in credentials:
        raw = credentials.get("username")
    else:
        raw = request.POST.get("username")
    if not raw:
        return None
    value = str(raw).strip()
    if is_mobile(value):
        return "tel:" + crypto.blind_index(normalize_phone(value))[:32]
    return value[:150]


def record_login(user: User) -> None:
    audit.record_standalone("core.auth.login", actor=user, target=user)


def record_login_failure(name: str, *, locked: bool) -> None:
    """A refused sign-in: wrong credentials, an unknown or inactive account (the same entry for all three, as the
    reply is the same), or an attempt while the name or address is locked. The password is never recorded."""
    safe = audit_name(name)
    audit.record_standalone(
        "core.auth.login_failed",
        actor=None,
        actor_label=safe,
        data={"username": safe, "reason": "locked" if locked else "credentials"},
        result="denied",
    )


def record_lockout(name: str) -> None:
    """The failure that reached the limit: the name and the address are locked for the cool-off period."""
    safe = audit_name(name)
    audit.record_standalone(
        "core.auth.lockout",
        actor=None,
        actor_label=safe,
        data={"username": safe, "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        result="locked",
    )


def record_logout(user: User) -> None:
    audit.record_standalone("core.auth.logout", actor=user, target=user)
