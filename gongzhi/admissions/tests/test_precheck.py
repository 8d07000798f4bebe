"""The pre-check's rules and its working-day timing: Spring Festival and National Day 2026 (chinese-calendar's
data), a year entered in the office's table (2027, assumed), and the weekday fallback for a year with no data."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.admissions import precheck
from gongzhi.admissions.tests.conftest import ASSISTING, EXCLUDED, PLAQUE, STATUTORY, UNLISTED, standard_fen
from gongzhi.core import demo as core_demo
from gongzhi.core import services as core_services

pytestmark = pytest.mark.usefixtures("lists")

FAR = dt.date(2026, 12, 1)


def check(
    text: str,
    *,
    on: dt.date,
    starts_on: dt.date = FAR,
    kind: str = "ongoing",
    funding_fen: int = 0,
    forms_count: int = 0,
) -> precheck.Precheck:
    draft = precheck.Draft(
        title="",
        description=text,
        kind=kind,
        starts_on=starts_on,
        funding_fen=funding_fen,
        forms_count=forms_count,
    )
    return precheck.check(draft, on=on)


def test_excluded_names_the_item_and_blocks():
    result = check(EXCLUDED, on=dt.date(2026, 3, 2))
    assert result.verdict == "excluded" and result.route == precheck.Route.BLOCKED
    assert not result.can_submit
    assert "Z-01 亲属关系证明" in result.errors[0]
    assert "certificate" in result.flags


def test_statutory_is_guidance_only_and_needs_no_lead_time():
    result = check(STATUTORY, on=dt.date(2026, 3, 2), starts_on=dt.date(2026, 3, 3))
    assert result.verdict == "statutory" and result.route == precheck.Route.GUIDANCE
    assert result.can_submit and not result.needs_authority


def test_assisting_needs_the_standard_funding_and_an_agreement():
    standard = standard_fen(ASSISTING)
    short = check(ASSISTING, on=dt.date(2026, 3, 2), funding_fen=standard - 1)
    assert not short.can_submit and "经费" in short.errors[0]
    assert short.requires_agreement and short.standard_funding_fen == standard
    enough = check(ASSISTING, on=dt.date(2026, 3, 2), funding_fen=standard)
    assert enough.can_submit and enough.route == precheck.Route.REVIEW and not enough.needs_authority


def test_unlisted_plaque_and_inspection_need_the_authority():
    assert check(UNLISTED, on=dt.date(2026, 3, 2)).needs_authority
    plaque = check(PLAQUE, on=dt.date(2026, 3, 2), kind="plaque")
    assert plaque.needs_authority and "plaque" in plaque.flags
    standard = standard_fen(ASSISTING)
    ranked = check(ASSISTING, on=dt.date(2026, 3, 2), kind="inspection", funding_fen=standard)
    assert ranked.verdict == "assisting" and ranked.needs_authority and "inspection_ranking" in ranked.flags
    assert any("检查" in w for w in ranked.warnings)


def test_forms_count_raises_the_report_form_flag():
    result = check(UNLISTED, on=dt.date(2026, 3, 2), forms_count=2)
    assert "report_form" in result.flags


def test_decision_due_across_spring_festival_2026():
    # 15 working days from 10 Feb 2026: 11–14 (14 Feb, a Saturday, is a make-up day), 15–23 off,
    # 24–28 (28 Feb, Saturday, make-up), 2–6 Mar, 9 Mar.
    result = check(UNLISTED, on=dt.date(2026, 2, 10))
    assert result.decision_due == "2026-03-09"
    assert result.calendar_note == ""


def test_lead_time_across_national_day_2026():
    # 1–7 Oct off; 10 Oct (Saturday) is a make-up working day.
    result = check(UNLISTED, on=dt.date(2026, 9, 29))
    assert result.decision_due == "2026-10-26"  # 30 Sep, 8, 9, 10, 12–16, 19–23, 26 Oct
    start = dt.date(2026, 11, 9)
    latest = dt.date.fromisoformat(check(UNLISTED, on=dt.date(2026, 9, 1), starts_on=start).latest_submission)
    assert check(UNLISTED, on=latest, starts_on=start).can_submit
    too_late = check(UNLISTED, on=latest + dt.timedelta(days=1), starts_on=start)
    assert not too_late.can_submit
    assert "30个工作日" in too_late.errors[0]
    # the holiday week does not count: on weekdays alone the same dates would leave more than 30 days
    weekdays = sum(
        1 for n in range(1, (start - latest).days + 1) if (latest + dt.timedelta(days=n)).weekday() < 5
    )
    assert weekdays > 30


def test_too_late_message_gives_the_earliest_possible_start():
    result = check(UNLISTED, on=dt.date(2026, 3, 2), starts_on=dt.date(2026, 3, 20))
    assert not result.can_submit
    assert result.earliest_start in result.errors[0]
    assert result.lead_workdays is not None and result.lead_workdays < 30


def test_year_entered_in_the_table_counts_and_says_it_is_provisional():
    core_demo.load(actor=None)  # 2027, assumed
    # 4 Feb 2027 (Thu) + 1 working day: 5, 8, 9, 10 Feb are holidays in the assumed schedule → 11 Feb
    result = check(UNLISTED, on=dt.date(2027, 1, 20), starts_on=dt.date(2027, 3, 15))
    assert "2027" in result.calendar_note and "暂定" in result.calendar_note
    official = core_services.enter_calendar_year(
        actor=None,
        year=2027,
        holidays=[(dt.date(2027, 2, d), "春节") for d in (5, 8, 9, 10, 11, 12)],
        workdays=[(dt.date(2027, 2, 20), "春节调休")],
        source="国办发明电〔2026〕X号",
    )
    assert not official.assumed
    again = check(UNLISTED, on=dt.date(2027, 2, 4))
    assert again.calendar_note == ""
    # 5–12 Feb off; 20 Feb (Saturday) worked: 15 working days from 4 Feb end on 4 Mar
    assert again.decision_due == "2027-03-04"


def test_year_without_data_falls_back_to_weekdays_and_the_page_says_so():
    result = check(UNLISTED, on=dt.date(2028, 9, 1), starts_on=dt.date(2028, 12, 1))
    assert "2028" in result.calendar_note and "周一至周五" in result.calendar_note
    # plain Monday–Friday: 15 working days from Fri 1 Sep 2028 is Fri 22 Sep
    assert result.decision_due == "2028-09-22"
