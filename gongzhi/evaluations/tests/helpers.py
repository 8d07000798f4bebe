"""Shared set-up for the evaluation tests: a cycle over 铜陵市 created by the approval office."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from gongzhi.admissions.models import AdmittedTask, TaskRequest
from gongzhi.core import services as core_services
from gongzhi.core.models import User
from gongzhi.evaluations import services
from gongzhi.evaluations.models import Cycle, Direction, Indicator


def make_cycle(city: Any, officer: User, *, year: int = 2026, period: str = "year") -> Cycle:
    return services.create_cycle(
        actor=officer,
        scope=city.city,
        year=year,
        period=period,
        name=f"{year}年度双向评估",
        ratings_due=dt.date(year, 12, 31),
    )


def indicator(cycle: Cycle, direction: str, key: str) -> Indicator:
    return Indicator.objects.get(cycle=cycle, direction=direction, key=key)


def dep(cycle: Cycle, key: str) -> Indicator:
    return indicator(cycle, Direction.DEPARTMENT, key)


def com(cycle: Cycle, key: str) -> Indicator:
    return indicator(cycle, Direction.COMMUNITY, key)


def admit(
    city: Any,
    community: Any,
    department: Any,
    *,
    starts_on: dt.date = dt.date(2026, 3, 1),
    funding_fen: int = 0,
    requires_agreement: bool = False,
) -> AdmittedTask:
    """An admitted task of `department` for `community` (the row an approved admission leaves behind)."""
    creator = User.objects.filter(username="seed").first() or core_services.create_user(
        actor=None, username="seed", password="seed-password-123456"
    )
    request = TaskRequest.objects.create(
        department=department,
        title="协助入户调查",
        description="协助入户调查:按要求入户核查并公示。",
        kind=TaskRequest.Kind.ONGOING,
        starts_on=starts_on,
        ends_on=dt.date(starts_on.year, 12, 31),
        contact_name="王科长",
        contact_phone="0562-2800000",
        funding_fen=funding_fen,
        status=TaskRequest.Status.APPROVED,
        created_by=creator,
    )
    return AdmittedTask.objects.create(
        request=request,
        community=community,
        department=department,
        title=request.title,
        kind=request.kind,
        starts_on=starts_on,
        ends_on=request.ends_on,
        funding_required_fen=funding_fen,
        funding_due=starts_on if funding_fen else None,
        requires_agreement=requires_agreement,
        admitted_at=timezone.now(),
    )
