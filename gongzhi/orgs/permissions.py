"""Who may see and do what with organizations, residents and memberships. Deny by default.

Predicates `can_<verb>_<noun>(user, obj)` hold one commented condition per line; accessors
`get_<noun>_for_user(user, pk)` answer 404 (NotFound) for objects the user may not see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.core.errors import NotFound
from gongzhi.core.roles import CAPS_BY_ROLE, Cap
from gongzhi.orgs.models import Household, Membership, Organization, Region, Resident


def active_memberships(user: Any) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, revoked_at__isnull=True).select_related(
        "organization", "organization__region"
    )


def caps_by_org(user: Any) -> dict[int, set[str]]:
    """{organization id: capabilities}, read fresh on every call so that a revoked role stops at once."""
    result: dict[int, set[str]] = {}
    for m in active_memberships(user):
        result.setdefault(m.organization_id, set()).update(CAPS_BY_ROLE.get(m.role, frozenset()))
    return result


def has_cap(user: Any, cap: str, organization: Organization | None = None) -> bool:
    caps = caps_by_org(user)
    if organization is None:
        return any(cap in c for c in caps.values())
    return cap in caps.get(organization.pk, set())


def communities_with_cap(user: Any, cap: str) -> set[int]:
    """Region ids of the communities where the user holds `cap` through a community-level organization."""
    return {
        m.organization.region_id
        for m in active_memberships(user)
        if cap in CAPS_BY_ROLE.get(m.role, frozenset()) and m.organization.region.is_grassroots
    }


def is_platform_admin(user: Any) -> bool:
    # a superuser, or an active platform-administrator membership
    return bool(getattr(user, "is_superuser", False) and user.is_active) or has_cap(user, Cap.ADMINISTER)


def can_view_resident(user: Any, resident: Resident) -> bool:
    # the resident themself
    if resident.user_id is not None and resident.user_id == getattr(user, "pk", None):
        return True
    # staff who manage the resident's community
    if resident.community_id in communities_with_cap(user, Cap.MANAGE_COMMUNITY):
        return True
    # platform administrators
    return is_platform_admin(user)


def can_view_full_pi(user: Any, resident: Resident) -> bool:
    # the resident sees their own data in full
    if resident.user_id is not None and resident.user_id == getattr(user, "pk", None):
        return True
    # only a role with view_full_pi in the resident's own community (the committee director)
    return resident.community_id in communities_with_cap(user, Cap.VIEW_FULL_PI)


def residents_for_user(user: Any) -> QuerySet[Resident]:
    if is_platform_admin(user):
        return Resident.objects.all()
    communities = communities_with_cap(user, Cap.MANAGE_COMMUNITY)
    own = getattr(user, "pk", None)
    visible = Q(community_id__in=communities)
    if own is not None:
        visible |= Q(user_id=own)
    return Resident.objects.filter(visible)


def get_resident_for_user(user: Any, pk: int) -> Resident:
    resident = (
        Resident.objects.select_related("household", "household__estate", "community").filter(pk=pk).first()
    )
    if resident is None or not can_view_resident(user, resident):
        raise NotFound("未找到该居民 / resident not found")
    return resident


def get_household_for_user(user: Any, pk: int) -> Household:
    household = Household.objects.select_related("estate", "community").filter(pk=pk).first()
    allowed = household is not None and (
        household.community_id in communities_with_cap(user, Cap.MANAGE_COMMUNITY)
        or is_platform_admin(user)
        or household.residents.filter(user_id=getattr(user, "pk", 0) or 0).exists()
    )
    if household is None or not allowed:
        raise NotFound("未找到该住户 / household not found")
    return household


def get_public_organization(pk: int) -> Organization:
    """Organizations' public fields are public (the directory)."""
    org = Organization.objects.select_related("region").filter(pk=pk, is_active=True).first()
    if org is None:
        raise NotFound("未找到该机构 / organization not found")
    return org


def get_public_region(pk: int) -> Region:
    region = Region.objects.filter(pk=pk).first()
    if region is None:
        raise NotFound("未找到该区域 / region not found")
    return region
