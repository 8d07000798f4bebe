"""Orgs API: regions and organizations (public), the signed-in user's memberships, residents (masked; the full
view only through the audited reveal)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from conftest import City, login
from gongzhi.core import services as core_services
from gongzhi.core.models import AuditEntry, User
from gongzhi.core.roles import OrgKind
from gongzhi.core.tests.test_api import assert_error
from gongzhi.orgs import services
from gongzhi.orgs.models import Membership


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


# --- Regions -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_regions_are_public_with_parent_kind_and_code(city: City) -> None:
    response = Client().get("/api/regions")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    first = body["results"][0]
    assert first == {
        "id": city.city.pk,
        "name": "铜陵市",
        "kind": "city",
        "kind_label": "市",
        "code": "340700",
        "parent_id": None,
        "is_sample": False,
    }


@pytest.mark.django_db
def test_regions_filter_by_parent_and_kind(city: City) -> None:
    client = Client()
    assert names(client.get("/api/regions", {"parent": 0})) == ["铜陵市"]
    assert names(client.get("/api/regions", {"parent": city.city.pk})) == ["铜官区"]
    assert names(client.get("/api/regions", {"parent": city.district.pk})) == ["铜霞社区", "狮子山社区"]
    assert names(client.get("/api/regions", {"kind": "community"})) == ["铜霞社区", "狮子山社区"]
    assert names(client.get("/api/regions", {"kind": "street"})) == []


@pytest.mark.django_db
def test_regions_bad_filters_get_422(city: City) -> None:
    client = Client()
    assert "kind" in assert_error(client.get("/api/regions", {"kind": "planet"}), 422)["fields"]
    assert "parent" in assert_error(client.get("/api/regions", {"parent": "x"}), 422)["fields"]
    assert "parent" in assert_error(client.get("/api/regions", {"parent": -1}), 422)["fields"]
    assert "page" in assert_error(client.get("/api/regions", {"page": 0}), 422)["fields"]
    assert "page_size" in assert_error(client.get("/api/regions", {"page_size": 0}), 422)["fields"]


@pytest.mark.django_db
@override_settings(API_MAX_PAGE_SIZE=3)
def test_page_size_is_clamped(city: City) -> None:
    body = Client().get("/api/regions", {"page_size": 1000}).json()
    assert body["page_size"] == 3
    assert len(body["results"]) == 3
    assert body["count"] == 4
    second = Client().get("/api/regions", {"page_size": 1000, "page": 2}).json()
    assert [r["name"] for r in second["results"]] == ["狮子山社区"]
    assert Client().get("/api/regions", {"page": 99}).json()["results"] == []


@pytest.mark.django_db
def test_region_detail_has_ancestors_and_children(city: City) -> None:
    response = Client().get(f"/api/regions/{city.district.pk}")
    assert response.status_code == 200
    body = response.json()
    assert [a["name"] for a in body["ancestors"]] == ["铜陵市"]
    assert [c["name"] for c in body["children"]] == ["铜霞社区", "狮子山社区"]
    assert body["parent_id"] == city.city.pk


@pytest.mark.django_db
def test_region_detail_missing_or_bad_id(city: City) -> None:
    assert_error(Client().get("/api/regions/999999"), 404, "not_found")
    assert_error(Client().get("/api/regions/abc"), 422)


# --- Organizations -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_organizations_are_public_fields_only(city: City) -> None:
    response = Client().get("/api/organizations")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert set(rows[0]) == {
        "id",
        "name",
        "short_name",
        "kind",
        "kind_label",
        "region",
        "address",
        "office_phone",
        "description",
        "is_sample",
    }
    # the platform's own operations group is not a public body
    assert "平台运维组" not in [r["name"] for r in rows]
    assert response.json()["count"] == 6


@pytest.mark.django_db
def test_organizations_filter_by_kind_and_region(city: City) -> None:
    client = Client()
    assert names(client.get("/api/organizations", {"kind": "department"})) == ["铜陵市民政局", "铜陵市统计局"]
    assert names(client.get("/api/organizations", {"region": city.tongxia.pk})) == ["铜霞社区居委会"]
    assert names(client.get("/api/organizations", {"kind": "committee", "region": str(city.city.pk)})) == []
    assert "kind" in assert_error(client.get("/api/organizations", {"kind": "bank"}), 422)["fields"]
    assert "region" in assert_error(client.get("/api/organizations", {"region": "x"}), 422)["fields"]


@pytest.mark.django_db
def test_organizations_sort_keys_come_from_an_allowlist(city: City) -> None:
    client = Client()
    by_name = names(client.get("/api/organizations", {"sort": "name"}))
    assert names(client.get("/api/organizations", {"sort": "-name"})) == list(reversed(by_name))
    by_region = client.get("/api/organizations", {"sort": "region"}).json()["results"]
    codes = [r["region"]["code"] for r in by_region]
    assert codes == sorted(codes)
    for bad in ("password", "name; DROP TABLE orgs_organization", "region__code", "?", "-"):
        error = assert_error(client.get("/api/organizations", {"sort": bad}), 400, "bad_sort")
        assert "sort" in error["fields"]


@pytest.mark.django_db
@override_settings(API_MAX_PAGE_SIZE=2)
def test_organizations_page_size_is_clamped(city: City) -> None:
    body = Client().get("/api/organizations", {"page_size": 500}).json()
    assert body["page_size"] == 2
    assert len(body["results"]) == 2


@pytest.mark.django_db
def test_organization_detail(city: City) -> None:
    response = Client().get(f"/api/organizations/{city.committee.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "铜霞社区居委会"
    assert body["kind"] == OrgKind.COMMITTEE
    assert body["region"]["name"] == "铜霞社区"


@pytest.mark.django_db
def test_organization_detail_hides_non_public_and_missing(city: City) -> None:
    assert_error(Client().get(f"/api/organizations/{city.platform.pk}"), 404, "not_found")
    assert_error(Client().get("/api/organizations/999999"), 404, "not_found")
    assert_error(Client().get("/api/organizations/abc"), 422)


# --- Memberships -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_memberships_with_capabilities(community_director: User, dept_clerk: User) -> None:
    response = login(community_director).get("/api/me/memberships")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 1
    row = rows[0]
    assert row["role"] == "community_director"
    assert row["role_label"] == "社区居委会主任"
    assert row["organization"]["name"] == "铜霞社区居委会"
    assert row["organization"]["region"]["name"] == "铜霞社区"
    codes = {c["code"] for c in row["capabilities"]}
    assert {"manage_community", "view_full_pi"} <= codes
    assert all(c["label"] for c in row["capabilities"])
    # the clerk's own memberships, not the director's
    clerk_rows = login(dept_clerk).get("/api/me/memberships").json()
    assert [r["role"] for r in clerk_rows] == ["dept_clerk"]


@pytest.mark.django_db
def test_revoked_memberships_are_not_listed(community_director: User, city: City) -> None:
    membership = Membership.objects.get(user=community_director)
    services.revoke_membership(actor=None, membership=membership)
    assert login(community_director).get("/api/me/memberships").json() == []


@pytest.mark.django_db
def test_memberships_need_sign_in(city: City) -> None:
    assert_error(Client().get("/api/me/memberships"), 401, "unauthenticated")


# --- Residents -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_director_lists_own_community_residents_masked(community_director: User, city: City) -> None:
    response = login(community_director).get("/api/residents")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["name"] == "张三"
    assert row["phone_masked"] == "138****8000"
    assert row["id_number_masked"].endswith("002X") and row["id_number_masked"].startswith("*")
    assert row["household"]["address"] == "1-1-101"
    assert row["community"]["name"] == "铜霞社区"
    text = response.content.decode()
    assert "13800138000" not in text and "11010519491231002X" not in text
    assert "李四" not in text


@pytest.mark.django_db
def test_residents_list_is_limited_to_what_each_user_may_see(
    outsider: User, dept_clerk: User, resident: User, platform_admin: User, city: City
) -> None:
    assert names(login(outsider).get("/api/residents")) == ["李四"]
    assert names(login(dept_clerk).get("/api/residents")) == []
    assert names(login(resident).get("/api/residents")) == ["张三"]
    assert sorted(names(login(platform_admin).get("/api/residents"))) == ["张三", "李四"]
    assert "page" in assert_error(login(outsider).get("/api/residents", {"page": "x"}), 422)["fields"]


@pytest.mark.django_db
def test_resident_detail_masked_and_404_outside(community_director: User, outsider: User, city: City) -> None:
    pk = city.resident_record.pk
    response = login(community_director).get(f"/api/residents/{pk}")
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "138****8000"
    assert_error(login(outsider).get(f"/api/residents/{pk}"), 404, "not_found")
    assert_error(login(community_director).get("/api/residents/999999"), 404, "not_found")


@pytest.mark.django_db
def test_reveal_gives_full_values_and_audits(community_director: User, city: City) -> None:
    pk = city.resident_record.pk
    before = AuditEntry.objects.filter(action="orgs.resident.view_full_pi").count()
    response = login(community_director).post(f"/api/residents/{pk}/reveal")
    assert response.status_code == 200
    assert response.json() == {"id": pk, "phone": "13800138000", "id_number": "11010519491231002X"}
    assert "no-store" in response["Cache-Control"]
    entries = AuditEntry.objects.filter(action="orgs.resident.view_full_pi")
    assert entries.count() == before + 1
    assert entries.last().actor_id == community_director.pk  # type: ignore[union-attr]


@pytest.mark.django_db
def test_reveal_without_the_right_is_403_and_not_audited(community_staff: User, city: City) -> None:
    pk = city.resident_record.pk
    assert login(community_staff).get(f"/api/residents/{pk}").status_code == 200  # may see, masked
    response = login(community_staff).post(f"/api/residents/{pk}/reveal")
    assert_error(response, 403, "forbidden")
    assert "13800138000" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="orgs.resident.view_full_pi").exists()


@pytest.mark.django_db
def test_reveal_of_another_communitys_resident_is_404(outsider: User, city: City) -> None:
    assert_error(login(outsider).post(f"/api/residents/{city.resident_record.pk}/reveal"), 404)
    assert_error(login(outsider).post("/api/residents/abc/reveal"), 422)
    assert not AuditEntry.objects.filter(action="orgs.resident.view_full_pi").exists()


@pytest.mark.django_db
def test_reveal_over_session_needs_csrf(community_director: User, city: City) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(community_director)
    assert_error(client.post(f"/api/residents/{city.resident_record.pk}/reveal"), 403)
    assert not AuditEntry.objects.filter(action="orgs.resident.view_full_pi").exists()


@pytest.mark.django_db
def test_reveal_with_a_token(community_director: User, city: City) -> None:
    _, plaintext = core_services.create_api_token(
        actor=community_director, user=community_director, name="台账"
    )
    response = Client(enforce_csrf_checks=True).post(
        f"/api/residents/{city.resident_record.pk}/reveal", headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "13800138000"
    assert AuditEntry.objects.filter(
        action="orgs.resident.view_full_pi", actor_id=community_director.pk
    ).exists()


@pytest.mark.django_db
def test_role_revoked_stops_access_at_once(community_director: User, city: City) -> None:
    client = login(community_director)
    pk = city.resident_record.pk
    assert client.get(f"/api/residents/{pk}").status_code == 200
    services.revoke_membership(actor=None, membership=Membership.objects.get(user=community_director))
    assert_error(client.get(f"/api/residents/{pk}"), 404)
    assert_error(client.post(f"/api/residents/{pk}/reveal"), 404)
