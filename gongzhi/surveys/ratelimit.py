"""A small per-IP rate limiter for the public survey endpoints (security.md IN-4), on Django's cache.

Fixed windows: at most `limit` hits per `window` seconds per client address and bucket. The limits come from
settings.SURVEY_RATE_LIMITS ({"submit": (limit, seconds), "lookup": (limit, seconds)}); the defaults allow a
family's phones behind one home router, and a volunteer's phone going door to door, but not code guessing. The
default cache is per process: with several app servers, point CACHES at a shared cache (docs/deploy.md).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

DEFAULTS: dict[str, tuple[int, int]] = {
    "submit": (30, 600),  # answer sheets sent, valid or not
    "lookup": (20, 600),  # codes tried that do not exist
}


def limits(bucket: str) -> tuple[int, int]:
    configured: dict[str, tuple[int, int]] = getattr(settings, "SURVEY_RATE_LIMITS", {})
    return configured.get(bucket, DEFAULTS[bucket])


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(bucket: str, request: HttpRequest, window: int) -> str:
    return f"gz-survey-rl:{bucket}:{client_ip(request)}:{int(time.time() // window)}"


def exceeded(bucket: str, request: HttpRequest) -> bool:
    """Whether the client has used up this window's allowance (without counting this request)."""
    limit, window = limits(bucket)
    return int(cache.get(_key(bucket, request, window), 0)) >= limit


def hit(bucket: str, request: HttpRequest) -> bool:
    """Count one request; False when it is over the limit."""
    limit, window = limits(bucket)
    key = _key(bucket, request, window)
    cache.add(key, 0, window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window + 5)
        count = 1
    return count <= limit


def retry_after(bucket: str) -> int:
    _limit, window = limits(bucket)
    return window - int(time.time()) % window
