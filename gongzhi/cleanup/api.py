"""JSON endpoints of the clean-up (under /api/cleanup/): campaigns and their transitions, task inventory
(entered or imported from xlsx) and decisions, plaques and their decisions and removal confirmations, the burden
dashboard, the working-day calendar, and the public list of a community's admitted tasks (no sign-in)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from gongzhi.admissions.models import TaskRequest
from gongzhi.cleanup import permissions, queries, services, xlsx
from gongzhi.cleanup.models import Campaign, CarriedTask, Plaque, PlaqueReview
from gongzhi.cleanup.schemas import (
    BurdenOut,
    CalendarYearIn,
    CalendarYearOut,
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CountOut,
    CountsOut,
    DashboardOut,
    DecidedOut,
    ImportOut,
    PlaqueDecisionIn,
    PlaqueIn,
    PlaqueOut,
    ProgressOut,
    PublicCommunityOut,
    PublicTaskOut,
    ReviewOut,
    TaskDecisionIn,
    TaskIn,
    TaskOut,
    TransitionIn,
)
from gongzhi.cleanup.uploads import photo_response
from gongzhi.core import services as core_services
from gongzhi.core.api_support import ERRORS, ErrorOut, current_user
from gongzhi.core.errors import NotFound, PermissionDenied, ValidationFailed
from gongzhi.core.idempotency import idempotent
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region

router = Router(tags=["cleanup"])
public_router = Router(tags=["cleanup"])


def _region(pk: int, field: str) -> Region:
    region = Region.objects.filter(pk=pk).first()
    if region is None:
        raise ValidationFailed("未知的区域 / unknown region", fields={field: "unknown"})
    return region


def _org(pk: int | None, field: str, kind: str | None = None) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None or (kind is not None and org.kind != kind):
        raise ValidationFailed("未知的机构 / unknown organization", fields={field: "unknown"})
    return org


def _ref(obj: Region | Organization | None) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk,
        "kind": c.kind,
        "title": c.title,
        "scope": _ref(c.scope),
        "doc_number": c.doc_number,
        "basis": c.basis,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "status": c.status,
        "is_sample": c.is_sample,
        "created_at": c.created_at,
        "closed_at": c.closed_at,
    }


def _count(row: queries.CountRow) -> CountOut:
    return CountOut(id=row.key, name=row.label, before=row.before, after=row.after, decided=row.decided)


def _counts(counts: queries.CampaignCounts) -> CountsOut:
    return CountsOut(
        total=_count(counts.total),
        communities=[_count(r) for r in counts.communities],
        departments=[_count(r) for r in counts.departments],
        removals=counts.removals,
        confirmed=counts.confirmed,
        progress_percent=counts.progress_percent,
    )


def _task(t: CarriedTask) -> TaskOut:
    return TaskOut(
        id=t.pk,
        campaign_id=t.campaign_id,
        community=_ref(t.community),  # type: ignore[arg-type]
        title=t.title,
        description=t.description,
        department=_ref(t.department),  # type: ignore[arg-type]
        basis=t.basis,
        forms_per_month=t.forms_per_month,
        source=t.source,
        verdict=t.verdict,
        flags=list(t.flags),
        matched_code=t.matched_code,
        matched_title=t.matched_title,
        verdict_reason=t.verdict_reason,
        suggestion=t.suggestion,
        decision=t.decision,
        decision_note=t.decision_note,
        transfer_to=_ref(t.transfer_to),  # type: ignore[arg-type]
        decided_at=t.decided_at,
    )


def _plaque(p: Plaque) -> PlaqueOut:
    return PlaqueOut(
        id=p.pk,
        community=_ref(p.community),  # type: ignore[arg-type]
        name=p.name,
        placement=p.placement,
        issuer=_ref(p.issuer),  # type: ignore[arg-type]
        issuer_name=p.issuer_name,
        placed_on=p.placed_on,
        basis=p.basis,
        task_request_id=p.task_request_id,
        status=p.status,
        has_photo=bool(p.photo),
        removed_at=p.removed_at,
    )


def _review(r: PlaqueReview) -> ReviewOut:
    return ReviewOut(
        id=r.pk,
        campaign_id=r.campaign_id,
        plaque=_plaque(r.plaque),
        suggestion=r.suggestion,
        suggestion_reason=r.suggestion_reason,
        decision=r.decision,
        reason=r.reason,
        decided_at=r.decided_at,
        confirmed_at=r.confirmed_at,
    )


# --- Campaigns ----------------------------------------------------------------------------------------------


@router.get("/cleanup/campaigns", response={200: list[CampaignOut], **ERRORS}, summary="清理行动 / campaigns")
def cleanup_list_campaigns(request: HttpRequest) -> list[dict[str, Any]]:
    return [_campaign(c) for c in permissions.campaigns_for_user(current_user(request))[:200]]


@router.post(
    "/cleanup/campaigns", response={201: CampaignOut, **ERRORS}, summary="发起清理行动 / start a campaign"
)
@idempotent(status=201)
def cleanup_create_campaign(request: HttpRequest, payload: CampaignIn) -> CampaignOut:
    data = payload.dict()
    scope = _region(data.pop("scope_id"), "scope_id")
    campaign = services.create_campaign(actor=current_user(request), scope=scope, **data)
    return CampaignOut(**_campaign(campaign))


@router.get(
    "/cleanup/campaigns/{pk}",
    response={200: CampaignDetailOut, **ERRORS},
    summary="清理行动详情 / a campaign",
)
def cleanup_get_campaign(request: HttpRequest, pk: int) -> CampaignDetailOut:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk)
    tasks = permissions.tasks_for_user(user, campaign) if campaign.is_tasks else None
    return CampaignDetailOut(
        **_campaign(campaign), counts=_counts(queries.campaign_counts(campaign, tasks=tasks))
    )


@router.post(
    "/cleanup/campaigns/{pk}/transitions",
    response={200: CampaignOut, **ERRORS},
    summary="推进清理行动 / move a campaign",
    description="非法的阶段变化返回409 / an illegal transition answers 409",
)
def cleanup_move_campaign(request: HttpRequest, pk: int, payload: TransitionIn) -> CampaignOut:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk, manage=True)
    services.move_campaign(actor=user, campaign=campaign, to=payload.to, reason=payload.reason)
    campaign.refresh_from_db()
    return CampaignOut(**_campaign(campaign))


@router.post(
    "/cleanup/campaigns/{pk}/accept-suggestions",
    response={200: DecidedOut, **ERRORS},
    summary="未决定的各项按建议决定 / decide the undecided items as suggested",
)
def cleanup_accept_suggestions(request: HttpRequest, pk: int) -> DecidedOut:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk, manage=True)
    if campaign.is_tasks:
        return DecidedOut(decided=services.accept_task_suggestions(actor=user, campaign=campaign))
    return DecidedOut(decided=services.accept_plaque_suggestions(actor=user, campaign=campaign))


# --- Tasks --------------------------------------------------------------------------------------------------


@router.get(
    "/cleanup/campaigns/{pk}/tasks", response={200: list[TaskOut], **ERRORS}, summary="登记的事项 / inventory"
)
def cleanup_list_tasks(request: HttpRequest, pk: int) -> list[TaskOut]:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk)
    return [_task(t) for t in permissions.tasks_for_user(user, campaign)[:2000]]


@router.post(
    "/cleanup/campaigns/{pk}/tasks", response={201: TaskOut, **ERRORS}, summary="登记事项 / enter a task"
)
@idempotent(status=201)
def cleanup_add_task(request: HttpRequest, pk: int, payload: TaskIn) -> TaskOut:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk)
    data = payload.dict()
    community = _region(data.pop("community_id"), "community_id")
    department = _org(data.pop("department_id"), "department_id", OrgKind.DEPARTMENT)
    task = services.add_carried_task(
        actor=user, campaign=campaign, community=community, department=department, **data
    )
    return _task(task)


@router.post(
    "/cleanup/campaigns/{pk}/tasks/import",
    response={201: ImportOut, **ERRORS},
    summary="从 xlsx 导入事项 / import tasks from xlsx",
    description=(
        "multipart: community_id + workbook。任何一行有误则不导入,422 的 error.rows 列出每处错误(row, column, "
        "message) / any bad row imports nothing; a 422's error.rows lists each problem"
    ),
)
def cleanup_import_tasks(
    request: HttpRequest, pk: int, community_id: Form[int], workbook: File[UploadedFile]
) -> Status[ImportOut]:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk)
    community = _region(community_id, "community_id")
    if (workbook.size or 0) > xlsx.MAX_WORKBOOK_BYTES:
        raise ValidationFailed(
            "工作簿不能超过5MB / the workbook must be at most 5 MB", fields={"workbook": "too_large"}
        )
    tasks = services.import_carried_tasks(
        actor=user, campaign=campaign, community=community, data=workbook.read()
    )
    return Status(201, ImportOut(imported=len(tasks)))


@router.post(
    "/cleanup/tasks/{pk}/decision", response={200: TaskOut, **ERRORS}, summary="决定事项去留 / decide a task"
)
def cleanup_decide_task(request: HttpRequest, pk: int, payload: TaskDecisionIn) -> TaskOut:
    user = current_user(request)
    task = permissions.get_task_for_user(user, pk)
    transfer_to = _org(payload.transfer_to_id, "transfer_to_id")
    task = services.decide_task(
        actor=user, task=task, decision=payload.decision, note=payload.note, transfer_to=transfer_to
    )
    return _task(task)


# --- Plaques ------------------------------------------------------------------------------------------------


@router.get("/cleanup/plaques", response={200: list[PlaqueOut], **ERRORS}, summary="牌子登记 / plaques")
def cleanup_list_plaques(request: HttpRequest, community: int | None = None) -> list[PlaqueOut]:
    plaques = permissions.plaques_for_user(current_user(request))
    if community is not None:
        plaques = plaques.filter(community_id=community)
    return [_plaque(p) for p in plaques[:2000]]


@router.post("/cleanup/plaques", response={201: PlaqueOut, **ERRORS}, summary="登记牌子 / register a plaque")
@idempotent(status=201)
def cleanup_register_plaque(request: HttpRequest, payload: PlaqueIn) -> PlaqueOut:
    data = payload.dict()
    community = _region(data.pop("community_id"), "community_id")
    issuer = _org(data.pop("issuer_id"), "issuer_id", OrgKind.DEPARTMENT)
    request_id = data.pop("task_request_id")
    task_request = TaskRequest.objects.filter(pk=request_id).first() if request_id is not None else None
    if request_id is not None and task_request is None:
        raise ValidationFailed("未知的准入申请 / unknown task request", fields={"task_request_id": "unknown"})
    plaque = services.register_plaque(
        actor=current_user(request), community=community, issuer=issuer, task_request=task_request, **data
    )
    return _plaque(plaque)


@router.post(
    "/cleanup/plaques/{pk}/photo",
    response={200: PlaqueOut, **ERRORS},
    summary="上传牌子照片 / upload a plaque's photo",
    description="multipart: photo(JPEG/PNG/WebP,≤10MB,按内容判断类型 / type checked by content)",
)
def cleanup_upload_plaque_photo(request: HttpRequest, pk: int, photo: File[UploadedFile]) -> PlaqueOut:
    user = current_user(request)
    plaque = permissions.get_plaque_for_user(user, pk, edit=True)
    return _plaque(services.set_plaque_photo(actor=user, plaque=plaque, photo=photo))


@router.get(
    "/cleanup/plaques/{pk}/photo",
    response={200: None, **ERRORS},
    summary="下载牌子照片 / download a plaque's photo",
)
def cleanup_download_plaque_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    plaque = permissions.get_plaque_for_user(current_user(request), pk)
    if not plaque.photo:
        raise NotFound("该牌子没有照片 / no photo")
    return photo_response(plaque.photo, plaque.photo_type, f"plaque-{plaque.pk}")


@router.get(
    "/cleanup/campaigns/{pk}/plaques",
    response={200: list[ReviewOut], **ERRORS},
    summary="减牌子行动中的牌子 / plaques in a campaign",
)
def cleanup_list_reviews(request: HttpRequest, pk: int) -> list[ReviewOut]:
    user = current_user(request)
    campaign = permissions.get_campaign_for_user(user, pk)
    return [_review(r) for r in permissions.reviews_for_user(user, campaign)[:2000]]


@router.post(
    "/cleanup/reviews/{pk}/decision",
    response={200: ReviewOut, **ERRORS},
    summary="决定牌子去留 / keep or remove",
)
def cleanup_decide_plaque(request: HttpRequest, pk: int, payload: PlaqueDecisionIn) -> ReviewOut:
    user = current_user(request)
    review = permissions.get_review_for_user(user, pk)
    return _review(
        services.decide_plaque(actor=user, review=review, decision=payload.decision, reason=payload.reason)
    )


@router.post(
    "/cleanup/reviews/{pk}/confirmation",
    response={200: ReviewOut, **ERRORS},
    summary="确认已摘牌(附照片) / confirm a removal with a photo",
)
def cleanup_confirm_removal(request: HttpRequest, pk: int, photo: File[UploadedFile]) -> ReviewOut:
    user = current_user(request)
    review = permissions.get_review_for_user(user, pk)
    return _review(services.confirm_plaque_removal(actor=user, review=review, photo=photo))


# --- Dashboard ----------------------------------------------------------------------------------------------


def _burden(b: queries.Burden) -> BurdenOut:
    return BurdenOut(
        id=b.key,
        name=b.label,
        admitted=b.admitted,
        funding_offered_fen=b.funding_offered_fen,
        funding_standard_fen=b.funding_standard_fen,
        funding_received_fen=b.funding_received_fen,
        forms_per_month=b.forms_per_month_rounded,
        plaques=b.plaques,
        refusals=b.refusals,
        upheld_reports=b.upheld_reports,
        tasks_before=b.tasks_before,
        tasks_after=b.tasks_after,
        task_forms_before=b.task_forms_before,
        task_forms_after=b.task_forms_after,
        plaques_before=b.plaques_before,
        plaques_after=b.plaques_after,
    )


def _dashboard(board: queries.Dashboard) -> DashboardOut:
    return DashboardOut(
        level=board.level,
        name=board.title,
        total=_burden(board.total),
        rows=[_burden(r) for r in board.rows],
        departments=[_burden(r) for r in board.departments],
        campaigns=[
            ProgressOut(
                campaign_id=p.campaign.pk,
                title=p.campaign.title,
                kind=p.campaign.kind,
                status=p.campaign.status,
                before=p.counts.total.before,
                after=p.counts.total.after,
                progress_percent=p.counts.progress_percent,
            )
            for p in board.campaigns
        ],
    )


@router.get(
    "/cleanup/dashboard/regions/{pk}",
    response={200: DashboardOut, **ERRORS},
    summary="减负看板:市、区、社区 / burden dashboard of a region",
)
def cleanup_region_dashboard(request: HttpRequest, pk: int) -> DashboardOut:
    region = permissions.get_dashboard_region_for_user(current_user(request), pk)
    return _dashboard(queries.region_dashboard(region))


@router.get(
    "/cleanup/dashboard/departments/{pk}",
    response={200: DashboardOut, **ERRORS},
    summary="减负看板:部门 / burden dashboard of a department",
)
def cleanup_department_dashboard(request: HttpRequest, pk: int) -> DashboardOut:
    department = permissions.get_dashboard_department_for_user(current_user(request), pk)
    return _dashboard(queries.department_dashboard(department))


# --- Working-day calendar -----------------------------------------------------------------------------------


def _calendar_out(row: dict[str, Any]) -> CalendarYearOut:
    entry = row["entry"]
    return CalendarYearOut(
        year=row["year"],
        source=row["source"],
        holidays=row["holidays"],
        workdays=row["workdays"],
        basis=entry.source if entry is not None else "chinese-calendar",
    )


@router.get(
    "/cleanup/calendar/years",
    response={200: list[CalendarYearOut], **ERRORS},
    summary="工作日历的年份及来源 / calendar years and their source",
)
def cleanup_calendar_years(request: HttpRequest) -> list[CalendarYearOut]:
    if not permissions.can_view_calendar(current_user(request)):
        raise NotFound("未找到 / not found")
    return [_calendar_out(row) for row in queries.calendar_years()]


@router.put(
    "/cleanup/calendar/years/{year}",
    response={200: CalendarYearOut, **ERRORS},
    summary="录入或替换一年的节假日安排 / enter or replace a year's schedule",
)
def cleanup_enter_calendar_year(request: HttpRequest, year: int, payload: CalendarYearIn) -> CalendarYearOut:
    user = current_user(request)
    if not permissions.can_view_calendar(user):
        raise NotFound("未找到 / not found")
    if not permissions.can_enter_calendar(user):
        raise PermissionDenied("只有审批办可以录入节假日安排 / only the approval office enters the calendar")
    core_services.enter_calendar_year(
        actor=user,
        year=year,
        holidays=[(d.date, d.name) for d in payload.holidays],
        workdays=[(d.date, d.name) for d in payload.workdays],
        assumed=payload.assumed,
        source=payload.source,
    )
    row = next(r for r in queries.calendar_years() if r["year"] == year)
    return _calendar_out(row)


# --- Public -------------------------------------------------------------------------------------------------


@public_router.get(
    "/cleanup/public/communities/{pk}",
    response={200: PublicCommunityOut, 404: ErrorOut},
    summary="社区公开页:准入事项 / a community's admitted tasks (public)",
    auth=None,
)
def cleanup_public_community(request: HttpRequest, pk: int) -> PublicCommunityOut:
    community = queries.public_community(pk)
    if community is None:
        raise NotFound("未找到该社区 / community not found")
    summary = queries.public_cleanup_summary(community)
    return PublicCommunityOut(
        community={"id": community.pk, "name": community.name},  # type: ignore[arg-type]
        admitted_tasks=[
            PublicTaskOut(
                title=t.title,
                kind=t.kind,
                department=t.department.name,
                starts_on=t.starts_on,
                ends_on=t.ends_on,
                funding_required_fen=t.funding_required_fen,
                funding_received_fen=t.funding_received_fen,
                requires_agreement=t.requires_agreement,
                list_item_code=t.list_item.code if t.list_item is not None else "",
            )
            for t in queries.public_admitted_tasks(community)
        ],
        **summary,
    )
