"""API schemas of orgs: regions, organizations' public fields, memberships and residents (masked)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import ID_MAX
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Region


class RegionRef(Schema):
    id: int
    name: str
    kind: str
    code: str


class RegionOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    code: str
    parent_id: int | None
    is_sample: bool


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRef] = Field(description="从市到上级 / from the city down to the parent")
    children: list[RegionRef]


class RegionPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[RegionOut]


class RegionFilter(Schema):
    parent: int | None = Field(
        None, ge=0, le=ID_MAX, description="上级区域id;0 表示顶级 / parent id; 0 = top level"
    )
    kind: Region.Kind | None = Field(None, description="层级 / level")


class OrganizationOut(Schema):
    """An organization's public fields (as in the public directory)."""

    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    region: RegionRef
    address: str
    office_phone: str
    description: str
    is_sample: bool


class OrganizationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[OrganizationOut]


class OrganizationFilter(Schema):
    kind: OrgKind | None = Field(None, description="机构类型 / organization kind")
    region: int | None = Field(None, ge=1, le=ID_MAX, description="所在区域id / region id")
    sort: str = Field(
        "name",
        description="排序:name, -name, kind, -kind, region, -region, id, -id / sort key from this list only",
    )


class CapabilityOut(Schema):
    code: str
    label: str


class OrganizationRef(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region: RegionRef


class MembershipOut(Schema):
    id: int
    role: str
    role_label: str
    title: str
    granted_at: datetime
    organization: OrganizationRef
    capabilities: list[CapabilityOut]


class HouseholdRef(Schema):
    id: int
    address: str
    estate_id: int
    estate: str


class ResidentOut(Schema):
    """A resident with phone and ID number masked (138****8000; ID: last 4 only)."""

    id: int
    name: str
    community: RegionRef
    household: HouseholdRef
    phone_masked: str
    id_number_masked: str
    birth_year: int | None
    is_sample: bool


class ResidentPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ResidentOut]


class ResidentFullPIOut(Schema):
    """The full phone and ID number. Every reply is written to the audit log."""

    id: int
    phone: str
    id_number: str
