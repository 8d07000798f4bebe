from datetime import date

import pytest

from gongzhi.core import demo, services, workdays
from gongzhi.core.errors import ValidationFailed
from gongzhi.core.models import AuditEntry, CalendarYear


def test_spring_festival_2026_from_package_data(db):
    # 2026-02-14 (Sat) is a make-up working day; 15–23 Feb is the holiday; work resumes on the 24th.
    end, cal = workdays.add_workdays(date(2026, 2, 12), 3)
    assert end == date(2026, 2, 24)  # 13 (Fri), 14 (Sat, make-up), 24 (Tue)
    assert cal.fallback_years == []
    assert cal.note() == ""
    assert workdays.workdays_between(date(2026, 2, 14), date(2026, 2, 24))[0] == 1


def test_national_day_2026(db):
    # 1–7 Oct off; 10 Oct (Sat) is a make-up working day.
    end, _ = workdays.add_workdays(date(2026, 9, 30), 1)
    assert end == date(2026, 10, 8)
    n, _ = workdays.workdays_between(date(2026, 9, 30), date(2026, 10, 11))
    assert n == 3  # 8, 9, 10 (Sat make-up), and not 11 (Sun)


def test_fifteen_working_days_counted_backwards(db):
    start, _ = workdays.add_workdays(date(2026, 10, 12), -5)
    assert start == date(2026, 9, 29)  # 10 (Sat make-up), 9, 8, then back over the holiday to 30 and 29 Sep


def test_year_entered_in_the_table_overrides_and_is_flagged_assumed(db):
    demo.load(actor=None)
    assert CalendarYear.objects.get(year=2027).assumed
    # Spring Festival 2027: 5, 8, 9, 10 Feb are weekday holidays in the assumed schedule.
    end, cal = workdays.add_workdays(date(2027, 2, 4), 1)
    assert end == date(2027, 2, 11)
    assert cal.fallback_years == []
    assert "2027" in cal.note() and "provisional" in cal.note()
    demo.load(actor=None)  # idempotent
    assert AuditEntry.objects.filter(action="core.calendar.enter").count() == 1


def test_year_without_data_falls_back_to_weekdays_and_says_so(db):
    end, cal = workdays.add_workdays(date(2028, 9, 29), 1)  # Fri → Mon: National Day 2028 is not known
    assert end == date(2028, 10, 2)
    assert cal.fallback_years == [2028]
    assert "2028" in cal.note()


def test_deadline_spanning_package_and_table_years(db):
    services.enter_calendar_year(
        actor=None,
        year=2027,
        holidays=[(date(2027, 1, 1), "元旦")],
        workdays=[],
        source="国办发明电〔2026〕X号",
    )
    end, cal = workdays.add_workdays(date(2026, 12, 30), 2)
    assert end == date(2027, 1, 4)  # 31 Dec, (1 Jan holiday), 4 Jan
    assert cal.used == {2026: "package", 2027: "table"}


def test_entering_a_year_validates_and_replaces(db):
    with pytest.raises(ValidationFailed) as err:
        services.enter_calendar_year(actor=None, year=2027, holidays=[(date(2026, 1, 1), "x")], workdays=[])
    assert "holidays" in err.value.fields
    with pytest.raises(ValidationFailed):
        services.enter_calendar_year(
            actor=None, year=2027, holidays=[(date(2027, 1, 1), "a")], workdays=[(date(2027, 1, 1), "b")]
        )
    assert not CalendarYear.objects.exists()
    services.enter_calendar_year(actor=None, year=2027, holidays=[(date(2027, 1, 1), "元旦")], workdays=[])
    entry = services.enter_calendar_year(
        actor=None, year=2027, holidays=[], workdays=[(date(2027, 1, 2), "调休")]
    )
    assert [d.kind for d in entry.days.all()] == ["workday"]
    cal = workdays.Calendar()
    assert cal.is_workday(date(2027, 1, 1)) is True  # the replaced schedule no longer has it as a holiday
    assert cal.is_workday(date(2027, 1, 2)) is True  # Saturday, entered as a make-up working day
