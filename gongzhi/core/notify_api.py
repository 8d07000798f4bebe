"""JSON endpoints for the signed-in user's own notifications (under /api/notifications)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from gongzhi.core import notify, services
from gongzhi.core.api_support import ERRORS, PageParams, StrictSchema, current_user, paginate
from gongzhi.core.models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    count: int
    unread: int
    page: int
    page_size: int
    results: list[NotificationOut]


class NotificationFilter(Schema):
    unread: bool = False


class ReadIn(StrictSchema):
    ids: list[int] | None = Field(
        None, max_length=1000, description="省略则全部标为已读 / omit to mark all read"
    )


class ReadOut(Schema):
    marked: int
    unread: int


class PreferenceIn(StrictSchema):
    mail: Literal["immediate", "digest", "none"]


class PreferenceOut(Schema):
    mail: str


@router.get(
    "/notifications", response={200: NotificationPage, **ERRORS}, summary="我的通知 / my notifications"
)
def notifications_list(
    request: HttpRequest, filters: Query[NotificationFilter], paging: Query[PageParams]
) -> dict[str, Any]:
    user = current_user(request)
    qs = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    page = paginate(qs, paging)
    page["unread"] = notify.unread_count(user)
    return page


@router.post("/notifications/read", response={200: ReadOut, **ERRORS}, summary="标为已读 / mark read")
def notifications_read(request: HttpRequest, payload: ReadIn) -> ReadOut:
    user = current_user(request)
    marked = services.mark_notifications_read(actor=user, ids=payload.ids)
    return ReadOut(marked=marked, unread=notify.unread_count(user))


@router.get("/notifications/preference", response={200: PreferenceOut, **ERRORS}, summary="邮件提醒设置")
def notifications_get_preference(request: HttpRequest) -> PreferenceOut:
    return PreferenceOut(mail=notify.preference(current_user(request)))


@router.put(
    "/notifications/preference",
    response={200: PreferenceOut, **ERRORS},
    summary="设置邮件提醒:立即、每日汇总或不发 / immediate, daily digest or none",
)
def notifications_set_preference(request: HttpRequest, payload: PreferenceIn) -> PreferenceOut:
    pref = services.set_notification_preference(actor=current_user(request), mail=payload.mail)
    return PreferenceOut(mail=pref.mail)
