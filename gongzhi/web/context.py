"""Template context: the navigation a signed-in user sees, from their memberships' capabilities."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    from gongzhi.web.nav import nav_for

    return {"nav_items": nav_for(request)}
