"""Every write of the clean-up: campaigns and their transitions, the plaque registry, the allowed set, plaque and
task decisions, inventory entry and import, removal confirmations. Each runs in one transaction with its audit
entry; state changes go through core.states.move."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.admissions.models import AdmittedTask, TaskRequest
from gongzhi.cleanup import classify, permissions
from gongzhi.cleanup.models import AllowedPlaque, Campaign, CarriedTask, Placement, Plaque, PlaqueReview
from gongzhi.cleanup.uploads import check_photo
from gongzhi.cleanup.xlsx import ImportFailed, RowError, read_inventory
from gongzhi.core import audit, states
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region

Status = Campaign.Status
Decision = CarriedTask.Decision


def _required(value: str, field: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{label}不能为空 / {field} is required", fields={field: "required"})
    if len(value) > limit:
        raise ValidationFailed(
            f"{label}不能超过{limit}字 / {field} is at most {limit} characters", fields={field: "too_long"}
        )
    return value


def _limited(value: str, field: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationFailed(
            f"{label}不能超过{limit}字 / {field} is at most {limit} characters", fields={field: "too_long"}
        )
    return value


def _require_status(campaign: Campaign, *allowed: str, doing: str) -> None:
    if campaign.status not in allowed:
        raise Conflict(
            f"清理行动处于“{campaign.get_status_display()}”阶段,不能{doing} / "
            f"the campaign is {campaign.status}: not allowed now",
            code="wrong_stage",
        )


def _locked(campaign: Campaign) -> Campaign:
    """Re-read the campaign under a row lock so that a stage change cannot race a write in that stage."""
    return Campaign.objects.select_for_update(of=("self",)).select_related("scope").get(pk=campaign.pk)


# --- Campaigns ----------------------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    *,
    actor: User,
    kind: str,
    title: str,
    scope: Region,
    doc_number: str = "",
    basis: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    note: str = "",
    is_sample: bool = False,
) -> Campaign:
    if not permissions.can_create_campaign_in(actor, scope):
        raise PermissionDenied(
            "只有审批办可以在其辖区发起清理行动 / only the approval office may start a campaign here"
        )
    if kind not in Campaign.Kind.values:
        raise ValidationFailed("未知的清理类型 / unknown campaign kind", fields={"kind": "invalid"})
    title = _required(title, "title", "名称", 120)
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationFailed(
            "完成期限不能早于开始日期 / the deadline cannot be before the start",
            fields={"ends_on": "before_start"},
        )
    campaign = Campaign.objects.create(
        kind=kind,
        title=title,
        scope=scope,
        doc_number=_limited(doc_number, "doc_number", "文号", 80),
        basis=_limited(basis, "basis", "依据", 300),
        starts_on=starts_on,
        ends_on=ends_on,
        note=_limited(note, "note", "说明", 2000),
        is_sample=is_sample,
        created_by=actor,
    )
    audit.record(
        "cleanup.campaign.create", actor=actor, target=campaign, data={"kind": kind, "scope": scope.pk}
    )
    return campaign


def _open_plaque_reviews(actor: User | None, campaign: Campaign) -> int:
    """Create a review for each active plaque in scope that has none yet, with the allowed set's suggestion."""
    communities = permissions.communities_in_scope(campaign)
    plaques = (
        Plaque.objects.filter(community__in=communities, status=Plaque.Status.ACTIVE)
        .exclude(reviews__campaign=campaign)
        .select_related("community", "task_request")
    )
    rules = allowed_set_for(campaign.scope)
    created = []
    for plaque in plaques:
        suggestion, reason, matched = plaque_suggestion(plaque, rules)
        created.append(
            PlaqueReview(
                campaign=campaign,
                plaque=plaque,
                suggestion=suggestion,
                suggestion_reason=reason,
                matched=matched,
            )
        )
    PlaqueReview.objects.bulk_create(created)
    return len(created)


@transaction.atomic
def move_campaign(*, actor: User, campaign: Campaign, to: str, reason: str = "") -> Campaign:
    """Move a campaign along its TRANSITIONS table, with the checks each stage needs:
    review opens a decision for every active plaque in scope; execution needs every item decided; closing a
    plaque campaign needs every removal confirmed with a photo."""
    if not permissions.can_manage_campaign(actor, campaign):
        raise PermissionDenied("只有审批办可以推进清理行动 / only the approval office moves a campaign")
    current = _locked(campaign)
    reason = _limited(reason, "reason", "理由", 300)
    if to not in Campaign.TRANSITIONS.get(current.status, set()):
        # Let states.move raise the uniform InvalidTransition (409).
        return states.move(current, to, actor=actor, reason=reason, action=f"cleanup.campaign.{to}")
    data: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    if to == Status.CANCELLED and not reason:
        raise ValidationFailed(
            "撤销须说明理由 / a reason is required to cancel", fields={"reason": "required"}
        )
    if to == Status.REVIEW and current.is_plaques:
        data["reviews_opened"] = _open_plaque_reviews(actor, current)
    if to == Status.EXECUTION:
        undecided = (
            current.plaque_reviews.filter(decision="").count()
            if current.is_plaques
            else current.tasks.filter(decision="").count()
        )
        if undecided:
            raise Conflict(
                f"还有 {undecided} 项未作决定 / {undecided} item(s) are still undecided",
                code="undecided_items",
            )
    if to == Status.CLOSED:
        if current.is_plaques:
            waiting = current.plaque_reviews.filter(
                decision=PlaqueReview.Decision.REMOVE, confirmed_at__isnull=True
            )
            if waiting.exists():
                raise Conflict(
                    f"还有 {waiting.count()} 块牌子未确认摘除 / {waiting.count()} removal(s) not yet confirmed",
                    code="removals_unconfirmed",
                )
        fields["closed_at"] = timezone.now()
    states.move(
        current, to, actor=actor, reason=reason, fields=fields, data=data, action=f"cleanup.campaign.{to}"
    )
    campaign.status = current.status
    campaign.closed_at = current.closed_at
    return campaign


# --- Allowed set of plaques ----------------------------------------------------------------------------------


def allowed_set_for(region: Region) -> list[AllowedPlaque]:
    """The allowed set that applies in a region: entries of the region and of every region above it."""
    chain = [region.pk, *(r.pk for r in region.ancestors())]
    return list(AllowedPlaque.objects.filter(region_id__in=chain))


def plaque_suggestion(plaque: Plaque, rules: list[AllowedPlaque]) -> tuple[str, str, AllowedPlaque | None]:
    """Keep or remove, and why, from the allowed set: a banned board is removed; a plaque the set allows is kept
    where the set allows it (outside or inside); anything else is removed."""
    keep, remove = PlaqueReview.Decision.KEEP, PlaqueReview.Decision.REMOVE
    name = plaque.name
    for rule in rules:
        if rule.kind == AllowedPlaque.Kind.BANNED and any(t in name for t in rule.terms()):
            return remove, f"属于一律不准上墙的内容:{rule.name}", rule
    if plaque.task_request is not None and _admitted_plaque(plaque.task_request, plaque.community):
        return keep, f"经准入审批挂牌(准入申请 #{plaque.task_request_id})", None
    wrong_place: AllowedPlaque | None = None
    for rule in rules:
        if rule.kind != AllowedPlaque.Kind.ALLOWED or not any(t in name for t in rule.terms()):
            continue
        if not rule.placement or rule.placement == plaque.placement:
            return (
                keep,
                f"在允许保留的牌子之列:{rule.name}({rule.get_placement_display() or '不限位置'})",
                rule,
            )
        wrong_place = rule
    if wrong_place is not None:
        return remove, f"“{wrong_place.name}”只允许挂在{wrong_place.get_placement_display()}", wrong_place
    return remove, "不在本市允许保留的牌子之列", None


@transaction.atomic
def add_allowed_plaque(
    *,
    actor: User | None,
    region: Region,
    name: str,
    placement: str = "",
    kind: str = AllowedPlaque.Kind.ALLOWED,
    keywords: str = "",
    source: str = "",
    is_sample: bool = False,
) -> AllowedPlaque:
    if actor is not None and not permissions.can_edit_allowed_set(actor, region):
        raise PermissionDenied("只有审批办可以配置允许保留的牌子 / only the approval office configures this")
    name = _required(name, "name", "名称", 80)
    if placement and placement not in Placement.values:
        raise ValidationFailed("位置无效 / invalid placement", fields={"placement": "invalid"})
    if kind not in AllowedPlaque.Kind.values:
        raise ValidationFailed("类别无效 / invalid kind", fields={"kind": "invalid"})
    if AllowedPlaque.objects.filter(region=region, name=name, placement=placement).exists():
        raise Conflict("已有同名条目 / this entry exists already", fields={"name": "taken"})
    position = AllowedPlaque.objects.filter(region=region).count() + 1
    entry = AllowedPlaque.objects.create(
        region=region,
        name=name,
        placement=placement,
        kind=kind,
        keywords=_limited(keywords, "keywords", "关键词", 300),
        source=_limited(source, "source", "依据", 300),
        position=position,
        is_sample=is_sample,
    )
    audit.record(
        "cleanup.allowed.add",
        actor=actor,
        target=entry,
        data={"region": region.pk, "kind": kind, "placement": placement},
    )
    return entry


@transaction.atomic
def remove_allowed_plaque(*, actor: User, entry: AllowedPlaque) -> None:
    if not permissions.can_edit_allowed_set(actor, entry.region):
        raise PermissionDenied("只有审批办可以配置允许保留的牌子 / only the approval office configures this")
    audit.record("cleanup.allowed.remove", actor=actor, target=entry, data={"name": entry.name})
    entry.delete()


# --- Plaques ------------------------------------------------------------------------------------------------


def _issuer(issuer: Organization | None) -> Organization | None:
    if issuer is not None and issuer.kind != OrgKind.DEPARTMENT:
        raise ValidationFailed(
            "挂牌部门须为政府部门 / the issuer must be a department", fields={"issuer": "invalid"}
        )
    return issuer


def _admitted_plaque(request: TaskRequest, community: Region) -> bool:
    """An approved request of kind plaque with an active admitted task at the community."""
    return (
        request.kind == TaskRequest.Kind.PLAQUE
        and request.status == TaskRequest.Status.APPROVED
        and AdmittedTask.objects.filter(
            request=request, community=community, status=AdmittedTask.Status.ACTIVE
        ).exists()
    )


@transaction.atomic
def register_plaque(
    *,
    actor: User | None,
    community: Region,
    name: str,
    placement: str,
    issuer: Organization | None = None,
    issuer_name: str = "",
    placed_on: date | None = None,
    basis: str = "",
    photo: UploadedFile | None = None,
    task_request: TaskRequest | None = None,
    is_sample: bool = False,
) -> Plaque:
    """Register a plaque. `task_request`: the approved admission request of kind "plaque" it was hung under."""
    if actor is not None and not permissions.can_register_plaque(actor, community):
        raise PermissionDenied("只能登记本社区的牌子 / you may register plaques of your own community only")
    if not community.is_grassroots:
        raise ValidationFailed(
            "牌子须属于社区 / a plaque belongs to a community", fields={"community": "invalid"}
        )
    name = _required(name, "name", "牌子名称", 100)
    if placement not in Placement.values:
        raise ValidationFailed(
            "请选择室外或室内 / choose outside or inside", fields={"placement": "required"}
        )
    if placed_on is not None and placed_on > timezone.localdate():
        raise ValidationFailed(
            "挂牌日期不能在将来 / the date cannot be in the future", fields={"placed_on": "future"}
        )
    if task_request is not None and not _admitted_plaque(task_request, community):
        raise ValidationFailed(
            "该准入申请不是本社区已准入的挂牌申请 / not an admitted plaque request for this community",
            fields={"task_request": "invalid"},
        )
    plaque = Plaque(
        community=community,
        task_request=task_request,
        name=name,
        placement=placement,
        issuer=_issuer(issuer),
        issuer_name=_limited(issuer_name, "issuer_name", "挂牌单位", 100) if issuer is None else "",
        placed_on=placed_on,
        basis=_limited(basis, "basis", "挂牌依据", 300),
        is_sample=is_sample,
        created_by=actor,
    )
    if photo is not None:
        mime, ext = check_photo(photo)
        plaque.photo_type = mime
        plaque.photo.save(f"photo{ext}", photo, save=False)
    plaque.save()
    audit.record(
        "cleanup.plaque.register",
        actor=actor,
        target=plaque,
        data={"community": community.pk, "placement": placement, "photo": bool(photo)},
    )
    return plaque


@transaction.atomic
def set_plaque_photo(*, actor: User, plaque: Plaque, photo: UploadedFile) -> Plaque:
    if not permissions.can_edit_plaque(actor, plaque):
        raise PermissionDenied("只能为本社区在挂的牌子上传照片 / only your community's plaques in place")
    mime, ext = check_photo(photo)
    old = plaque.photo.name if plaque.photo else ""
    plaque.photo_type = mime
    plaque.photo.save(f"photo{ext}", photo, save=False)
    plaque.save(update_fields=["photo", "photo_type"])
    audit.record("cleanup.plaque.photo", actor=actor, target=plaque, data={"replaced": bool(old)})
    if old:
        storage = plaque.photo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return plaque


@transaction.atomic
def decide_plaque(*, actor: User, review: PlaqueReview, decision: str, reason: str = "") -> PlaqueReview:
    campaign = _locked(review.campaign)
    if not permissions.can_decide(actor, campaign):
        raise PermissionDenied("只有审批办可以作出决定 / only the approval office decides")
    _require_status(campaign, Status.REVIEW, doing="作出决定")
    if decision not in PlaqueReview.Decision.values:
        raise ValidationFailed("请选择保留或摘除 / choose keep or remove", fields={"decision": "invalid"})
    reason = _limited(reason, "reason", "理由", 300)
    if decision != review.suggestion and not reason:
        raise ValidationFailed(
            "与建议不同的决定须说明理由 / a decision that differs from the suggestion needs a reason",
            fields={"reason": "required"},
        )
    review = PlaqueReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
    review.decision, review.reason = decision, reason or review.suggestion_reason
    review.decided_by, review.decided_at = actor, timezone.now()
    review.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
    audit.record(
        "cleanup.plaque.decide",
        actor=actor,
        target=review,
        data={"plaque": review.plaque_id, "decision": decision, "suggestion": review.suggestion},
    )
    return review


@transaction.atomic
def accept_plaque_suggestions(*, actor: User, campaign: Campaign) -> int:
    """Decide every undecided plaque as suggested by the allowed set. Returns how many were decided."""
    campaign = _locked(campaign)
    if not permissions.can_decide(actor, campaign):
        raise PermissionDenied("只有审批办可以作出决定 / only the approval office decides")
    _require_status(campaign, Status.REVIEW, doing="作出决定")
    now = timezone.now()
    pending = list(campaign.plaque_reviews.select_for_update(of=("self",)).filter(decision=""))
    for review in pending:
        review.decision, review.reason = review.suggestion, review.suggestion_reason
        review.decided_by, review.decided_at = actor, now
    PlaqueReview.objects.bulk_update(pending, ["decision", "reason", "decided_by", "decided_at"])
    audit.record(
        "cleanup.plaque.accept_suggestions", actor=actor, target=campaign, data={"count": len(pending)}
    )
    return len(pending)


@transaction.atomic
def confirm_plaque_removal(*, actor: User, review: PlaqueReview, photo: UploadedFile | None) -> PlaqueReview:
    """The community confirms, with a photo, that a plaque decided "remove" is down; the plaque leaves the registry."""
    campaign = _locked(review.campaign)
    review = (
        PlaqueReview.objects.select_for_update(of=("self",))
        .select_related("plaque", "plaque__community")
        .get(pk=review.pk)
    )
    if not permissions.can_confirm_removal(actor, review):
        raise PermissionDenied(
            "只有本社区工作人员可以确认摘牌 / only the community's staff confirm a removal"
        )
    _require_status(campaign, Status.EXECUTION, doing="确认摘牌")
    if review.decision != PlaqueReview.Decision.REMOVE:
        raise Conflict("这块牌子的决定是保留 / this plaque is to be kept", code="not_removed")
    if review.confirmed_at is not None:
        raise Conflict("已确认摘除 / the removal is already confirmed", code="already_confirmed")
    if photo is None:
        raise ValidationFailed(
            "请上传摘牌后的照片 / a photo of the removal is required", fields={"photo": "required"}
        )
    mime, ext = check_photo(photo)
    now = timezone.now()
    review.removal_photo_type = mime
    review.removal_photo.save(f"removal{ext}", photo, save=False)
    review.confirmed_by, review.confirmed_at = actor, now
    review.save(update_fields=["removal_photo", "removal_photo_type", "confirmed_by", "confirmed_at"])
    states.move(
        review.plaque,
        Plaque.Status.REMOVED,
        actor=actor,
        fields={"removed_at": now},
        data={"campaign": campaign.pk, "review": review.pk},
        action="cleanup.plaque.removed",
    )
    return review


# --- Tasks --------------------------------------------------------------------------------------------------


def _department_lookup(city_ids: set[int]) -> dict[str, Organization]:
    lookup: dict[str, Organization] = {}
    departments = Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True, region_id__in=city_ids)
    for org in departments.select_related("region"):
        # full name, short name, or the name without its city ("铜陵市民政局" → "民政局")
        for key in {org.name, org.short_name, org.name.removeprefix(org.region.name)}:
            if key:
                lookup.setdefault(key, org)
    return lookup


def _classified(
    campaign: Campaign,
    community: Region,
    *,
    actor: User | None,
    title: str,
    description: str,
    department: Organization | None,
    basis: str,
    forms_per_month: int,
    source: str,
    is_sample: bool = False,
) -> CarriedTask:
    result = classify.classify(f"{title}\n{description}".strip(), community=community)
    return CarriedTask(
        campaign=campaign,
        community=community,
        title=title,
        description=description,
        department=department,
        basis=basis,
        forms_per_month=forms_per_month,
        source=source,
        verdict=result.verdict,
        flags=result.flags,
        matched_code=result.code,
        matched_title=result.title,
        verdict_reason=result.reason,
        suggestion=classify.suggest(result.verdict, result.flags, has_department=department is not None),
        entered_by=actor,
        is_sample=is_sample,
    )


def _check_inventory(actor: User | None, campaign: Campaign, community: Region) -> None:
    if campaign.kind != Campaign.Kind.TASKS:
        raise ValidationFailed(
            "这是减牌子行动,不登记事项 / this is a plaque campaign", fields={"campaign": "kind"}
        )
    if actor is not None and not permissions.can_enter_inventory(actor, campaign, community):
        raise PermissionDenied("只能登记本社区承担的事项 / you may enter your own community's tasks only")
    if community.pk not in permissions.subtree_ids({campaign.scope_id}) or not community.is_grassroots:
        raise ValidationFailed(
            "该社区不在本次清理范围内 / the community is outside the campaign", fields={"community": "scope"}
        )
    _require_status(campaign, Status.INVENTORY, doing="登记事项")


@transaction.atomic
def add_carried_task(
    *,
    actor: User | None,
    campaign: Campaign,
    community: Region,
    title: str,
    description: str = "",
    department: Organization | None = None,
    basis: str = "",
    forms_per_month: int = 0,
    is_sample: bool = False,
) -> CarriedTask:
    campaign = _locked(campaign)
    _check_inventory(actor, campaign, community)
    title = _required(title, "title", "事项名称", 200)
    if not 0 <= forms_per_month <= 1000:
        raise ValidationFailed(
            "每月报表须为0至1000 / forms per month must be 0–1000", fields={"forms_per_month": "range"}
        )
    if department is not None and department.kind != OrgKind.DEPARTMENT:
        raise ValidationFailed(
            "交办部门须为政府部门 / must be a department", fields={"department": "invalid"}
        )
    if campaign.tasks.filter(community=community, title=title).exists():
        raise Conflict("本社区已登记同名事项 / this task is already entered", fields={"title": "taken"})
    task = _classified(
        campaign,
        community,
        actor=actor,
        title=title,
        description=_limited(description, "description", "内容说明", 2000),
        department=department,
        basis=_limited(basis, "basis", "依据", 300),
        forms_per_month=forms_per_month,
        source=CarriedTask.Source.ENTERED,
        is_sample=is_sample,
    )
    task.save()
    audit.record(
        "cleanup.task.add",
        actor=actor,
        target=task,
        data={"campaign": campaign.pk, "community": community.pk, "verdict": task.verdict},
    )
    return task


@transaction.atomic
def import_carried_tasks(
    *, actor: User, campaign: Campaign, community: Region, data: bytes
) -> list[CarriedTask]:
    """Import a community's inventory from an xlsx workbook: every row is checked first; if any row is wrong,
    ImportFailed lists each problem (row, column, message) and nothing is imported."""
    campaign = _locked(campaign)
    _check_inventory(actor, campaign, community)
    rows = read_inventory(data)
    city_ids = {community.pk, *(r.pk for r in community.ancestors())}
    departments = _department_lookup(city_ids)
    existing = set(campaign.tasks.filter(community=community).values_list("title", flat=True))
    errors: list[RowError] = []
    for row in rows:
        if row.department and row.department not in departments:
            errors.append(
                RowError(row.row, "交办部门", f"平台中没有“{row.department}”这个部门 / unknown department")
            )
        if row.title in existing:
            errors.append(RowError(row.row, "事项名称", "本社区已登记同名事项 / already entered"))
    if errors:
        raise ImportFailed(errors)
    tasks = [
        _classified(
            campaign,
            community,
            actor=actor,
            title=row.title,
            description=row.description[:2000],
            department=departments.get(row.department) if row.department else None,
            basis=row.basis,
            forms_per_month=row.forms_per_month,
            source=CarriedTask.Source.IMPORTED,
        )
        for row in rows
    ]
    CarriedTask.objects.bulk_create(tasks)
    audit.record(
        "cleanup.task.import",
        actor=actor,
        target=campaign,
        data={"community": community.pk, "rows": len(tasks)},
    )
    return tasks


@transaction.atomic
def withdraw_carried_task(*, actor: User, task: CarriedTask) -> None:
    """Take back a task entered by mistake, while the inventory is open."""
    campaign = _locked(task.campaign)
    _check_inventory(actor, campaign, task.community)
    audit.record(
        "cleanup.task.withdraw", actor=actor, target=task, data={"campaign": campaign.pk, "title": task.title}
    )
    task.delete()


def _transfer_target(
    task: CarriedTask, decision: str, transfer_to: Organization | None
) -> Organization | None:
    if decision not in CarriedTask.TRANSFERS:
        if transfer_to is not None:
            raise ValidationFailed(
                "只有转交才需要承接机构 / only a transfer names a recipient",
                fields={"transfer_to": "unexpected"},
            )
        return None
    if transfer_to is None:
        raise ValidationFailed(
            "请选择承接机构 / choose who takes the task over", fields={"transfer_to": "required"}
        )
    if decision == Decision.TO_CENTRE and (
        transfer_to.kind != OrgKind.SERVICE_CENTRE or transfer_to.region_id != task.community_id
    ):
        raise ValidationFailed(
            "须转交本社区的服务中心 / must go to this community's service centre",
            fields={"transfer_to": "invalid"},
        )
    if decision == Decision.TO_SOCIAL_ORG and transfer_to.kind != OrgKind.SOCIAL_ORG:
        raise ValidationFailed(
            "须转交社会组织 / must go to a social organization", fields={"transfer_to": "invalid"}
        )
    return transfer_to


@transaction.atomic
def decide_task(
    *,
    actor: User,
    task: CarriedTask,
    decision: str,
    note: str = "",
    transfer_to: Organization | None = None,
) -> CarriedTask:
    campaign = _locked(task.campaign)
    if not permissions.can_decide(actor, campaign):
        raise PermissionDenied("只有审批办可以作出决定 / only the approval office decides")
    _require_status(campaign, Status.REVIEW, doing="作出决定")
    if decision not in Decision.values:
        raise ValidationFailed("请选择处理方式 / choose a decision", fields={"decision": "invalid"})
    task = CarriedTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
    if decision == Decision.RETURN and task.department_id is None:
        raise ValidationFailed(
            "未登记交办部门,无法退回 / no department is recorded to return it to",
            fields={"decision": "no_department"},
        )
    if decision == Decision.KEEP_STATUTORY and task.verdict == "excluded":
        raise ValidationFailed(
            "清单明确不应由社区承担的事项不能作为依法履职事项保留 / work the list excludes cannot be kept as a duty",
            fields={"decision": "excluded"},
        )
    note = _limited(note, "note", "说明", 300)
    if task.suggestion and decision != task.suggestion and not note:
        raise ValidationFailed(
            "与建议不同的决定须说明理由 / a decision that differs from the suggestion needs a reason",
            fields={"note": "required"},
        )
    task.transfer_to = _transfer_target(task, decision, transfer_to)
    task.decision, task.decision_note = decision, note
    task.decided_by, task.decided_at = actor, timezone.now()
    task.save(update_fields=["decision", "decision_note", "transfer_to", "decided_by", "decided_at"])
    audit.record(
        "cleanup.task.decide",
        actor=actor,
        target=task,
        data={"decision": decision, "suggestion": task.suggestion, "verdict": task.verdict},
    )
    return task


@transaction.atomic
def accept_task_suggestions(*, actor: User, campaign: Campaign) -> int:
    """Decide every undecided task that has a suggestion (transfers need a recipient and are left to the office)."""
    campaign = _locked(campaign)
    if not permissions.can_decide(actor, campaign):
        raise PermissionDenied("只有审批办可以作出决定 / only the approval office decides")
    _require_status(campaign, Status.REVIEW, doing="作出决定")
    now = timezone.now()
    pending = list(
        campaign.tasks.select_for_update(of=("self",))
        .filter(decision="")
        .exclude(suggestion="")
        .exclude(Q(suggestion=Decision.RETURN) & Q(department__isnull=True))
    )
    for task in pending:
        task.decision, task.decided_by, task.decided_at = task.suggestion, actor, now
    CarriedTask.objects.bulk_update(pending, ["decision", "decided_by", "decided_at"])
    audit.record(
        "cleanup.task.accept_suggestions", actor=actor, target=campaign, data={"count": len(pending)}
    )
    return len(pending)
