import os
import stat
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client

from gongzhi.core import crypto
from gongzhi.core.models import AuditEntry, User
from gongzhi.core.pii import is_id_number, is_mobile
from gongzhi.core.roles import OrgKind, Role
from gongzhi.orgs import demo
from gongzhi.orgs.management.commands.load_demo import demo_loaders
from gongzhi.orgs.models import Estate, Household, Membership, Organization, Region, Resident

DEMO_PW = "Demo-pass-2026"
EXPECTED = {
    "demo-office": (Role.APPROVAL_OFFICER, OrgKind.APPROVAL_AUTHORITY),
    "demo-authority": (Role.AUTHORITY_MEMBER, OrgKind.APPROVAL_AUTHORITY),
    "demo-dept": (Role.DEPT_CLERK, OrgKind.DEPARTMENT),
    "demo-finance": (Role.DEPT_FINANCE, OrgKind.DEPARTMENT),
    "demo-community": (Role.COMMUNITY_DIRECTOR, OrgKind.COMMITTEE),
    "demo-resident": (Role.RESIDENT, OrgKind.COMMITTEE),
    "demo-panel": (Role.PANEL_MEMBER, OrgKind.PANEL),
    "demo-admin": (Role.PLATFORM_ADMIN, OrgKind.PLATFORM),
}


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.GONGZHI_DEMO_PASSWORD = DEMO_PW
    # The flow is under test here, not argon2 (core's tests cover the hasher): keep the suite fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Region, Organization, Estate, Household, Resident, Membership, User, AuditEntry)
    }


def load(**kw: Any) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **kw)
    return out.getvalue()


def can_login(username: str, password: str) -> bool:
    return Client().login(request=HttpRequest(), username=username, password=password)


def test_load_demo_twice_keeps_data_and_adds_nothing(db, demo_settings):
    output = load()
    first = counts()
    assert "orgs:" in output
    assert first["Region"] > 20 and first["Household"] > 100 and first["Resident"] > first["Household"]
    load()
    assert counts() == first


def test_every_demo_account_signs_in_and_holds_its_role(db, demo_settings):
    load(only=["orgs"])
    assert {a.username for a in demo.DEMO_ACCOUNTS} == set(EXPECTED)
    for username, (role, kind) in EXPECTED.items():
        user = User.objects.get(username=username)
        assert can_login(username, DEMO_PW), username
        held = [(m.role, m.organization.kind) for m in Membership.objects.filter(user=user, revoked_at=None)]
        assert held == [(role, kind)], username
    minzheng = Organization.objects.get(name="铜陵市民政局")
    assert Membership.objects.filter(user__username="demo-dept", organization=minzheng).exists()
    assert Membership.objects.filter(user__username="demo-finance", organization=minzheng).exists()
    tongxia_committee = Organization.objects.get(name="铜霞社区居委会")
    assert Membership.objects.get(user__username="demo-community").organization == tongxia_committee
    record = Resident.objects.get(user__username="demo-resident")
    assert record.community.name == "铜霞社区" and record.is_sample
    # the resident can also sign in with the phone number of the account
    assert can_login(demo.DEMO_RESIDENT_PHONE, DEMO_PW)
    admin = User.objects.get(username="demo-admin")
    assert admin.is_staff and admin.is_superuser
    assert not can_login("demo-office", "wrong-Password-1")


def test_tongling_shape_real_names_and_samples(db, demo_settings):
    load(only=["orgs"])
    city = Region.objects.get(name="铜陵市", kind="city", parent=None)
    assert sorted(city.children.values_list("name", flat=True)) == sorted(
        ["铜官区", "义安区", "郊区", "枞阳县"]
    )
    assert not Region.objects.filter(kind="street").exists()  # no street level since 2010
    for name in ("铜霞社区", "狮子山社区", "凤凰山社区", "立新社区", "翠湖社区", "映湖社区"):
        community = Region.objects.get(name=name)
        assert community.parent is not None and community.parent.name == "铜官区"
        assert not community.is_sample and community.source.startswith("http")
    grassroots = Region.objects.filter(kind__in=["community", "village"])
    assert grassroots.filter(is_sample=True).count() >= 10
    for community in grassroots:
        kinds = set(community.organizations.values_list("kind", flat=True))
        assert {OrgKind.COMMITTEE, OrgKind.PARTY, OrgKind.SERVICE_CENTRE} <= kinds, community.name
        assert community.estates.exists()
    departments = set(Organization.objects.filter(kind=OrgKind.DEPARTMENT).values_list("name", flat=True))
    assert departments == {f"铜陵市{d}" for d in demo.DEPARTMENTS} and len(departments) == 10
    office = Organization.objects.get(kind=OrgKind.APPROVAL_AUTHORITY)
    assert office.name == demo_settings.GONGZHI_APPROVAL_AUTHORITY_NAME
    panel = Organization.objects.get(kind=OrgKind.PANEL)
    assert "党代表" in panel.description and "人大代表" in panel.description
    assert Organization.objects.filter(kind=OrgKind.SOCIAL_ORG).count() >= 3
    assert Organization.objects.filter(kind=OrgKind.UNIT).count() >= 3
    for estate in Estate.objects.all():
        assert estate.is_sample
        assert (
            estate.property_company is not None and estate.property_company.kind == OrgKind.PROPERTY_COMPANY
        )
        assert estate.homeowners_committee is not None
        assert estate.homeowners_committee.kind == OrgKind.HOMEOWNERS
    assert not Household.objects.filter(is_sample=False).exists()
    assert not Resident.objects.filter(is_sample=False).exists()
    for resident in Resident.objects.all()[:50]:
        assert is_mobile(resident.phone) and is_id_number(resident.id_number)
        assert resident.phone_index == crypto.blind_index(resident.phone)


def test_generated_password_is_kept_private_reused_and_printed(db, demo_settings, tmp_path):
    demo_settings.GONGZHI_DEMO_PASSWORD = ""
    load(only=["orgs"])
    path = tmp_path / "demo_password"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    password = path.read_text().strip()
    validate_password(password)
    assert can_login("demo-office", password)
    load(only=["orgs"])
    assert path.read_text().strip() == password
    out = StringIO()
    call_command("demo_banner", host="127.0.0.1", port="8123", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text and "http://127.0.0.1:8123/api/docs" in text
    assert password in text
    for account in demo.DEMO_ACCOUNTS:
        assert account.username in text
    assert "not loaded" not in text


def test_changed_demo_password_resets_the_demo_accounts(db, demo_settings):
    load(only=["orgs"])
    before = AuditEntry.objects.filter(action="core.user.password_change").count()
    demo_settings.GONGZHI_DEMO_PASSWORD = "Another-pass-2027"
    load(only=["orgs"])
    assert can_login("demo-panel", "Another-pass-2027")
    assert not can_login("demo-panel", DEMO_PW)
    after = AuditEntry.objects.filter(action="core.user.password_change").count()
    assert after - before == len(demo.DEMO_ACCOUNTS)


def test_weak_demo_password_is_refused_and_nothing_is_written(db, demo_settings):
    demo_settings.GONGZHI_DEMO_PASSWORD = "12345678"
    with pytest.raises(CommandError):
        load(only=["orgs"])
    assert not User.objects.exists() and not Region.objects.exists()


def test_load_demo_refuses_production(db, demo_settings):
    demo_settings.PRODUCTION = True
    with pytest.raises(CommandError):
        load()
    assert not User.objects.exists()


def test_banner_says_when_accounts_are_missing(db, demo_settings):
    out = StringIO()
    call_command("demo_banner", host="::1", port="9000", stdout=out)
    assert "http://[::1]:9000/" in out.getvalue()
    assert "not loaded" in out.getvalue()


def test_seeding_hook_follows_installed_apps_order(settings):
    labels = [label for label, _ in demo_loaders()]
    assert "orgs" in labels
    order = [app.split(".")[-1] for app in settings.INSTALLED_APPS if app.startswith("gongzhi.")]
    assert labels == [label for label in order if label in labels]
