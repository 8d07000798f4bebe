"""Per-request context that services read without threading it through every call (client IP for the audit)."""

from __future__ import annotations

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
