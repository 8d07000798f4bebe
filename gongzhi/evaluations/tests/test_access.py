"""Every evaluation URL, allowed and denied; the API's bad input; the demo."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from conftest import login
from gongzhi.agreements import demo as agreements_demo
from gongzhi.core.models import User
from gongzhi.evaluations import services
from gongzhi.evaluations.models import Cycle, Indicator, Rating, Score
from gongzhi.evaluations.tests.helpers import com, dep, make_cycle
from gongzhi.surveys.models import Survey

pytestmark = pytest.mark.django_db


def _json(client: Client, method: str, url: str, body: Any, **headers: str) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json", **headers)


def test_pages_allowed_and_denied(city, approval_officer, dept_clerk, panel_member, community_director):
    cycle = make_cycle(city, approval_officer)
    office, clerk, panel = login(approval_officer), login(dept_clerk), login(panel_member)
    assert office.get("/evaluations/").status_code == 200
    assert cycle.name in office.get("/evaluations/").content.decode()
    assert cycle.name not in clerk.get("/evaluations/").content.decode()
    assert Client().get("/evaluations/").status_code == 302
    assert office.get(f"/evaluations/cycles/{cycle.pk}/").status_code == 200
    assert panel.get(f"/evaluations/cycles/{cycle.pk}/").status_code == 200
    for url in (f"/evaluations/cycles/{cycle.pk}/", f"/evaluations/cycles/{cycle.pk}/review/"):
        assert clerk.get(url).status_code == 404
    # weights and survey links: office only
    weights = {
        "direction": "community",
        "w-agreement": 25,
        "w-statutory": 25,
        "w-residents": 40,
        "w-units": 10,
    }
    assert panel.post(f"/evaluations/cycles/{cycle.pk}/weights/", weights).status_code == 403
    assert clerk.post(f"/evaluations/cycles/{cycle.pk}/weights/", weights).status_code == 404
    survey = Survey.objects.create(
        title="居民满意度",
        scope=city.city,
        owner=city.office,
        purpose="satisfaction",
        created_by=approval_officer,
    )
    link = {"indicator": com(cycle, "residents").pk, "survey": survey.pk}
    # the panel may not see the draft survey (surveys.permissions.get_survey_for_user): not found
    assert panel.post(f"/evaluations/cycles/{cycle.pk}/survey/", link).status_code == 404
    assert office.post(f"/evaluations/cycles/{cycle.pk}/survey/", link).status_code == 302
    assert Indicator.objects.get(pk=link["indicator"]).survey_id == survey.pk
    # a computed indicator cannot take a survey
    bad = {"indicator": com(cycle, "agreement").pk, "survey": survey.pk}
    assert office.post(f"/evaluations/cycles/{cycle.pk}/survey/", bad).status_code == 422
    assert office.post(f"/evaluations/cycles/{cycle.pk}/survey/", {"indicator": "x"}).status_code == 404
    # rating page: raters only
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    assert login(community_director).get(f"/evaluations/cycles/{cycle.pk}/rate/").status_code == 200
    assert office.get(f"/evaluations/cycles/{cycle.pk}/rate/").status_code == 200
    assert panel.get(f"/evaluations/cycles/{cycle.pk}/rate/").status_code == 404
    assert clerk.get(f"/evaluations/cycles/{cycle.pk}/rate/").status_code == 404
    # unpublished results are not public
    for url in ("/", "/report/", "/export.xlsx"):
        assert Client().get(f"/evaluations/results/{cycle.pk}{url}").status_code == 404


def test_api_allowed_and_denied(city, approval_officer, panel_member, community_director, dept_clerk):
    office, panel, director = login(approval_officer), login(panel_member), login(community_director)
    body = {"scope_id": city.city.pk, "year": 2026, "name": "2026", "ratings_due": "2026-12-31"}
    denied = _json(director, "post", "/api/evaluations/cycles", body, HTTP_IDEMPOTENCY_KEY="k0")
    assert denied.status_code == 403
    r = _json(office, "post", "/api/evaluations/cycles", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 201
    pk = r.json()["id"]
    assert len(r.json()["indicators"]) == 8
    assert (
        _json(
            office, "post", "/api/evaluations/cycles", {**body, "extra": 1}, HTTP_IDEMPOTENCY_KEY="k2"
        ).status_code
        == 422
    )
    assert (
        _json(
            office, "post", "/api/evaluations/cycles", {**body, "scope_id": 999999}, HTTP_IDEMPOTENCY_KEY="k3"
        ).status_code
        == 422
    )
    assert [c["id"] for c in office.get("/api/evaluations/cycles").json()] == [pk]
    assert login(dept_clerk).get("/api/evaluations/cycles").json() == []
    assert Client().get("/api/evaluations/cycles").status_code == 401
    assert office.get(f"/api/evaluations/cycles/{pk}").status_code == 200
    assert login(dept_clerk).get(f"/api/evaluations/cycles/{pk}").status_code == 404
    weights = {
        "direction": "department",
        "weights": {"guidance": 40, "service": 20, "interference": 20, "payment": 20},
    }
    assert _json(panel, "put", f"/api/evaluations/cycles/{pk}/weights", weights).status_code == 403
    assert _json(office, "put", f"/api/evaluations/cycles/{pk}/weights", weights).status_code == 200
    assert (
        _json(director, "post", f"/api/evaluations/cycles/{pk}/transitions", {"to": "open"}).status_code
        == 404
    )
    assert (
        _json(office, "post", f"/api/evaluations/cycles/{pk}/transitions", {"to": "published"}).status_code
        == 409
    )
    assert (
        _json(office, "post", f"/api/evaluations/cycles/{pk}/transitions", {"to": "nowhere"}).status_code
        == 422
    )
    assert (
        _json(office, "post", f"/api/evaluations/cycles/{pk}/transitions", {"to": "open"}).status_code == 200
    )
    cycle = Cycle.objects.get(pk=pk)
    rating = {"indicator_id": dep(cycle, "guidance").pk, "department_id": city.dept.pk, "score": 77}
    assert _json(panel, "post", f"/api/evaluations/cycles/{pk}/ratings", rating).status_code == 403
    assert (
        _json(director, "post", f"/api/evaluations/cycles/{pk}/ratings", {**rating, "score": "a"}).status_code
        == 422
    )
    assert (
        _json(
            director,
            "post",
            f"/api/evaluations/cycles/{pk}/ratings",
            {**rating, "department_id": city.office.pk},
        ).status_code
        == 422
    )
    assert _json(director, "post", f"/api/evaluations/cycles/{pk}/ratings", rating).status_code == 200
    assert (
        _json(director, "post", f"/api/evaluations/cycles/{pk}/ratings", {**rating, "score": 78}).status_code
        == 200
    )
    assert Rating.objects.get().score == 78  # rating again replaces
    assert (
        _json(office, "post", f"/api/evaluations/cycles/{pk}/transitions", {"to": "reviewing"}).status_code
        == 200
    )
    scores = panel.get(f"/api/evaluations/cycles/{pk}/scores")
    assert scores.status_code == 200 and len(scores.json()) == 2 * 4 + 2 * 4
    assert director.get(f"/api/evaluations/cycles/{pk}/scores").status_code == 404
    score = Score.objects.get(indicator=dep(cycle, "guidance"), department=city.dept)
    adjust = {"value": 70, "reason": "走访核实"}
    assert _json(director, "post", f"/api/evaluations/scores/{score.pk}/adjust", adjust).status_code == 404
    assert (
        _json(
            panel, "post", f"/api/evaluations/scores/{score.pk}/adjust", {"value": 70, "reason": " "}
        ).status_code
        == 422
    )
    assert (
        _json(
            panel, "post", f"/api/evaluations/scores/{score.pk}/adjust", {"value": 170, "reason": "理由充分"}
        ).status_code
        == 422
    )
    r = _json(panel, "post", f"/api/evaluations/scores/{score.pk}/adjust", adjust)
    assert r.status_code == 200 and r.json()["adjusted"] == 70
    assert Client().get(f"/api/evaluations/results/{pk}").status_code == 404


def test_demo_cycle_is_open_with_demo_communitys_rating(db: None) -> None:
    # the whole demo: demo-community may rate 民政局 only for the year of the admitted tasks the agreements demo makes
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", only=["orgs", "surveys", "evaluations"], stdout=StringIO())  # idempotent
    cycle = Cycle.objects.get(year=agreements_demo.start_date(timezone.localdate()).year)
    assert cycle.status == "open"
    ratings = Rating.objects.filter(indicator__cycle=cycle, rater=User.objects.get(username="demo-community"))
    assert ratings.count() == 2
    assert {r.department.name for r in ratings if r.department} == {"铜陵市民政局"}
