"""Who may see and do what in the clean-up campaigns, the plaque registry, the burden dashboard and the
working-day calendar. Deny by default; accessors answer 404 (NotFound) for objects a user may not see.

- The approval office (examine_requests) runs campaigns over the regions under its own (city-wide), decides, and
  sees everything there; authority members (decide_requests) read the same.
- Community staff (manage_community) enter their own community's plaques and inventory and confirm removals.
- Department members see the tasks and plaques attributed to their department.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.cleanup.models import Campaign, CarriedTask, Plaque, PlaqueReview
from gongzhi.core.errors import NotFound
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.orgs.models import Organization, Region
from gongzhi.orgs.permissions import active_memberships, communities_with_cap, is_platform_admin


def subtree_ids(region_ids: set[int]) -> set[int]:
    """The given regions and every region below them (one query per level)."""
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def _authority_regions(user: Any, cap: str) -> set[int]:
    """Regions of the approval-authority organizations where the user holds `cap`."""
    return {
        m.organization.region_id
        for m in active_memberships(user)
        if m.organization.kind == OrgKind.APPROVAL_AUTHORITY and cap in CAPS_BY_ROLE.get(m.role, frozenset())
    }


def office_region_ids(user: Any) -> set[int]:
    """Regions the user runs clean-ups in: under their approval office (examine_requests)."""
    return subtree_ids(_authority_regions(user, Cap.EXAMINE_REQUESTS))


def overseer_region_ids(user: Any) -> set[int]:
    """Regions the user may read everything in: the approval office and the authority's members."""
    roots = _authority_regions(user, Cap.EXAMINE_REQUESTS) | _authority_regions(user, Cap.DECIDE_REQUESTS)
    return subtree_ids(roots)


def staff_community_ids(user: Any) -> set[int]:
    """Communities where the user is community staff (manage_community)."""
    return communities_with_cap(user, Cap.MANAGE_COMMUNITY)


def department_ids(user: Any) -> set[int]:
    """Departments the user works in (any role held at a department)."""
    return {m.organization_id for m in active_memberships(user) if m.organization.kind == OrgKind.DEPARTMENT}


def _region_chain(region: Region) -> set[int]:
    return {region.pk, *(r.pk for r in region.ancestors())}


# --- Campaigns ----------------------------------------------------------------------------------------------


def can_run_campaigns(user: Any) -> bool:
    # the approval office of some region
    return bool(_authority_regions(user, Cap.EXAMINE_REQUESTS))


def can_manage_campaign(user: Any, campaign: Campaign) -> bool:
    # the approval office whose region contains the campaign's scope
    return campaign.scope_id in office_region_ids(user)


def can_create_campaign_in(user: Any, scope: Region) -> bool:
    # the approval office whose region contains the scope
    return scope.pk in office_region_ids(user)


def can_view_campaign(user: Any, campaign: Campaign) -> bool:
    # the approval office and the authority over the scope
    if campaign.scope_id in overseer_region_ids(user):
        return True
    # community staff of a community inside the scope, once the campaign is out of draft
    if campaign.status != Campaign.Status.DRAFT and staff_community_ids(user) & subtree_ids(
        {campaign.scope_id}
    ):
        return True
    # a department with tasks in the campaign
    depts = department_ids(user)
    return bool(depts) and campaign.tasks.filter(department_id__in=depts).exists()


def campaigns_for_user(user: Any) -> QuerySet[Campaign]:
    visible = Q(scope_id__in=overseer_region_ids(user))
    staff = staff_community_ids(user)
    if staff:
        scopes = {c.pk for r in Region.objects.filter(pk__in=staff) for c in [r, *r.ancestors()]}
        visible |= Q(scope_id__in=scopes) & ~Q(status=Campaign.Status.DRAFT)
    depts = department_ids(user)
    if depts:
        visible |= Q(tasks__department_id__in=depts)
    return Campaign.objects.filter(visible).distinct().select_related("scope")


def get_campaign_for_user(user: Any, pk: int, *, manage: bool = False) -> Campaign:
    campaign = Campaign.objects.select_related("scope").filter(pk=pk).first()
    if campaign is None or not can_view_campaign(user, campaign):
        raise NotFound("未找到该清理行动 / campaign not found")
    if manage and not can_manage_campaign(user, campaign):
        raise NotFound("未找到该清理行动 / campaign not found")
    return campaign


def communities_in_scope(campaign: Campaign) -> QuerySet[Region]:
    return Region.objects.filter(
        pk__in=subtree_ids({campaign.scope_id}), kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)
    )


def can_enter_inventory(user: Any, campaign: Campaign, community: Region) -> bool:
    # the community lies in the campaign's scope
    if community.pk not in subtree_ids({campaign.scope_id}) or not community.is_grassroots:
        return False
    # the approval office running the campaign
    if can_manage_campaign(user, campaign):
        return True
    # staff of that community
    return community.pk in staff_community_ids(user)


def inventory_communities(user: Any, campaign: Campaign) -> QuerySet[Region]:
    """The communities whose inventory the user may enter in this campaign."""
    communities = communities_in_scope(campaign)
    if can_manage_campaign(user, campaign):
        return communities
    return communities.filter(pk__in=staff_community_ids(user))


def tasks_for_user(user: Any, campaign: Campaign) -> QuerySet[CarriedTask]:
    """The campaign's tasks the user may see: all for the office/authority, their own community's for staff, the
    ones attributed to their department for department members."""
    tasks = campaign.tasks.select_related("community", "department", "transfer_to")
    if campaign.scope_id in overseer_region_ids(user):
        return tasks
    visible = Q(community_id__in=staff_community_ids(user)) | Q(department_id__in=department_ids(user))
    return tasks.filter(visible)


def get_task_for_user(user: Any, pk: int) -> CarriedTask:
    task = (
        CarriedTask.objects.select_related("campaign", "campaign__scope", "community", "department")
        .filter(pk=pk)
        .first()
    )
    if task is None or not tasks_for_user(user, task.campaign).filter(pk=pk).exists():
        raise NotFound("未找到该事项 / task not found")
    return task


def can_decide(user: Any, campaign: Campaign) -> bool:
    # only the approval office running the campaign decides
    return can_manage_campaign(user, campaign)


# --- Plaques ------------------------------------------------------------------------------------------------


def can_view_plaque(user: Any, plaque: Plaque) -> bool:
    # staff of the plaque's community
    if plaque.community_id in staff_community_ids(user):
        return True
    # the approval office and the authority over the community
    if plaque.community_id in overseer_region_ids(user):
        return True
    # members of the department that issued it
    return plaque.issuer_id is not None and plaque.issuer_id in department_ids(user)


def can_register_plaque(user: Any, community: Region) -> bool:
    # staff of the community
    if community.is_grassroots and community.pk in staff_community_ids(user):
        return True
    # the approval office over it
    return community.is_grassroots and community.pk in office_region_ids(user)


def can_edit_plaque(user: Any, plaque: Plaque) -> bool:
    # an active plaque, by someone who may register plaques in its community
    return plaque.status == Plaque.Status.ACTIVE and can_register_plaque(user, plaque.community)


def plaques_for_user(user: Any) -> QuerySet[Plaque]:
    visible = (
        Q(community_id__in=staff_community_ids(user))
        | Q(community_id__in=overseer_region_ids(user))
        | Q(issuer_id__in=department_ids(user))
    )
    return Plaque.objects.filter(visible).select_related("community", "issuer")


def get_plaque_for_user(user: Any, pk: int, *, edit: bool = False) -> Plaque:
    plaque = Plaque.objects.select_related("community", "issuer").filter(pk=pk).first()
    if plaque is None or not can_view_plaque(user, plaque):
        raise NotFound("未找到该牌子 / plaque not found")
    if edit and not can_register_plaque(user, plaque.community):
        raise NotFound("未找到该牌子 / plaque not found")
    return plaque


def reviews_for_user(user: Any, campaign: Campaign) -> QuerySet[PlaqueReview]:
    reviews = campaign.plaque_reviews.select_related(
        "plaque", "plaque__community", "plaque__issuer", "matched"
    )
    if campaign.scope_id in overseer_region_ids(user):
        return reviews
    visible = Q(plaque__community_id__in=staff_community_ids(user)) | Q(
        plaque__issuer_id__in=department_ids(user)
    )
    return reviews.filter(visible)


def get_review_for_user(user: Any, pk: int) -> PlaqueReview:
    review = (
        PlaqueReview.objects.select_related("campaign", "campaign__scope", "plaque", "plaque__community")
        .filter(pk=pk)
        .first()
    )
    if review is None or not reviews_for_user(user, review.campaign).filter(pk=pk).exists():
        raise NotFound("未找到该牌子 / plaque not found")
    return review


def can_confirm_removal(user: Any, review: PlaqueReview) -> bool:
    # staff of the plaque's community confirm that it is down
    return review.plaque.community_id in staff_community_ids(user)


def can_view_review_photo(user: Any, review: PlaqueReview) -> bool:
    return reviews_for_user(user, review.campaign).filter(pk=review.pk).exists()


# --- Allowed set --------------------------------------------------------------------------------------------


def can_edit_allowed_set(user: Any, region: Region) -> bool:
    # the approval office over the region
    return region.pk in office_region_ids(user)


# --- Dashboard ----------------------------------------------------------------------------------------------


def can_view_region_dashboard(user: Any, region: Region) -> bool:
    # the approval office and the authority over the region
    if region.pk in overseer_region_ids(user):
        return True
    # community staff see their own community's
    if region.is_grassroots and region.pk in staff_community_ids(user):
        return True
    # platform administrators
    return is_platform_admin(user)


def can_view_department_dashboard(user: Any, department: Organization) -> bool:
    if department.kind != OrgKind.DEPARTMENT:
        return False
    # the department's own people
    if department.pk in department_ids(user):
        return True
    # the approval office and the authority over the department's region
    if department.region_id in overseer_region_ids(user):
        return True
    # platform administrators
    return is_platform_admin(user)


def get_dashboard_region_for_user(user: Any, pk: int) -> Region:
    region = Region.objects.filter(pk=pk).first()
    if region is None or not can_view_region_dashboard(user, region):
        raise NotFound("未找到该区域 / region not found")
    return region


def get_dashboard_department_for_user(user: Any, pk: int) -> Organization:
    org = Organization.objects.select_related("region").filter(pk=pk).first()
    if org is None or not can_view_department_dashboard(user, org):
        raise NotFound("未找到该部门 / department not found")
    return org


def default_dashboard_region(user: Any) -> Region | None:
    """The region a user's dashboard opens on: their office's region, else their own community."""
    roots = _authority_regions(user, Cap.EXAMINE_REQUESTS) | _authority_regions(user, Cap.DECIDE_REQUESTS)
    if roots:
        return Region.objects.filter(pk__in=roots).order_by("code").first()
    staff = staff_community_ids(user)
    if staff:
        return Region.objects.filter(pk__in=staff).order_by("code").first()
    return None


# --- Working-day calendar -----------------------------------------------------------------------------------


def can_view_calendar(user: Any) -> bool:
    # the approval office and the authority
    if _authority_regions(user, Cap.EXAMINE_REQUESTS) or _authority_regions(user, Cap.DECIDE_REQUESTS):
        return True
    # platform administrators
    return is_platform_admin(user)


def can_enter_calendar(user: Any) -> bool:
    # the approval office enters each year's schedule
    return bool(_authority_regions(user, Cap.EXAMINE_REQUESTS))


def can_use_cleanup(user: Any) -> bool:
    """Whether the user has any reason to open the clean-up pages."""
    return bool(overseer_region_ids(user) or staff_community_ids(user) or department_ids(user))
