"""Chinese working days: statutory holidays and make-up working days, for deadlines such as
"submit 30 working days before the start" and "decide within 15 working days".

Sources, in order: a year the approval office entered (core.CalendarYear), then the chinese-calendar package
(data up to its last year), then plain Monday–Friday as a fallback that callers must show to the user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as cc_constants

from gongzhi.core.models import CalendarDay, CalendarYear

PACKAGE_YEARS = frozenset(d.year for d in cc_constants.holidays)


class Source:
    TABLE = "table"
    PACKAGE = "package"
    FALLBACK = "fallback"


@dataclass
class Calendar:
    """A snapshot of the calendar for the years a computation touches (one query per year at most)."""

    _table: dict[int, dict[dt.date, bool] | None] = field(default_factory=dict)
    used: dict[int, str] = field(default_factory=dict)
    assumed_years: set[int] = field(default_factory=set)

    def _year_table(self, year: int) -> dict[dt.date, bool] | None:
        if year not in self._table:
            entry = CalendarYear.objects.filter(year=year).first()
            if entry is None:
                self._table[year] = None
            else:
                if entry.assumed:
                    self.assumed_years.add(year)
                self._table[year] = {
                    d.date: d.kind == CalendarDay.Kind.WORKDAY for d in CalendarDay.objects.filter(year=entry)
                }
        return self._table[year]

    def source(self, year: int) -> str:
        if self._year_table(year) is not None:
            return Source.TABLE
        if year in PACKAGE_YEARS:
            return Source.PACKAGE
        return Source.FALLBACK

    def is_workday(self, day: dt.date) -> bool:
        table = self._year_table(day.year)
        if table is not None:
            self.used[day.year] = Source.TABLE
            return table.get(day, day.weekday() < 5)
        if day.year in PACKAGE_YEARS:
            self.used[day.year] = Source.PACKAGE
            return _package_is_workday(day)
        self.used[day.year] = Source.FALLBACK
        return day.weekday() < 5

    @property
    def fallback_years(self) -> list[int]:
        return sorted(y for y, s in self.used.items() if s == Source.FALLBACK)

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The date `n` working days after `start` (n > 0) or before it (n < 0); start itself is not counted."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        day = start
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative if end is before start)."""
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def note(self) -> str:
        """A sentence for the page when a computation used the fallback or an assumed year ('' otherwise)."""
        parts = []
        if self.fallback_years:
            years = "、".join(str(y) for y in self.fallback_years)
            parts.append(
                f"{years}年的法定节假日安排尚未录入,按周一至周五计算工作日 / "
                f"no holiday schedule entered for {years}: counted Monday–Friday"
            )
        assumed = sorted(self.assumed_years & set(self.used))
        if assumed:
            years = "、".join(str(y) for y in assumed)
            parts.append(f"{years}年节假日为暂定安排 / the {years} schedule is provisional")
        return ";".join(parts)


@lru_cache(maxsize=4096)
def _package_is_workday(day: dt.date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def add_workdays(start: dt.date, n: int) -> tuple[dt.date, Calendar]:
    cal = Calendar()
    return cal.add_workdays(start, n), cal


def workdays_between(start: dt.date, end: dt.date) -> tuple[int, Calendar]:
    cal = Calendar()
    return cal.workdays_between(start, end), cal
