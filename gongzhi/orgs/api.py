"""Orgs JSON endpoints: regions and organizations (public fields, no sign-in), the signed-in user's memberships,
and residents (masked; the full view only through the audited reveal)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from gongzhi.core.api_support import ErrorOut, PageParams, current_user, object_id, paginate
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.pii import mask_id, mask_phone
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind, Role
from gongzhi.orgs import permissions, services
from gongzhi.orgs.models import Organization, Region, Resident
from gongzhi.orgs.schemas import (
    MembershipOut,
    OrganizationFilter,
    OrganizationOut,
    OrganizationPage,
    RegionDetailOut,
    RegionFilter,
    RegionPage,
    ResidentFullPIOut,
    ResidentOut,
    ResidentPage,
)

public_router = Router(tags=["directory"])
router = Router(tags=["orgs"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

# Sort keys a client may ask for, and what they mean; anything else is refused (security.md IN-2).
ORGANIZATION_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "kind": ("kind", "name", "id"),
    "-kind": ("-kind", "name", "id"),
    "region": ("region__code", "name", "id"),
    "-region": ("-region__code", "name", "id"),
    "id": ("id",),
    "-id": ("-id",),
}
_CAP_ORDER = {value: index for index, value in enumerate(Cap.values)}


class BadSortKey(DomainError):
    status = 400
    code = "bad_sort"


def _region_ref(region: Region) -> dict[str, Any]:
    return {"id": region.pk, "name": region.name, "kind": region.kind, "code": region.code}


def _region_out(region: Region) -> dict[str, Any]:
    return {
        **_region_ref(region),
        "kind_label": str(region.get_kind_display()),
        "parent_id": region.parent_id,
        "is_sample": region.is_sample,
    }


def _organization_out(org: Organization) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "kind_label": str(org.get_kind_display()),
        "region": _region_ref(org.region),
        "address": org.address,
        "office_phone": org.office_phone,
        "description": org.description,
        "is_sample": org.is_sample,
    }


def _public_organizations() -> QuerySet[Organization]:
    # the same rule as the public directory: active bodies, not the platform's own operations group
    return Organization.objects.filter(is_active=True).exclude(kind=OrgKind.PLATFORM).select_related("region")


def _resident_out(resident: Resident) -> dict[str, Any]:
    household = resident.household
    return {
        "id": resident.pk,
        "name": resident.name,
        "community": _region_ref(resident.community),
        "household": {
            "id": household.pk,
            "address": household.address,
            "estate_id": household.estate_id,
            "estate": household.estate.name,
        },
        "phone_masked": mask_phone(resident.phone),
        "id_number_masked": mask_id(resident.id_number),
        "birth_year": resident.birth_year,
        "is_sample": resident.is_sample,
    }


# --- Public: regions and organizations -----------------------------------------------------------------------


@public_router.get("/regions", response={200: RegionPage, **ERRORS}, summary="行政区域 / regions")
def list_regions(
    request: HttpRequest, filters: Query[RegionFilter], paging: Query[PageParams]
) -> dict[str, Any]:
    qs = Region.objects.order_by("code", "id")
    if filters.parent == 0:
        qs = qs.filter(parent__isnull=True)
    elif filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    page = paginate(qs, paging)
    page["results"] = [_region_out(r) for r in page["results"]]
    return page


@public_router.get(
    "/regions/{region_id}", response={200: RegionDetailOut, **ERRORS}, summary="行政区域 / one region"
)
def get_region(request: HttpRequest, region_id: int = object_id()) -> dict[str, Any]:
    region = permissions.get_public_region(region_id)
    return {
        **_region_out(region),
        "ancestors": [_region_ref(r) for r in reversed(region.ancestors())],
        "children": [_region_ref(r) for r in region.children.order_by("code", "id")],
    }


@public_router.get(
    "/organizations",
    response={200: OrganizationPage, **ERRORS},
    summary="机构(公开信息) / organizations (public fields)",
)
def list_organizations(
    request: HttpRequest, filters: Query[OrganizationFilter], paging: Query[PageParams]
) -> dict[str, Any]:
    ordering = ORGANIZATION_SORTS.get(filters.sort)
    if ordering is None:
        raise BadSortKey(
            "不支持的排序字段 / unsupported sort key",
            fields={"sort": "可选 / allowed: " + ", ".join(ORGANIZATION_SORTS)},
        )
    qs = _public_organizations().order_by(*ordering)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.region is not None:
        qs = qs.filter(region_id=filters.region)
    page = paginate(qs, paging)
    page["results"] = [_organization_out(o) for o in page["results"]]
    return page


@public_router.get(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, **ERRORS},
    summary="机构(公开信息) / one organization",
)
def get_organization(request: HttpRequest, organization_id: int = object_id()) -> dict[str, Any]:
    org = _public_organizations().filter(pk=organization_id).first()
    if org is None:
        raise NotFound("未找到该机构 / organization not found")
    return _organization_out(org)


# --- Signed in: memberships and residents --------------------------------------------------------------------


@router.get(
    "/me/memberships",
    response={200: list[MembershipOut], **ERRORS},
    summary="我的任职 / my active memberships",
)
def my_memberships(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for m in permissions.active_memberships(current_user(request)).order_by(
        "organization__region__code", "organization__name", "role", "id"
    ):
        caps = sorted(CAPS_BY_ROLE.get(m.role, frozenset()), key=lambda c: _CAP_ORDER.get(c, 999))
        org = m.organization
        rows.append(
            {
                "id": m.pk,
                "role": m.role,
                "role_label": str(Role(m.role).label) if m.role in Role.values else m.role,
                "title": m.title,
                "granted_at": m.granted_at,
                "organization": {
                    "id": org.pk,
                    "name": org.name,
                    "kind": org.kind,
                    "kind_label": str(org.get_kind_display()),
                    "region": _region_ref(org.region),
                },
                "capabilities": [{"code": c, "label": str(Cap(c).label)} for c in caps],
            }
        )
    return rows


@router.get(
    "/residents",
    response={200: ResidentPage, **ERRORS},
    summary="居民(脱敏) / residents I may see (masked)",
)
def list_residents(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    qs = (
        permissions.residents_for_user(current_user(request))
        .select_related("community", "household", "household__estate")
        .order_by("community__code", "household__estate__name", "household__address", "id")
    )
    page = paginate(qs, paging)
    page["results"] = [_resident_out(r) for r in page["results"]]
    return page


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentOut, **ERRORS},
    summary="居民(脱敏) / one resident (masked)",
)
def get_resident(request: HttpRequest, resident_id: int = object_id()) -> dict[str, Any]:
    return _resident_out(permissions.get_resident_for_user(current_user(request), resident_id))


@router.post(
    "/residents/{resident_id}/reveal",
    response={200: ResidentFullPIOut, **ERRORS},
    summary="查看完整个人信息(留痕) / full phone and ID number (audited)",
)
def reveal_resident(request: HttpRequest, resident_id: int = object_id()) -> dict[str, Any]:
    user = current_user(request)
    resident = permissions.get_resident_for_user(user, resident_id)
    full = services.reveal_resident_pi(actor=user, resident=resident)
    return {"id": resident.pk, **full}
