"""Request middleware: server-side session lifetimes, request context for the audit, no-store for private pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from gongzhi.core.context import current_ip

Handler = Callable[[HttpRequest], HttpResponse]


def start_session_clock(request: HttpRequest) -> None:
    """Called at sign-in: the absolute lifetime counts from here, not from an earlier session's start."""
    now = time.time()
    request.session["_started_at"] = now
    request.session["_last_seen_at"] = now


class SessionLifetimeMiddleware:
    """30 minutes idle and 12 hours absolute, counted on the server (the cookie's age is not trusted)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get("_started_at")
            last = request.session.get("_last_seen_at")
            if started is None:
                request.session["_started_at"] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS or (
                last is not None and now - float(last) > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)  # flushes the session row
                request.session_expired = True  # type: ignore[attr-defined]
            if request.user.is_authenticated:
                request.session["_last_seen_at"] = now
        return self.get_response(request)


class RequestContextMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class NoStoreMiddleware:
    """Pages for a signed-in user may carry personal data: never cache them (DP-6)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store, private"
        return response
