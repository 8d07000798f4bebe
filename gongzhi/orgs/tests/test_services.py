import pytest

from conftest import make_user
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.core.roles import Cap, OrgKind, Role
from gongzhi.orgs import permissions, services
from gongzhi.orgs.models import Membership, Organization, Region, Resident


def test_region_tree_allows_both_shapes(db):
    city = services.create_region(actor=None, name="某市", kind="city", code="1")
    district = services.create_region(actor=None, name="某区", kind="district", code="2", parent=city)
    # Tongling's shape: community directly under the district
    services.create_region(actor=None, name="甲社区", kind="community", code="3", parent=district)
    # the usual shape: district → street → community
    street = services.create_region(actor=None, name="乙街道", kind="street", code="4", parent=district)
    community = services.create_region(actor=None, name="丙社区", kind="community", code="5", parent=street)
    assert [r.name for r in community.ancestors()] == ["乙街道", "某区", "某市"]
    with pytest.raises(ValidationFailed):
        services.create_region(actor=None, name="错", kind="community", code="6", parent=city)
    with pytest.raises(ValidationFailed):
        services.create_region(actor=None, name="错", kind="district", code="7")
    with pytest.raises(ValidationFailed):
        services.create_region(actor=None, name="错", kind="planet", code="8")
    assert Region.objects.count() == 5


def test_community_core_bodies_are_unique_and_only_in_communities(city):
    with pytest.raises(Conflict):
        services.create_organization(
            actor=None, name="另一个居委会", kind=OrgKind.COMMITTEE, region=city.tongxia
        )
    with pytest.raises(ValidationFailed):
        services.create_organization(actor=None, name="市级居委会", kind=OrgKind.COMMITTEE, region=city.city)
    with pytest.raises(Conflict):
        services.create_organization(
            actor=None, name="铜陵市民政局", kind=OrgKind.DEPARTMENT, region=city.city
        )
    party = services.create_organization(
        actor=None, name="铜霞社区党委", kind=OrgKind.PARTY, region=city.tongxia
    )
    assert party.region == city.tongxia


def test_estate_checks_org_kinds(city):
    with pytest.raises(ValidationFailed):
        services.create_estate(actor=None, name="x", community=city.tongxia, property_company=city.dept)
    with pytest.raises(ValidationFailed):
        services.create_estate(actor=None, name="x", community=city.district)


def test_resident_pi_validated_encrypted_and_indexed(city):
    r = Resident.objects.get(pk=city.resident_record.pk)
    assert r.phone == "13800138000"
    assert r.id_number == "11010519491231002X"
    from gongzhi.core import crypto

    assert Resident.objects.filter(phone_index=crypto.blind_index("13800138000")).get() == r
    before = Resident.objects.count()
    with pytest.raises(ValidationFailed) as err:
        services.register_resident(
            actor=None, household=city.household, name="王五", phone="123", id_number="110105194912310021"
        )
    assert set(err.value.fields) == {"phone", "id_number"}
    assert Resident.objects.count() == before
    entry = AuditEntry.objects.filter(action="orgs.resident.create", target_id=str(r.pk)).get()
    assert entry.data == {"phone": "138****8000", "id_number": "**************002X"}


def test_reveal_requires_the_right_and_is_audited(city, community_director, community_staff, outsider):
    r = city.resident_record
    assert services.reveal_resident_pi(actor=community_director, resident=r) == {
        "phone": "13800138000",
        "id_number": "11010519491231002X",
    }
    assert (
        AuditEntry.objects.filter(action="orgs.resident.view_full_pi", actor=community_director).count() == 1
    )
    for user in (community_staff, outsider):
        with pytest.raises(PermissionDenied):
            services.reveal_resident_pi(actor=user, resident=r)
    assert AuditEntry.objects.filter(action="orgs.resident.view_full_pi").count() == 1


def test_membership_role_must_fit_kind_and_duties_are_separated(city):
    user = make_user("someone")
    with pytest.raises(ValidationFailed):
        services.grant_membership(actor=None, user=user, organization=city.dept, role=Role.COMMUNITY_DIRECTOR)
    services.grant_membership(actor=None, user=user, organization=city.platform, role=Role.PLATFORM_ADMIN)
    with pytest.raises(Conflict):
        services.grant_membership(actor=None, user=user, organization=city.platform, role=Role.AUDIT_ADMIN)
    with pytest.raises(Conflict):
        services.grant_membership(actor=None, user=user, organization=city.platform, role=Role.PLATFORM_ADMIN)


def test_revoked_role_stops_at_once(city, community_director):
    assert permissions.has_cap(community_director, Cap.VIEW_FULL_PI, city.committee)
    m = Membership.objects.get(user=community_director)
    services.revoke_membership(actor=None, membership=m, reason="换届")
    assert not permissions.has_cap(community_director, Cap.VIEW_FULL_PI)
    with pytest.raises(PermissionDenied):
        services.reveal_resident_pi(actor=community_director, resident=city.resident_record)
    with pytest.raises(Conflict):
        services.revoke_membership(actor=None, membership=m)
    actions = list(AuditEntry.objects.filter(target_type="orgs.membership").values_list("action", flat=True))
    assert actions == ["orgs.membership.grant", "orgs.membership.revoke"]


def test_accessors_hide_other_communities(city, community_director, outsider, resident):
    from gongzhi.core.errors import NotFound

    assert permissions.get_resident_for_user(community_director, city.resident_record.pk)
    with pytest.raises(NotFound):
        permissions.get_resident_for_user(outsider, city.resident_record.pk)
    with pytest.raises(NotFound):
        permissions.get_household_for_user(outsider, city.household.pk)
    assert permissions.get_resident_for_user(resident, city.resident_record.pk)
    with pytest.raises(NotFound):
        permissions.get_resident_for_user(resident, city.other_resident_record.pk)
    assert set(permissions.residents_for_user(outsider)) == {city.other_resident_record}
    assert set(permissions.residents_for_user(resident)) == {city.resident_record}
    with pytest.raises(NotFound):
        permissions.get_public_organization(999999)
    assert Organization.objects.filter(kind=OrgKind.DEPARTMENT).count() == 2
