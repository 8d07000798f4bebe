"""The panel's adjustments survive a return to rating and a second review; a community rates only the departments
it dealt with in the cycle's period (an admitted task or an agreement), on the page and through the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from conftest import login
from gongzhi.core.errors import ValidationFailed
from gongzhi.core.models import AuditEntry, User
from gongzhi.evaluations import queries, services
from gongzhi.evaluations.models import Cycle, Direction, Rating, Score
from gongzhi.evaluations.tests.helpers import admit, com, dep, make_cycle

pytestmark = pytest.mark.django_db


def test_adjustments_survive_a_return_to_rating(city, approval_officer, panel_member, community_director):
    cycle = make_cycle(city, approval_officer)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    services.rate(actor=community_director, indicator=dep(cycle, "guidance"), score=70, department=city.dept)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    score = Score.objects.get(indicator=com(cycle, "statutory"), community=city.tongxia)
    services.adjust_score(actor=panel_member, score=score, value=85, reason="走访核实台账")
    # back to rating (a late rating), then review again: the scores are recomputed, the adjustment stays
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open", reason="补充评分")
    services.rate(actor=community_director, indicator=dep(cycle, "guidance"), score=90, department=city.dept)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    kept = Score.objects.get(indicator=com(cycle, "statutory"), community=city.tongxia)
    assert kept.pk != score.pk  # recomputed
    assert kept.adjusted == 85 and kept.adjust_reason == "走访核实台账"
    assert kept.adjusted_by == panel_member and kept.adjusted_at is not None
    # the new rating counts
    guidance = Score.objects.get(indicator=dep(cycle, "guidance"), department=city.dept)
    assert guidance.value == 90 and guidance.adjusted is None
    assert [s.pk for s in queries.adjustments(cycle)] == [kept.pk]
    rows = {r.name: r for r in queries.results(cycle, Direction.COMMUNITY)}
    assert rows["铜霞社区"].total == 85 and rows["铜霞社区"].adjusted == ["statutory"]
    computed = AuditEntry.objects.filter(action="evaluations.cycle.compute").order_by("seq")
    assert [e.data["adjustments_kept"] for e in computed] == [0, 1]
    # and still there, with its reason, on the published results
    services.move_cycle(actor=panel_member, cycle=cycle, to="signed_off")
    services.move_cycle(actor=approval_officer, cycle=cycle, to="published")
    page = login(community_director).get(f"/evaluations/results/{cycle.pk}/").content.decode()
    assert "走访核实台账" in page


def _open(city: Any, officer: User) -> Cycle:
    cycle = make_cycle(city, officer)
    services.move_cycle(actor=officer, cycle=cycle, to="open")
    return cycle


def test_community_rates_only_departments_it_dealt_with(city, approval_officer, community_director):
    cycle = _open(city, approval_officer)
    assert list(services.departments_to_rate(community_director, cycle)) == [city.dept]
    with pytest.raises(ValidationFailed) as exc:
        services.rate(
            actor=community_director, indicator=dep(cycle, "guidance"), score=60, department=city.other_dept
        )
    assert exc.value.fields == {"department": "not_worked_with"}
    # the page lists only 民政局 and refuses 统计局 with the reason
    client = login(community_director)
    page = client.get(f"/evaluations/cycles/{cycle.pk}/rate/").content.decode()
    assert city.dept.name in page and city.other_dept.name not in page
    r = client.post(
        f"/evaluations/cycles/{cycle.pk}/rate/",
        {"indicator": dep(cycle, "guidance").pk, "subject": city.other_dept.pk, "score": 60},
    )
    assert r.status_code == 422
    assert "没有准入事项或委托协议" in r.content.decode()
    # the API too
    r = client.post(
        f"/api/evaluations/cycles/{cycle.pk}/ratings",
        json.dumps(
            {"indicator_id": dep(cycle, "guidance").pk, "department_id": city.other_dept.pk, "score": 60}
        ),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"department": "not_worked_with"}
    assert "没有准入事项或委托协议" in r.json()["error"]["message"]
    assert not Rating.objects.filter(department=city.other_dept).exists()


def test_dealings_outside_the_period_do_not_count(city, approval_officer, community_director):
    # 统计局's task for 铜霞 ran in 2025 only: not rateable in the 2026 cycle; a 2026 task makes it rateable
    task = admit(city, city.tongxia, city.other_dept, starts_on=dt.date(2025, 3, 1))
    assert task.ends_on == dt.date(2025, 12, 31)
    cycle = _open(city, approval_officer)
    assert city.other_dept not in services.departments_to_rate(community_director, cycle)
    admit(city, city.tongxia, city.other_dept, starts_on=dt.date(2026, 9, 1))
    assert city.other_dept in services.departments_to_rate(community_director, cycle)
    rating = services.rate(
        actor=community_director, indicator=dep(cycle, "service"), score=66, department=city.other_dept
    )
    assert rating.score == 66


def test_another_communitys_dealings_do_not_count(city, approval_officer, outsider):
    # 狮子山 (the outsider's community) had no dealings at all; 铜霞's task with 民政局 does not help it
    cycle = _open(city, approval_officer)
    assert list(services.departments_to_rate(outsider, cycle)) == []
    with pytest.raises(ValidationFailed):
        services.rate(actor=outsider, indicator=dep(cycle, "guidance"), score=60, department=city.dept)


def test_an_agreement_of_the_year_counts(city, approval_officer, community_director):
    from gongzhi.agreements.models import Agreement

    cycle = _open(city, approval_officer)
    agreement = Agreement.objects.create(
        number="TJ-2026-01",
        year=2026,
        department=city.other_dept,
        community=city.tongxia,
        party=city.committee,
        status=Agreement.Status.DRAFT,
        created_by=approval_officer,
    )
    # a draft is no dealing yet; once both sides signed it is
    assert city.other_dept not in services.departments_to_rate(community_director, cycle)
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.ACTIVE)
    assert city.other_dept in services.departments_to_rate(community_director, cycle)


def _open_survey(city: Any, user: User, scope: Any) -> Any:
    from gongzhi.surveys.models import Survey

    return Survey.objects.create(
        title="居民满意度调查",
        scope=scope,
        owner=city.office,
        purpose=Survey.Purpose.SATISFACTION,
        created_by=user,
        status=Survey.Status.OPEN,
    )


def test_review_closes_the_linked_surveys(city, approval_officer):
    """Moving to review closes the open linked surveys through surveys.services.close_survey, audited."""
    cycle = make_cycle(city, approval_officer)
    survey = _open_survey(city, approval_officer, city.city)
    services.link_survey(actor=approval_officer, indicator=com(cycle, "residents"), survey=survey)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    survey.refresh_from_db()
    assert survey.status == "open"  # opening the cycle leaves it collecting
    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    survey.refresh_from_db()
    assert survey.status == "closed" and survey.closed_on is not None
    assert AuditEntry.objects.filter(action="surveys.survey.closed").count() == 1
    compute_entry = AuditEntry.objects.get(action="evaluations.cycle.compute")
    assert compute_entry.data["surveys_closed"] == [survey.pk]
    # back to rating and to review again: nothing left to close, nothing reopened
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open", reason="补充评分")
    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    survey.refresh_from_db()
    assert survey.status == "closed"


def test_review_refused_while_a_survey_it_cannot_close_is_open(city, approval_officer):
    """A district office's cycle linked to the city's survey: the district office may not close it, so the move
    to review is refused (409) and nothing is written."""
    from conftest import make_user
    from gongzhi.core.errors import Conflict
    from gongzhi.core.roles import OrgKind, Role
    from gongzhi.orgs import services as org_services

    district_office = org_services.create_organization(
        actor=None, name="铜官区深改办", kind=OrgKind.APPROVAL_AUTHORITY, region=city.district
    )
    officer = make_user("district-officer", district_office, Role.APPROVAL_OFFICER)
    cycle = services.create_cycle(
        actor=officer,
        scope=city.district,
        year=2026,
        period="year",
        name="铜官区2026年度评估",
        ratings_due=dt.date(2026, 12, 31),
    )
    survey = _open_survey(city, approval_officer, city.city)
    services.link_survey(actor=officer, indicator=com(cycle, "residents"), survey=survey)
    services.move_cycle(actor=officer, cycle=cycle, to="open")
    entries = AuditEntry.objects.count()
    with pytest.raises(Conflict, match="居民满意度调查"):
        services.move_cycle(actor=officer, cycle=cycle, to="reviewing")
    cycle.refresh_from_db()
    survey.refresh_from_db()
    assert cycle.status == "open" and survey.status == "open"
    assert AuditEntry.objects.count() == entries and not Score.objects.filter(indicator__cycle=cycle).exists()


def test_previous_cycle_follows_the_dates_not_the_period_names(city, approval_officer):
    def published(year: int, period: str) -> Cycle:
        c = services.create_cycle(
            actor=approval_officer,
            scope=city.city,
            year=year,
            period=period,
            name=f"{year}{period}",
            ratings_due=dt.date(year, 12, 31) if period != "h1" else dt.date(year, 6, 30),
        )
        Cycle.objects.filter(pk=c.pk).update(status=Cycle.Status.PUBLISHED)
        return c

    last_year = published(2025, "year")
    last_h2 = published(2025, "h2")
    h1 = published(2026, "h1")
    h2 = published(2026, "h2")  # "h2" < "year" as strings: it used to count as previous to 2026's full year
    year = make_cycle(city, approval_officer)
    assert queries.previous_cycle(year) == last_year  # same kind of period among those ending 2025-12-31
    assert queries.previous_cycle(h2) == h1
    assert queries.previous_cycle(h1) == last_h2
    assert queries.previous_cycle(last_year) is None


@pytest.mark.parametrize(
    ("due", "ok"),
    [
        (dt.date(2026, 12, 31), True),
        (dt.date(2026, 7, 2), True),
        (dt.date(2027, 4, 30), True),
        (dt.date(2026, 3, 1), False),  # before the period is half over
        (dt.date(2027, 12, 31), False),  # long after the period
        (dt.date(2025, 12, 31), False),  # before the period
    ],
)
def test_ratings_due_must_fit_the_period(city, approval_officer, due, ok):
    client = login(approval_officer)
    body = {"scope_id": city.city.pk, "year": 2026, "name": "2026", "ratings_due": due.isoformat()}
    r = client.post(
        "/api/evaluations/cycles",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": f"due-{due}"},
    )
    if ok:
        assert r.status_code == 201
    else:
        assert r.status_code == 422
        assert r.json()["error"]["fields"] == {"ratings_due": "range"}
        assert "评分截止日期须在2026-07-02至2027-04-30之间" in r.json()["error"]["message"]
        assert not Cycle.objects.exists()


def test_reminder_title_is_translatable(city, approval_officer, community_director):
    from django.utils import translation

    from gongzhi.core.models import Notification

    cycle = make_cycle(city, approval_officer)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    with translation.override("zh-hans"):
        services.send_reminders(actor=approval_officer, cycle=cycle)
    note = Notification.objects.get(user=community_director, event="evaluations.reminder")
    assert note.title == "请在2026-12-31前完成“2026年度双向评估”部门评价"


def test_cycle_page_lists_only_the_surveys_the_officer_may_see(city, approval_officer):
    from gongzhi.orgs import services as org_services
    from gongzhi.surveys.models import Survey

    cycle = make_cycle(city, approval_officer)
    elsewhere = org_services.create_region(actor=None, name="池州市", kind="city", code="341700")
    mine = Survey.objects.create(
        title="本市满意度",
        scope=city.city,
        owner=city.office,
        purpose="satisfaction",
        created_by=approval_officer,
    )
    other = Survey.objects.create(
        title="外市满意度",
        scope=elsewhere,
        owner=city.office,
        purpose="satisfaction",
        created_by=approval_officer,
    )
    client = login(approval_officer)
    page = client.get(f"/evaluations/cycles/{cycle.pk}/").content.decode()
    assert "本市满意度" in page and "外市满意度" not in page
    url = f"/evaluations/cycles/{cycle.pk}/survey/"
    indicator = com(cycle, "residents")
    assert client.post(url, {"indicator": indicator.pk, "survey": other.pk}).status_code == 404
    assert client.post(url, {"indicator": indicator.pk, "survey": mine.pk}).status_code == 302
    indicator.refresh_from_db()
    assert indicator.survey_id == mine.pk
