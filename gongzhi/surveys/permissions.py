"""Who may build, run, answer and read surveys. Deny by default; accessors answer 404 (NotFound) for surveys a user
may not see.

- Building and running (questions, opening, closing, new versions, issuing invitations): the approval office
  (examine_requests) for surveys over its region (the whole city, a district or a community in it), and community
  staff (manage_community) for surveys of their own community.
- Invitation slips (the codes) are printed only by the staff of the household's own community.
- Staff-assisted entry: community staff, for households and units of their own community.
- Answering with an account: a resident for their own household, a co-building unit's contact for their unit.
- Results are aggregates only: managers, the approval office and authority over the scope and the third-party
  panel see every community; community staff see their own communities. Free-text answers (the only answers
  shown as such) only to the survey's managers. Nobody reads a response row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.core.errors import NotFound
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind, Role
from gongzhi.orgs.models import Household, Organization, Region, Resident
from gongzhi.orgs.permissions import active_memberships, communities_with_cap
from gongzhi.surveys.models import Survey

GRASSROOTS = (Region.Kind.COMMUNITY, Region.Kind.VILLAGE)


def subtree_ids(region_ids: set[int]) -> set[int]:
    """The given regions and every region below them (one query per level)."""
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def community_ids_in(scope: Region) -> set[int]:
    """The communities and villages at or under a survey's scope."""
    ids = subtree_ids({scope.pk})
    return set(Region.objects.filter(pk__in=ids, kind__in=GRASSROOTS).values_list("id", flat=True))


def _org_regions(user: Any, kind: str, cap: str) -> set[int]:
    return {
        m.organization.region_id
        for m in active_memberships(user)
        if m.organization.kind == kind and cap in CAPS_BY_ROLE.get(m.role, frozenset())
    }


def office_region_ids(user: Any) -> set[int]:
    """Regions under the user's approval office (examine_requests)."""
    return subtree_ids(_org_regions(user, OrgKind.APPROVAL_AUTHORITY, Cap.EXAMINE_REQUESTS))


def overseer_region_ids(user: Any) -> set[int]:
    """Regions under the approval office or authority the user belongs to, and under their evaluation panel."""
    roots = (
        _org_regions(user, OrgKind.APPROVAL_AUTHORITY, Cap.EXAMINE_REQUESTS)
        | _org_regions(user, OrgKind.APPROVAL_AUTHORITY, Cap.DECIDE_REQUESTS)
        | _org_regions(user, OrgKind.PANEL, Cap.REVIEW_EVALUATIONS)
    )
    return subtree_ids(roots)


def staff_community_ids(user: Any) -> set[int]:
    return communities_with_cap(user, Cap.MANAGE_COMMUNITY)


# --- Building and running ---------------------------------------------------------------------------------------


def creating_org(user: Any, scope: Region) -> Organization | None:
    """The organization through which the user may run a survey over `scope`, or None."""
    for m in active_memberships(user):
        caps = CAPS_BY_ROLE.get(m.role, frozenset())
        org = m.organization
        # the approval office, for any region under its own
        if (
            org.kind == OrgKind.APPROVAL_AUTHORITY
            and Cap.EXAMINE_REQUESTS in caps
            and scope.pk in subtree_ids({org.region_id})
        ):
            return org
        # community staff, for their own community
        if Cap.MANAGE_COMMUNITY in caps and org.region_id == scope.pk and scope.kind in GRASSROOTS:
            return org
    return None


def can_create_surveys(user: Any) -> bool:
    # the approval office of some region, or staff of some community
    return bool(office_region_ids(user)) or bool(staff_community_ids(user))


def can_manage_survey(user: Any, survey: Survey) -> bool:
    # the approval office over the survey's scope
    if survey.scope_id in office_region_ids(user):
        return True
    # community staff of a community survey
    return survey.scope.kind in GRASSROOTS and survey.scope_id in staff_community_ids(user)


def can_issue_invitations(user: Any, survey: Survey, community: Region | None) -> bool:
    # managers, for the whole scope or any community in it
    if can_manage_survey(user, survey):
        return True
    # community staff, for their own community inside the scope
    return community is not None and community.pk in staff_community_ids(user) & community_ids_in(
        survey.scope
    )


def can_print_invitations(user: Any, survey: Survey, community: Region) -> bool:
    # only the staff of that community (they carry the slips door to door), and only inside the scope
    return community.pk in staff_community_ids(user) and community.pk in community_ids_in(survey.scope)


def can_assist(user: Any, survey: Survey, community_id: int) -> bool:
    # community staff, for respondents of their own community inside the scope
    return community_id in staff_community_ids(user) and community_id in community_ids_in(survey.scope)


# --- Reading ------------------------------------------------------------------------------------------------------


def can_view_survey(user: Any, survey: Survey) -> bool:
    # managers
    if can_manage_survey(user, survey):
        return True
    if survey.is_draft:
        return False
    # the office, authority and evaluation panel over the scope
    if survey.scope_id in overseer_region_ids(user):
        return True
    # staff of a community inside the scope
    return bool(staff_community_ids(user) & community_ids_in(survey.scope))


def visible_communities(user: Any, survey: Survey) -> set[int] | None:
    """Communities whose results the user may read: None means all of the scope."""
    if can_manage_survey(user, survey) or survey.scope_id in overseer_region_ids(user):
        return None
    return staff_community_ids(user) & community_ids_in(survey.scope)


def can_view_comments(user: Any, survey: Survey) -> bool:
    # only the survey's managers read free-text answers (never the evaluators)
    return can_manage_survey(user, survey)


def can_list_surveys(user: Any) -> bool:
    # those who run surveys, and the office, authority and panel who oversee them (even before any is open)
    return can_create_surveys(user) or bool(overseer_region_ids(user))


def surveys_for_user(user: Any) -> QuerySet[Survey]:
    office = office_region_ids(user)
    staff = staff_community_ids(user)
    visible = Q(scope_id__in=office) | Q(scope_id__in=staff, scope__kind__in=GRASSROOTS)
    overseen = overseer_region_ids(user)
    if staff:
        above = {r.pk for c in Region.objects.filter(pk__in=staff) for r in (c, *c.ancestors())}
        overseen |= above
    visible |= Q(scope_id__in=overseen) & ~Q(status=Survey.Status.DRAFT)
    return Survey.objects.filter(visible).select_related("scope", "owner").distinct()


def get_survey_for_user(user: Any, pk: int, *, manage: bool = False) -> Survey:
    survey = Survey.objects.select_related("scope", "owner").filter(pk=pk).first()
    if survey is None or not can_view_survey(user, survey):
        raise NotFound("未找到该问卷 / survey not found")
    if manage and not can_manage_survey(user, survey):
        raise NotFound("未找到该问卷 / survey not found")
    return survey


# --- Answering with an account -----------------------------------------------------------------------------------


def own_household(user: Any) -> Household | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    resident = Resident.objects.select_related("household").filter(user=user).first()
    return resident.household if resident is not None else None


def own_units(user: Any) -> list[Organization]:
    return [
        m.organization
        for m in active_memberships(user)
        if m.organization.kind == OrgKind.UNIT and m.role == Role.UNIT_CONTACT and m.organization.is_active
    ]


def account_respondent(user: Any, survey: Survey) -> tuple[int, int] | None:
    """(respondent id, community id) the signed-in user answers for in this survey, or None."""
    communities = community_ids_in(survey.scope)
    if survey.for_units:
        for unit in own_units(user):
            if unit.region_id in communities:
                return unit.pk, unit.region_id
        return None
    household = own_household(user)
    if household is not None and household.community_id in communities:
        return household.pk, household.community_id
    return None


def answerable_surveys(user: Any) -> list[Survey]:
    """Open surveys the signed-in user may answer for their household or unit."""
    regions: set[int] = set()
    household = own_household(user)
    if household is not None:
        regions |= {household.community_id}
    for unit in own_units(user):
        regions.add(unit.region_id)
    if not regions:
        return []
    above = {r.pk for c in Region.objects.filter(pk__in=regions) for r in (c, *c.ancestors())}
    candidates = Survey.objects.filter(status=Survey.Status.OPEN, scope_id__in=above).select_related("scope")
    return [s for s in candidates if account_respondent(user, s) is not None]
