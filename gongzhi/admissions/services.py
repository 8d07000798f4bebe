"""Every write of the admission mechanism: task requests through their workflow, reviews, admitted tasks,
refusals, informal-task reports and attachments.

Each service takes keyword-only arguments and an explicit `actor`, runs in one transaction, checks who may act
(PermissionDenied 403; the accessors in permissions.py already answered 404 for what the actor may not see),
and writes its audit entry in the same transaction. Status changes go through core.states.move (one audit entry
per transition; a wrong state is 409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from gongzhi.admissions import files, notices, permissions, precheck, queries
from gongzhi.admissions.models import (
    AdmittedTask,
    Attachment,
    FormFrequency,
    InformalTaskReport,
    Refusal,
    Review,
    TaskRequest,
)
from gongzhi.core import audit, states
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region

MAX_FUNDING_FEN = 10**12
MAX_ATTACHMENTS = 20
LIMITS = {
    "title": 200,
    "description": 8000,
    "legal_basis": 4000,
    "contact_name": 60,
    "contact_phone": 30,
}


def _raise_if(problems: dict[str, str], what: str) -> None:
    if problems:
        first = next(iter(problems.values()))
        raise ValidationFailed(f"{what}:{first}", fields=problems)


# --- task requests -------------------------------------------------------------------------------------------


@dataclass
class RequestData:
    """A request's fields before they are written (from the form or the API)."""

    title: str
    description: str
    kind: str
    starts_on: dt.date | None
    ends_on: dt.date | None = None
    legal_basis: str = ""
    target: str = TaskRequest.Target.ALL
    target_district: Region | None = None
    target_communities: list[Region] = field(default_factory=list)
    hours_per_month: int = 0
    forms_count: int = 0
    forms_frequency: str = FormFrequency.NONE
    plaques_count: int = 0
    funding_fen: int = 0
    contact_name: str = ""
    contact_phone: str = ""

    @classmethod
    def of(cls, req: TaskRequest) -> RequestData:
        return cls(
            title=req.title,
            description=req.description,
            kind=req.kind,
            starts_on=req.starts_on,
            ends_on=req.ends_on,
            legal_basis=req.legal_basis,
            target=req.target,
            target_district=req.target_district,
            target_communities=list(req.target_communities.all()),
            hours_per_month=req.hours_per_month,
            forms_count=req.forms_count,
            forms_frequency=req.forms_frequency,
            plaques_count=req.plaques_count,
            funding_fen=req.funding_fen,
            contact_name=req.contact_name,
            contact_phone=req.contact_phone,
        )

    def draft(self) -> precheck.Draft:
        return precheck.Draft(
            title=self.title,
            description=self.description,
            kind=self.kind,
            starts_on=self.starts_on,
            funding_fen=self.funding_fen,
            forms_count=self.forms_count,
            plaques_count=self.plaques_count,
            legal_basis=self.legal_basis,
        )


def request_problems(data: RequestData, department: Organization) -> dict[str, str]:
    """Field → bilingual message for everything wrong with a request's fields."""
    problems: dict[str, str] = {}
    if not data.title.strip():
        problems["title"] = "事项名称不能为空 / the title is required"
    if not data.description.strip():
        problems["description"] = "工作内容不能为空 / the description is required"
    for name, limit in LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems[name] = f"不能超过{limit}字 / at most {limit} characters"
    if data.kind not in TaskRequest.Kind.values:
        problems["kind"] = "请选择事项类型 / choose the kind of work"
    if data.starts_on is None:
        problems["starts_on"] = "请填写开始日期 / the start date is required"
    elif data.ends_on is not None and data.ends_on < data.starts_on:
        problems["ends_on"] = "结束日期不能早于开始日期 / the end date is before the start date"
    if not 0 <= data.hours_per_month <= 744:
        problems["hours_per_month"] = "每月工时须在0至744之间 / hours per month must be 0–744"
    if not 0 <= data.forms_count <= 1000:
        problems["forms_count"] = "表格数须在0至1000之间 / forms must be 0–1000"
    if data.forms_frequency not in FormFrequency.values:
        problems["forms_frequency"] = "请选择填报频次 / choose how often"
    elif data.forms_count > 0 and data.forms_frequency == FormFrequency.NONE:
        problems["forms_frequency"] = "要求填表时须选择填报频次 / say how often the forms are due"
    elif data.forms_count == 0 and data.forms_frequency != FormFrequency.NONE:
        problems["forms_count"] = "选择了填报频次时须填写表格数 / give the number of forms"
    if not 0 <= data.plaques_count <= 50:
        problems["plaques_count"] = "牌子数须在0至50之间 / plaques must be 0–50"
    if not isinstance(data.funding_fen, int) or data.funding_fen < 0:
        problems["funding_fen"] = "经费不能为负数 / funding cannot be negative"
    elif data.funding_fen > MAX_FUNDING_FEN:
        problems["funding_fen"] = "经费数额过大 / funding is too large"
    in_scope = queries.subtree_ids(department.region)
    if data.target not in TaskRequest.Target.values:
        problems["target"] = "请选择实施范围 / choose the target"
    elif data.target == TaskRequest.Target.DISTRICT:
        d = data.target_district
        if d is None:
            problems["target_district"] = "请选择区(县) / choose the district"
        elif d.kind not in queries.DISTRICT_KINDS or d.pk not in in_scope:
            problems["target_district"] = (
                "须为本部门辖区内的区(县) / a district within the department's region"
            )
    elif data.target == TaskRequest.Target.CHOSEN:
        if not data.target_communities:
            problems["target_communities"] = "请至少选择一个社区 / choose at least one community"
        elif any(c.kind not in queries.GRASSROOTS or c.pk not in in_scope for c in data.target_communities):
            problems["target_communities"] = (
                "只能选择本部门辖区内的社区 / only communities within the department's region"
            )
    return problems


def _write_fields(req: TaskRequest, data: RequestData) -> list[str]:
    values: dict[str, Any] = {
        "title": data.title.strip(),
        "description": data.description.strip(),
        "legal_basis": data.legal_basis.strip(),
        "kind": data.kind,
        "target": data.target,
        "target_district": data.target_district if data.target == TaskRequest.Target.DISTRICT else None,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "hours_per_month": data.hours_per_month,
        "forms_count": data.forms_count,
        "forms_frequency": data.forms_frequency,
        "plaques_count": data.plaques_count,
        "funding_fen": data.funding_fen,
        "contact_name": data.contact_name.strip(),
        "contact_phone": data.contact_phone.strip(),
    }
    changed = []
    for name, value in values.items():
        if getattr(req, name) != value:
            setattr(req, name, value)
            changed.append(name)
    return changed


def _set_targets(req: TaskRequest, data: RequestData) -> bool:
    wanted = {c.pk for c in data.target_communities} if data.target == TaskRequest.Target.CHOSEN else set()
    current = set(req.target_communities.values_list("pk", flat=True))
    if wanted != current:
        req.target_communities.set(wanted)
        return True
    return False


@transaction.atomic
def create_request(
    *, actor: User, department: Organization, data: RequestData, is_sample: bool = False
) -> TaskRequest:
    """A new request in draft, filed by a clerk of `department`."""
    if department.kind != OrgKind.DEPARTMENT or not permissions.can_file_request(actor, department):
        raise PermissionDenied(
            "只有部门经办人可以提出准入申请 / only a department's clerks may file requests"
        )
    _raise_if(request_problems(data, department), "申请信息有误 / invalid request")
    req = TaskRequest(department=department, created_by=actor, is_sample=is_sample)
    _write_fields(req, data)
    req.save()
    _set_targets(req, data)
    audit.record(
        "admissions.request.create",
        actor=actor,
        target=req,
        data={"department": department.pk, "kind": req.kind, "target": req.target},
    )
    return req


@transaction.atomic
def update_request(*, actor: User, request: TaskRequest, data: RequestData) -> TaskRequest:
    """Change a draft or a returned request (a returned one goes back to draft)."""
    if not permissions.can_edit_request(actor, request):
        raise PermissionDenied("只有申请部门的经办人可以修改 / only the department's clerks may change it")
    locked = TaskRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if locked.status not in TaskRequest.EDITABLE:
        raise InvalidTransition("已提交的申请不能修改 / a submitted request cannot be changed")
    _raise_if(request_problems(data, locked.department), "申请信息有误 / invalid request")
    if locked.status == TaskRequest.Status.RETURNED:
        states.move(locked, TaskRequest.Status.DRAFT, actor=actor, action="admissions.request.reopen")
    changed = _write_fields(locked, data)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    if _set_targets(locked, data):
        changed.append("target_communities")
    if changed:
        audit.record("admissions.request.update", actor=actor, target=locked, data={"fields": changed})
    return locked


def _lock(request: TaskRequest) -> TaskRequest:
    """The request re-read under a row lock: decisions are taken on the stored state, never on a stale copy."""
    return (
        TaskRequest.objects.select_for_update(of=("self",))
        .select_related("department", "department__region", "list_item")
        .get(pk=request.pk)
    )


def _precheck_failure(result: precheck.Precheck) -> ValidationFailed:
    return ValidationFailed(
        result.errors[0],
        fields={"precheck": ";".join(result.errors)},
        code="precheck_failed",
    )


@transaction.atomic
def submit_request(*, actor: User, request: TaskRequest) -> TaskRequest:
    """Run the pre-check and submit. Excluded work and failed rules are refused (422, nothing written); the
    community's own duty closes the request as guidance only; anything else goes to the approval office."""
    if not permissions.can_edit_request(actor, request):
        raise PermissionDenied("只有申请部门的经办人可以提交 / only the department's clerks may submit it")
    locked = (
        TaskRequest.objects.select_for_update(of=("self",)).select_related("department").get(pk=request.pk)
    )
    if locked.status not in TaskRequest.EDITABLE:
        raise InvalidTransition("该申请已提交 / the request has already been submitted")
    data = RequestData.of(locked)
    _raise_if(request_problems(data, locked.department), "申请信息有误 / invalid request")
    if not queries.target_communities(locked):
        raise ValidationFailed(
            "实施范围内没有社区 / there is no community in the target", fields={"target": "empty"}
        )
    result = precheck.check(data.draft())
    if not result.can_submit:
        raise _precheck_failure(result)
    now = timezone.now()
    fields: dict[str, Any] = {
        "precheck": result.as_dict(),
        "verdict": result.verdict,
        "needs_authority": result.needs_authority,
        "list_item_id": result.item_id,
        "submitted_at": now,
    }
    if result.route == precheck.Route.GUIDANCE:
        states.move(
            locked,
            TaskRequest.Status.GUIDANCE,
            actor=actor,
            fields=fields,
            data={"verdict": result.verdict, "item": result.item_code},
            action="admissions.request.guidance",
        )
    else:
        fields["decision_due"] = dt.date.fromisoformat(result.decision_due)
        states.move(
            locked,
            TaskRequest.Status.SUBMITTED,
            actor=actor,
            fields=fields,
            data={"verdict": result.verdict, "route": result.route, "item": result.item_code},
            action="admissions.request.submit",
        )
        notices.request_submitted(locked)
    return locked


@transaction.atomic
def withdraw_request(*, actor: User, request: TaskRequest, reason: str = "") -> TaskRequest:
    """The department withdraws its request before a decision."""
    if not permissions.can_edit_request(actor, request):
        raise PermissionDenied("只有申请部门的经办人可以撤回 / only the department's clerks may withdraw it")
    request = _lock(request)
    was_submitted = request.submitted_at is not None
    states.move(
        request,
        TaskRequest.Status.WITHDRAWN,
        actor=actor,
        reason=reason.strip()[:500],
        action="admissions.request.withdraw",
    )
    if was_submitted:
        notices.request_withdrawn(request)
    return request


def _require_examiner(actor: User, req: TaskRequest) -> Organization:
    org = permissions.authority_org_for(actor, "examine_requests", req.department.region)
    if org is None:
        raise PermissionDenied("只有审批办可以审查准入申请 / only the approval office examines requests")
    if permissions.is_conflicted(actor, req):
        raise PermissionDenied(
            "不得审查本部门或本人提交的申请 / you may not review your own department's request"
        )
    return org


def _require_decider(actor: User, req: TaskRequest) -> Organization:
    org = permissions.authority_org_for(actor, "decide_requests", req.department.region)
    if org is None:
        raise PermissionDenied("只有审批机构成员可以作出准入决定 / only an authority member decides")
    if permissions.is_conflicted(actor, req):
        raise PermissionDenied(
            "不得审查本部门或本人提交的申请 / you may not review your own department's request"
        )
    if permissions.recommended_by(req) == actor.pk:
        raise PermissionDenied(
            "提出审查意见的人不得再作决定 / you recommended on this request and may not also decide it"
        )
    return org


@transaction.atomic
def examine_request(*, actor: User, request: TaskRequest, outcome: str, comments: str = "") -> Review:
    """The approval office examines a submitted request: recommends approval or rejection (it goes to the
    authority), or returns it to the department with comments."""
    org = _require_examiner(actor, request)
    if outcome not in Review.OUTCOMES_BY_STAGE[Review.Stage.EXAMINE]:
        raise ValidationFailed("请选择审查意见 / choose a recommendation", fields={"outcome": "invalid"})
    comments = comments.strip()
    if outcome != Review.Outcome.RECOMMEND_APPROVE and not comments:
        raise ValidationFailed(
            "建议不予准入或退回时须写明理由 / give your reasons", fields={"comments": "required"}
        )
    if len(comments) > 4000:
        raise ValidationFailed(
            "意见不能超过4000字 / at most 4000 characters", fields={"comments": "too_long"}
        )
    to = TaskRequest.Status.RETURNED if outcome == Review.Outcome.RETURN else TaskRequest.Status.UNDER_REVIEW
    request = _lock(request)
    if request.status != TaskRequest.Status.SUBMITTED:
        # under_review → returned is the authority's; the office examines only what is waiting for it
        raise InvalidTransition("该申请不在待审查状态 / the request is not waiting for examination")
    states.move(
        request,
        to,
        actor=actor,
        reason=comments[:500],
        data={"stage": Review.Stage.EXAMINE, "outcome": outcome},
        action="admissions.request.return"
        if to == TaskRequest.Status.RETURNED
        else "admissions.request.recommend",
    )
    review = Review.objects.create(
        request=request,
        stage=Review.Stage.EXAMINE,
        outcome=outcome,
        actor=actor,
        organization=org,
        comments=comments,
    )
    notices.request_examined(request, review)
    return review


@transaction.atomic
def decide_request(
    *, actor: User, request: TaskRequest, outcome: str, meeting_ref: str = "", comments: str = ""
) -> Review:
    """An authority member decides a request the office has examined: approve (admitted tasks are created for
    every target community), reject, or return it to the department. Approval and rejection record the meeting
    reference (会议纪要 or 文号)."""
    org = _require_decider(actor, request)
    if outcome not in Review.OUTCOMES_BY_STAGE[Review.Stage.DECIDE]:
        raise ValidationFailed("请选择决定 / choose a decision", fields={"outcome": "invalid"})
    meeting_ref, comments = meeting_ref.strip(), comments.strip()
    problems: dict[str, str] = {}
    if outcome != Review.Outcome.RETURN and not meeting_ref:
        problems["meeting_ref"] = "须填写会议纪要或文号 / give the meeting minutes or document number"
    if len(meeting_ref) > 120:
        problems["meeting_ref"] = "不能超过120字 / at most 120 characters"
    if outcome != Review.Outcome.APPROVE and not comments:
        problems["comments"] = "不予准入或退回时须写明理由 / give your reasons"
    if len(comments) > 4000:
        problems["comments"] = "不能超过4000字 / at most 4000 characters"
    _raise_if(problems, "决定信息有误 / invalid decision")
    request = _lock(request)
    if request.status != TaskRequest.Status.UNDER_REVIEW:
        raise InvalidTransition("该申请不在待决定状态 / the request is not waiting for a decision")
    now = timezone.now()
    if outcome == Review.Outcome.RETURN:
        states.move(
            request,
            TaskRequest.Status.RETURNED,
            actor=actor,
            reason=comments[:500],
            data={"stage": Review.Stage.DECIDE, "outcome": outcome},
            action="admissions.request.return",
        )
    elif outcome == Review.Outcome.REJECT:
        states.move(
            request,
            TaskRequest.Status.REJECTED,
            actor=actor,
            reason=comments[:500],
            fields={"decided_at": now, "meeting_ref": meeting_ref},
            data={"meeting_ref": meeting_ref},
            action="admissions.request.reject",
        )
    else:
        _approve(actor=actor, request=request, meeting_ref=meeting_ref, now=now)
    review = Review.objects.create(
        request=request,
        stage=Review.Stage.DECIDE,
        outcome=outcome,
        actor=actor,
        organization=org,
        comments=comments,
        meeting_ref=meeting_ref,
    )
    notices.request_decided(request, review)
    return review


def _approve(*, actor: User, request: TaskRequest, meeting_ref: str, now: dt.datetime) -> None:
    communities = queries.target_communities(request)
    if not communities:
        raise ValidationFailed(
            "实施范围内没有社区 / there is no community in the target", fields={"target": "empty"}
        )
    proposed = None
    if request.verdict == "unlisted":
        proposed = _propose_list_item(actor=actor, request=request, meeting_ref=meeting_ref)
    states.move(
        request,
        TaskRequest.Status.APPROVED,
        actor=actor,
        fields={"decided_at": now, "meeting_ref": meeting_ref, "proposed_item": proposed},
        data={
            "meeting_ref": meeting_ref,
            "communities": len(communities),
            "proposed_item": proposed.code if proposed else None,
        },
        action="admissions.request.approve",
    )
    requires_agreement = bool(request.precheck.get("requires_agreement")) or request.verdict == "unlisted"
    tasks = AdmittedTask.objects.bulk_create(
        AdmittedTask(
            request=request,
            community=community,
            department=request.department,
            list_item=request.list_item,
            proposed_item=proposed,
            title=request.title,
            kind=request.kind,
            starts_on=request.starts_on,
            ends_on=request.ends_on,
            hours_per_month=request.hours_per_month,
            forms_count=request.forms_count,
            forms_frequency=request.forms_frequency,
            plaques_count=request.plaques_count,
            funding_required_fen=request.funding_fen,
            funding_due=request.starts_on if request.funding_fen > 0 else None,
            requires_agreement=requires_agreement,
            admitted_at=now,
            is_sample=request.is_sample,
        )
        for community in communities
    )
    audit.record(
        "admissions.task.admit",
        actor=actor,
        target=request,
        data={"tasks": len(tasks), "communities": [c.code for c in communities][:200]},
    )


def _propose_list_item(*, actor: User, request: TaskRequest, meeting_ref: str) -> Any:
    """An approved unlisted task becomes a draft item of the next list edition (duties.services.propose_item)."""
    from gongzhi.duties import services as duties_services

    scope = duties_services.scope_for(request.department.region)
    data = duties_services.ItemData(
        kind="assisting",
        code=f"ZR-{request.pk}",
        title=request.title[:200],
        category="准入新增",
        description=request.description[:4000],
        legal_basis=request.legal_basis[:2000],
        department=request.department,
        funding_fen=request.funding_fen,
        source=f"准入决定:{meeting_ref}(准入申请 #{request.pk})"[:1000],
    )
    return duties_services.propose_item(actor=actor, scope=scope, data=data, basis=meeting_ref)


@transaction.atomic
def revoke_request(*, actor: User, request: TaskRequest, reason: str) -> TaskRequest:
    """退出: the authority withdraws an admitted task from every community, with a reason."""
    if not permissions.can_revoke_request(actor, request):
        raise PermissionDenied("只有审批机构成员可以决定退出 / only an authority member may revoke")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("须写明退出理由 / give the reason", fields={"reason": "required"})
    if len(reason) > 4000:
        raise ValidationFailed("不能超过4000字 / at most 4000 characters", fields={"reason": "too_long"})
    now = timezone.now()
    states.move(
        request,
        TaskRequest.Status.REVOKED,
        actor=actor,
        reason=reason[:500],
        fields={"revoked_at": now, "revoke_reason": reason},
        action="admissions.request.revoke",
    )
    for task in request.admitted_tasks.filter(status=AdmittedTask.Status.ACTIVE):
        states.move(
            task,
            AdmittedTask.Status.REVOKED,
            actor=actor,
            reason=reason[:500],
            fields={"revoked_at": now, "revoke_reason": reason},
            action="admissions.task.revoke",
        )
    notices.request_revoked(request)
    return request


# --- admitted tasks ------------------------------------------------------------------------------------------


@transaction.atomic
def confirm_funding(*, actor: User, task: AdmittedTask, amount_fen: int) -> AdmittedTask:
    """The community confirms that funding for an admitted task arrived (adds to what arrived before)."""
    if not permissions.can_confirm_funding(actor, task):
        raise PermissionDenied("只有该社区可以确认经费到位 / only the community confirms the funding")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed("金额须大于0 / the amount must be positive", fields={"amount_fen": "invalid"})
    if amount_fen > MAX_FUNDING_FEN:
        raise ValidationFailed("金额过大 / the amount is too large", fields={"amount_fen": "too_large"})
    locked = AdmittedTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
    if locked.status != AdmittedTask.Status.ACTIVE:
        raise InvalidTransition("该事项已退出 / the task has been revoked")
    locked.funding_received_fen += amount_fen
    locked.save(update_fields=["funding_received_fen"])
    audit.record(
        "admissions.task.funding",
        actor=actor,
        target=locked,
        data={"amount_fen": amount_fen, "received_fen": locked.funding_received_fen},
    )
    task.funding_received_fen = locked.funding_received_fen
    return locked


# --- refusals ------------------------------------------------------------------------------------------------


@dataclass
class RefusalData:
    reason: str
    details: str
    title: str = ""
    department: Organization | None = None
    admitted_task: AdmittedTask | None = None
    task_request: TaskRequest | None = None
    demanded_on: dt.date | None = None


@transaction.atomic
def lodge_refusal(*, actor: User, community: Region, data: RefusalData) -> Refusal:
    """拒绝权: the community refuses, with a reason, work that was not admitted, whose funding did not arrive by
    its due date, or that goes beyond the admitted scope."""
    org = permissions.refusing_org(actor, community)
    if org is None:
        raise PermissionDenied("只有社区居委会可以行使拒绝权 / only the community's committee may refuse")
    problems: dict[str, str] = {}
    details, title = data.details.strip(), data.title.strip()
    if not details:
        problems["details"] = "须写明拒绝的理由 / explain the refusal"
    if len(details) > 4000:
        problems["details"] = "不能超过4000字 / at most 4000 characters"
    if len(title) > 200:
        problems["title"] = "不能超过200字 / at most 200 characters"
    today = precheck.today()
    if data.demanded_on is not None and data.demanded_on > today:
        problems["demanded_on"] = "日期不能晚于今天 / the date cannot be in the future"
    if data.reason not in Refusal.Reason.values:
        problems["reason"] = "请选择拒绝理由 / choose the reason"
    _raise_if(problems, "拒绝信息有误 / invalid refusal")

    task = data.admitted_task
    department = data.department
    if data.reason == Refusal.Reason.NOT_ADMITTED:
        if task is not None:
            raise ValidationFailed(
                "已准入的事项不能以“未经准入”拒绝 / an admitted task cannot be refused as not admitted",
                fields={"reason": "admitted"},
            )
        if department is None or department.kind != OrgKind.DEPARTMENT:
            raise ValidationFailed(
                "请选择提出要求的部门 / choose the department", fields={"department": "required"}
            )
        if not title:
            raise ValidationFailed(
                "请写明被拒绝的工作 / say what work is refused", fields={"title": "required"}
            )
        req = data.task_request
        if req is not None:
            if req.department_id != department.pk:
                raise ValidationFailed(
                    "申请与部门不符 / the request is not that department's",
                    fields={"task_request": "mismatch"},
                )
            if req.admitted_tasks.filter(community=community, status=AdmittedTask.Status.ACTIVE).exists():
                raise ValidationFailed(
                    "该工作已对本社区准入,不能以“未经准入”拒绝 / that work was admitted for this community",
                    fields={"task_request": "admitted"},
                )
    else:
        if task is None:
            raise ValidationFailed(
                "请选择准入事项 / choose the admitted task", fields={"admitted_task": "required"}
            )
        task = (
            AdmittedTask.objects.select_for_update(of=("self",)).select_related("department").get(pk=task.pk)
        )
        if task.community_id != community.pk:
            raise ValidationFailed(
                "该事项不是本社区的 / the task is not this community's",
                fields={"admitted_task": "other_community"},
            )
        if task.status != AdmittedTask.Status.ACTIVE:
            raise InvalidTransition("该事项已退出 / the task has been revoked")
        department = task.department
        title = title or task.title
        if data.reason == Refusal.Reason.FUNDING_MISSING:
            if task.funding_required_fen <= 0 or task.funding_due is None:
                raise ValidationFailed(
                    "该事项没有应到位的经费 / the task carries no funding to wait for",
                    fields={"reason": "no_funding"},
                )
            if today <= task.funding_due:
                raise ValidationFailed(
                    f"经费到位期限为 {task.funding_due.isoformat()},期限届满后才能以此拒绝 / the funding is due by "
                    f"{task.funding_due.isoformat()}; refuse on this ground only after that date",
                    fields={"reason": "not_due"},
                )
            if task.funding_received_fen >= task.funding_required_fen:
                raise ValidationFailed(
                    "该事项经费已全部到位 / the funding has arrived in full", fields={"reason": "funded"}
                )
            if task.refusals.filter(reason=Refusal.Reason.FUNDING_MISSING).exists():
                raise Conflict(
                    "已就经费未到位拒绝过该事项 / already refused for missing funding",
                    fields={"reason": "duplicate"},
                )
    assert department is not None
    refusal = Refusal.objects.create(
        community=community,
        organization=org,
        department=department,
        reason=data.reason,
        admitted_task=task,
        task_request=data.task_request
        if data.reason == Refusal.Reason.NOT_ADMITTED
        else task.request
        if task
        else None,
        title=title,
        details=details,
        demanded_on=data.demanded_on,
        created_by=actor,
    )
    audit.record(
        "admissions.refusal.lodge",
        actor=actor,
        target=refusal,
        data={"reason": refusal.reason, "department": department.pk, "task": task.pk if task else None},
    )
    notices.refusal_lodged(refusal)
    return refusal


# --- informal-task reports -----------------------------------------------------------------------------------


@dataclass
class ReportData:
    department: Organization | None
    title: str
    details: str
    demanded_on: dt.date | None
    channel: str = InformalTaskReport.Channel.OTHER


@transaction.atomic
def file_report(
    *, actor: User, community: Region, data: ReportData, is_sample: bool = False
) -> InformalTaskReport:
    """摊派举报: the committee reports a task a department demanded outside admission."""
    org = permissions.refusing_org(actor, community)
    if org is None:
        raise PermissionDenied("只有社区居委会可以举报摊派 / only the community's committee may report")
    problems: dict[str, str] = {}
    title, details = data.title.strip(), data.details.strip()
    if data.department is None or data.department.kind != OrgKind.DEPARTMENT:
        problems["department"] = "请选择布置工作的部门 / choose the department"
    if not title:
        problems["title"] = "请写明摊派的工作 / say what work was demanded"
    elif len(title) > 200:
        problems["title"] = "不能超过200字 / at most 200 characters"
    if not details:
        problems["details"] = "请写明具体情况 / describe what happened"
    elif len(details) > 8000:
        problems["details"] = "不能超过8000字 / at most 8000 characters"
    if data.demanded_on is None:
        problems["demanded_on"] = "请填写布置日期 / give the date"
    elif data.demanded_on > precheck.today():
        problems["demanded_on"] = "日期不能晚于今天 / the date cannot be in the future"
    if data.channel not in InformalTaskReport.Channel.values:
        problems["channel"] = "请选择布置方式 / choose how it was demanded"
    _raise_if(problems, "举报信息有误 / invalid report")
    assert data.department is not None and data.demanded_on is not None
    report = InformalTaskReport.objects.create(
        community=community,
        organization=org,
        department=data.department,
        title=title,
        details=details,
        demanded_on=data.demanded_on,
        channel=data.channel,
        created_by=actor,
        is_sample=is_sample,
    )
    audit.record(
        "admissions.report.file", actor=actor, target=report, data={"department": data.department.pk}
    )
    notices.report_filed(report)
    return report


REPORT_ACTIONS: dict[str, str] = {
    InformalTaskReport.Status.ACKNOWLEDGED: "admissions.report.acknowledge",
    InformalTaskReport.Status.INVESTIGATING: "admissions.report.investigate",
    InformalTaskReport.Status.UPHELD: "admissions.report.uphold",
    InformalTaskReport.Status.DISMISSED: "admissions.report.dismiss",
}


@transaction.atomic
def advance_report(
    *, actor: User, report: InformalTaskReport, to: str, finding: str = ""
) -> InformalTaskReport:
    """The approval authority moves a report along: acknowledged → investigating → upheld | dismissed. The
    conclusion needs a finding; the department and the community are told the outcome."""
    if not permissions.can_handle_report(actor, report):
        raise PermissionDenied("只有审批机构可以处理举报 / only the approval authority handles reports")
    if to not in REPORT_ACTIONS:
        raise ValidationFailed("请选择处理结果 / choose the next step", fields={"to": "invalid"})
    finding = finding.strip()
    concluding = to in InformalTaskReport.CONCLUDED
    if concluding and not finding:
        raise ValidationFailed("须写明调查结论 / give the finding", fields={"finding": "required"})
    if len(finding) > 8000:
        raise ValidationFailed("不能超过8000字 / at most 8000 characters", fields={"finding": "too_long"})
    now = timezone.now()
    fields: dict[str, Any] = {"handled_by": actor}
    if to == InformalTaskReport.Status.ACKNOWLEDGED:
        fields["acknowledged_at"] = now
    if concluding:
        fields.update(finding=finding, concluded_at=now)
    states.move(report, to, actor=actor, fields=fields, reason=finding[:500], action=REPORT_ACTIONS[to])
    notices.report_advanced(report)
    return report


# --- attachments ---------------------------------------------------------------------------------------------


def _store(
    *, actor: User, upload: UploadedFile, request: TaskRequest | None, report: InformalTaskReport | None
) -> Attachment:
    checked = files.check_upload(upload)
    owner_filter: dict[str, Any] = {"request": request} if request is not None else {"report": report}
    if Attachment.objects.filter(removed_at__isnull=True, **owner_filter).count() >= MAX_ATTACHMENTS:
        raise ValidationFailed(
            f"附件最多{MAX_ATTACHMENTS}个 / at most {MAX_ATTACHMENTS} attachments",
            fields={"file": "too_many"},
        )
    stored = files.new_stored_name(checked.file_type)
    files.write(stored, checked.data)
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                request=request,
                report=report,
                original_name=checked.original_name,
                file_type=checked.file_type,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                stored_name=stored,
                uploaded_by=actor,
            )
            audit.record(
                "admissions.attachment.add",
                actor=actor,
                target=attachment,
                data={
                    "owner": "request" if request is not None else "report",
                    "owner_id": (request or report).pk,  # type: ignore[union-attr]
                    "type": checked.file_type,
                    "size": checked.size,
                    "sha256": checked.sha256,
                },
            )
    except BaseException:
        files.remove(stored)
        raise
    return attachment


@transaction.atomic
def add_request_attachment(*, actor: User, request: TaskRequest, upload: UploadedFile) -> Attachment:
    if not permissions.can_edit_request(actor, request):
        raise PermissionDenied(
            "只有申请部门的经办人可以上传附件 / only the department's clerks may attach files"
        )
    locked = TaskRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if locked.status not in TaskRequest.EDITABLE:
        raise InvalidTransition("已提交的申请不能再添加附件 / a submitted request takes no more files")
    return _store(actor=actor, upload=upload, request=locked, report=None)


@transaction.atomic
def add_report_evidence(*, actor: User, report: InformalTaskReport, upload: UploadedFile) -> Attachment:
    if not permissions.can_add_report_evidence(actor, report):
        raise PermissionDenied("只有举报的社区可以补充证据 / only the reporting community may add evidence")
    locked = InformalTaskReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if locked.is_concluded:
        raise InvalidTransition("举报已办结 / the report has been concluded")
    return _store(actor=actor, upload=upload, request=None, report=locked)


@transaction.atomic
def remove_attachment(*, actor: User, attachment: Attachment) -> Attachment:
    """Take a file off a request that is still being written (the row stays for the record)."""
    req = attachment.request
    if req is None or not permissions.can_edit_request(actor, req):
        raise PermissionDenied("只能删除草稿申请的附件 / only a draft request's files can be removed")
    locked_req = TaskRequest.objects.select_for_update(of=("self",)).get(pk=req.pk)
    if locked_req.status not in TaskRequest.EDITABLE:
        raise InvalidTransition("已提交的申请不能删除附件 / a submitted request's files stay")
    locked = Attachment.objects.select_for_update(of=("self",)).get(pk=attachment.pk)
    if locked.removed_at is not None:
        raise Conflict("附件已删除 / the file was already removed")
    locked.removed_at = timezone.now()
    locked.save(update_fields=["removed_at"])
    audit.record("admissions.attachment.remove", actor=actor, target=locked, data={"request": req.pk})
    stored = locked.stored_name
    transaction.on_commit(lambda: files.remove(stored))
    return locked
