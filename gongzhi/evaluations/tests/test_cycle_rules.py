"""The settlement thresholds and the interference penalty are set per cycle while it is a draft: the office only,
audited, validated (0 ≤ floor < full ≤ 100, penalty 0–100), by page and API; frozen once rating opens."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import login
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.evaluations import services
from gongzhi.evaluations.models import Cycle
from gongzhi.evaluations.tests.helpers import dep, make_cycle

pytestmark = pytest.mark.django_db


def _put(client: Any, cycle: Cycle, body: dict[str, Any]) -> Any:
    return client.put(
        f"/api/evaluations/cycles/{cycle.pk}/rules", json.dumps(body), content_type="application/json"
    )


def test_office_sets_the_rules_in_draft(city, approval_officer):
    cycle = make_cycle(city, approval_officer)
    r = _put(login(approval_officer), cycle, {"settle_full": 85, "settle_floor": 50, "penalty": 5})
    assert r.status_code == 200
    assert r.json()["settle_full"] == 85 and r.json()["settle_floor"] == 50
    cycle.refresh_from_db()
    assert (cycle.settle_full, cycle.settle_floor, dep(cycle, "interference").penalty) == (85, 50, 5)
    entry = AuditEntry.objects.get(action="evaluations.cycle.rules")
    assert entry.data["before"] == {"settle_full": 90, "settle_floor": 60, "penalty": 10}
    # the page's form
    client = login(approval_officer)
    assert 'name="settle_full"' in client.get(f"/evaluations/cycles/{cycle.pk}/").content.decode()
    r = client.post(
        f"/evaluations/cycles/{cycle.pk}/rules/", {"settle_full": 95, "settle_floor": 70, "penalty": 20}
    )
    assert r.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.settle_full, cycle.settle_floor, dep(cycle, "interference").penalty) == (95, 70, 20)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"settle_full": 60, "settle_floor": 60, "penalty": 10}, "settle_floor"),
        ({"settle_full": 50, "settle_floor": 70, "penalty": 10}, "settle_floor"),
        ({"settle_full": 101, "settle_floor": 60, "penalty": 10}, "settle_full"),
        ({"settle_full": 90, "settle_floor": -1, "penalty": 10}, "settle_floor"),
        ({"settle_full": 90, "settle_floor": 60, "penalty": 101}, "penalty"),
    ],
)
def test_bad_rules_are_refused_with_nothing_written(city, approval_officer, body, field):
    cycle = make_cycle(city, approval_officer)
    r = _put(login(approval_officer), cycle, body)
    assert r.status_code == 422
    assert field in r.json()["error"]["fields"]
    cycle.refresh_from_db()
    assert (cycle.settle_full, cycle.settle_floor, dep(cycle, "interference").penalty) == (90, 60, 10)
    assert not AuditEntry.objects.filter(action="evaluations.cycle.rules").exists()
    r = login(approval_officer).post(f"/evaluations/cycles/{cycle.pk}/rules/", {**body, "settle_full": "x"})
    assert r.status_code == 422


def test_rules_denied_to_others_and_frozen_once_open(
    city, approval_officer, panel_member, community_director
):
    cycle = make_cycle(city, approval_officer)
    good = {"settle_full": 85, "settle_floor": 50, "penalty": 5}
    assert _put(login(panel_member), cycle, good).status_code in (403, 404)
    assert _put(login(community_director), cycle, good).status_code == 404  # a draft is not visible to it
    with pytest.raises(PermissionDenied):
        services.update_cycle_rules(actor=panel_member, cycle=cycle, **good)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    assert _put(login(approval_officer), cycle, good).status_code == 409
    with pytest.raises(Conflict):
        services.update_cycle_rules(actor=approval_officer, cycle=cycle, **good)
    with pytest.raises(ValidationFailed):
        services.update_cycle_rules(
            actor=approval_officer, cycle=cycle, settle_full=True, settle_floor=0, penalty=1
        )
    cycle.refresh_from_db()
    assert (cycle.settle_full, cycle.settle_floor) == (90, 60)
