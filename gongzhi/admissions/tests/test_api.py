"""The admissions API through HTTP: every endpoint allowed and denied, the error shape, Idempotency-Key on the
creating POSTs, no mass assignment, and the database afterwards."""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import login
from gongzhi.admissions import services
from gongzhi.admissions.models import (
    AdmittedTask,
    Attachment,
    InformalTaskReport,
    Refusal,
    Review,
    TaskRequest,
)
from gongzhi.admissions.tests.conftest import ASSISTING, EXCLUDED, START, UNLISTED, new_request, standard_fen
from gongzhi.core.models import Notification

pytestmark = pytest.mark.usefixtures("lists")

PDF = b"%PDF-1.4\n%%EOF\n"


def post(client: Any, url: str, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, body or {}, content_type="application/json", headers=headers)


def body(city: Any, text: str = ASSISTING, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "department_id": city.dept.pk,
        "title": text[:30],
        "description": text,
        "kind": "ongoing",
        "starts_on": START.isoformat(),
        "ends_on": "2026-12-31",
        "hours_per_month": 6,
        "funding_fen": standard_fen(ASSISTING),
        "contact_name": "王科长",
    }
    data.update(extra)
    return data


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and " / " in error["message"]
    return dict(error)


def test_create_request_is_idempotent_and_refuses_mass_assignment(
    city, dept_clerk, other_clerk, community_director
):
    c = login(dept_clerk)
    assert_error(post(c, "/api/admissions/requests", body(city)), 400)  # no Idempotency-Key
    first = post(c, "/api/admissions/requests", body(city), key="k1")
    assert first.status_code == 201
    replay = post(c, "/api/admissions/requests", body(city), key="k1")
    assert replay.status_code == 201 and replay.json() == first.json()
    assert TaskRequest.objects.count() == 1
    assert_error(post(c, "/api/admissions/requests", body(city, title="别的"), key="k1"), 422)
    sneaky = assert_error(post(c, "/api/admissions/requests", body(city, status="approved"), key="k2"), 422)
    assert "status" in sneaky["fields"]
    assert_error(post(login(other_clerk), "/api/admissions/requests", body(city), key="k3"), 403)
    assert_error(post(login(community_director), "/api/admissions/requests", body(city), key="k4"), 403)
    assert_error(post(c, "/api/admissions/requests", body(city, funding_fen=-5), key="k5"), 422)
    assert_error(post(c, "/api/admissions/requests", body(city, target="chosen"), key="k6"), 422)
    bad_json = c.post(
        "/api/admissions/requests", "title=x", content_type="text/plain", headers={"Idempotency-Key": "k7"}
    )
    assert_error(bad_json, 415)
    assert TaskRequest.objects.count() == 1
    assert first.json()["status"] == "draft" and first.json()["created_at"]


def test_list_and_get_requests(city, dept_clerk, other_clerk, approval_officer, resident, client):
    req = new_request(dept_clerk, city)
    listed = login(dept_clerk).get("/api/admissions/requests").json()
    assert [r["id"] for r in listed["results"]] == [req.pk]
    assert login(other_clerk).get("/api/admissions/requests").json()["results"] == []
    assert_error(login(resident).get("/api/admissions/requests"), 403)
    assert_error(client.get("/api/admissions/requests"), 401)
    assert_error(login(dept_clerk).get("/api/admissions/requests?status=bogus"), 422)
    assert login(dept_clerk).get(f"/api/admissions/requests/{req.pk}").status_code == 200
    assert_error(login(other_clerk).get(f"/api/admissions/requests/{req.pk}"), 404)
    assert_error(login(approval_officer).get(f"/api/admissions/requests/{req.pk}"), 404)  # still a draft
    assert_error(login(dept_clerk).get("/api/admissions/requests/0"), 422)


def test_update_request(city, dept_clerk, other_clerk, dept_finance):
    req = new_request(dept_clerk, city)
    url = f"/api/admissions/requests/{req.pk}"
    ok = login(dept_clerk).put(url, body(city, title="新标题"), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["title"] == "新标题"
    assert_error(login(other_clerk).put(url, body(city), content_type="application/json"), 404)
    assert_error(login(dept_finance).put(url, body(city), content_type="application/json"), 403)
    moved = login(dept_clerk).put(
        url, body(city, department_id=city.other_dept.pk), content_type="application/json"
    )
    assert_error(moved, 422)


def test_precheck_endpoint(dept_clerk, community_director):
    c = login(dept_clerk)
    result = post(c, "/api/admissions/precheck", {"description": EXCLUDED, "kind": "certificate"}).json()
    assert result["verdict"] == "excluded" and not result["can_submit"] and "Z-01" in result["errors"][0]
    unlisted = post(
        c, "/api/admissions/precheck", {"description": UNLISTED, "starts_on": START.isoformat()}
    ).json()
    assert unlisted["needs_authority"] and unlisted["can_submit"] and unlisted["decision_due"]
    assert_error(post(login(community_director), "/api/admissions/precheck", {"description": UNLISTED}), 403)
    assert not TaskRequest.objects.exists()


def test_full_workflow_through_the_api(
    city, dept_clerk, approval_officer, authority_member, community_director, outsider, other_clerk
):
    clerk, office, member = login(dept_clerk), login(approval_officer), login(authority_member)
    pk = post(clerk, "/api/admissions/requests", body(city, UNLISTED, funding_fen=500_000), key="w1").json()[
        "id"
    ]
    assert_error(post(login(other_clerk), f"/api/admissions/requests/{pk}/submit"), 404)
    submitted = post(clerk, f"/api/admissions/requests/{pk}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted.json()["needs_authority"] is True
    assert_error(post(clerk, f"/api/admissions/requests/{pk}/submit"), 409)
    assert_error(
        post(member, f"/api/admissions/requests/{pk}/examine", {"outcome": "recommend_approve"}), 403
    )
    assert_error(post(clerk, f"/api/admissions/requests/{pk}/examine", {"outcome": "recommend_approve"}), 403)
    assert_error(post(office, f"/api/admissions/requests/{pk}/examine", {"outcome": "approve"}), 422)
    examined = post(office, f"/api/admissions/requests/{pk}/examine", {"outcome": "recommend_approve"})
    assert examined.json()["status"] == "under_review"
    assert_error(
        post(office, f"/api/admissions/requests/{pk}/decide", {"outcome": "approve", "meeting_ref": "x"}), 403
    )
    assert_error(post(member, f"/api/admissions/requests/{pk}/decide", {"outcome": "approve"}), 422)
    decided = post(
        member, f"/api/admissions/requests/{pk}/decide", {"outcome": "approve", "meeting_ref": "纪要3号"}
    )
    assert decided.status_code == 200
    data = decided.json()
    assert data["status"] == "approved" and data["proposed_item"]["code"] == f"ZR-{pk}"
    detail = clerk.get(f"/api/admissions/requests/{pk}").json()
    assert [r["stage"] for r in detail["reviews"]] == ["examine", "decide"]
    assert len(detail["admitted_task_ids"]) == 2

    inbox = login(community_director).get("/api/admissions/tasks?scope=inbox").json()
    assert [t["community"]["name"] for t in inbox] == ["铜霞社区"]
    task_id = inbox[0]["id"]
    assert inbox[0]["funding_required_fen"] == 500_000 and inbox[0]["requires_agreement"]
    other_task = AdmittedTask.objects.get(request_id=pk, community=city.shizishan).pk
    assert_error(login(community_director).get(f"/api/admissions/tasks/{other_task}"), 404)
    assert login(outsider).get(f"/api/admissions/tasks/{other_task}").status_code == 200
    assert_error(login(other_clerk).get(f"/api/admissions/tasks/{task_id}"), 404)
    # the community confirms money that arrived
    funded = post(
        login(community_director), f"/api/admissions/tasks/{task_id}/funding", {"amount_fen": 100_000}
    )
    assert funded.json()["funding_received_fen"] == 100_000
    assert_error(post(clerk, f"/api/admissions/tasks/{task_id}/funding", {"amount_fen": 1}), 403)
    assert_error(post(login(outsider), f"/api/admissions/tasks/{task_id}/funding", {"amount_fen": 1}), 404)
    assert_error(
        post(login(community_director), f"/api/admissions/tasks/{task_id}/funding", {"amount_fen": 0}), 422
    )

    assert_error(post(clerk, f"/api/admissions/requests/{pk}/revoke", {"reason": "x"}), 403)
    revoked = post(member, f"/api/admissions/requests/{pk}/revoke", {"reason": "部门收回"})
    assert revoked.json()["status"] == "revoked"
    assert set(AdmittedTask.objects.filter(request_id=pk).values_list("status", flat=True)) == {"revoked"}


def test_withdraw_and_return(city, dept_clerk, approval_officer):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    office = login(approval_officer)
    assert_error(post(office, f"/api/admissions/requests/{req.pk}/examine", {"outcome": "return"}), 422)
    returned = post(
        office, f"/api/admissions/requests/{req.pk}/examine", {"outcome": "return", "comments": "补充"}
    )
    assert returned.json()["status"] == "returned"
    assert_error(post(office, f"/api/admissions/requests/{req.pk}/withdraw", {}), 403)
    withdrawn = post(login(dept_clerk), f"/api/admissions/requests/{req.pk}/withdraw", {"reason": "不做了"})
    assert withdrawn.json()["status"] == "withdrawn"


def test_attachments_api(city, dept_clerk, other_clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    req = new_request(dept_clerk, city)
    url = f"/api/admissions/requests/{req.pk}/attachments"
    upload = io.BytesIO(PDF)
    upload.name = "依据.pdf"
    created = login(dept_clerk).post(url, {"file": upload})
    assert created.status_code == 201
    att = created.json()
    assert att["file_type"] == "pdf" and att["name"] == "依据.pdf"
    bad = io.BytesIO(b"<html></html>")
    bad.name = "x.pdf"
    assert_error(login(dept_clerk).post(url, {"file": bad}), 422)
    other = io.BytesIO(PDF)
    other.name = "a.pdf"
    assert_error(login(other_clerk).post(url, {"file": other}), 404)
    got = login(dept_clerk).get(att["url"])
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Disposition"].startswith("attachment")
    assert_error(login(other_clerk).get(att["url"]), 404)
    assert_error(login(dept_clerk).get("/api/admissions/attachments/not-a-uuid"), 404)
    assert Attachment.objects.count() == 1


def test_refusals_api(city, dept_clerk, other_clerk, community_director, outsider, approval_officer):
    c = login(community_director)
    data = {
        "community_id": city.tongxia.pk,
        "reason": "not_admitted",
        "department_id": city.dept.pk,
        "title": "要求社区代收社保费",
        "details": "未经准入。",
        "demanded_on": "2026-02-27",
    }
    assert_error(post(c, "/api/admissions/refusals", data), 400)
    created = post(c, "/api/admissions/refusals", data, key="r1")
    assert created.status_code == 201
    assert post(c, "/api/admissions/refusals", data, key="r1").json() == created.json()
    assert Refusal.objects.count() == 1
    assert_error(
        post(login(outsider), "/api/admissions/refusals", data, key="r2"), 403
    )  # not their community
    assert_error(post(login(dept_clerk), "/api/admissions/refusals", data, key="r3"), 403)
    rid = created.json()["id"]
    for user in (community_director, dept_clerk, approval_officer):
        assert login(user).get(f"/api/admissions/refusals/{rid}").status_code == 200
    for user in (other_clerk, outsider):
        assert_error(login(user).get(f"/api/admissions/refusals/{rid}"), 404)
        assert login(user).get("/api/admissions/refusals").json() == []
    assert [r["id"] for r in login(dept_clerk).get("/api/admissions/refusals").json()] == [rid]
    assert Notification.objects.filter(user=dept_clerk, event="admissions.refusal.lodged").count() == 1


def test_reports_api(city, dept_clerk, community_director, approval_officer, outsider, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = login(community_director)
    data = {
        "community_id": city.tongxia.pk,
        "department_id": city.dept.pk,
        "title": "电话要求社区统计辖区全部商铺",
        "details": "3月1日电话布置,未经准入。",
        "demanded_on": "2026-03-01",
        "channel": "phone",
    }
    created = post(c, "/api/admissions/reports", data, key="p1")
    assert created.status_code == 201 and created.json()["status"] == "submitted"
    pk = created.json()["id"]
    assert_error(post(c, "/api/admissions/reports", {**data, "demanded_on": "2027-01-01"}, key="p2"), 422)
    assert_error(post(login(dept_clerk), "/api/admissions/reports", data, key="p3"), 403)
    assert_error(login(dept_clerk).get(f"/api/admissions/reports/{pk}"), 404)
    assert_error(login(outsider).get(f"/api/admissions/reports/{pk}"), 404)
    evidence = io.BytesIO(PDF)
    evidence.name = "通话记录.pdf"
    assert c.post(f"/api/admissions/reports/{pk}/evidence", {"file": evidence}).status_code == 201
    office = login(approval_officer)
    assert [r["id"] for r in office.get("/api/admissions/reports?status=submitted").json()] == [pk]
    assert_error(post(c, f"/api/admissions/reports/{pk}/advance", {"to": "acknowledged"}), 403)
    assert_error(
        post(office, f"/api/admissions/reports/{pk}/advance", {"to": "dismissed", "finding": "x"}), 409
    )
    for step in ("acknowledged", "investigating"):
        assert post(office, f"/api/admissions/reports/{pk}/advance", {"to": step}).json()["status"] == step
    assert_error(post(office, f"/api/admissions/reports/{pk}/advance", {"to": "upheld"}), 422)
    upheld = post(office, f"/api/admissions/reports/{pk}/advance", {"to": "upheld", "finding": "查实"})
    assert upheld.json()["status"] == "upheld"
    told = login(dept_clerk).get(f"/api/admissions/reports/{pk}")
    assert told.status_code == 200 and told.json()["finding"] == "查实"
    assert InformalTaskReport.objects.get().status == "upheld"


def test_notifications_api(city, approval_officer, dept_clerk, client):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    c = login(approval_officer)
    page = c.get("/api/notifications").json()
    assert page["unread"] == 1 and page["results"][0]["event"] == "admissions.request.submitted"
    nid = page["results"][0]["id"]
    assert post(login(dept_clerk), "/api/notifications/read", {"ids": [nid]}).json()["marked"] == 0
    assert post(c, "/api/notifications/read", {"ids": [nid]}).json() == {"marked": 1, "unread": 0}
    assert c.put(
        "/api/notifications/preference", {"mail": "digest"}, content_type="application/json"
    ).json() == {"mail": "digest"}
    assert c.get("/api/notifications/preference").json() == {"mail": "digest"}
    assert_error(
        c.put("/api/notifications/preference", {"mail": "sms"}, content_type="application/json"), 422
    )
    assert_error(client.get("/api/notifications"), 401)
    assert Review.objects.count() == 0
