"""Shared set-up for the evaluation tests: a cycle over 铜陵市 created by the approval office."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
