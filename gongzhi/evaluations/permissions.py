"""Who may see and do what in two-way evaluation. Deny by default; accessors answer 404 for what a user may not see.

- The approval office (examine_requests) over the cycle's scope sets cycles up, rates communities' statutory duty
  performance, sends reminders, moves the cycle and publishes it after sign-off.
- The third-party panel (review_evaluations, a panel organization at or above the scope) reviews, adjusts with a
  reason and signs off.
- Community staff (manage_community) rate the departments on behalf of their committee.
- Published cycles are public (results only).
- Settlement of the final agreement instalments: the page is open to whoever may view the cycle, to the
  finance of the departments in scope once the cycle is open, and to everyone signed in once it is published
  (the amounts are public); each agreement's own department finance (pay_instalments) settles it after
  publication (evaluations.services.settle_instalment).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gongzhi.agreements import permissions as agreement_permissions
from gongzhi.core.errors import NotFound
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.evaluations.models import Cycle
from gongzhi.orgs.models import Organization, Region
from gongzhi.orgs.permissions import active_memberships


def subtree_ids(region_ids: set[int]) -> set[int]:
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def _orgs_with(user: Any, cap: str, kinds: set[str]) -> list[Organization]:
    return [
        m.organization
        for m in active_memberships(user)
        if m.organization.kind in kinds and cap in CAPS_BY_ROLE.get(m.role, frozenset())
    ]


def office_region_ids(user: Any) -> set[int]:
    """Regions under the approval office(s) where the user holds examine_requests."""
    return subtree_ids(
        {o.region_id for o in _orgs_with(user, Cap.EXAMINE_REQUESTS, {OrgKind.APPROVAL_AUTHORITY})}
    )


def panel_region_ids(user: Any) -> set[int]:
    return subtree_ids({o.region_id for o in _orgs_with(user, Cap.REVIEW_EVALUATIONS, {OrgKind.PANEL})})


def rater_orgs(user: Any) -> list[Organization]:
    """Community organizations on whose behalf the user rates departments (manage_community at a committee)."""
    return _orgs_with(user, Cap.MANAGE_COMMUNITY, {OrgKind.COMMITTEE})


def can_set_up_cycles(user: Any) -> bool:
    # someone in an approval office with examine_requests
    return bool(office_region_ids(user))


def can_manage_cycle(user: Any, cycle: Cycle) -> bool:
    # the approval office whose region contains the cycle's scope
    return cycle.scope_id in office_region_ids(user)


def can_review_cycle(user: Any, cycle: Cycle) -> bool:
    # a third-party panel member whose panel's region contains the scope
    return cycle.scope_id in panel_region_ids(user)


def can_rate_departments(user: Any, cycle: Cycle) -> bool:
    # community staff of a committee inside the cycle's scope
    scope = subtree_ids({cycle.scope_id})
    return any(o.region_id in scope for o in rater_orgs(user))


def can_rate_communities(user: Any, cycle: Cycle) -> bool:
    # the approval office (the district/city side) over the cycle's scope
    return can_manage_cycle(user, cycle)


def can_view_cycle(user: Any, cycle: Cycle) -> bool:
    # the office and the panel always; raters once the cycle is open
    if can_manage_cycle(user, cycle) or can_review_cycle(user, cycle):
        return True
    return cycle.status != Cycle.Status.DRAFT and can_rate_departments(user, cycle)


def can_see_evidence(user: Any, cycle: Cycle) -> bool:
    # every indicator with its evidence: the panel and the office
    return can_manage_cycle(user, cycle) or can_review_cycle(user, cycle)


def finance_department_ids(user: Any) -> set[int]:
    """Departments whose instalments the user pays (the department's finance)."""
    return agreement_permissions.department_ids(user, Cap.PAY_INSTALMENTS)


def can_view_settlements(user: Any, cycle: Cycle) -> bool:
    # published: anyone signed in (the same amounts are on the public results)
    if cycle.status == Cycle.Status.PUBLISHED:
        return True
    # before: whoever may view the cycle
    if can_view_cycle(user, cycle):
        return True
    # and the finance of a department in scope, once the cycle is open
    if cycle.status == Cycle.Status.DRAFT:
        return False
    mine = finance_department_ids(user)
    if not mine:
        return False
    regions = subtree_ids({cycle.scope_id}) | {r.pk for r in cycle.scope.ancestors()}
    return Organization.objects.filter(pk__in=mine, region_id__in=regions).exists()


def can_settle(user: Any, cycle: Cycle, department_id: int) -> bool:
    # the department's finance, once the results are published
    return cycle.status == Cycle.Status.PUBLISHED and department_id in finance_department_ids(user)


def get_settlement_cycle_for_user(user: Any, pk: int) -> Cycle:
    cycle = Cycle.objects.select_related("scope").filter(pk=pk).first()
    if cycle is None or not user.is_authenticated or not can_view_settlements(user, cycle):
        raise NotFound("未找到该评估周期 / evaluation cycle not found")
    return cycle


def cycles_for_user(user: Any) -> QuerySet[Cycle]:
    ids = [c.pk for c in Cycle.objects.select_related("scope") if can_view_cycle(user, c)]
    return Cycle.objects.filter(pk__in=ids).select_related("scope")


def get_cycle_for_user(user: Any, pk: int) -> Cycle:
    cycle = Cycle.objects.select_related("scope").filter(pk=pk).first()
    if cycle is None or not can_view_cycle(user, cycle):
        raise NotFound("未找到该评估周期 / evaluation cycle not found")
    return cycle


def get_public_cycle(pk: int) -> Cycle:
    cycle = Cycle.objects.select_related("scope").filter(pk=pk, status=Cycle.Status.PUBLISHED).first()
    if cycle is None:
        raise NotFound("未找到已公布的评估结果 / no published results for this cycle")
    return cycle
