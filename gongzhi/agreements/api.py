"""JSON endpoints of the agreements (under /api/agreements/): drafting, terms, sending, signing, reserving,
payments (with an Idempotency-Key), amendments, termination, completion reports, versions with their text, digest,
signatures, verification and diffs, templates, the overview figures, an xlsx export, and the public finance
figures of a community (no sign-in)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from gongzhi.admissions import permissions as admission_permissions
from gongzhi.admissions.models import AdmittedTask, Refusal
from gongzhi.agreements import document, permissions, queries, services, xlsx
from gongzhi.agreements.models import (
    Agreement,
    AgreementTask,
    AgreementTemplate,
    Completion,
    Instalment,
    Payment,
    Version,
)
from gongzhi.agreements.schemas import (
    AgreementDetailOut,
    AgreementFilter,
    AgreementIn,
    AgreementPage,
    CompletionIn,
    CompletionOut,
    DiffOut,
    InstalmentOut,
    ItemIn,
    PaymentIn,
    PaymentOut,
    PublicCommunityOut,
    ReasonIn,
    RefusalOut,
    RefuseIn,
    ResolveIn,
    ReviewIn,
    ServiceIn,
    SignIn,
    SummaryOut,
    TasksIn,
    TemplateIn,
    TemplateOut,
    TemplateUpdateIn,
    TerminateIn,
    TermsIn,
    VerifyOut,
    VersionOut,
    VersionSummaryOut,
)
from gongzhi.core.api_support import ERRORS, PageParams, current_user, object_id, paginate
from gongzhi.core.errors import NotFound, PermissionDenied, ValidationFailed
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import User
from gongzhi.orgs.models import Organization, Region

router = Router(tags=["agreements"])
public_router = Router(tags=["agreements"])


def _ref(obj: Region | Organization) -> dict[str, Any]:
    return {"id": obj.pk, "name": obj.name}


def _org(pk: int | None, field: str) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise ValidationFailed("未知的机构 / unknown organization", fields={field: "unknown"})
    return org


def _agreement_out(f: queries.Figures) -> dict[str, Any]:
    a = f.agreement
    return {
        "id": a.pk,
        "number": a.number,
        "kind": a.kind,
        "year": a.year,
        "status": a.status,
        "department": _ref(a.department),
        "community": _ref(a.community),
        "party": _ref(a.party),
        "version": f.version,
        "agreed_fen": f.agreed,
        "reserved_fen": f.reserved,
        "paid_fen": f.paid,
        "overdue_fen": f.overdue,
        "to_deliver": f.to_deliver,
        "first_sent_at": a.first_sent_at,
        "activated_at": a.activated_at,
        "terminated_at": a.terminated_at,
        "termination_reason": a.termination_reason,
        "settlement_fen": a.settlement_fen,
        "is_sample": a.is_sample,
    }


def _summary(v: Version) -> dict[str, Any]:
    return {
        "number": v.number,
        "status": v.status,
        "reason": v.reason,
        "total_fen": v.total_fen if v.status != Version.Status.DRAFT else services.items_total(v),
        "digest": v.digest,
        "sent_at": v.sent_at,
        "effective_at": v.effective_at,
    }


def _version_out(v: Version) -> dict[str, Any]:
    items = v.items.select_related("task").order_by("task__position", "task_id")
    return {
        **_summary(v),
        "contact_name": v.contact_name,
        "contact_phone": v.contact_phone,
        "trainings_per_year": v.trainings_per_year,
        "visits_per_year": v.visits_per_year,
        "guidance_notes": v.guidance_notes,
        "evaluation_method": v.evaluation_method,
        "liability_department": v.liability_department,
        "liability_party": v.liability_party,
        "starts_on": v.starts_on,
        "ends_on": v.ends_on,
        "schedule": list(v.schedule),
        "text": services.preview_text(v),
        "items": [
            {
                "task_id": i.task_id,
                "admitted_task_id": i.task.admitted_task_id,
                "title": i.task.title,
                "requirements": i.requirements,
                "standards": i.standards,
                "amount_fen": i.amount_fen,
                "standard_fen": i.standard_fen,
            }
            for i in items
        ],
        "signatures": [
            {
                "side": s.side,
                "organization": _ref(s.organization),
                "signer_name": s.signer_name,
                "signed_at": s.signed_at,
                "digest": s.digest,
                "meeting_date": s.meeting_date,
                "minutes_no": s.minutes_no,
                "voided": s.voided_at is not None,
            }
            for s in v.signatures.select_related("organization").order_by("signed_at", "id")
        ],
        "verification_code": document.code_for(v) if v.digest else "",
    }


def _instalments_out(agreement: Agreement, on: dt.date) -> list[dict[str, Any]]:
    instalments = list(agreement.instalments.select_related("version").order_by("seq"))
    held = services.held_instalment_id(agreement, instalments)
    return [_instalment_out(i, on, held=i.pk == held) for i in instalments]


def _instalment_out(i: Instalment, on: dt.date, *, held: bool = False) -> dict[str, Any]:
    return {
        "seq": i.seq,
        "version": i.version.number,
        "label": i.label,
        "due_on": i.due_on,
        "amount_fen": i.amount_fen,
        "paid_fen": i.paid_fen,
        "outstanding_fen": i.outstanding_fen,
        "overdue": i.outstanding_fen > 0 and i.due_on < on and not held,
        "held_for_evaluation": held,
    }


def _completion_out(c: Completion) -> dict[str, Any]:
    return {
        "id": c.pk,
        "agreement_id": c.agreement_id,
        "task_id": c.task_id,
        "status": c.status,
        "summary": c.summary,
        "has_evidence": bool(c.evidence_stored),
        "reported_at": c.reported_at,
        "review_note": c.review_note,
        "resolution_note": c.resolution_note,
    }


def _own(user: User, agreement: Agreement) -> bool:
    """The department and the office see drafts; the other party does not."""
    return agreement.department_id in permissions.department_ids(user) or permissions.is_authority(user)


def _visible_versions(user: User, agreement: Agreement) -> list[Version]:
    own = _own(user, agreement)
    return [v for v in agreement.versions.order_by("number") if own or v.status != Version.Status.DRAFT]


def _get_version(user: User, agreement: Agreement, number: int) -> Version:
    version = next((v for v in _visible_versions(user, agreement) if v.number == number), None)
    if version is None:
        raise NotFound("未找到该版本 / version not found")
    return version


def _detail(user: User, agreement: Agreement) -> dict[str, Any]:
    fig = queries.figures([agreement])[0]
    pending = services.open_version(agreement)
    current = (
        pending
        if pending is not None and (_own(user, agreement) or pending.status != Version.Status.DRAFT)
        else None
    )
    current = current or services.effective_version(agreement)
    on = queries.today()
    return {
        **_agreement_out(fig),
        "current": _version_out(current) if current is not None else None,
        "versions": [_summary(v) for v in _visible_versions(user, agreement)],
        "instalments": _instalments_out(agreement, on),
        "completions": [_completion_out(c) for c in agreement.completions.order_by("reported_at", "id")],
        "uncovered_task_ids": list(services.eligible_tasks(agreement).values_list("pk", flat=True))
        if permissions.can_edit_agreement(user, agreement)
        else [],
    }


def _agreement(request: HttpRequest, agreement_id: int) -> tuple[User, Agreement]:
    user = current_user(request)
    return user, permissions.get_agreement_for_user(user, agreement_id)


# --- Agreements ---------------------------------------------------------------------------------------------


@router.get("", response={200: AgreementPage, **ERRORS}, summary="协议 / agreements")
def agreements_list(
    request: HttpRequest, filters: Query[AgreementFilter], paging: Query[PageParams]
) -> dict[str, Any]:
    qs = permissions.agreements_for_user(current_user(request)).order_by("-year", "number", "id")
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    page = paginate(qs, paging)
    page["results"] = [_agreement_out(f) for f in queries.figures(page["results"])]
    return page


@router.post("", response={201: AgreementDetailOut, **ERRORS}, summary="起草协议 / draft an agreement")
@idempotent(status=201)
def agreements_create(request: HttpRequest, payload: AgreementIn) -> AgreementDetailOut:
    user = current_user(request)
    department = _org(payload.department_id, "department_id")
    community = Region.objects.filter(pk=payload.community_id).first()
    if community is None:
        raise ValidationFailed("未知的社区 / unknown community", fields={"community_id": "unknown"})
    assert department is not None
    agreement = services.create_agreement(
        actor=user,
        department=department,
        community=community,
        year=payload.year,
        kind=payload.kind,
        party=_org(payload.party_id, "party_id"),
    )
    return AgreementDetailOut(**_detail(user, agreement))


@router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="概览 / overview figures")
def agreements_summary(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    visible = permissions.agreements_for_user(user)
    depts = permissions.department_ids(user)
    regions = permissions.authority_regions(user)

    def totals(qs: Any) -> dict[str, Any]:
        t = queries.totals(queries.figures(qs))
        return {
            "count": t.count,
            "agreed_fen": t.agreed,
            "reserved_fen": t.reserved,
            "paid_fen": t.paid,
            "overdue_fen": t.overdue,
        }

    party_qs = visible.filter(first_sent_at__isnull=False).exclude(department_id__in=depts)
    tasks = AdmittedTask.objects.none()
    if depts:
        tasks = tasks | AdmittedTask.objects.filter(department_id__in=depts)
    if regions:
        tasks = tasks | AdmittedTask.objects.filter(department__region_id__in=regions)
    return {
        "department": totals(visible.filter(department_id__in=depts)) if depts else None,
        "party": totals(party_qs) if permissions.may_use_party_page(user) else None,
        "office": totals(visible.filter(department__region_id__in=regions)) if regions else None,
        "overdue": [
            {
                "agreement_id": i.agreement_id,
                "number": i.agreement.number,
                "seq": i.seq,
                "label": i.label,
                "due_on": i.due_on,
                "amount_fen": i.amount_fen,
                "paid_fen": i.paid_fen,
                "short": i.paid_fen > 0,
            }
            for i in queries.overdue_instalments(visible)[:500]
        ],
        "uncovered_tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "department": _ref(t.department),
                "community": _ref(t.community),
                "starts_on": t.starts_on,
            }
            for t in queries.tasks_without_active_agreement(tasks)[:500]
        ],
    }


@router.get("/export.xlsx", response={200: None, **ERRORS}, summary="导出协议 xlsx / agreements as xlsx")
def agreements_export(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not (
        permissions.department_ids(user)
        or permissions.may_use_party_page(user)
        or permissions.is_authority(user)
    ):
        raise PermissionDenied(
            "只有协议双方和审批机构可以导出 / only the parties and the approval office export"
        )
    response = HttpResponse(
        xlsx.export(permissions.agreements_for_user(user)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="agreements.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/{agreement_id}", response={200: AgreementDetailOut, **ERRORS}, summary="协议 / one agreement")
def agreements_get(request: HttpRequest, agreement_id: int = object_id()) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    return _detail(user, agreement)


def _done(user: User, agreement: Agreement) -> dict[str, Any]:
    agreement.refresh_from_db()
    return _detail(user, agreement)


@router.put("/{agreement_id}/terms", response={200: AgreementDetailOut, **ERRORS}, summary="修改条款 / terms")
def agreements_terms(
    request: HttpRequest, payload: TermsIn, agreement_id: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    data = payload.dict()
    data["schedule"] = [dict(r) for r in data["schedule"]]
    services.update_terms(actor=user, agreement=agreement, data=services.TermsData(**data))
    return _done(user, agreement)


@router.put(
    "/{agreement_id}/items/{task_id}",
    response={200: AgreementDetailOut, **ERRORS},
    summary="事项条款 / a task's terms",
)
def agreements_item(
    request: HttpRequest, payload: ItemIn, agreement_id: int = object_id(), task_id: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    task = AgreementTask.objects.filter(agreement=agreement, pk=task_id).first()
    if task is None:
        raise NotFound("该事项不在本协议中 / task not found")
    services.update_item(actor=user, agreement=agreement, task=task, **payload.dict())
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/tasks",
    response={200: AgreementDetailOut, **ERRORS},
    summary="加入准入事项 / add admitted tasks",
)
def agreements_add_tasks(
    request: HttpRequest, payload: TasksIn, agreement_id: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    chosen = None
    if payload.task_ids is not None:
        found = {t.pk: t for t in AdmittedTask.objects.filter(pk__in=payload.task_ids)}
        missing = [i for i in payload.task_ids if i not in found]
        if missing:
            raise ValidationFailed(
                "未知的准入事项 / unknown admitted tasks",
                fields={"task_ids": ",".join(map(str, missing[:20]))},
            )
        chosen = [found[i] for i in payload.task_ids]
    services.add_admitted_tasks(actor=user, agreement=agreement, tasks=chosen)
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/services",
    response={201: AgreementDetailOut, **ERRORS},
    summary="加入服务项目 / add a service",
)
@idempotent(status=201)
def agreements_add_service(
    request: HttpRequest, payload: ServiceIn, agreement_id: int = object_id()
) -> AgreementDetailOut:
    user, agreement = _agreement(request, agreement_id)
    services.add_service_item(actor=user, agreement=agreement, **payload.dict())
    return AgreementDetailOut(**_done(user, agreement))


@router.post("/{agreement_id}/send", response={200: AgreementDetailOut, **ERRORS}, summary="定稿送达 / send")
def agreements_send(request: HttpRequest, agreement_id: int = object_id()) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    services.send_agreement(actor=user, agreement=agreement)
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/reopen", response={200: AgreementDetailOut, **ERRORS}, summary="退回修改 / back to draft"
)
def agreements_reopen(
    request: HttpRequest, payload: ReasonIn, agreement_id: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    services.reopen_agreement(actor=user, agreement=agreement, reason=payload.reason)
    return _done(user, agreement)


@router.post("/{agreement_id}/sign", response={200: AgreementDetailOut, **ERRORS}, summary="签署 / sign")
def agreements_sign(request: HttpRequest, payload: SignIn, agreement_id: int = object_id()) -> dict[str, Any]:
    """Whose turn it is follows the state: the department signs a sent version, the other party a
    department-signed one (with the meeting reference). Either signs the text named by its SM3 digest."""
    user, agreement = _agreement(request, agreement_id)
    version = services.open_version(agreement)
    if version is not None and version.status == Version.Status.DEPT_SIGNED:
        services.sign_for_party(
            actor=user,
            agreement=agreement,
            digest=payload.digest,
            meeting_date=payload.meeting_date,
            minutes_no=payload.minutes_no,
        )
    else:
        services.sign_for_department(actor=user, agreement=agreement, digest=payload.digest)
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/reserve",
    response={200: AgreementDetailOut, **ERRORS},
    summary="预留经费 / reserve the budget",
)
def agreements_reserve(request: HttpRequest, agreement_id: int = object_id()) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    services.reserve_funds(actor=user, agreement=agreement)
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/amend", response={201: AgreementDetailOut, **ERRORS}, summary="补充协议 / amend"
)
@idempotent(status=201)
def agreements_amend(
    request: HttpRequest, payload: ReasonIn, agreement_id: int = object_id()
) -> AgreementDetailOut:
    user, agreement = _agreement(request, agreement_id)
    services.start_amendment(actor=user, agreement=agreement, reason=payload.reason)
    return AgreementDetailOut(**_done(user, agreement))


@router.post(
    "/{agreement_id}/withdraw",
    response={200: AgreementDetailOut, **ERRORS},
    summary="撤回补充协议 / withdraw amendment",
)
def agreements_withdraw(
    request: HttpRequest, payload: ReasonIn, agreement_id: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    services.withdraw_amendment(actor=user, agreement=agreement, reason=payload.reason)
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/terminate", response={200: AgreementDetailOut, **ERRORS}, summary="终止 / terminate"
)
def agreements_terminate(
    request: HttpRequest, payload: TerminateIn, agreement_id: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    services.terminate_agreement(
        actor=user, agreement=agreement, reason=payload.reason, settlement_fen=payload.settlement_fen
    )
    return _done(user, agreement)


@router.post(
    "/{agreement_id}/complete", response={200: AgreementDetailOut, **ERRORS}, summary="履行完毕 / complete"
)
def agreements_complete(request: HttpRequest, agreement_id: int = object_id()) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    services.complete_agreement(actor=user, agreement=agreement)
    return _done(user, agreement)


# --- Versions -----------------------------------------------------------------------------------------------


@router.get(
    "/{agreement_id}/versions", response={200: list[VersionSummaryOut], **ERRORS}, summary="版本 / versions"
)
def agreements_versions(request: HttpRequest, agreement_id: int = object_id()) -> list[dict[str, Any]]:
    user, agreement = _agreement(request, agreement_id)
    return [_summary(v) for v in _visible_versions(user, agreement)]


@router.get(
    "/{agreement_id}/versions/{number}", response={200: VersionOut, **ERRORS}, summary="版本全文 / a version"
)
def agreements_version(
    request: HttpRequest, agreement_id: int = object_id(), number: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    return _version_out(_get_version(user, agreement, number))


@router.get(
    "/{agreement_id}/versions/{number}/verify",
    response={200: VerifyOut, **ERRORS},
    summary="核验版本 / verify a version against its digest",
)
def agreements_verify(
    request: HttpRequest, agreement_id: int = object_id(), number: int = object_id()
) -> dict[str, Any]:
    user, agreement = _agreement(request, agreement_id)
    report = document.verify_version(_get_version(user, agreement, number))
    return {"ok": report.ok, "checks": [{"ok": ok, "message": m} for ok, m in report.checks]}


@router.get(
    "/{agreement_id}/versions/{number}/docx",
    response={200: None, **ERRORS},
    summary="下载 .docx / the document",
)
def agreements_docx(
    request: HttpRequest, agreement_id: int = object_id(), number: int = object_id()
) -> HttpResponse:
    user, agreement = _agreement(request, agreement_id)
    version = _get_version(user, agreement, number)
    if not version.digest:
        raise NotFound("该版本尚未定稿 / the version has not been sent yet")
    response = HttpResponse(
        document.build_docx(version),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{agreement.number}-v{version.number}.docx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/{agreement_id}/diff/{old}/{new}",
    response={200: DiffOut, **ERRORS},
    summary="版本比较 / diff two versions",
)
def agreements_diff(
    request: HttpRequest, agreement_id: int = object_id(), old: int = object_id(), new: int = object_id()
) -> dict[str, Any]:
    from gongzhi.agreements.views import _line_diff

    user, agreement = _agreement(request, agreement_id)
    a, b = _get_version(user, agreement, old), _get_version(user, agreement, new)
    a_items = {i.task_id: i for i in a.items.select_related("task")}
    b_items = {i.task_id: i for i in b.items.select_related("task")}
    items = []
    for tid in sorted(set(a_items) | set(b_items)):
        x, y = a_items.get(tid), b_items.get(tid)
        if (
            x is not None
            and y is not None
            and (x.amount_fen, x.requirements, x.standards)
            == (
                y.amount_fen,
                y.requirements,
                y.standards,
            )
        ):
            continue
        title = (y or x).task.title  # type: ignore[union-attr]
        change = "added" if x is None else "removed" if y is None else "changed"
        items.append(
            {
                "task_id": tid,
                "title": title,
                "change": change,
                "old_amount_fen": x.amount_fen if x else None,
                "new_amount_fen": y.amount_fen if y else None,
            }
        )
    lines = _line_diff(services.preview_text(a).split("\n"), services.preview_text(b).split("\n"))
    return {
        "old": a.number,
        "new": b.number,
        "old_total_fen": _summary(a)["total_fen"],
        "new_total_fen": _summary(b)["total_fen"],
        "items": items,
        "lines": [{"op": op, "text": text} for op, text in lines],
    }


# --- Money --------------------------------------------------------------------------------------------------


@router.get(
    "/{agreement_id}/instalments", response={200: list[InstalmentOut], **ERRORS}, summary="分期 / instalments"
)
def agreements_instalments(request: HttpRequest, agreement_id: int = object_id()) -> list[dict[str, Any]]:
    _user, agreement = _agreement(request, agreement_id)
    on = queries.today()
    return _instalments_out(agreement, on)


@router.post(
    "/{agreement_id}/instalments/{seq}/payments",
    response={201: PaymentOut, **ERRORS},
    summary="支付分期款 / pay an instalment (Idempotency-Key required)",
    description="An agreement's final instalment held for the year's evaluation (`held_for_evaluation` in the "
    "instalments) is refused with 409 `held_for_evaluation`: it is paid by the evaluation's settlement "
    "(`POST /api/evaluations/cycles/{id}/settlements`) once the cycle is published.",
)
@idempotent(status=201)
def agreements_pay(
    request: HttpRequest, payload: PaymentIn, agreement_id: int = object_id(), seq: int = object_id()
) -> PaymentOut:
    user, agreement = _agreement(request, agreement_id)
    instalment = Instalment.objects.filter(agreement=agreement, seq=seq).first()
    if instalment is None:
        raise NotFound("未找到该期 / instalment not found")
    payment = services.pay_instalment(
        actor=user, instalment=instalment, amount_fen=payload.amount_fen, note=payload.note
    )
    return PaymentOut(**_payment_out(payment))


def _payment_out(p: Payment) -> dict[str, Any]:
    p.instalment.refresh_from_db()
    return {
        "id": p.pk,
        "agreement_id": p.agreement_id,
        "instalment": _instalment_out(p.instalment, queries.today()),
        "amount_fen": p.amount_fen,
        "paid_at": p.paid_at,
        "transfer_id": p.transfer_id,
        "note": p.note,
    }


@router.get(
    "/{agreement_id}/payments", response={200: list[PaymentOut], **ERRORS}, summary="支付记录 / payments"
)
def agreements_payments(request: HttpRequest, agreement_id: int = object_id()) -> list[dict[str, Any]]:
    _user, agreement = _agreement(request, agreement_id)
    return [_payment_out(p) for p in agreement.payments.select_related("instalment", "instalment__version")]


# --- Completion reports -------------------------------------------------------------------------------------


@router.post(
    "/{agreement_id}/tasks/{task_id}/completions",
    response={201: CompletionOut, **ERRORS},
    summary="报告完成 / report a task done",
)
@idempotent(status=201)
def agreements_report(
    request: HttpRequest, payload: CompletionIn, agreement_id: int = object_id(), task_id: int = object_id()
) -> CompletionOut:
    user, agreement = _agreement(request, agreement_id)
    task = AgreementTask.objects.filter(agreement=agreement, pk=task_id).first()
    if task is None:
        raise NotFound("该事项不在本协议中 / task not found")
    completion = services.report_completion(
        actor=user, agreement=agreement, task=task, summary=payload.summary
    )
    return CompletionOut(**_completion_out(completion))


@router.post(
    "/completions/{completion_id}/review",
    response={200: CompletionOut, **ERRORS},
    summary="确认或异议 / review",
)
def agreements_review(
    request: HttpRequest, payload: ReviewIn, completion_id: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    completion = permissions.get_completion_for_user(user, completion_id)
    services.review_completion(actor=user, completion=completion, confirm=payload.confirm, note=payload.note)
    return _completion_out(completion)


@router.post(
    "/completions/{completion_id}/resolve",
    response={200: CompletionOut, **ERRORS},
    summary="认定争议 / resolve",
)
def agreements_resolve(
    request: HttpRequest, payload: ResolveIn, completion_id: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    completion = permissions.get_completion_for_user(user, completion_id)
    services.resolve_completion(
        actor=user, completion=completion, complete=payload.complete, note=payload.note
    )
    return _completion_out(completion)


@router.post(
    "/admitted/{task_id}/refuse",
    response={201: RefusalOut, **ERRORS},
    summary="拒绝协议未生效的准入事项 / refuse a task whose agreement is not in force",
)
@idempotent(status=201)
def agreements_refuse(request: HttpRequest, payload: RefuseIn, task_id: int = object_id()) -> RefusalOut:
    user = current_user(request)
    task = admission_permissions.get_task_for_user(user, task_id)
    refusal: Refusal = services.refuse_task_without_agreement(actor=user, task=task, details=payload.details)
    return RefusalOut(
        id=refusal.pk,
        reason=refusal.reason,
        title=refusal.title,
        details=refusal.details,
        admitted_task_id=refusal.admitted_task_id,
        created_at=refusal.created_at,
    )


# --- Templates ----------------------------------------------------------------------------------------------


def _template_out(t: AgreementTemplate) -> dict[str, Any]:
    return {
        "id": t.pk,
        "region": _ref(t.region),
        "year": t.year,
        "kind": t.kind,
        "title": t.title,
        "body": t.body,
        "schedule": list(t.schedule),
        "evaluation_method": t.evaluation_method,
        "liability_department": t.liability_department,
        "liability_party": t.liability_party,
        "trainings_per_year": t.trainings_per_year,
        "visits_per_year": t.visits_per_year,
        "is_sample": t.is_sample,
    }


def _template_data(payload: TemplateUpdateIn) -> services.TemplateData:
    return services.TemplateData(
        title=payload.title,
        body=payload.body,
        schedule=[dict(r) for r in payload.dict()["schedule"]],
        evaluation_method=payload.evaluation_method,
        liability_department=payload.liability_department,
        liability_party=payload.liability_party,
        trainings_per_year=payload.trainings_per_year,
        visits_per_year=payload.visits_per_year,
    )


@router.get("/templates/", response={200: list[TemplateOut], **ERRORS}, summary="协议范本 / templates")
def agreements_templates(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    if not permissions.may_manage_templates(user):
        raise PermissionDenied("只有审批办可以查看协议范本 / only the approval office keeps templates")
    return [_template_out(t) for t in permissions.templates_for_user(user)]


@router.post("/templates/", response={201: TemplateOut, **ERRORS}, summary="新建范本 / new template")
@idempotent(status=201)
def agreements_template_create(request: HttpRequest, payload: TemplateIn) -> TemplateOut:
    user = current_user(request)
    if not permissions.may_manage_templates(user):
        raise PermissionDenied("只有审批办可以编制协议范本 / only the approval office keeps templates")
    region = Region.objects.filter(pk=payload.region_id).first()
    if region is None:
        raise ValidationFailed("未知的区域 / unknown region", fields={"region_id": "unknown"})
    template = services.create_template(
        actor=user, region=region, year=payload.year, kind=payload.kind, data=_template_data(payload)
    )
    return TemplateOut(**_template_out(template))


@router.get("/templates/{template_id}", response={200: TemplateOut, **ERRORS}, summary="范本 / a template")
def agreements_template(request: HttpRequest, template_id: int = object_id()) -> dict[str, Any]:
    return _template_out(permissions.get_template_for_user(current_user(request), template_id))


@router.put(
    "/templates/{template_id}", response={200: TemplateOut, **ERRORS}, summary="修改范本 / edit a template"
)
def agreements_template_update(
    request: HttpRequest, payload: TemplateUpdateIn, template_id: int = object_id()
) -> dict[str, Any]:
    user = current_user(request)
    template = permissions.get_template_for_user(user, template_id)
    return _template_out(
        services.update_template(actor=user, template=template, data=_template_data(payload))
    )


# --- Public -------------------------------------------------------------------------------------------------


@public_router.get(
    "/public/communities/{community_id}",
    response={200: PublicCommunityOut, **ERRORS},
    summary="社区协议经费公开 / a community's agreement money (public)",
)
def agreements_public_community(request: HttpRequest, community_id: int = object_id()) -> dict[str, Any]:
    community = permissions.get_public_community(community_id)
    finance = queries.public_finance(community.pk)
    return {
        "community": _ref(community),
        "agreed_fen": finance.agreed,
        "received_fen": finance.received,
        "agreements": [
            {
                "number": a.number,
                "kind": a.kind,
                "year": a.year,
                "department": a.department,
                "party": a.party,
                "status": a.status,
                "agreed_fen": a.agreed,
                "received_fen": a.received,
            }
            for a in finance.agreements
        ],
        "quarters": [
            {"year": q.year, "quarter": q.quarter, "received_fen": q.received} for q in finance.quarters
        ],
    }
