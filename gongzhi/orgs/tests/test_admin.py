"""Django admin: platform administrators manage people and organizations through the services (audited); PI is
masked; nothing is edited in place or deleted; the audit log is read-only and only for the audit administrator."""

import pytest

from conftest import login, make_user
from gongzhi.core.models import AuditEntry, User
from gongzhi.core.roles import Role
from gongzhi.orgs.models import Household, Membership, Region, Resident


def last_action() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq")[0]


@pytest.fixture
def staff_admin(city):
    """A platform administrator who is staff but not a superuser."""
    return make_user("plat", city.platform, Role.PLATFORM_ADMIN, is_staff=True)


@pytest.fixture
def auditor(city):
    return make_user("auditor", city.platform, Role.AUDIT_ADMIN, is_staff=True)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/core/user/",
        "/admin/orgs/region/",
        "/admin/orgs/organization/",
        "/admin/orgs/estate/",
        "/admin/orgs/household/",
        "/admin/orgs/resident/",
        "/admin/orgs/membership/",
        "/admin/orgs/membership/add/",
    ],
)
def test_platform_admins_may_use_the_admin_and_others_may_not(
    url, platform_admin, staff_admin, community_director
):
    assert login(platform_admin).get(url).status_code == 200
    assert login(staff_admin).get(url).status_code == 200
    # not staff: sent to the admin's login page
    response = login(community_director).get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_an_admin_role_sees_nothing(city):
    clerk = make_user("staffclerk", city.dept, Role.DEPT_CLERK, is_staff=True)
    client = login(clerk)
    assert client.get("/admin/orgs/region/").status_code == 403
    assert client.get("/admin/core/user/").status_code == 403
    assert "orgs" not in client.get("/admin/").content.decode()


def test_anonymous_is_sent_to_login():
    from django.test import Client

    response = Client().get("/admin/orgs/resident/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_resident_pi_is_masked_everywhere(city, platform_admin, community_director):
    client = login(platform_admin)
    record = city.resident_record
    for url in ("/admin/orgs/resident/", f"/admin/orgs/resident/{record.pk}/change/"):
        page = client.get(url).content.decode()
        assert "138****8000" in page and "13800138000" not in page
    detail = client.get(f"/admin/orgs/resident/{record.pk}/change/").content.decode()
    assert "11010519491231002X" not in detail and "002X" in detail
    users = client.get("/admin/core/user/").content.decode()
    assert "137****7000" in users and "13700137000" not in users
    # no look-up by phone number (it would travel in the URL)
    found = client.get("/admin/orgs/resident/", {"q": "13800138000"}).content.decode()
    assert "138****8000" not in found


def test_nothing_is_changed_in_place_or_deleted(city, platform_admin):
    client = login(platform_admin)
    record = city.resident_record
    response = client.post(
        f"/admin/orgs/resident/{record.pk}/change/", {"name": "改名", "household": record.household_id}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/orgs/region/{city.tongxia.pk}/delete/", {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.name == "张三" and Region.objects.filter(pk=city.tongxia.pk).exists()


def test_adding_a_region_goes_through_the_service(city, platform_admin):
    client = login(platform_admin)
    response = client.post(
        "/admin/orgs/region/add/",
        {
            "name": "新建社区",
            "kind": "community",
            "code": "340705099",
            "parent": city.district.pk,
            "source": "",
        },
    )
    assert response.status_code == 302
    region = Region.objects.get(code="340705099")
    entry = last_action()
    assert entry.action == "orgs.region.create" and entry.target_id == str(region.pk)
    assert entry.actor == platform_admin


def test_service_refusal_shows_a_message_and_writes_nothing(city, platform_admin):
    client = login(platform_admin)
    before = AuditEntry.objects.count()
    # a community directly under the city breaks the region tree: the service refuses
    response = client.post(
        "/admin/orgs/region/add/",
        {"name": "错层社区", "kind": "community", "code": "340799001", "parent": city.city.pk},
    )
    assert response.status_code == 302
    assert not Region.objects.filter(code="340799001").exists()
    assert AuditEntry.objects.count() == before
    page = client.get(response["Location"]).content.decode()
    assert "上级区域层级不符" in page


def test_adding_a_resident_encrypts_validates_and_audits(city, platform_admin):
    client = login(platform_admin)
    bad = client.post(
        "/admin/orgs/resident/add/",
        {"household": city.household.pk, "name": "王五", "mobile": "12345", "id_card": "110105194912310021"},
    )
    assert bad.status_code == 200  # the form again, with errors
    assert not Resident.objects.filter(name="王五").exists()
    good = client.post(
        "/admin/orgs/resident/add/",
        {
            "household": city.household.pk,
            "name": "王五",
            "mobile": "13612345678",
            "id_card": "11010519491231002X",
        },
    )
    assert good.status_code == 302
    resident = Resident.objects.get(name="王五")
    assert resident.phone == "13612345678" and resident.community == city.tongxia
    entry = last_action()
    assert entry.action == "orgs.resident.create" and "13612345678" not in str(entry.data)


def test_adding_a_household_goes_through_the_service(city, staff_admin):
    response = login(staff_admin).post(
        "/admin/orgs/household/add/", {"estate": city.estate.pk, "address": "5-1-101", "size": 2}
    )
    assert response.status_code == 302
    household = Household.objects.get(address="5-1-101")
    assert household.community == city.tongxia and last_action().action == "orgs.household.create"


def test_granting_and_revoking_memberships(city, platform_admin):
    client = login(platform_admin)
    user = make_user("newclerk")
    response = client.post(
        "/admin/orgs/membership/add/",
        {"user": user.pk, "organization": city.dept.pk, "role": Role.DEPT_CLERK, "title": "科员"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert last_action().action == "orgs.membership.grant"
    # a role that does not fit the organization's kind is refused by the service
    client.post(
        "/admin/orgs/membership/add/", {"user": user.pk, "organization": city.dept.pk, "role": Role.RESIDENT}
    )
    assert Membership.objects.filter(user=user).count() == 1
    client.post(
        "/admin/orgs/membership/", {"action": "revoke", "_selected_action": [membership.pk], "index": 0}
    )
    membership.refresh_from_db()
    assert membership.revoked_at is not None
    assert last_action().action == "orgs.membership.revoke"


@pytest.mark.real_hasher
def test_adding_and_deactivating_users(city, platform_admin, staff_admin):
    client = login(platform_admin)
    response = client.post(
        "/admin/core/user/add/",
        {
            "username": "newuser",
            "display_name": "新用户",
            "mobile": "13511112222",
            "password1": "Strong-pass-2026",
            "password2": "Strong-pass-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newuser")
    assert user.password.startswith("argon2") and user.phone == "13511112222"
    assert last_action().action == "core.user.create"
    weak = client.post(
        "/admin/core/user/add/", {"username": "weak", "password1": "12345678", "password2": "12345678"}
    )
    assert weak.status_code == 200 and not User.objects.filter(username="weak").exists()
    # a platform administrator who is not a superuser cannot make one
    login(staff_admin).post(
        "/admin/core/user/add/",
        {
            "username": "sneaky",
            "password1": "Strong-pass-2026",
            "password2": "Strong-pass-2026",
            "is_superuser": "on",
        },
    )
    assert not User.objects.get(username="sneaky").is_superuser
    client.post("/admin/core/user/", {"action": "deactivate", "_selected_action": [user.pk], "index": 0})
    user.refresh_from_db()
    assert not user.is_active and last_action().action == "core.user.deactivate"


def test_audit_log_is_read_only_and_for_the_audit_administrator(city, platform_admin, auditor):
    entry = AuditEntry.objects.order_by("seq")[0]
    audit_client = login(auditor)
    assert audit_client.get("/admin/core/auditentry/").status_code == 200
    assert audit_client.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200
    assert audit_client.get("/admin/core/auditentry/add/").status_code == 403
    assert audit_client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert audit_client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    # the system administrator (a superuser) does not read the audit log: separation of duties
    assert login(platform_admin).get("/admin/core/auditentry/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk, action=entry.action).exists()
