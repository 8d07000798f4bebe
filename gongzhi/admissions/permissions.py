"""Who may see and do what with task requests, admitted tasks, refusals, informal-task reports and attachments.
Deny by default; capabilities are read fresh on every call, so a revoked role stops at once.

Who sees what:
- a department's members see their department's requests (any state), its admitted tasks, the refusals it
  received, and the reports against it once they are concluded (the department is told the outcome);
- the approval authority (examine or decide capability, in an authority whose region covers the department's)
  sees requests once they have been submitted, every admitted task, refusal and report in its region;
- a community's staff see the admitted tasks aimed at their community (and the request behind them), their own
  refusals and reports.
Accessors answer 404 (NotFound) for anything the user may not see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.admissions.models import (
    AdmittedTask,
    Attachment,
    InformalTaskReport,
    Refusal,
    Review,
    TaskRequest,
)
from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.orgs.models import Organization, Region
from gongzhi.orgs.permissions import active_memberships, communities_with_cap

# --- who holds what ---------------------------------------------------------------------------------------------


def _orgs_with(user: Any, kind: str, cap: str | None = None) -> list[Organization]:
    found: dict[int, Organization] = {}
    for m in active_memberships(user):
        if m.organization.kind != kind or not m.organization.is_active:
            continue
        if cap is None or cap in CAPS_BY_ROLE.get(m.role, frozenset()):
            found[m.organization_id] = m.organization
    return list(found.values())


def department_ids(user: Any) -> set[int]:
    """Departments the user belongs to in any role (they see the department's requests)."""
    return {o.pk for o in _orgs_with(user, OrgKind.DEPARTMENT)}


def filing_departments(user: Any) -> list[Organization]:
    """Departments where the user may file task requests."""
    return _orgs_with(user, OrgKind.DEPARTMENT, Cap.FILE_TASK_REQUESTS)


def _subtree(region_ids: set[int]) -> set[int]:
    """The regions and everything below them."""
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def _authority_regions(user: Any, caps: tuple[str, ...]) -> set[int]:
    regions: set[int] = set()
    for cap in caps:
        regions |= {o.region_id for o in _orgs_with(user, OrgKind.APPROVAL_AUTHORITY, cap)}
    return _subtree(regions) if regions else set()


def examine_regions(user: Any) -> set[int]:
    return _authority_regions(user, (Cap.EXAMINE_REQUESTS,))


def decide_regions(user: Any) -> set[int]:
    return _authority_regions(user, (Cap.DECIDE_REQUESTS,))


def authority_regions(user: Any) -> set[int]:
    """Regions the user oversees as the approval office or an authority member."""
    return _authority_regions(user, (Cap.EXAMINE_REQUESTS, Cap.DECIDE_REQUESTS))


def authority_org_for(user: Any, cap: str, region: Region) -> Organization | None:
    """The approval authority through which the user holds `cap` over `region` (None if none does)."""
    for org in _orgs_with(user, OrgKind.APPROVAL_AUTHORITY, cap):
        if region.pk in _subtree({org.region_id}):
            return org
    return None


def inbox_communities(user: Any) -> set[int]:
    """Communities whose admitted tasks the user sees: community staff who manage it or may refuse for it."""
    return communities_with_cap(user, Cap.MANAGE_COMMUNITY) | communities_with_cap(user, Cap.REFUSE_TASKS)


def refusing_communities(user: Any) -> set[int]:
    return communities_with_cap(user, Cap.REFUSE_TASKS)


def refusing_org(user: Any, community: Region) -> Organization | None:
    """The community body through which the user may refuse tasks and report for `community`."""
    for m in active_memberships(user):
        org = m.organization
        if org.region_id == community.pk and Cap.REFUSE_TASKS in CAPS_BY_ROLE.get(m.role, frozenset()):
            return org
    return None


def is_authority(user: Any) -> bool:
    return bool(authority_regions(user))


def may_file(user: Any) -> bool:
    return bool(filing_departments(user))


def may_examine(user: Any) -> bool:
    return bool(_orgs_with(user, OrgKind.APPROVAL_AUTHORITY, Cap.EXAMINE_REQUESTS))


def may_decide(user: Any) -> bool:
    return bool(_orgs_with(user, OrgKind.APPROVAL_AUTHORITY, Cap.DECIDE_REQUESTS))


def may_see_requests(user: Any) -> bool:
    # departments (their own), the authority (its region), communities (the requests admitted for them)
    return bool(department_ids(user)) or is_authority(user) or bool(inbox_communities(user))


def may_follow_tasks(user: Any) -> bool:
    # the departments that asked for admitted tasks and the authority that admitted them
    return bool(department_ids(user)) or is_authority(user)


def may_see_inbox(user: Any) -> bool:
    return bool(inbox_communities(user))


def may_refuse(user: Any) -> bool:
    return bool(refusing_communities(user))


def may_see_refusals(user: Any) -> bool:
    return bool(
        refusing_communities(user) or inbox_communities(user) or department_ids(user)
    ) or is_authority(user)


def may_see_reports(user: Any) -> bool:
    return may_see_refusals(user)


# --- predicates -------------------------------------------------------------------------------------------------


def can_file_request(user: Any, department: Organization) -> bool:
    # the department's own clerks or heads (file_task_requests in that department)
    return any(o.pk == department.pk for o in filing_departments(user))


def can_view_request(user: Any, req: TaskRequest) -> bool:
    # members of the requesting department
    if req.department_id in department_ids(user):
        return True
    # the approval authority over the department's region, once the request has been submitted
    if req.submitted_at is not None and req.department.region_id in authority_regions(user):
        return True
    # staff of a community the request was admitted for
    communities = inbox_communities(user)
    return bool(communities) and req.admitted_tasks.filter(community_id__in=communities).exists()


def can_edit_request(user: Any, req: TaskRequest) -> bool:
    # only the department's filers (whether the state allows editing is the service's 409)
    return can_file_request(user, req.department)


def is_conflicted(user: Any, req: TaskRequest) -> bool:
    """A reviewer may not review their own department's request, nor one they filed."""
    # a member of the requesting department (in any role)
    if req.department_id in department_ids(user):
        return True
    # the person who filed it
    return req.created_by_id == getattr(user, "pk", None)


def recommended_by(req: TaskRequest) -> int | None:
    """The user who gave the office's latest recommendation on the request."""
    review = (
        req.reviews.filter(stage=Review.Stage.EXAMINE)
        .exclude(outcome=Review.Outcome.RETURN)
        .order_by("-created_at", "-id")
        .first()
    )
    return review.actor_id if review is not None else None


def can_examine_request(user: Any, req: TaskRequest) -> bool:
    # the approval office over the department's region
    if req.department.region_id not in examine_regions(user):
        return False
    # never one's own department's request
    return not is_conflicted(user, req)


def can_decide_request(user: Any, req: TaskRequest) -> bool:
    # an authority member over the department's region
    if req.department.region_id not in decide_regions(user):
        return False
    # never one's own department's request
    if is_conflicted(user, req):
        return False
    # never a request one recommended
    return recommended_by(req) != getattr(user, "pk", None)


def can_revoke_request(user: Any, req: TaskRequest) -> bool:
    # an authority member over the department's region, not of the department itself
    return req.department.region_id in decide_regions(user) and not is_conflicted(user, req)


def can_view_task(user: Any, task: AdmittedTask) -> bool:
    # staff of the community the task is aimed at
    if task.community_id in inbox_communities(user):
        return True
    # members of the department that asked for it
    if task.department_id in department_ids(user):
        return True
    # the approval authority over the department's region
    return task.department.region_id in authority_regions(user)


def can_confirm_funding(user: Any, task: AdmittedTask) -> bool:
    # the community that receives the money confirms it arrived
    return task.community_id in refusing_communities(user)


def can_refuse_for(user: Any, community: Region) -> bool:
    # a community body's director or staff (refuse_tasks) in that community
    return community.pk in refusing_communities(user)


def can_view_refusal(user: Any, refusal: Refusal) -> bool:
    # the refusing community's staff
    if refusal.community_id in inbox_communities(user):
        return True
    # the department it was addressed to
    if refusal.department_id in department_ids(user):
        return True
    # the approval authority over the department's region
    return refusal.department.region_id in authority_regions(user)


def can_view_report(user: Any, report: InformalTaskReport) -> bool:
    # the reporting community's staff
    if report.community_id in inbox_communities(user):
        return True
    # the approval authority over the department's region (its supervision queue)
    if report.department.region_id in authority_regions(user):
        return True
    # the department, once it has been told the outcome
    return report.is_concluded and report.department_id in department_ids(user)


def can_handle_report(user: Any, report: InformalTaskReport) -> bool:
    # the approval authority over the department's region
    if report.department.region_id not in authority_regions(user):
        return False
    # not a member of the department reported on
    return report.department_id not in department_ids(user)


def can_add_report_evidence(user: Any, report: InformalTaskReport) -> bool:
    # the reporting community's refusers
    return report.community_id in refusing_communities(user)


def can_view_attachment(user: Any, attachment: Attachment) -> bool:
    # whoever may see the request or the report it belongs to
    if attachment.request is not None:
        return can_view_request(user, attachment.request)
    if attachment.report is not None:
        return can_view_report(user, attachment.report)
    return False


# --- lists and accessors ----------------------------------------------------------------------------------------


def requests_for_user(user: Any) -> QuerySet[TaskRequest]:
    visible = Q(department_id__in=department_ids(user))
    regions = authority_regions(user)
    if regions:
        visible |= Q(submitted_at__isnull=False, department__region_id__in=regions)
    communities = inbox_communities(user)
    if communities:
        visible |= Q(admitted_tasks__community_id__in=communities)
    return (
        TaskRequest.objects.filter(pk__in=TaskRequest.objects.filter(visible).values("pk"))
        .select_related("department", "department__region", "list_item", "created_by")
        .order_by("-created_at", "-id")
    )


def get_request_for_user(user: Any, pk: int) -> TaskRequest:
    req = (
        TaskRequest.objects.select_related("department", "department__region", "list_item", "created_by")
        .filter(pk=pk)
        .first()
    )
    if req is None or not can_view_request(user, req):
        raise NotFound("未找到该准入申请 / task request not found")
    return req


def get_request_for_edit(user: Any, pk: int) -> TaskRequest:
    """404 if the user may not see it; 403 if they may see it but not change it."""
    req = get_request_for_user(user, pk)
    if not can_edit_request(user, req):
        raise PermissionDenied("只有申请部门的经办人可以修改 / only the department's clerks may change it")
    return req


def tasks_for_user(user: Any) -> QuerySet[AdmittedTask]:
    visible = Q(community_id__in=inbox_communities(user)) | Q(department_id__in=department_ids(user))
    regions = authority_regions(user)
    if regions:
        visible |= Q(department__region_id__in=regions)
    return AdmittedTask.objects.filter(visible).select_related(
        "community", "department", "request", "list_item"
    )


def inbox_for_user(user: Any) -> QuerySet[AdmittedTask]:
    """The admitted tasks aimed at the user's own communities."""
    return (
        AdmittedTask.objects.filter(community_id__in=inbox_communities(user))
        .select_related("community", "department", "request", "list_item")
        .order_by("status", "starts_on", "id")
    )


def get_task_for_user(user: Any, pk: int) -> AdmittedTask:
    task = (
        AdmittedTask.objects.select_related(
            "community", "department", "department__region", "request", "list_item"
        )
        .filter(pk=pk)
        .first()
    )
    if task is None or not can_view_task(user, task):
        raise NotFound("未找到该准入事项 / admitted task not found")
    return task


def refusals_for_user(user: Any) -> QuerySet[Refusal]:
    visible = Q(community_id__in=inbox_communities(user)) | Q(department_id__in=department_ids(user))
    regions = authority_regions(user)
    if regions:
        visible |= Q(department__region_id__in=regions)
    return Refusal.objects.filter(visible).select_related(
        "community", "department", "organization", "admitted_task"
    )


def get_refusal_for_user(user: Any, pk: int) -> Refusal:
    refusal = (
        Refusal.objects.select_related(
            "community", "department", "department__region", "organization", "admitted_task"
        )
        .filter(pk=pk)
        .first()
    )
    if refusal is None or not can_view_refusal(user, refusal):
        raise NotFound("未找到该拒绝记录 / refusal not found")
    return refusal


def reports_for_user(user: Any) -> QuerySet[InformalTaskReport]:
    visible = Q(community_id__in=inbox_communities(user)) | Q(
        department_id__in=department_ids(user), status__in=InformalTaskReport.CONCLUDED
    )
    regions = authority_regions(user)
    if regions:
        visible |= Q(department__region_id__in=regions)
    return InformalTaskReport.objects.filter(visible).select_related(
        "community", "department", "organization"
    )


def get_report_for_user(user: Any, pk: int) -> InformalTaskReport:
    report = (
        InformalTaskReport.objects.select_related(
            "community", "department", "department__region", "organization"
        )
        .filter(pk=pk)
        .first()
    )
    if report is None or not can_view_report(user, report):
        raise NotFound("未找到该举报 / report not found")
    return report


def get_attachment_for_user(user: Any, pk: Any) -> Attachment:
    attachment = (
        Attachment.objects.select_related(
            "request",
            "request__department",
            "request__department__region",
            "report",
            "report__department",
            "report__department__region",
        )
        .filter(pk=pk, removed_at__isnull=True)
        .first()
    )
    if attachment is None or not can_view_attachment(user, attachment):
        raise NotFound("未找到该附件 / attachment not found")
    return attachment
