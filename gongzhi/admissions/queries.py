"""Reads that are more than a filter: a request's target communities, the regions a department may aim at,
queues and counts for the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gongzhi.admissions import permissions
from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, TaskRequest
from gongzhi.orgs.models import Organization, Region

GRASSROOTS = (Region.Kind.COMMUNITY, Region.Kind.VILLAGE)
DISTRICT_KINDS = (Region.Kind.DISTRICT, Region.Kind.COUNTY)


def subtree_ids(region: Region) -> set[int]:
    return permissions._subtree({region.pk})


def communities_under(region: Region) -> QuerySet[Region]:
    """Every community and village in `region` (itself included if it is one)."""
    return Region.objects.filter(pk__in=subtree_ids(region), kind__in=GRASSROOTS).order_by("code")


def districts_for(department: Organization) -> QuerySet[Region]:
    """The districts and counties a department may aim a request at (those in its region)."""
    return Region.objects.filter(pk__in=subtree_ids(department.region), kind__in=DISTRICT_KINDS).order_by(
        "code"
    )


def target_communities(req: TaskRequest) -> list[Region]:
    """The communities a request is aimed at, resolved now."""
    if req.target == TaskRequest.Target.ALL:
        return list(communities_under(req.department.region))
    if req.target == TaskRequest.Target.DISTRICT:
        if req.target_district is None:
            return []
        return list(communities_under(req.target_district))
    return list(req.target_communities.order_by("code"))


def target_label(req: TaskRequest) -> str:
    if req.target == TaskRequest.Target.ALL:
        return f"{req.department.region.name}全部社区"
    if req.target == TaskRequest.Target.DISTRICT and req.target_district is not None:
        return f"{req.target_district.name}全部社区"
    names = [r.name for r in req.target_communities.order_by("code")[:6]]
    more = req.target_communities.count() - len(names)
    return "、".join(names) + (f" 等{len(names) + more}个社区" if more > 0 else "")


def office_queue(user: Any) -> QuerySet[TaskRequest]:
    """Requests waiting for the office's examination in the user's region."""
    return (
        permissions.requests_for_user(user)
        .filter(
            status=TaskRequest.Status.SUBMITTED, department__region_id__in=permissions.examine_regions(user)
        )
        .order_by("decision_due", "submitted_at")
    )


def decision_queue(user: Any) -> QuerySet[TaskRequest]:
    """Requests waiting for the authority's decision in the user's region."""
    return (
        permissions.requests_for_user(user)
        .filter(
            status=TaskRequest.Status.UNDER_REVIEW, department__region_id__in=permissions.decide_regions(user)
        )
        .order_by("decision_due", "submitted_at")
    )


def supervision_queue(user: Any) -> QuerySet[InformalTaskReport]:
    return (
        permissions.reports_for_user(user)
        .filter(department__region_id__in=permissions.authority_regions(user))
        .exclude(status__in=InformalTaskReport.CONCLUDED)
    )


def active_inbox(user: Any) -> QuerySet[AdmittedTask]:
    return permissions.inbox_for_user(user).filter(status=AdmittedTask.Status.ACTIVE)
