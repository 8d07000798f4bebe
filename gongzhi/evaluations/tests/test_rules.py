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
