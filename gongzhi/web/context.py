"""Template context for every page: the navigation built from the user's capabilities, and the account links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def _url(name: str, default: str = "") -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return default


def navigation(request: HttpRequest) -> dict[str, Any]:
    from gongzhi.web.nav import nav_for

    return {
        "nav_items": nav_for(request),
        # Where the language switch returns to: this page, unless it answered a POST (then a view may set
        # `lang_next` itself, e.g. back to the GET page the form was on).
        "lang_next": request.get_full_path() if request.method in ("GET", "HEAD") else reverse("web:home"),
        "account_urls": {
            "login": _url("core:login", settings.LOGIN_URL),
            "logout": _url("core:logout"),
            "profile": _url("core:profile"),
            "password": _url("core:password"),
            "tokens": _url("core:tokens"),
        },
    }
