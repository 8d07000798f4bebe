"""Test personas shared by every app: a small city with two communities and the people who work in it.

Personas: dept_clerk (民政局), dept_finance, approval_officer, authority_member, community_director (铜霞),
community_staff (铜霞), resident (铜霞), outsider (director of 狮子山, another community), panel_member,
platform_admin. All share PASSWORD.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from gongzhi.core import services as core_services
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind, Role
from gongzhi.orgs import services as org_services
from gongzhi.orgs.models import Estate, Household, Organization, Region, Resident

PASSWORD = "Test-pass-2026"


@dataclass
class City:
    city: Region
    district: Region
    tongxia: Region
    shizishan: Region
    dept: Organization
    other_dept: Organization
    office: Organization
    panel: Organization
    platform: Organization
    committee: Organization
    other_committee: Organization
    estate: Estate
    other_estate: Estate
    household: Household
    other_household: Household
    resident_record: Resident
    other_resident_record: Resident


@pytest.fixture(autouse=True)
def _audit_triggers_active(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep the audit table's append-only triggers armed during a test; a transactional test's flush
    afterwards needs the maintenance permit (it deletes every row)."""
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    uses_db = any(
        name in names for name in ("db", "transactional_db", "live_server", "django_db_reset_sequences")
    )
    if not uses_db and marker is None:
        yield
        return
    # Same rule as pytest-django's: a marker with transaction=True or these fixtures make the test transactional
    # (its teardown flushes every table: TRUNCATE on PostgreSQL, whose statement trigger fires even when empty).
    transactional = any(
        name in names for name in ("transactional_db", "live_server", "django_db_reset_sequences")
    )
    if marker is not None:
        transactional = transactional or bool(
            marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
        )
    # Requested here so that the database is set up before this fixture and torn down (flushed) after it.
    request.getfixturevalue("transactional_db" if transactional else "db")
    with connection.cursor() as cur:
        cur.execute("DELETE FROM gongzhi_audit_maintenance")
    yield
    if transactional:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO gongzhi_audit_maintenance (reason) VALUES ('test flush')")


@pytest.fixture(autouse=True)
def _fast_password_hasher(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hash test passwords with MD5: Argon2 (100 MiB, by design slow) on every persona made the suite minutes
    slower. Tests about the hasher itself are marked `real_hasher` and keep the production setting."""
    if request.node.get_closest_marker("real_hasher") is not None:
        yield
        return
    from django.conf import settings
    from django.test.utils import override_settings

    # override_settings' setting_changed signal resets Django's cached hashers on the way in and out
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    ):
        yield


def make_user(username: str, org: Organization | None = None, role: str | None = None, **kw: Any) -> User:
    user = core_services.create_user(actor=None, username=username, password=PASSWORD, **kw)
    if org is not None and role is not None:
        org_services.grant_membership(actor=None, user=user, organization=org, role=role)
    return user


@pytest.fixture
def city(db: None) -> City:
    s = org_services
    c = s.create_region(actor=None, name="铜陵市", kind="city", code="340700")
    d = s.create_region(actor=None, name="铜官区", kind="district", code="340705", parent=c)
    tx = s.create_region(actor=None, name="铜霞社区", kind="community", code="340705001", parent=d)
    sz = s.create_region(actor=None, name="狮子山社区", kind="community", code="340705002", parent=d)
    dept = s.create_organization(actor=None, name="铜陵市民政局", kind=OrgKind.DEPARTMENT, region=c)
    other_dept = s.create_organization(actor=None, name="铜陵市统计局", kind=OrgKind.DEPARTMENT, region=c)
    office = s.create_organization(actor=None, name="深改办", kind=OrgKind.APPROVAL_AUTHORITY, region=c)
    panel = s.create_organization(actor=None, name="第三方评估组", kind=OrgKind.PANEL, region=c)
    platform = s.create_organization(actor=None, name="平台运维组", kind=OrgKind.PLATFORM, region=c)
    committee = s.create_organization(actor=None, name="铜霞社区居委会", kind=OrgKind.COMMITTEE, region=tx)
    other_committee = s.create_organization(
        actor=None, name="狮子山社区居委会", kind=OrgKind.COMMITTEE, region=sz
    )
    estate = s.create_estate(actor=None, name="铜霞小区", community=tx)
    other_estate = s.create_estate(actor=None, name="狮子山小区", community=sz)
    hh = s.create_household(actor=None, estate=estate, address="1-1-101", size=3)
    other_hh = s.create_household(actor=None, estate=other_estate, address="2-1-201", size=2)
    r = s.register_resident(
        actor=None, household=hh, name="张三", phone="13800138000", id_number="11010519491231002X"
    )
    other_r = s.register_resident(actor=None, household=other_hh, name="李四", phone="13900139000")
    return City(
        c,
        d,
        tx,
        sz,
        dept,
        other_dept,
        office,
        panel,
        platform,
        committee,
        other_committee,
        estate,
        other_estate,
        hh,
        other_hh,
        r,
        other_r,
    )


@pytest.fixture
def dept_clerk(city: City) -> User:
    return make_user("clerk", city.dept, Role.DEPT_CLERK, display_name="民政经办")


@pytest.fixture
def dept_finance(city: City) -> User:
    return make_user("finance", city.dept, Role.DEPT_FINANCE)


@pytest.fixture
def approval_officer(city: City) -> User:
    return make_user("officer", city.office, Role.APPROVAL_OFFICER)


@pytest.fixture
def authority_member(city: City) -> User:
    return make_user("authority", city.office, Role.AUTHORITY_MEMBER)


@pytest.fixture
def community_director(city: City) -> User:
    return make_user("director", city.committee, Role.COMMUNITY_DIRECTOR, phone="13700137000")


@pytest.fixture
def community_staff(city: City) -> User:
    return make_user("staff", city.committee, Role.COMMUNITY_STAFF)


@pytest.fixture
def resident(city: City) -> User:
    user = make_user("resident", city.committee, Role.RESIDENT)
    Resident.objects.filter(pk=city.resident_record.pk).update(user=user)
    return user


@pytest.fixture
def outsider(city: City) -> User:
    return make_user("outsider", city.other_committee, Role.COMMUNITY_DIRECTOR)


@pytest.fixture
def panel_member(city: City) -> User:
    return make_user("panel", city.panel, Role.PANEL_MEMBER)


@pytest.fixture
def platform_admin(city: City) -> User:
    return make_user("admin", city.platform, Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user() -> Any:
    return login
