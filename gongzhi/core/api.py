"""Core JSON endpoints: the signed-in user's profile and personal API tokens (under /api/me)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from gongzhi.core import services
from gongzhi.core.api_support import ERRORS, current_user, object_id
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import ApiToken
from gongzhi.core.permissions import api_tokens_for_user, get_api_token_for_user
from gongzhi.core.pii import mask_phone
from gongzhi.core.schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut

router = Router(tags=["me"])


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户 / the signed-in user")
def me(request: HttpRequest) -> MeOut:
    user = current_user(request)
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=user.display_name,
        phone_masked=mask_phone(user.phone),
        is_staff=user.is_staff,
        date_joined=user.date_joined,
        last_login=user.last_login,
    )


@router.get("/me/tokens", response={200: list[TokenOut], **ERRORS}, summary="我的API令牌 / my API tokens")
def list_tokens(request: HttpRequest) -> QuerySet[ApiToken]:
    return api_tokens_for_user(current_user(request))


@router.post(
    "/me/tokens",
    response={201: TokenCreatedOut, **ERRORS},
    summary="创建API令牌 / create an API token",
    description="完整令牌只在本次响应中出现 / The full token appears in this response only.",
)
@idempotent(status=201)
def create_token(request: HttpRequest, payload: TokenIn) -> TokenCreatedOut:
    user = current_user(request)
    token, plaintext = services.create_api_token(actor=user, user=user, name=payload.name)
    return TokenCreatedOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        active=token.active,
        token=plaintext,
    )


@router.delete(
    "/me/tokens/{token_id}", response={200: TokenOut, **ERRORS}, summary="撤销API令牌 / revoke an API token"
)
def revoke_token(request: HttpRequest, token_id: int = object_id()) -> ApiToken:
    user = current_user(request)
    return services.revoke_api_token(actor=user, token=get_api_token_for_user(user, token_id))
