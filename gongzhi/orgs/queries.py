"""Reads behind the pages: the public directory, a user's organizations and roles, the residents list.

Each function runs a fixed, small number of queries whatever the size of the city (no N+1): regions,
organizations and estates are fetched in one query each and assembled in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from gongzhi.core.errors import NotFound
from gongzhi.core.pii import mask_id, mask_phone
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind, Role
from gongzhi.orgs import permissions
from gongzhi.orgs.models import Estate, Organization, Region, Resident

# Organization kinds shown as a community's own bodies, in this order.
COMMUNITY_BODIES = (OrgKind.COMMITTEE, OrgKind.PARTY, OrgKind.SERVICE_CENTRE)
_CAP_ORDER = {value: index for index, value in enumerate(Cap.values)}
_ROLE_ORDER = {value: index for index, value in enumerate(Role.values)}


# --- Public directory -------------------------------------------------------------------------------------------


@dataclass
class CommunityEntry:
    region: Region
    street: Region | None = None
    committee: Organization | None = None
    party: Organization | None = None
    centre: Organization | None = None
    others: list[Organization] = field(default_factory=list)
    estates: list[Estate] = field(default_factory=list)


@dataclass
class DistrictEntry:
    region: Region
    organizations: list[Organization] = field(default_factory=list)
    communities: list[CommunityEntry] = field(default_factory=list)


@dataclass
class CityEntry:
    region: Region
    departments: list[Organization] = field(default_factory=list)
    authorities: list[Organization] = field(default_factory=list)
    panels: list[Organization] = field(default_factory=list)
    others: list[Organization] = field(default_factory=list)
    districts: list[DistrictEntry] = field(default_factory=list)


def _public_organizations() -> QuerySet[Organization]:
    # The platform's own operations group is not a public body.
    return Organization.objects.filter(is_active=True).exclude(kind=OrgKind.PLATFORM)


def _estates() -> QuerySet[Estate]:
    return Estate.objects.select_related("property_company", "homeowners_committee")


def _community_entry(region: Region, orgs: list[Organization], estates: list[Estate]) -> CommunityEntry:
    entry = CommunityEntry(region=region, estates=estates)
    for org in orgs:
        if org.kind == OrgKind.COMMITTEE:
            entry.committee = org
        elif org.kind == OrgKind.PARTY:
            entry.party = org
        elif org.kind == OrgKind.SERVICE_CENTRE:
            entry.centre = org
        else:
            entry.others.append(org)
    return entry


def directory() -> list[CityEntry]:
    """Every city with its departments, approval authority and panel, and its districts/counties with their
    communities (committee, party organization, service centre, estates). Three queries in all."""
    regions = list(Region.objects.order_by("code"))
    by_id = {r.pk: r for r in regions}
    orgs_by_region: dict[int, list[Organization]] = defaultdict(list)
    for org in _public_organizations().order_by("kind", "name"):
        orgs_by_region[org.region_id].append(org)
    estates_by_community: dict[int, list[Estate]] = defaultdict(list)
    for estate in _estates().order_by("name"):
        estates_by_community[estate.community_id].append(estate)

    cities: dict[int, CityEntry] = {}
    districts: dict[int, DistrictEntry] = {}
    for region in regions:
        if region.kind == Region.Kind.CITY:
            city = CityEntry(region=region)
            for org in orgs_by_region[region.pk]:
                if org.kind == OrgKind.DEPARTMENT:
                    city.departments.append(org)
                elif org.kind == OrgKind.APPROVAL_AUTHORITY:
                    city.authorities.append(org)
                elif org.kind == OrgKind.PANEL:
                    city.panels.append(org)
                else:
                    city.others.append(org)
            cities[region.pk] = city
    for region in regions:
        if region.kind in (Region.Kind.DISTRICT, Region.Kind.COUNTY) and region.parent_id in cities:
            district = DistrictEntry(region=region, organizations=orgs_by_region[region.pk])
            cities[region.parent_id].districts.append(district)
            districts[region.pk] = district
    for region in regions:
        if not region.is_grassroots:
            continue
        # Walk up (in memory) to the district or county; note a street or town on the way.
        street: Region | None = None
        parent = by_id.get(region.parent_id) if region.parent_id else None
        while parent is not None and parent.pk not in districts:
            street = street or parent
            parent = by_id.get(parent.parent_id) if parent.parent_id else None
        if parent is None:
            continue
        entry = _community_entry(region, orgs_by_region[region.pk], estates_by_community[region.pk])
        entry.street = street
        districts[parent.pk].communities.append(entry)
    return list(cities.values())


@dataclass
class CommunityPage:
    entry: CommunityEntry
    ancestors: list[Region]


def community_page(pk: int) -> CommunityPage:
    """One community's public page; NotFound for an id that is not a community or village."""
    region = (
        Region.objects.select_related("parent", "parent__parent", "parent__parent__parent")
        .filter(pk=pk, kind__in=[Region.Kind.COMMUNITY, Region.Kind.VILLAGE])
        .first()
    )
    if region is None:
        raise NotFound("未找到该社区 / community not found")
    orgs = list(_public_organizations().filter(region=region).order_by("kind", "name"))
    estates = list(_estates().filter(community=region).order_by("name"))
    entry = _community_entry(region, orgs, estates)
    ancestors = list(reversed(region.ancestors()))
    return CommunityPage(entry=entry, ancestors=ancestors)


@dataclass
class OrganizationPage:
    organization: Organization
    ancestors: list[Region]
    community: Region | None
    estates: list[Estate]


def organization_page(pk: int) -> OrganizationPage:
    """One organization's public fields, where it sits, and (for property companies and homeowners'
    committees) the estates it serves. NotFound for inactive or non-public organizations."""
    org = (
        _public_organizations()
        .select_related(
            "region", "region__parent", "region__parent__parent", "region__parent__parent__parent"
        )
        .filter(pk=pk)
        .first()
    )
    if org is None:
        raise NotFound("未找到该机构 / organization not found")
    estates: list[Estate] = []
    if org.kind == OrgKind.PROPERTY_COMPANY:
        estates = list(_estates().filter(property_company=org).select_related("community").order_by("name"))
    elif org.kind == OrgKind.HOMEOWNERS:
        estates = list(_estates().filter(homeowners_committee=org).select_related("community"))
    region = org.region
    return OrganizationPage(
        organization=org,
        ancestors=[*reversed(region.ancestors()), region],
        community=region if region.is_grassroots else None,
        estates=estates,
    )


# --- A signed-in user's organizations -------------------------------------------------------------------------


@dataclass
class RoleHeld:
    role: str
    label: str
    title: str
    caps: list[tuple[str, str]]  # (capability, label), in Cap order


@dataclass
class OrganizationHeld:
    organization: Organization
    roles: list[RoleHeld]

    @property
    def caps(self) -> set[str]:
        return {cap for role in self.roles for cap, _label in role.caps}


def organizations_held(user: Any) -> list[OrganizationHeld]:
    """The user's active memberships grouped by organization: each role held and what it allows there."""
    grouped: dict[int, OrganizationHeld] = {}
    for m in permissions.active_memberships(user).order_by(
        "organization__region__code", "organization__name"
    ):
        held = grouped.setdefault(m.organization_id, OrganizationHeld(organization=m.organization, roles=[]))
        caps = sorted(CAPS_BY_ROLE.get(m.role, frozenset()), key=lambda c: _CAP_ORDER.get(c, 999))
        held.roles.append(
            RoleHeld(
                role=m.role,
                label=str(Role(m.role).label) if m.role in Role.values else m.role,
                title=m.title,
                caps=[(c, str(Cap(c).label)) for c in caps],
            )
        )
    for held in grouped.values():
        held.roles.sort(key=lambda r: _ROLE_ORDER.get(r.role, 999))
    return list(grouped.values())


# --- Residents (masked) ---------------------------------------------------------------------------------------


@dataclass
class MaskedResident:
    pk: int
    name: str
    community: str
    estate: str
    address: str
    phone: str
    id_number: str
    is_sample: bool


def masked(resident: Resident) -> MaskedResident:
    """A resident as every list and detail page shows them: phone 138****8000, ID with the last 4 only."""
    return MaskedResident(
        pk=resident.pk,
        name=resident.name,
        community=resident.community.name,
        estate=resident.household.estate.name,
        address=resident.household.address,
        phone=mask_phone(resident.phone),
        id_number=mask_id(resident.id_number),
        is_sample=resident.is_sample,
    )


def managed_residents(user: Any, *, communities: set[int], everywhere: bool) -> QuerySet[Resident]:
    """Residents of `communities` (the ones where the user holds manage_community), or of every community when
    `everywhere` (a platform administrator), as the list shows them, in a fixed order."""
    qs = permissions.residents_for_user(user)
    if not everywhere:
        qs = qs.filter(community_id__in=communities)
    return qs.select_related("community", "household", "household__estate").order_by(
        "community__code", "household__estate__name", "household__address", "pk"
    )
