from typing import Any

import pytest
from django.test import Client

from conftest import login
from gongzhi.core import services as core_services
from gongzhi.duties import demo, services
from gongzhi.duties.models import ListEdition


@pytest.fixture
def current(city):
    demo.load(actor=None)
    return ListEdition.objects.get(scope=city.city, status="published")


@pytest.fixture
def draft(current):
    return services.copy_edition(actor=None, source=current, title="修订稿")


def post_json(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, body, content_type="application/json", headers=headers)


# --- public reads ---------------------------------------------------------------------------------------------


def test_editions_are_public_and_drafts_are_not_listed(city, current, draft):
    response = Client().get("/api/duties/editions")
    assert response.status_code == 200
    data = response.json()
    statuses = {e["id"]: e["status"] for e in data["results"]}
    assert draft.pk not in statuses and statuses[current.pk] == "published"
    assert set(statuses.values()) == {"published", "superseded"}
    one = next(e for e in data["results"] if e["id"] == current.pk)
    assert one["scope"]["code"] == "340700" and one["is_sample"] and one["counts"]["excluded"] > 20
    city_only = Client().get("/api/duties/editions", {"scope": "340700", "status": "published"}).json()
    assert [e["id"] for e in city_only["results"]] == [current.pk]
    assert Client().get("/api/duties/editions", {"status": "draft"}).status_code == 422
    assert Client().get(f"/api/duties/editions/{current.pk}").json()["item_count"] == current.items.count()
    assert Client().get(f"/api/duties/editions/{draft.pk}").status_code == 404
    assert Client().get("/api/duties/editions/0").status_code == 422


def test_diff_endpoint_shows_the_clean_up(city, current):
    data = Client().get(f"/api/duties/editions/{current.pk}/diff").json()
    assert data["community_work"]["old"] > 2 * data["community_work"]["new"]
    changed = {c["code"]: c for c in data["changed"]}
    assert changed["Z-01"]["old"]["kind"] == "certificate" and changed["Z-01"]["new"]["kind"] == "excluded"
    assert {i["code"] for i in data["removed"]} == {"C-03", "C-04"}
    first = ListEdition.objects.get(scope=city.city, status="superseded")
    assert Client().get(f"/api/duties/editions/{first.pk}/diff").status_code == 404
    reverse = Client().get(f"/api/duties/editions/{first.pk}/diff", {"against": str(current.pk)}).json()
    assert reverse["community_work"]["new"] > reverse["community_work"]["old"]


def test_items_by_kind_and_full_text_search(city, current, draft):
    certs = Client().get("/api/duties/items", {"kind": "certificate"}).json()
    assert {i["code"] for i in certs["results"]} == {"C-01", "C-02"}
    found = Client().get("/api/duties/items", {"q": "低保入户调查", "page_size": "3"}).json()
    assert found["results"][0]["code"] == "A-09" and found["results"][0]["score"] > 0.5
    assert found["page_size"] == 3 and found["count"] >= 3
    assisting = Client().get("/api/duties/items", {"q": "低保", "kind": "assisting"}).json()
    assert {i["kind"] for i in assisting["results"]} == {"assisting"}
    a09 = Client().get("/api/duties/items", {"q": "最低生活保障"}).json()["results"][0]
    assert a09["funding_fen"] == 1200000 and a09["department"]["name"] == "铜陵市民政局"
    # a community gets its district's additions
    plain = Client().get("/api/duties/items", {"q": "网格化"}).json()
    local = Client().get("/api/duties/items", {"q": "网格化", "community": city.tongxia.code}).json()
    assert "TG-A-01" not in {i["code"] for i in plain["results"]}
    assert "TG-A-01" in {i["code"] for i in local["results"]}
    # one edition, incl. a superseded one; drafts are not public
    first = ListEdition.objects.get(scope=city.city, status="superseded")
    old = (
        Client()
        .get("/api/duties/items", {"edition": str(first.pk), "kind": "certificate", "page_size": "200"})
        .json()
    )
    assert old["count"] > 40
    assert Client().get("/api/duties/items", {"edition": draft.pk}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [{"kind": "magic"}, {"q": "x" * 201}, {"community": "nope"}, {"page": 0}, {"edition": "abc"}],
)
def test_items_bad_input(current, params):
    response = Client().get("/api/duties/items", {k: str(v) for k, v in params.items()})
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "fields"}


# --- the matcher ------------------------------------------------------------------------------------------------


def test_match_needs_a_signed_in_user(current):
    response = post_json(Client(), "/api/duties/match", {"text": "请各社区召开居民代表会议"})
    assert response.status_code == 401


def test_match_with_a_session_and_with_a_token(current, community_director, dept_clerk):
    response = post_json(
        login(community_director), "/api/duties/match", {"text": "请社区为居民出具亲属关系证明"}
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"verdict", "matches", "flags", "reason"}
    assert (
        data["verdict"] == "excluded"
        and data["flags"] == ["certificate"]
        and data["matches"][0]["code"] == "Z-01"
    )
    _, token = core_services.create_api_token(actor=dept_clerk, user=dept_clerk, name="test")
    response = post_json(
        Client(),
        "/api/duties/match",
        {"text": "请各社区于本周五前报送低保台账"},
        Authorization=f"Bearer {token}",
    )
    assert response.status_code == 200 and response.json()["verdict"] == "assisting"
    assert response.json()["flags"] == ["report_form"]


def test_match_against_an_edition_or_a_community(city, current, draft, dept_clerk, approval_officer):
    text = "请各社区协助做好网格化服务管理"
    local = post_json(login(dept_clerk), "/api/duties/match", {"text": text, "community": city.tongxia.code})
    assert local.json()["matches"][0]["code"] == "TG-A-01"
    first = ListEdition.objects.get(scope=city.city, status="superseded")
    old = post_json(
        login(dept_clerk), "/api/duties/match", {"text": "为居民出具亲属关系证明", "edition": first.pk}
    )
    assert old.json()["verdict"] == "statutory"  # before the clean-up the community issued it
    # a draft: only its editors may match against it
    assert (
        post_json(login(dept_clerk), "/api/duties/match", {"text": text, "edition": draft.pk}).status_code
        == 404
    )
    assert (
        post_json(
            login(approval_officer), "/api/duties/match", {"text": text, "edition": draft.pk}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"text": "x", "verdict": "statutory"},
     {"text": "x", "edition": 0}, {"text": "x", "community": "nope"}, {"text": 5}],
)  # fmt: skip
def test_match_bad_input(current, dept_clerk, body):
    response = post_json(login(dept_clerk), "/api/duties/match", body)
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_match_refuses_other_content_types_and_methods(current, dept_clerk):
    client = login(dept_clerk)
    assert client.post("/api/duties/match", {"text": "x"}).status_code == 415
    assert client.get("/api/duties/match").status_code == 405


def test_match_needs_csrf_with_a_session(current, dept_clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dept_clerk)
    assert post_json(client, "/api/duties/match", {"text": "请各社区召开居民会议"}).status_code == 403
