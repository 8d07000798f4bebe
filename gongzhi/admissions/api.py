"""JSON endpoints of the admission mechanism (under /api/admissions/): task requests and their workflow, the
live pre-check, attachments, admitted tasks, refusals and informal-task reports. Thin: parse, fetch through
permissions (404 for what the user may not see), call one service, return the shape. Creating POSTs take an
Idempotency-Key."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.admissions import files, permissions, precheck, services
from gongzhi.admissions.models import AdmittedTask, Attachment, InformalTaskReport, Refusal, TaskRequest
from gongzhi.admissions.schemas import (
    AdvanceIn,
    AttachmentOut,
    DecideIn,
    ExamineIn,
    FundingIn,
    PrecheckIn,
    PrecheckOut,
    ReasonIn,
    RefusalIn,
    RefusalOut,
    ReportIn,
    ReportOut,
    RequestDetailOut,
    RequestIn,
    RequestOut,
    RequestPage,
    TaskOut,
)
from gongzhi.core.api_support import ERRORS, PageParams, current_user, object_id, paginate
from gongzhi.core.errors import NotFound, PermissionDenied, ValidationFailed
from gongzhi.core.idempotency import idempotent
from gongzhi.core.roles import OrgKind
from gongzhi.duties.models import ListItem
from gongzhi.orgs.models import Organization, Region

router = Router(tags=["admissions"])


RequestStatus = Literal[
    "draft",
    "submitted",
    "under_review",
    "approved",
    "rejected",
    "returned",
    "withdrawn",
    "revoked",
    "guidance",
]
ReportStatus = Literal["submitted", "acknowledged", "investigating", "upheld", "dismissed"]


# --- shapes ----------------------------------------------------------------------------------------------------


def _ref(obj: Region | Organization | None) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _item(item: ListItem | None) -> dict[str, Any] | None:
    return (
        {"id": item.pk, "code": item.code, "title": item.title, "kind": item.kind}
        if item is not None
        else None
    )


def _attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": str(a.pk),
        "name": a.original_name,
        "file_type": a.file_type,
        "size": a.size,
        "sha256": a.sha256,
        "uploaded_at": a.uploaded_at,
        "url": reverse("api:admissions_download_attachment", args=[a.pk]),
    }


def _request(req: TaskRequest) -> dict[str, Any]:
    return {
        "id": req.pk,
        "department": _ref(req.department),
        "title": req.title,
        "description": req.description,
        "legal_basis": req.legal_basis,
        "kind": req.kind,
        "target": req.target,
        "target_district": _ref(req.target_district),
        "target_communities": [_ref(c) for c in req.target_communities.order_by("code")],
        "starts_on": req.starts_on,
        "ends_on": req.ends_on,
        "hours_per_month": req.hours_per_month,
        "forms_count": req.forms_count,
        "forms_frequency": req.forms_frequency,
        "plaques_count": req.plaques_count,
        "funding_fen": req.funding_fen,
        "contact_name": req.contact_name,
        "contact_phone": req.contact_phone,
        "status": req.status,
        "verdict": req.verdict,
        "needs_authority": req.needs_authority,
        "list_item": _item(req.list_item),
        "proposed_item": _item(req.proposed_item),
        "precheck": req.precheck,
        "submitted_at": req.submitted_at,
        "decision_due": req.decision_due,
        "decided_at": req.decided_at,
        "meeting_ref": req.meeting_ref,
        "revoked_at": req.revoked_at,
        "revoke_reason": req.revoke_reason,
        "created_at": req.created_at,
        "is_sample": req.is_sample,
    }


def _request_detail(req: TaskRequest) -> dict[str, Any]:
    return {
        **_request(req),
        "reviews": [
            {
                "id": r.pk,
                "stage": r.stage,
                "outcome": r.outcome,
                "actor": str(r.actor),
                "organization": _ref(r.organization),
                "comments": r.comments,
                "meeting_ref": r.meeting_ref,
                "created_at": r.created_at,
            }
            for r in req.reviews.select_related("actor", "organization")
        ],
        "attachments": [_attachment(a) for a in req.attachments.filter(removed_at__isnull=True)],
        "admitted_task_ids": list(req.admitted_tasks.order_by("pk").values_list("pk", flat=True)),
    }


def _task(t: AdmittedTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "request_id": t.request_id,
        "community": _ref(t.community),
        "department": _ref(t.department),
        "title": t.title,
        "kind": t.kind,
        "starts_on": t.starts_on,
        "ends_on": t.ends_on,
        "hours_per_month": t.hours_per_month,
        "forms_count": t.forms_count,
        "forms_frequency": t.forms_frequency,
        "plaques_count": t.plaques_count,
        "funding_required_fen": t.funding_required_fen,
        "funding_due": t.funding_due,
        "funding_received_fen": t.funding_received_fen,
        "requires_agreement": t.requires_agreement,
        "list_item": _item(t.list_item),
        "proposed_item": _item(t.proposed_item),
        "status": t.status,
        "admitted_at": t.admitted_at,
        "revoked_at": t.revoked_at,
        "revoke_reason": t.revoke_reason,
        "is_sample": t.is_sample,
    }


def _refusal(f: Refusal) -> dict[str, Any]:
    return {
        "id": f.pk,
        "community": _ref(f.community),
        "organization": _ref(f.organization),
        "department": _ref(f.department),
        "reason": f.reason,
        "admitted_task_id": f.admitted_task_id,
        "task_request_id": f.task_request_id,
        "title": f.title,
        "details": f.details,
        "demanded_on": f.demanded_on,
        "created_at": f.created_at,
        "is_sample": f.is_sample,
    }


def _report(r: InformalTaskReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "community": _ref(r.community),
        "organization": _ref(r.organization),
        "department": _ref(r.department),
        "title": r.title,
        "details": r.details,
        "demanded_on": r.demanded_on,
        "channel": r.channel,
        "status": r.status,
        "finding": r.finding,
        "acknowledged_at": r.acknowledged_at,
        "concluded_at": r.concluded_at,
        "created_at": r.created_at,
        "attachments": [_attachment(a) for a in r.attachments.filter(removed_at__isnull=True)],
        "is_sample": r.is_sample,
    }


def _region(pk: int | None, field: str) -> Region | None:
    if pk is None:
        return None
    region = Region.objects.filter(pk=pk).first()
    if region is None:
        raise ValidationFailed("未知的区域 / unknown region", fields={field: "unknown"})
    return region


def _department(pk: int | None, field: str) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk, kind=OrgKind.DEPARTMENT).first()
    if org is None:
        raise ValidationFailed("未知的部门 / unknown department", fields={field: "unknown"})
    return org


def _request_data(payload: RequestIn) -> services.RequestData:
    communities = list(Region.objects.filter(pk__in=payload.target_community_ids))
    if len(communities) != len(set(payload.target_community_ids)):
        raise ValidationFailed("未知的社区 / unknown community", fields={"target_community_ids": "unknown"})
    return services.RequestData(
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        legal_basis=payload.legal_basis,
        target=payload.target,
        target_district=_region(payload.target_district_id, "target_district_id"),
        target_communities=communities,
        hours_per_month=payload.hours_per_month,
        forms_count=payload.forms_count,
        forms_frequency=payload.forms_frequency,
        plaques_count=payload.plaques_count,
        funding_fen=payload.funding_fen,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
    )


def _fresh(req: TaskRequest) -> dict[str, Any]:
    req.refresh_from_db()
    return _request(req)


# --- task requests -------------------------------------------------------------------------------------------


class RequestFilter(Schema):
    status: RequestStatus | None = None


@router.get("/admissions/requests", response={200: RequestPage, **ERRORS}, summary="准入申请 / task requests")
def admissions_list_requests(
    request: HttpRequest, filters: Query[RequestFilter], paging: Query[PageParams]
) -> dict[str, Any]:
    user = current_user(request)
    if not permissions.may_see_requests(user):
        raise PermissionDenied("只有部门和审批机构可以查看准入申请 / departments and the authority only")
    qs = permissions.requests_for_user(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = paginate(qs, paging)
    page["results"] = [_request(r) for r in page["results"]]
    return page


@router.post(
    "/admissions/requests",
    response={201: RequestOut, **ERRORS},
    summary="提出准入申请(草稿) / file a request",
)
@idempotent(status=201)
def admissions_create_request(request: HttpRequest, payload: RequestIn) -> RequestOut:
    department = _department(payload.department_id, "department_id")
    assert department is not None
    req = services.create_request(
        actor=current_user(request), department=department, data=_request_data(payload)
    )
    return RequestOut(**_request(req))


@router.post(
    "/admissions/precheck",
    response={200: PrecheckOut, **ERRORS},
    summary="预审(不保存) / pre-check a request without saving it",
)
def admissions_precheck(request: HttpRequest, payload: PrecheckIn) -> PrecheckOut:
    if not permissions.may_file(current_user(request)):
        raise PermissionDenied("只有部门经办人可以预审 / department clerks only")
    result = precheck.check(
        precheck.Draft(
            title=payload.title,
            description=payload.description,
            kind=payload.kind,
            starts_on=payload.starts_on,
            funding_fen=payload.funding_fen,
            forms_count=payload.forms_count,
            plaques_count=payload.plaques_count,
        )
    )
    values = result.as_dict()
    values.pop("edition_id", None)
    return PrecheckOut(**values, can_submit=result.can_submit)


@router.get(
    "/admissions/requests/{pk}",
    response={200: RequestDetailOut, **ERRORS},
    summary="准入申请详情 / a request",
)
def admissions_get_request(request: HttpRequest, pk: int = object_id()) -> dict[str, Any]:
    return _request_detail(permissions.get_request_for_user(current_user(request), pk))


@router.put(
    "/admissions/requests/{pk}", response={200: RequestOut, **ERRORS}, summary="修改草稿 / edit a draft"
)
def admissions_update_request(
    request: HttpRequest, payload: RequestIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    req = permissions.get_request_for_edit(user, pk)
    if payload.department_id != req.department_id:
        raise ValidationFailed(
            "不能更改申请部门 / the department cannot change", fields={"department_id": "fixed"}
        )
    services.update_request(actor=user, request=req, data=_request_data(payload))
    return _fresh(req)


@router.post(
    "/admissions/requests/{pk}/submit", response={200: RequestOut, **ERRORS}, summary="提交 / submit"
)
def admissions_submit_request(request: HttpRequest, pk: int = object_id()) -> dict[str, Any]:
    user = current_user(request)
    req = permissions.get_request_for_user(user, pk)
    services.submit_request(actor=user, request=req)
    return _fresh(req)


@router.post(
    "/admissions/requests/{pk}/withdraw", response={200: RequestOut, **ERRORS}, summary="撤回 / withdraw"
)
def admissions_withdraw_request(
    request: HttpRequest, payload: ReasonIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    req = permissions.get_request_for_user(user, pk)
    services.withdraw_request(actor=user, request=req, reason=payload.reason)
    return _fresh(req)


@router.post(
    "/admissions/requests/{pk}/examine",
    response={200: RequestOut, **ERRORS},
    summary="审批办审查 / the office examines",
)
def admissions_examine_request(
    request: HttpRequest, payload: ExamineIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    req = permissions.get_request_for_user(user, pk)
    services.examine_request(actor=user, request=req, outcome=payload.outcome, comments=payload.comments)
    return _fresh(req)


@router.post(
    "/admissions/requests/{pk}/decide",
    response={200: RequestOut, **ERRORS},
    summary="审批机构决定 / the authority decides",
)
def admissions_decide_request(
    request: HttpRequest, payload: DecideIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    req = permissions.get_request_for_user(user, pk)
    services.decide_request(
        actor=user,
        request=req,
        outcome=payload.outcome,
        meeting_ref=payload.meeting_ref,
        comments=payload.comments,
    )
    return _fresh(req)


@router.post(
    "/admissions/requests/{pk}/revoke",
    response={200: RequestOut, **ERRORS},
    summary="退出 / revoke an admission",
)
def admissions_revoke_request(
    request: HttpRequest, payload: ReasonIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    req = permissions.get_request_for_user(user, pk)
    services.revoke_request(actor=user, request=req, reason=payload.reason)
    return _fresh(req)


@router.post(
    "/admissions/requests/{pk}/attachments",
    response={201: AttachmentOut, **ERRORS},
    summary="上传附件(multipart/form-data) / attach a file",
)
def admissions_attach(request: HttpRequest, file: File[UploadedFile], pk: int = object_id()) -> Any:
    user = current_user(request)
    req = permissions.get_request_for_user(user, pk)
    attachment = services.add_request_attachment(actor=user, request=req, upload=file)
    return Status(201, _attachment(attachment))


@router.get(
    "/admissions/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    url_name="admissions_download_attachment",
    summary="下载附件 / download an attachment",
)
def admissions_download_attachment(request: HttpRequest, attachment_id: str) -> HttpResponseBase:
    attachment = permissions.get_attachment_for_user(current_user(request), _uuid(attachment_id))
    try:
        handle = open(files.path_for(attachment.stored_name), "rb")  # noqa: SIM115 - FileResponse closes it
    except (OSError, ValueError) as exc:
        raise NotFound("文件不存在 / file missing") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise NotFound("未找到该附件 / attachment not found") from exc


# --- admitted tasks ------------------------------------------------------------------------------------------


class TaskFilter(Schema):
    scope: Literal["inbox", "all"] = "all"
    status: Literal["active", "revoked"] | None = None


@router.get("/admissions/tasks", response={200: list[TaskOut], **ERRORS}, summary="准入事项 / admitted tasks")
def admissions_list_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> list[dict[str, Any]]:
    user = current_user(request)
    qs = permissions.inbox_for_user(user) if filters.scope == "inbox" else permissions.tasks_for_user(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return [
        _task(t)
        for t in qs.select_related("proposed_item").order_by("community__code", "starts_on", "pk")[:500]
    ]


@router.get(
    "/admissions/tasks/{pk}", response={200: TaskOut, **ERRORS}, summary="准入事项详情 / an admitted task"
)
def admissions_get_task(request: HttpRequest, pk: int = object_id()) -> dict[str, Any]:
    return _task(permissions.get_task_for_user(current_user(request), pk))


@router.post(
    "/admissions/tasks/{pk}/funding",
    response={200: TaskOut, **ERRORS},
    summary="社区确认经费到位 / the community confirms funding arrived",
)
def admissions_confirm_funding(
    request: HttpRequest, payload: FundingIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    task = permissions.get_task_for_user(user, pk)
    return _task(services.confirm_funding(actor=user, task=task, amount_fen=payload.amount_fen))


# --- refusals ------------------------------------------------------------------------------------------------


@router.get("/admissions/refusals", response={200: list[RefusalOut], **ERRORS}, summary="拒绝记录 / refusals")
def admissions_list_refusals(request: HttpRequest) -> list[dict[str, Any]]:
    return [_refusal(f) for f in permissions.refusals_for_user(current_user(request))[:500]]


@router.post("/admissions/refusals", response={201: RefusalOut, **ERRORS}, summary="拒绝 / refuse work")
@idempotent(status=201)
def admissions_lodge_refusal(request: HttpRequest, payload: RefusalIn) -> RefusalOut:
    user = current_user(request)
    community = _region(payload.community_id, "community_id")
    assert community is not None
    task = permissions.get_task_for_user(user, payload.admitted_task_id) if payload.admitted_task_id else None
    req = permissions.get_request_for_user(user, payload.task_request_id) if payload.task_request_id else None
    refusal = services.lodge_refusal(
        actor=user,
        community=community,
        data=services.RefusalData(
            reason=payload.reason,
            details=payload.details,
            title=payload.title,
            department=_department(payload.department_id, "department_id"),
            admitted_task=task,
            task_request=req,
            demanded_on=payload.demanded_on,
        ),
    )
    return RefusalOut(**_refusal(refusal))


@router.get(
    "/admissions/refusals/{pk}", response={200: RefusalOut, **ERRORS}, summary="拒绝记录详情 / a refusal"
)
def admissions_get_refusal(request: HttpRequest, pk: int = object_id()) -> dict[str, Any]:
    return _refusal(permissions.get_refusal_for_user(current_user(request), pk))


# --- informal-task reports -----------------------------------------------------------------------------------


class ReportFilter(Schema):
    status: ReportStatus | None = None


@router.get("/admissions/reports", response={200: list[ReportOut], **ERRORS}, summary="摊派举报 / reports")
def admissions_list_reports(request: HttpRequest, filters: Query[ReportFilter]) -> list[dict[str, Any]]:
    qs = permissions.reports_for_user(current_user(request))
    if filters.status:
        qs = qs.filter(status=filters.status)
    return [_report(r) for r in qs[:500]]


@router.post(
    "/admissions/reports", response={201: ReportOut, **ERRORS}, summary="举报摊派 / report an informal task"
)
@idempotent(status=201)
def admissions_file_report(request: HttpRequest, payload: ReportIn) -> ReportOut:
    community = _region(payload.community_id, "community_id")
    assert community is not None
    report = services.file_report(
        actor=current_user(request),
        community=community,
        data=services.ReportData(
            department=_department(payload.department_id, "department_id"),
            title=payload.title,
            details=payload.details,
            demanded_on=payload.demanded_on,
            channel=payload.channel,
        ),
    )
    return ReportOut(**_report(report))


@router.get("/admissions/reports/{pk}", response={200: ReportOut, **ERRORS}, summary="举报详情 / a report")
def admissions_get_report(request: HttpRequest, pk: int = object_id()) -> dict[str, Any]:
    return _report(permissions.get_report_for_user(current_user(request), pk))


@router.post(
    "/admissions/reports/{pk}/advance",
    response={200: ReportOut, **ERRORS},
    summary="督办处理:受理、调查、查实或不予认定 / handle a report",
)
def admissions_advance_report(
    request: HttpRequest, payload: AdvanceIn, pk: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    report = permissions.get_report_for_user(user, pk)
    return _report(services.advance_report(actor=user, report=report, to=payload.to, finding=payload.finding))


@router.post(
    "/admissions/reports/{pk}/evidence",
    response={201: AttachmentOut, **ERRORS},
    summary="上传证据(multipart/form-data) / add evidence",
)
def admissions_add_evidence(request: HttpRequest, file: File[UploadedFile], pk: int = object_id()) -> Any:
    user = current_user(request)
    report = permissions.get_report_for_user(user, pk)
    return Status(201, _attachment(services.add_report_evidence(actor=user, report=report, upload=file)))
