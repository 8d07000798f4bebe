"""API schemas of core: the signed-in user and personal API tokens. Inputs refuse unknown fields."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import StrictSchema


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    phone_masked: str = Field(description="手机号(脱敏) / masked phone, e.g. 138****8000")
    is_staff: bool
    date_joined: datetime
    last_login: datetime | None


class TokenIn(StrictSchema):
    name: str = Field(min_length=1, max_length=80, description="令牌用途 / what the token is for")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="完整令牌,只显示这一次 / the full token, shown this once only")
