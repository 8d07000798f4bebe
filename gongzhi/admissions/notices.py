"""Who is told what when a request, a refusal or a report moves (through gongzhi.core.notify).

Called by the services inside their transaction; the in-app rows roll back with the change and mail goes out
only after commit. The actor is never notified of their own action.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, Refusal, Review, TaskRequest
from gongzhi.core import notify
from gongzhi.core.models import User
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.orgs.models import Membership, Organization, Region


def _holders(orgs: Iterable[Organization], caps: set[str] | None = None) -> list[User]:
    members = Membership.objects.filter(
        organization__in=list(orgs), revoked_at__isnull=True, user__is_active=True
    ).select_related("user")
    users: dict[int, User] = {}
    for m in members:
        if caps is None or caps & CAPS_BY_ROLE.get(m.role, frozenset()):
            users[m.user_id] = m.user
    return list(users.values())


def _covering_authorities(region: Region) -> list[Organization]:
    ids = [region.pk, *(a.pk for a in region.ancestors())]
    return list(
        Organization.objects.filter(kind=OrgKind.APPROVAL_AUTHORITY, region_id__in=ids, is_active=True)
    )


def office_users(region: Region) -> list[User]:
    return _holders(_covering_authorities(region), {Cap.EXAMINE_REQUESTS})


def authority_users(region: Region) -> list[User]:
    return _holders(_covering_authorities(region), {Cap.DECIDE_REQUESTS})


def supervisors(region: Region) -> list[User]:
    return _holders(_covering_authorities(region), {Cap.EXAMINE_REQUESTS, Cap.DECIDE_REQUESTS})


def department_users(department: Organization) -> list[User]:
    return _holders([department])


def community_users(community_ids: Iterable[int]) -> list[User]:
    orgs = Organization.objects.filter(region_id__in=list(community_ids), is_active=True)
    return _holders(orgs, {Cap.REFUSE_TASKS, Cap.MANAGE_COMMUNITY})


def _url(name: str, pk: object) -> str:
    return reverse(f"admissions:{name}", args=[pk])


def _actor(obj: object, name: str) -> User | None:
    user = getattr(obj, name, None)
    return user if isinstance(user, User) else None


def request_submitted(req: TaskRequest) -> None:
    notify.send(
        office_users(req.department.region),
        event="admissions.request.submitted",
        title=f"新的准入申请待审查:{req.title} / new task request to examine",
        body=f"{req.department.name} 提交;应于 {req.decision_due} 前作出决定。",
        url=_url("request_detail", req.pk),
        exclude=req.created_by,
    )


def request_withdrawn(req: TaskRequest) -> None:
    notify.send(
        supervisors(req.department.region),
        event="admissions.request.withdrawn",
        title=f"准入申请已撤回:{req.title} / task request withdrawn",
        body=f"{req.department.name} 撤回了该申请。",
        url=_url("request_detail", req.pk),
    )


def request_examined(req: TaskRequest, review: Review) -> None:
    url = _url("request_detail", req.pk)
    if review.outcome == Review.Outcome.RETURN:
        notify.send(
            department_users(req.department),
            event="admissions.request.returned",
            title=f"准入申请被退回修改:{req.title} / task request returned",
            body=review.comments,
            url=url,
            exclude=review.actor,
        )
        return
    notify.send(
        authority_users(req.department.region),
        event="admissions.request.recommended",
        title=f"准入申请待决定:{req.title} / task request awaiting a decision",
        body=f"审批办意见:{review.get_outcome_display()}。{review.comments}",
        url=url,
        exclude=review.actor,
    )
    notify.send(
        department_users(req.department),
        event="admissions.request.recommended",
        title=f"审批办已提出审查意见:{req.title} / the office has examined your request",
        body=f"{review.get_outcome_display()}。{review.comments}",
        url=url,
        exclude=review.actor,
    )


def request_decided(req: TaskRequest, review: Review) -> None:
    url = _url("request_detail", req.pk)
    label = review.get_outcome_display()
    notify.send(
        [*department_users(req.department), *office_users(req.department.region)],
        event="admissions.request.decided",
        title=f"准入决定:{label} · {req.title} / decision: {review.outcome}",
        body=f"{review.meeting_ref} {review.comments}".strip(),
        url=url,
        exclude=review.actor,
    )
    if review.outcome != Review.Outcome.APPROVE:
        return
    for task in req.admitted_tasks.select_related("community"):
        notify.send(
            community_users([task.community_id]),
            event="admissions.task.admitted",
            title=f"新的准入事项:{task.title} / a new admitted task",
            body=_task_summary(task),
            url=_url("task_detail", task.pk),
            exclude=review.actor,
        )


def _task_summary(task: AdmittedTask) -> str:
    funding = (
        f"经费 {task.funding_required_yuan} 元/年,应于 {task.funding_due} 前到位"
        if task.funding_required_fen
        else "无经费"
    )
    return f"{task.department.name};自 {task.starts_on} 起;{funding}。"


def request_revoked(req: TaskRequest) -> None:
    communities = list(req.admitted_tasks.values_list("community_id", flat=True))
    notify.send(
        [*department_users(req.department), *community_users(communities)],
        event="admissions.request.revoked",
        title=f"准入事项退出:{req.title} / admitted task revoked",
        body=req.revoke_reason,
        url=_url("request_detail", req.pk),
    )


def refusal_lodged(refusal: Refusal) -> None:
    notify.send(
        [*department_users(refusal.department), *supervisors(refusal.department.region)],
        event="admissions.refusal.lodged",
        title=f"{refusal.community.name}拒绝:{refusal.title} / a community refused work",
        body=f"{refusal.get_reason_display()}。{refusal.details}",
        url=_url("refusal_detail", refusal.pk),
        exclude=refusal.created_by,
    )


def report_filed(report: InformalTaskReport) -> None:
    notify.send(
        supervisors(report.department.region),
        event="admissions.report.filed",
        title=f"摊派举报:{report.department.name} · {report.title} / informal task reported",
        body=f"{report.community.name} 举报,布置日期 {report.demanded_on}。",
        url=_url("report_detail", report.pk),
        exclude=report.created_by,
    )


def report_advanced(report: InformalTaskReport) -> None:
    url = _url("report_detail", report.pk)
    title = f"摊派举报{report.get_status_display()}:{report.title} / report {report.status}"
    notify.send(
        community_users([report.community_id]),
        event=f"admissions.report.{report.status}",
        title=title,
        body=report.finding,
        url=url,
        exclude=_actor(report, "handled_by"),
    )
    if report.is_concluded:
        notify.send(
            department_users(report.department),
            event=f"admissions.report.{report.status}",
            title=title,
            body=report.finding,
            url=url,
            exclude=_actor(report, "handled_by"),
        )


# --- due dates (gongzhi admission_reminders, daily) ------------------------------------------------------------

REMIND_WORKDAYS = 2


def due_reminders() -> dict[str, int]:
    """Send the day's due-date reminders; each reaches a user at most once (notification keys)."""
    from gongzhi.admissions import precheck
    from gongzhi.core import workdays

    today = precheck.today()
    soon, _cal = workdays.add_workdays(today, REMIND_WORKDAYS)
    counts = {"decisions": 0, "funding": 0, "starts": 0}
    waiting = TaskRequest.objects.filter(
        status__in=[TaskRequest.Status.SUBMITTED, TaskRequest.Status.UNDER_REVIEW], decision_due__lte=soon
    ).select_related("department", "department__region")
    for req in waiting:
        overdue = req.decision_due is not None and req.decision_due < today
        to = (
            office_users(req.department.region)
            if req.status == TaskRequest.Status.SUBMITTED
            else authority_users(req.department.region)
        )
        label = "已逾期" if overdue else "即将到期"
        counts["decisions"] += len(
            notify.send(
                to,
                event="admissions.request.decision_due",
                title=f"准入决定{label}:{req.title} / decision {'overdue' if overdue else 'due soon'}",
                body=f"应于 {req.decision_due} 前作出决定。",
                url=_url("request_detail", req.pk),
                key=f"admissions.decision_due:{req.pk}:{req.status}:{'overdue' if overdue else 'soon'}",
            )
        )
    unpaid = AdmittedTask.objects.filter(
        status=AdmittedTask.Status.ACTIVE, funding_due__lt=today, funding_required_fen__gt=0
    ).select_related("department", "community")
    for task in unpaid:
        if task.funding_received_fen >= task.funding_required_fen:
            continue
        counts["funding"] += len(
            notify.send(
                [*department_users(task.department), *community_users([task.community_id])],
                event="admissions.task.funding_overdue",
                title=f"经费逾期未到位:{task.title} · {task.community.name} / funding overdue",
                body=(
                    f"应于 {task.funding_due} 前到位 {task.funding_required_yuan} 元,已到位 {task.funding_received_yuan} 元。"
                    "社区可依规拒绝该项工作。"
                ),
                url=_url("task_detail", task.pk),
                key=f"admissions.funding_overdue:{task.pk}",
            )
        )
    starting = AdmittedTask.objects.filter(
        status=AdmittedTask.Status.ACTIVE, starts_on__gte=today, starts_on__lte=soon
    ).select_related("department", "community")
    for task in starting:
        counts["starts"] += len(
            notify.send(
                community_users([task.community_id]),
                event="admissions.task.starting",
                title=f"准入事项即将开始:{task.title} / admitted task starts soon",
                body=_task_summary(task),
                url=_url("task_detail", task.pk),
                key=f"admissions.task_starting:{task.pk}",
            )
        )
    return counts
