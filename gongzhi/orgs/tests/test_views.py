"""Residents' pages: who may see the list and a record, masking in the HTML, the audited full view."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import City, login, make_user
from gongzhi.core.models import AuditEntry, User
from gongzhi.core.roles import Role
from gongzhi.orgs import services as org_services

FULL_PHONE = "13800138000"
FULL_ID = "11010519491231002X"
MASKED_PHONE = "138****8000"
MASKED_ID = "**************002X"
OTHER_PHONE = "13900139000"

LIST = reverse("orgs:resident_list")


def detail(pk: int) -> str:
    return reverse("orgs:resident_detail", args=[pk])


def reveal(pk: int) -> str:
    return reverse("orgs:resident_reveal", args=[pk])


def full_views() -> int:
    return AuditEntry.objects.filter(action="orgs.resident.view_full_pi").count()


# --- List -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_requires_sign_in(client: Client, city: City) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("persona", ["community_director", "community_staff"])
def test_list_shows_own_community_masked(request: pytest.FixtureRequest, persona: str) -> None:
    user: User = request.getfixturevalue(persona)
    response = login(user).get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "张三" in body
    assert MASKED_PHONE in body and MASKED_ID in body
    assert FULL_PHONE not in body and FULL_ID not in body
    assert "李四" not in body and "139****9000" not in body  # another community's resident
    assert "no-store" in response["Cache-Control"]


def test_outsider_lists_only_their_own_community(outsider: User) -> None:
    body = login(outsider).get(LIST).content.decode()
    assert "李四" in body and "139****9000" in body
    assert "张三" not in body
    assert OTHER_PHONE not in body


@pytest.mark.parametrize("persona", ["resident", "dept_clerk", "approval_officer", "panel_member"])
def test_list_is_refused_to_everyone_but_community_staff(
    request: pytest.FixtureRequest, persona: str
) -> None:
    user: User = request.getfixturevalue(persona)
    response = login(user).get(LIST)
    assert response.status_code == 403
    assert "张三" not in response.content.decode()


def test_platform_admin_lists_every_community_masked(platform_admin: User) -> None:
    body = login(platform_admin).get(LIST).content.decode()
    assert "张三" in body and "李四" in body
    assert FULL_PHONE not in body and OTHER_PHONE not in body


def test_list_paginates_and_tolerates_bad_page_numbers(community_director: User, city: City) -> None:
    for n in range(55):
        org_services.register_resident(actor=None, household=city.household, name=f"居民{n:02d}")
    client = login(community_director)
    first = client.get(LIST)
    assert first.status_code == 200
    assert "第 1 页,共 2 页" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    for bad in ("abc", "-1", "0", "999", "1e9"):
        assert client.get(LIST, {"page": bad}).status_code == 200, bad
    last = client.get(LIST, {"page": "999"}).content.decode()
    assert "第 2 页,共 2 页" in last


def test_list_refuses_post(community_director: User) -> None:
    assert login(community_director).post(LIST).status_code == 405


def test_list_query_count_does_not_grow_with_residents(community_director: User, city: City) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(community_director)
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LIST).status_code == 200
    for n in range(20):
        org_services.register_resident(
            actor=None, household=city.household, name=f"居民{n}", phone=f"1370000{n:04d}"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(one) <= 12


# --- Detail -----------------------------------------------------------------------------------------------


def test_director_sees_masked_detail_with_a_reveal_button(community_director: User, city: City) -> None:
    response = login(community_director).get(detail(city.resident_record.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert MASKED_PHONE in body and MASKED_ID in body
    assert FULL_PHONE not in body and FULL_ID not in body
    assert f'action="{reveal(city.resident_record.pk)}"' in body
    assert "查看完整信息" in body
    assert full_views() == 0  # looking at the masked page is not a full view


def test_staff_sees_masked_detail_without_a_reveal_button(community_staff: User, city: City) -> None:
    body = login(community_staff).get(detail(city.resident_record.pk)).content.decode()
    assert MASKED_PHONE in body
    assert FULL_PHONE not in body and FULL_ID not in body
    assert reveal(city.resident_record.pk) not in body
    assert "您没有查看完整个人信息的权限" in body


@pytest.mark.parametrize("persona", ["outsider", "dept_clerk", "panel_member"])
def test_another_communitys_resident_is_404(request: pytest.FixtureRequest, persona: str, city: City) -> None:
    user: User = request.getfixturevalue(persona)
    response = login(user).get(detail(city.resident_record.pk))
    assert response.status_code == 404
    assert "张三" not in response.content.decode()


def test_resident_cannot_open_a_neighbours_record(resident: User, city: City) -> None:
    neighbour = org_services.register_resident(
        actor=None, household=city.household, name="王五", phone="13600136000"
    )
    assert login(resident).get(detail(neighbour.pk)).status_code == 404
    assert login(resident).get(detail(city.other_resident_record.pk)).status_code == 404


def test_unknown_resident_is_404(community_director: User) -> None:
    client = login(community_director)
    assert client.get(detail(999999)).status_code == 404
    assert client.get("/community/residents/abc/").status_code == 404


@pytest.mark.django_db
def test_detail_requires_sign_in(client: Client, city: City) -> None:
    response = client.get(detail(city.resident_record.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


# --- Full view --------------------------------------------------------------------------------------------


def test_director_reveals_full_values_once_and_it_is_audited(community_director: User, city: City) -> None:
    client = login(community_director)
    before = full_views()
    response = client.post(reveal(city.resident_record.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert FULL_PHONE in body and FULL_ID in body
    assert response["Cache-Control"] == "no-store"
    assert full_views() == before + 1
    entry = AuditEntry.objects.filter(action="orgs.resident.view_full_pi").latest("seq")
    assert entry.actor_id == community_director.pk
    assert entry.target_id == str(city.resident_record.pk)
    assert FULL_PHONE not in str(entry.data) and FULL_ID not in str(entry.data)
    # The language switch on this page returns to the masked GET page, not to the POST-only URL.
    assert f'name="next" value="{detail(city.resident_record.pk)}"' in body
    # Shown once: the page itself stays masked afterwards.
    again = client.get(detail(city.resident_record.pk)).content.decode()
    assert FULL_PHONE not in again and MASKED_PHONE in again
    assert full_views() == before + 1


def test_staff_without_view_full_pi_gets_403_and_no_audit_row(community_staff: User, city: City) -> None:
    response = login(community_staff).post(reveal(city.resident_record.pk))
    assert response.status_code == 403
    assert FULL_PHONE not in response.content.decode()
    assert full_views() == 0


def test_outsider_reveal_is_404_and_not_audited(outsider: User, city: City) -> None:
    response = login(outsider).post(reveal(city.resident_record.pk))
    assert response.status_code == 404
    assert FULL_PHONE not in response.content.decode()
    assert full_views() == 0


def test_a_revoked_director_can_no_longer_reveal(community_director: User, city: City) -> None:
    client = login(community_director)
    membership = community_director.memberships.get(role=Role.COMMUNITY_DIRECTOR)
    org_services.revoke_membership(actor=None, membership=membership)
    assert client.post(reveal(city.resident_record.pk)).status_code == 404
    assert full_views() == 0


def test_reveal_is_post_only(community_director: User, city: City) -> None:
    response = login(community_director).get(reveal(city.resident_record.pk))
    assert response.status_code == 405
    assert full_views() == 0


def test_reveal_requires_csrf(community_director: User, city: City) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(community_director)
    assert client.post(reveal(city.resident_record.pk)).status_code == 403
    assert full_views() == 0


@pytest.mark.django_db
def test_reveal_requires_sign_in(client: Client, city: City) -> None:
    response = client.post(reveal(city.resident_record.pk))
    assert response.status_code == 302
    assert full_views() == 0


@pytest.mark.django_db
def test_a_second_director_elsewhere_cannot_reveal_here(city: City) -> None:
    other = make_user("other-director", city.other_committee, Role.COMMUNITY_DIRECTOR)
    assert login(other).post(reveal(city.resident_record.pk)).status_code == 404
    response = login(other).post(reveal(city.other_resident_record.pk))
    assert response.status_code == 200
    assert OTHER_PHONE in response.content.decode()
    assert full_views() == 1
