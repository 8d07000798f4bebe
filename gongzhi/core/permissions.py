"""Who may see and do what with core objects. Deny by default; accessors answer 404 (NotFound) for objects the
user may not see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gongzhi.core.errors import NotFound
from gongzhi.core.models import ApiToken


def api_tokens_for_user(user: Any) -> QuerySet[ApiToken]:
    # only the user's own tokens, newest first; nobody lists another person's tokens
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def get_api_token_for_user(user: Any, pk: int) -> ApiToken:
    """One of the user's own tokens; another user's token answers 404 like a missing one."""
    token = api_tokens_for_user(user).filter(pk=pk).first()
    if token is None:
        raise NotFound("未找到该令牌 / token not found")
    return token
