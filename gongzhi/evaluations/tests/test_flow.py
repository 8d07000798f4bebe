"""The cycle end to end through HTTP: set-up, weights, ratings, review with evidence, adjustment with a reason,
sign-off, publication; nothing public before sign-off; bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import login
from gongzhi.core.models import AuditEntry
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Rating, Score
from gongzhi.evaluations.tests.helpers import com, dep, make_cycle

pytestmark = pytest.mark.django_db


def test_office_sets_up_a_cycle_with_the_default_indicators(city, approval_officer):
    client = login(approval_officer)
    assert client.get("/evaluations/cycles/new/").status_code == 200
    r = client.post(
        "/evaluations/cycles/new/",
        {
            "name": "2026年度评估",
            "year": 2026,
            "period": "year",
            "scope": city.city.pk,
            "ratings_due": "2026-12-20",
        },
    )
    assert r.status_code == 302
    cycle = Cycle.objects.get()
    weights = {
        d: {i.key: i.weight for i in Indicator.objects.filter(cycle=cycle, direction=d)}
        for d in Direction.values
    }
    assert weights["community"] == {"agreement": 20, "statutory": 20, "residents": 50, "units": 10}
    assert weights["department"] == {"guidance": 25, "service": 25, "interference": 25, "payment": 25}
    assert com(cycle, "residents").source == "survey"
    assert dep(cycle, "interference").source == "computed"
    assert AuditEntry.objects.filter(action="evaluations.cycle.create").count() == 1


def test_others_cannot_set_up_cycles(city, community_director, panel_member):
    for user in (community_director, panel_member):
        client = login(user)
        assert client.get("/evaluations/cycles/new/").status_code == 404
    assert Cycle.objects.count() == 0


def test_bad_cycle_input_is_refused(city, approval_officer):
    client = login(approval_officer)
    r = client.post(
        "/evaluations/cycles/new/", {"name": "", "year": "x", "period": "decade", "scope": city.city.pk}
    )
    assert r.status_code == 422
    assert Cycle.objects.count() == 0


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"guidance": 30, "service": 30, "interference": 30, "payment": 30}, "weights"),
        ({"guidance": 101, "service": 0, "interference": 0, "payment": -1}, "weights.guidance"),
        ({"guidance": 50, "service": 50}, "weights"),
    ],
)
def test_weights_must_sum_to_100(city, approval_officer, weights, field):
    cycle = make_cycle(city, approval_officer)
    client = login(approval_officer)
    r = client.put(
        f"/api/evaluations/cycles/{cycle.pk}/weights",
        json.dumps({"direction": "department", "weights": weights}),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert field in r.json()["error"]["fields"]
    assert dep(cycle, "guidance").weight == 25


def test_weights_saved_through_the_page(city, approval_officer):
    cycle = make_cycle(city, approval_officer)
    client = login(approval_officer)
    r = client.post(
        f"/evaluations/cycles/{cycle.pk}/weights/",
        {"direction": "community", "w-agreement": 10, "w-statutory": 20, "w-residents": 60, "w-units": 10},
    )
    assert r.status_code == 302
    assert com(cycle, "residents").weight == 60
    bad = client.post(
        f"/evaluations/cycles/{cycle.pk}/weights/",
        {"direction": "community", "w-agreement": 10, "w-statutory": 20, "w-residents": 61, "w-units": "x"},
    )
    assert bad.status_code == 422
    assert com(cycle, "residents").weight == 60


def _open(client: Client, cycle: Cycle) -> Any:
    return client.post(f"/evaluations/cycles/{cycle.pk}/move/", {"to": "open"})


def test_full_cycle(city, approval_officer, community_director, panel_member, outsider):
    cycle = make_cycle(city, approval_officer)
    office = login(approval_officer)
    assert _open(office, cycle).status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == "open"

    # community rates 民政局
    director = login(community_director)
    assert director.get(f"/evaluations/cycles/{cycle.pk}/rate/").status_code == 200
    r = director.post(
        f"/evaluations/cycles/{cycle.pk}/rate/",
        {
            "indicator": dep(cycle, "guidance").pk,
            "subject": city.dept.pk,
            "score": 80,
            "evidence": "培训到位",
        },
    )
    assert r.status_code == 302
    # out of range and a rating for a community-direction indicator are refused
    assert (
        director.post(
            f"/evaluations/cycles/{cycle.pk}/rate/",
            {"indicator": dep(cycle, "service").pk, "subject": city.dept.pk, "score": 150},
        ).status_code
        == 422
    )
    r = director.post(
        f"/evaluations/cycles/{cycle.pk}/rate/",
        {"indicator": dep(cycle, "service").pk, "subject": city.dept.pk, "score": 90, "evidence": "办事顺畅"},
    )
    assert r.status_code == 302
    assert (
        director.post(
            f"/evaluations/cycles/{cycle.pk}/rate/",
            {"indicator": com(cycle, "statutory").pk, "subject": city.tongxia.pk, "score": 50},
        ).status_code
        == 404
    )
    # the office rates a community's statutory duties, evidence required
    r = office.post(
        f"/evaluations/cycles/{cycle.pk}/rate/",
        {"indicator": com(cycle, "statutory").pk, "subject": city.tongxia.pk, "score": 90, "evidence": ""},
    )
    assert r.status_code == 422
    r = office.post(
        f"/evaluations/cycles/{cycle.pk}/rate/",
        {
            "indicator": com(cycle, "statutory").pk,
            "subject": city.tongxia.pk,
            "score": 90,
            "evidence": "台账齐全",
        },
    )
    assert r.status_code == 302
    assert Rating.objects.count() == 3

    # nothing public yet
    assert login(outsider).get(f"/evaluations/results/{cycle.pk}/").status_code == 404

    # review: scores computed with evidence
    assert office.post(f"/evaluations/cycles/{cycle.pk}/move/", {"to": "reviewing"}).status_code == 302
    score = Score.objects.get(indicator=dep(cycle, "guidance"), department=city.dept)
    assert score.value == 80
    assert score.evidence["ratings"] == 1
    panel = login(panel_member)
    page = panel.get(f"/evaluations/cycles/{cycle.pk}/review/")
    assert page.status_code == 200
    # the overview lists the communities (the first tab), each linking to its scores, evidence and ratings
    subject_url = f"/evaluations/cycles/{cycle.pk}/review/community/{city.tongxia.pk}/"
    assert f'href="{subject_url}"' in page.content.decode()
    detail = panel.get(subject_url)
    assert detail.status_code == 200
    # the evidence is labelled, not raw keys
    assert "台账齐全" in detail.content.decode() and "协议事项数:0" in detail.content.decode()
    assert "tasks=" not in detail.content.decode()
    departments = panel.get(f"/evaluations/cycles/{cycle.pk}/review/?direction=department").content.decode()
    assert "铜陵市民政局" in departments
    assert (
        f"/evaluations/scores/{score.pk}/adjust/"
        in panel.get(f"/evaluations/cycles/{cycle.pk}/review/department/{city.dept.pk}/").content.decode()
    )
    assert login(community_director).get(f"/evaluations/cycles/{cycle.pk}/review/").status_code == 404
    assert login(community_director).get(subject_url).status_code == 404

    # adjustment needs a reason; the office cannot adjust
    assert (
        panel.post(f"/evaluations/scores/{score.pk}/adjust/", {"value": 70, "reason": ""}).status_code == 422
    )
    assert (
        office.post(
            f"/evaluations/scores/{score.pk}/adjust/", {"value": 70, "reason": "核实有误"}
        ).status_code
        == 403
    )
    r = panel.post(f"/evaluations/scores/{score.pk}/adjust/", {"value": 70, "reason": "走访核实培训只有一次"})
    assert r.status_code == 302
    score.refresh_from_db()
    assert score.adjusted == 70
    assert AuditEntry.objects.filter(action="evaluations.score.adjust").count() == 1

    # the office cannot sign off; the panel can; publication by the office
    assert office.post(f"/evaluations/cycles/{cycle.pk}/move/", {"to": "signed_off"}).status_code == 403
    assert panel.post(f"/evaluations/cycles/{cycle.pk}/move/", {"to": "signed_off"}).status_code == 302
    assert login(outsider).get(f"/evaluations/results/{cycle.pk}/").status_code == 404
    assert panel.post(f"/evaluations/cycles/{cycle.pk}/move/", {"to": "published"}).status_code == 403
    assert office.post(f"/evaluations/cycles/{cycle.pk}/move/", {"to": "published"}).status_code == 302

    anon = Client()
    page = anon.get(f"/evaluations/results/{cycle.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "走访核实培训只有一次" in text and "<svg" in text and "铜陵市民政局" in text
    # 统计局: no community dealt with it and nobody rated it: listed, but not ranked
    assert "未参评(数据不足)" in text
    assert anon.get(f"/evaluations/results/{cycle.pk}/report/").status_code == 200
    assert anon.get("/evaluations/results/").status_code == 200
    x = anon.get(f"/evaluations/results/{cycle.pk}/export.xlsx")
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content))
    assert len(wb.worksheets) == 3
    api = anon.get(f"/api/evaluations/results/{cycle.pk}").json()
    minzheng = next(r for r in api["departments"] if r["name"] == "铜陵市民政局")
    assert minzheng["values"]["guidance"] == 70
    tongji = next(r for r in api["departments"] if r["name"] == "铜陵市统计局")
    assert minzheng["rank"] == 1 and minzheng["ranked"] is True
    assert tongji["rank"] is None and tongji["ranked"] is False and tongji["total"] is None
    assert api["award"] == ["铜陵市民政局"]
    assert api["adjustments"][0]["adjust_reason"] == "走访核实培训只有一次"
    # published is final: no more adjustments
    assert (
        panel.post(f"/evaluations/scores/{score.pk}/adjust/", {"value": 10, "reason": "再改一次"}).status_code
        == 409
    )


def test_late_rating_is_flagged(city, approval_officer, community_director, monkeypatch):
    from gongzhi.evaluations import compute

    cycle = make_cycle(city, approval_officer)  # ratings due 2026-12-31
    _open(login(approval_officer), cycle)
    client = login(community_director)

    def rate(on: dt.date) -> Any:
        monkeypatch.setattr(compute, "today", lambda: on)
        return client.post(
            f"/api/evaluations/cycles/{cycle.pk}/ratings",
            json.dumps(
                {"indicator_id": dep(cycle, "service").pk, "department_id": city.dept.pk, "score": 60}
            ),
            content_type="application/json",
        )

    r = rate(dt.date(2026, 12, 31))  # on the due date: in time
    assert r.status_code == 200 and r.json()["late"] is False
    r = rate(dt.date(2027, 1, 1))
    assert r.status_code == 200 and r.json()["late"] is True


def test_rating_refused_when_not_open(city, approval_officer, community_director):
    cycle = make_cycle(city, approval_officer)
    client = login(community_director)
    # draft: the director cannot even see the cycle
    assert client.get(f"/evaluations/cycles/{cycle.pk}/").status_code == 404
    r = client.post(
        f"/api/evaluations/cycles/{cycle.pk}/ratings",
        json.dumps({"indicator_id": dep(cycle, "service").pk, "department_id": city.dept.pk, "score": 60}),
        content_type="application/json",
    )
    assert r.status_code == 404
    assert Rating.objects.count() == 0


def test_reminders_reach_community_staff(city, approval_officer, community_director):
    from gongzhi.core.models import Notification

    cycle = make_cycle(city, approval_officer)
    office = login(approval_officer)
    assert office.post(f"/evaluations/cycles/{cycle.pk}/remind/").status_code == 409
    _open(office, cycle)
    assert office.post(f"/evaluations/cycles/{cycle.pk}/remind/").status_code == 302
    assert Notification.objects.filter(user=community_director, event="evaluations.reminder").count() == 1
    office.post(f"/evaluations/cycles/{cycle.pk}/remind/")
    assert Notification.objects.filter(user=community_director, event="evaluations.reminder").count() == 1
    assert login(community_director).post(f"/evaluations/cycles/{cycle.pk}/remind/").status_code == 403


def test_scheduled_reminders_before_the_deadline(city, approval_officer, community_director, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from gongzhi.core.models import Notification
    from gongzhi.evaluations import compute, services

    cycle = make_cycle(city, approval_officer)  # ratings due 2026-12-31
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    assert services.send_due_reminders(on=dt.date(2026, 12, 1)) == 0  # a month before: nothing
    monkeypatch.setattr(compute, "today", lambda: dt.date(2026, 12, 28))  # three days before
    out = StringIO()
    call_command("evaluation_reminders", stdout=out)
    assert "reminders sent: 1" in out.getvalue()
    call_command("evaluation_reminders", stdout=StringIO())
    assert Notification.objects.filter(user=community_director, event="evaluations.reminder").count() == 1
