"""Sign-in by username or mobile number; the lockout reply of django-axes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gongzhi.core import crypto
from gongzhi.core.models import User
from gongzhi.core.pii import is_mobile, normalize_phone


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
