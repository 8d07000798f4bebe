"""Every write of the agreements mechanism: templates, drafting, sending, signing, reserving the budget and
activation (费随事转), instalment payments through the funds ledger, amendments, termination and completion,
completion reports and their review, overdue flags, and the community's refusal of a task left without an
active agreement.

Each service takes keyword-only arguments and an explicit `actor`, runs in one transaction, checks who may act
(PermissionDenied 403; the accessors in permissions.py already answered 404 for what the actor may not see) and
writes its audit entry in the same transaction. Status changes go through core.states.move (one audit entry per
transition; a wrong state is 409). Money moves only through gongzhi.funds.services.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from gongzhi.admissions import files as admission_files
from gongzhi.admissions import permissions as admission_permissions
from gongzhi.admissions import services as admission_services
from gongzhi.admissions.models import AdmittedTask, Refusal
from gongzhi.agreements import canonical, evidence, notices, permissions
from gongzhi.agreements.models import (
    Agreement,
    AgreementTask,
    AgreementTemplate,
    Anchor,
    Completion,
    Instalment,
    Kind,
    Payment,
    Side,
    Signature,
    Version,
    VersionItem,
)
from gongzhi.core import audit, states
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.funds import permissions as funds_permissions
from gongzhi.funds import services as funds
from gongzhi.funds.models import Account
from gongzhi.orgs.models import Organization, Region

MAX_AMOUNT_FEN = 10**12
MIN_YEAR, MAX_YEAR = 2000, 2100
LIMITS = {
    "contact_name": 60,
    "contact_phone": 30,
    "guidance_notes": 4000,
    "evaluation_method": 4000,
    "liability_department": 4000,
    "liability_party": 4000,
}
MINUTES_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,60}$")


def today() -> dt.date:
    return timezone.localdate()


def _raise_if(problems: dict[str, str], what: str) -> None:
    if problems:
        first = next(iter(problems.values()))
        raise ValidationFailed(f"{what}:{first}", fields=problems)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _amount_problem(value: Any, *, positive: bool = False) -> str | None:
    if not _is_int(value):
        return "金额须为整数(分) / the amount must be a whole number of fen"
    if value < 0 or (positive and value == 0):
        return (
            "金额须大于0 / the amount must be positive" if positive else "金额不能为负 / cannot be negative"
        )
    if value > MAX_AMOUNT_FEN:
        return "金额过大 / the amount is too large"
    return None


# --- templates ----------------------------------------------------------------------------------------------


@dataclass
class TemplateData:
    title: str
    body: str
    schedule: list[dict[str, Any]]
    evaluation_method: str
    liability_department: str
    liability_party: str
    trainings_per_year: int = 2
    visits_per_year: int = 4


def default_template_data(kind: str = Kind.ENTRUSTMENT) -> TemplateData:
    return TemplateData(
        title=canonical.DEFAULT_TITLE if kind == Kind.ENTRUSTMENT else canonical.DEFAULT_PURCHASE_TITLE,
        body=canonical.DEFAULT_BODY,
        schedule=[dict(r) for r in canonical.DEFAULT_SCHEDULE],
        evaluation_method=canonical.DEFAULT_EVALUATION,
        liability_department=canonical.DEFAULT_LIABILITY_DEPARTMENT,
        liability_party=canonical.DEFAULT_LIABILITY_PARTY,
    )


def template_problems(data: TemplateData) -> dict[str, str]:
    problems: dict[str, str] = {}
    title, body = data.title.strip(), data.body.strip()
    if not title:
        problems["title"] = "标题不能为空 / the title is required"
    elif len(title) > 120:
        problems["title"] = "标题不能超过120字 / at most 120 characters"
    if not body:
        problems["body"] = "正文不能为空 / the body is required"
    elif len(body) > 20000:
        problems["body"] = "正文不能超过20000字 / at most 20000 characters"
    if not problems:
        problems.update(canonical.template_problems(title, body))
    schedule_problem = canonical.schedule_problems(data.schedule)
    if schedule_problem:
        problems["schedule"] = schedule_problem
    for name in ("evaluation_method", "liability_department", "liability_party"):
        text = getattr(data, name).strip()
        if not text:
            problems[name] = "不能为空 / required"
        elif len(text) > LIMITS[name]:
            problems[name] = f"不能超过{LIMITS[name]}字 / at most {LIMITS[name]} characters"
    for name in ("trainings_per_year", "visits_per_year"):
        value = getattr(data, name)
        if not _is_int(value) or not 0 <= value <= 366:
            problems[name] = "次数须为0至366 / must be 0–366"
    return problems


def _write_template(template: AgreementTemplate, data: TemplateData) -> list[str]:
    values: dict[str, Any] = {
        "title": data.title.strip(),
        "body": canonical.normalize(data.body),
        "schedule": [dict(r) for r in data.schedule],
        "evaluation_method": data.evaluation_method.strip(),
        "liability_department": data.liability_department.strip(),
        "liability_party": data.liability_party.strip(),
        "trainings_per_year": data.trainings_per_year,
        "visits_per_year": data.visits_per_year,
    }
    changed = []
    for name, value in values.items():
        if getattr(template, name) != value:
            setattr(template, name, value)
            changed.append(name)
    return changed


@transaction.atomic
def create_template(
    *, actor: User | None, region: Region, year: int, kind: str, data: TemplateData, is_sample: bool = False
) -> AgreementTemplate:
    """The approval office's template for a year (one per region, year and kind)."""
    if actor is not None and region.pk not in permissions.template_regions(actor):
        raise PermissionDenied("只有审批办可以编制协议范本 / only the approval office keeps templates")
    problems = template_problems(data)
    if kind not in Kind.values:
        problems["kind"] = "请选择协议类型 / choose the kind"
    if not _is_int(year) or not MIN_YEAR <= year <= MAX_YEAR:
        problems["year"] = f"年度须在{MIN_YEAR}至{MAX_YEAR}之间 / the year must be {MIN_YEAR}–{MAX_YEAR}"
    _raise_if(problems, "范本信息有误 / invalid template")
    if AgreementTemplate.objects.filter(region=region, year=year, kind=kind).exists():
        raise Conflict(
            "该年度已有此类协议范本,请修改原范本 / a template for that year and kind exists; edit it",
            fields={"year": "exists"},
        )
    template = AgreementTemplate(region=region, year=year, kind=kind, created_by=actor, is_sample=is_sample)
    _write_template(template, data)
    template.save()
    audit.record(
        "agreements.template.create", actor=actor, target=template, data={"year": year, "kind": kind}
    )
    return template


@transaction.atomic
def update_template(*, actor: User, template: AgreementTemplate, data: TemplateData) -> AgreementTemplate:
    """Change a template. Agreements already sent keep the text they were sent with; drafts use the new one."""
    if not permissions.can_edit_template(actor, template):
        raise PermissionDenied("只有审批办可以修改协议范本 / only the approval office edits templates")
    _raise_if(template_problems(data), "范本信息有误 / invalid template")
    locked = AgreementTemplate.objects.select_for_update(of=("self",)).get(pk=template.pk)
    changed = _write_template(locked, data)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        audit.record("agreements.template.update", actor=actor, target=locked, data={"fields": changed})
    return locked


def template_for(department: Organization, year: int, kind: str) -> AgreementTemplate | None:
    """The template of the nearest region at or above the department's."""
    region: Region | None = department.region
    while region is not None:
        found = AgreementTemplate.objects.filter(region=region, year=year, kind=kind).first()
        if found is not None:
            return found
        region = region.parent
    return None


# --- reading helpers ----------------------------------------------------------------------------------------


def open_version(agreement: Agreement, *, lock: bool = False) -> Version | None:
    qs = Version.objects.filter(agreement=agreement, status__in=Version.OPEN)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.first()


def effective_version(agreement: Agreement) -> Version | None:
    return Version.objects.filter(agreement=agreement, status=Version.Status.EFFECTIVE).first()


def effective_total(agreement: Agreement) -> int:
    version = effective_version(agreement)
    return version.total_fen if version is not None else 0


def items_total(version: Version) -> int:
    return int(version.items.aggregate(s=Sum("amount_fen"))["s"] or 0)


def standard_for(task: AdmittedTask) -> int:
    """费随事转: an admitted task's amount is at least the list item's standard and the admitted funding."""
    listed = task.list_item.funding_fen if task.list_item is not None else 0
    return max(listed, task.funding_required_fen)


def eligible_tasks(agreement: Agreement) -> QuerySet[AdmittedTask]:
    """Admitted tasks the agreement must cover and does not yet: the department's active tasks for the community
    that need an agreement and run during the agreement's year, and are in none of its versions but withdrawn ones
    (a task added by a withdrawn amendment is still to be covered)."""
    if agreement.kind != Kind.ENTRUSTMENT:
        return AdmittedTask.objects.none()
    year_start, year_end = dt.date(agreement.year, 1, 1), dt.date(agreement.year, 12, 31)
    covered = (
        VersionItem.objects.filter(version__agreement=agreement, task__admitted_task__isnull=False)
        .exclude(version__status=Version.Status.WITHDRAWN)
        .values("task__admitted_task_id")
    )
    return (
        AdmittedTask.objects.filter(
            department=agreement.department,
            community=agreement.community,
            status=AdmittedTask.Status.ACTIVE,
            requires_agreement=True,
            starts_on__lte=year_end,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=year_start))
        .exclude(pk__in=covered)
        .select_related("list_item", "request")
        .order_by("starts_on", "id")
    )


def _lock_agreement(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("department", "department__region", "community", "party", "template")
        .get(pk=agreement.pk)
    )


# --- drafting -----------------------------------------------------------------------------------------------


def _number(kind: str, year: int, department: Organization, community: Region, party: Organization) -> str:
    if kind == Kind.ENTRUSTMENT:
        return f"WT{year}-{department.pk:03d}-{community.code}"
    return f"GM{year}-{department.pk:03d}-{community.code}-{party.pk}"


def _party_for(kind: str, community: Region, party: Organization | None) -> Organization:
    if kind == Kind.ENTRUSTMENT:
        committee = Organization.objects.filter(
            region=community, kind=OrgKind.COMMITTEE, is_active=True
        ).first()
        if committee is None:
            raise ValidationFailed(
                "该社区没有居委会,不能签订委托协议 / the community has no residents' committee",
                fields={"community": "no_committee"},
            )
        if party is not None and party.pk != committee.pk:
            raise ValidationFailed(
                "委托协议的乙方是社区居委会 / an entrustment is made with the residents' committee",
                fields={"party": "not_committee"},
            )
        return committee
    if party is None or not party.is_active or party.kind not in (OrgKind.SERVICE_CENTRE, OrgKind.SOCIAL_ORG):
        raise ValidationFailed(
            "政府购买服务的承接方须为社区服务中心或社会组织 / a service purchase is made with a service centre "
            "or a social organization",
            fields={"party": "invalid"},
        )
    return party


@transaction.atomic
def create_agreement(
    *,
    actor: User,
    department: Organization,
    community: Region,
    year: int,
    kind: str = Kind.ENTRUSTMENT,
    party: Organization | None = None,
    is_sample: bool = False,
) -> Agreement:
    """A new agreement in draft, from the year's template. An entrustment covers every admitted task between the
    department and the community that needs an agreement and runs in the year (more are added by amendment)."""
    if department.kind != OrgKind.DEPARTMENT or not permissions.can_draft_for(actor, department):
        raise PermissionDenied(
            "只有部门经办人或负责人可以起草协议 / only a department's clerks or heads draft"
        )
    problems: dict[str, str] = {}
    if kind not in Kind.values:
        problems["kind"] = "请选择协议类型 / choose the kind"
    if not _is_int(year) or not MIN_YEAR <= year <= MAX_YEAR:
        problems["year"] = f"年度须在{MIN_YEAR}至{MAX_YEAR}之间 / the year must be {MIN_YEAR}–{MAX_YEAR}"
    if not community.is_grassroots:
        problems["community"] = "请选择社区 / choose a community"
    _raise_if(problems, "协议信息有误 / invalid agreement")
    party = _party_for(kind, community, party)
    duplicate = Agreement.objects.filter(kind=kind, department=department, community=community, year=year)
    if kind == Kind.SERVICE_PURCHASE:
        duplicate = duplicate.filter(party=party)
    existing = duplicate.first()
    if existing is not None:
        raise Conflict(
            f"该年度已有协议 {existing.number},新增事项请以补充协议方式加入 / there is already an agreement "
            f"for that year ({existing.number}); add tasks by amendment",
            fields={"year": "exists"},
        )
    template = template_for(department, year, kind)
    defaults = default_template_data(kind)
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                kind=kind,
                number=_number(kind, year, department, community, party),
                year=year,
                department=department,
                community=community,
                party=party,
                template=template,
                created_by=actor,
                is_sample=is_sample,
            )
    except IntegrityError as exc:
        raise Conflict("该年度已有协议 / there is already an agreement for that year") from exc
    source = template or defaults
    version = Version.objects.create(
        agreement=agreement,
        number=1,
        trainings_per_year=source.trainings_per_year,
        visits_per_year=source.visits_per_year,
        evaluation_method=source.evaluation_method,
        liability_department=source.liability_department,
        liability_party=source.liability_party,
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        schedule=[dict(r) for r in source.schedule],
        created_by=actor,
    )
    added = _add_tasks(agreement, version, list(eligible_tasks(agreement)))
    # the contact person: the one named in the admission request, else the person drafting
    first = next((t.admitted_task for t in added if t.admitted_task is not None), None)
    if first is not None and first.request.contact_name:
        version.contact_name = first.request.contact_name[:60]
        version.contact_phone = first.request.contact_phone[:30]
    else:
        version.contact_name = (actor.display_name or actor.get_username())[:60]
    version.save(update_fields=["contact_name", "contact_phone"])
    audit.record(
        "agreements.agreement.create",
        actor=actor,
        target=agreement,
        data={
            "kind": kind,
            "year": year,
            "department": department.pk,
            "community": community.pk,
            "party": party.pk,
            "tasks": [t.admitted_task_id for t in added],
            "template": template.pk if template else None,
        },
    )
    return agreement


def _basis(task: AdmittedTask) -> str:
    parts = [f"准入事项第{task.pk}号({task.starts_on.isoformat()}起)"]
    if task.list_item is not None:
        parts.append(f"清单事项{task.list_item.code} {task.list_item.title}")
    return ";".join(parts)


def _add_tasks(agreement: Agreement, version: Version, tasks: list[AdmittedTask]) -> list[AgreementTask]:
    last = AgreementTask.objects.filter(agreement=agreement).order_by("-position").first()
    position = last.position if last is not None else 0
    added: list[AgreementTask] = []
    for task in tasks:
        position += 1
        standard = standard_for(task)
        # a task of a withdrawn amendment keeps its identity (and its place) when it is added again
        at, created = AgreementTask.objects.get_or_create(
            agreement=agreement,
            admitted_task=task,
            defaults={"title": task.title, "position": position, "added_in": version.number},
        )
        if not created:
            position -= 1
            at.added_in = version.number
            at.save(update_fields=["added_in"])
        description = task.request.description.strip() if task.request_id else ""
        VersionItem.objects.create(
            version=version,
            task=at,
            requirements=(description or task.title)[:4000],
            standards="按期保质完成,工作台账完整,按要求报送;以准入决定和清单事项为准。",
            amount_fen=standard,
            standard_fen=standard,
        )
        added.append(at)
    return added


def _draft_version(agreement: Agreement) -> Version:
    version = open_version(agreement, lock=True)
    if version is None or version.status != Version.Status.DRAFT:
        raise InvalidTransition(
            "只有草稿可以修改;已送达的协议须先退回修改 / only a draft can change; take it back to draft first"
        )
    return version


def _require_editor(actor: User, agreement: Agreement) -> None:
    if not permissions.can_edit_agreement(actor, agreement):
        raise PermissionDenied("只有甲方部门的经办人或负责人可以修改 / only the department's clerks or heads")


@transaction.atomic
def add_admitted_tasks(
    *, actor: User, agreement: Agreement, tasks: list[AdmittedTask] | None = None
) -> list[AgreementTask]:
    """Add admitted tasks (default: every one not yet covered) to the draft version or the draft amendment."""
    _require_editor(actor, agreement)
    agreement = _lock_agreement(agreement)
    version = _draft_version(agreement)
    eligible = {t.pk: t for t in eligible_tasks(agreement)}
    if tasks is None:
        chosen = list(eligible.values())
    else:
        unknown = [t.pk for t in tasks if t.pk not in eligible]
        if unknown:
            raise ValidationFailed(
                "只能加入本部门对该社区、本年度有效且须签协议的准入事项 / only this department's admitted tasks for "
                "this community and year that need an agreement and are not yet covered",
                fields={"tasks": ",".join(str(u) for u in unknown)},
            )
        chosen = [eligible[t.pk] for t in tasks]
    if not chosen:
        raise ValidationFailed(
            "没有可加入的准入事项 / there is no admitted task to add", fields={"tasks": "none"}
        )
    added = _add_tasks(agreement, version, chosen)
    audit.record(
        "agreements.agreement.add_tasks",
        actor=actor,
        target=agreement,
        data={"version": version.number, "tasks": [t.admitted_task_id for t in added]},
    )
    return added


def _item_problems(requirements: str, standards: str, amount_fen: Any, standard_fen: int) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not requirements.strip():
        problems["requirements"] = "须写明工作要求 / give the requirements"
    elif len(requirements) > 4000:
        problems["requirements"] = "不能超过4000字 / at most 4000 characters"
    if not standards.strip():
        problems["standards"] = "须写明工作标准 / give the standards"
    elif len(standards) > 4000:
        problems["standards"] = "不能超过4000字 / at most 4000 characters"
    amount_problem = _amount_problem(amount_fen)
    if amount_problem:
        problems["amount_fen"] = amount_problem
    elif amount_fen < standard_fen:
        problems["amount_fen"] = (
            f"费随事转:经费不得低于标准 {canonical._yuan(standard_fen)} 元 / funding follows the task: "
            f"at least the standard of {canonical._yuan(standard_fen)} yuan"
        )
    return problems


@transaction.atomic
def add_service_item(
    *, actor: User, agreement: Agreement, title: str, requirements: str, standards: str, amount_fen: int
) -> AgreementTask:
    """A purchased service (service purchase only: an entrustment covers admitted tasks, nothing else)."""
    _require_editor(actor, agreement)
    agreement = _lock_agreement(agreement)
    if agreement.kind != Kind.SERVICE_PURCHASE:
        raise ValidationFailed(
            "委托协议只能包含经准入的事项 / an entrustment covers admitted tasks only",
            fields={"title": "kind"},
        )
    version = _draft_version(agreement)
    problems = _item_problems(requirements, standards, amount_fen, 0)
    title = title.strip()
    if not title:
        problems["title"] = "须写明服务项目 / give the service"
    elif len(title) > 200:
        problems["title"] = "不能超过200字 / at most 200 characters"
    _raise_if(problems, "服务项目有误 / invalid service")
    last = AgreementTask.objects.filter(agreement=agreement).order_by("-position").first()
    task = AgreementTask.objects.create(
        agreement=agreement, title=title, position=(last.position if last else 0) + 1, added_in=version.number
    )
    VersionItem.objects.create(
        version=version,
        task=task,
        requirements=requirements.strip(),
        standards=standards.strip(),
        amount_fen=amount_fen,
        standard_fen=0,
    )
    audit.record(
        "agreements.agreement.add_service",
        actor=actor,
        target=agreement,
        data={"version": version.number, "task": task.pk, "amount_fen": amount_fen},
    )
    return task


@transaction.atomic
def update_item(
    *,
    actor: User,
    agreement: Agreement,
    task: AgreementTask,
    requirements: str,
    standards: str,
    amount_fen: int,
) -> VersionItem:
    """Change one task's terms in the draft (an amendment may raise an amount, never lower it)."""
    _require_editor(actor, agreement)
    agreement = _lock_agreement(agreement)
    version = _draft_version(agreement)
    item = VersionItem.objects.select_for_update(of=("self",)).filter(version=version, task=task).first()
    if item is None:
        raise ValidationFailed(
            "该事项不在本协议中 / the task is not in this agreement", fields={"task": "unknown"}
        )
    floor = item.standard_fen
    previous = (
        VersionItem.objects.filter(task=task, version__status=Version.Status.EFFECTIVE).first()
        if version.is_amendment
        else None
    )
    problems = _item_problems(requirements, standards, amount_fen, floor)
    if not problems and previous is not None and amount_fen < previous.amount_fen:
        problems["amount_fen"] = (
            "补充协议不能减少已生效的金额;减少须终止协议并结算 / an amendment cannot lower an amount in force"
        )
    _raise_if(problems, "事项条款有误 / invalid terms")
    before = item.amount_fen
    item.requirements, item.standards, item.amount_fen = requirements.strip(), standards.strip(), amount_fen
    item.save(update_fields=["requirements", "standards", "amount_fen"])
    audit.record(
        "agreements.agreement.update_item",
        actor=actor,
        target=agreement,
        data={"version": version.number, "task": task.pk, "amount_fen": [before, amount_fen]},
    )
    return item


@dataclass
class TermsData:
    contact_name: str
    contact_phone: str
    trainings_per_year: int
    visits_per_year: int
    guidance_notes: str
    evaluation_method: str
    liability_department: str
    liability_party: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    schedule: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, version: Version) -> TermsData:
        return cls(
            contact_name=version.contact_name,
            contact_phone=version.contact_phone,
            trainings_per_year=version.trainings_per_year,
            visits_per_year=version.visits_per_year,
            guidance_notes=version.guidance_notes,
            evaluation_method=version.evaluation_method,
            liability_department=version.liability_department,
            liability_party=version.liability_party,
            starts_on=version.starts_on,
            ends_on=version.ends_on,
            schedule=[dict(r) for r in version.schedule],
        )


def terms_problems(data: TermsData, year: int) -> dict[str, str]:
    problems: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems[name] = f"不能超过{limit}字 / at most {limit} characters"
    if not data.contact_name.strip():
        problems["contact_name"] = "须指定甲方联系人 / name the department's contact person"
    for name in ("evaluation_method", "liability_department", "liability_party"):
        if not getattr(data, name).strip():
            problems[name] = "不能为空 / required"
    for name in ("trainings_per_year", "visits_per_year"):
        value = getattr(data, name)
        if not _is_int(value) or not 0 <= value <= 366:
            problems[name] = "次数须为0至366 / must be 0–366"
    if data.starts_on is None:
        problems["starts_on"] = "请填写协议期限 / give the term"
    elif data.starts_on.year != year:
        problems["starts_on"] = f"协议期限须在{year}年内 / the term must be within {year}"
    if data.ends_on is None:
        problems["ends_on"] = "请填写协议期限 / give the term"
    elif data.ends_on.year != year:
        problems["ends_on"] = f"协议期限须在{year}年内 / the term must be within {year}"
    elif data.starts_on is not None and data.ends_on < data.starts_on:
        problems["ends_on"] = "结束日期不能早于开始日期 / the end is before the start"
    schedule_problem = canonical.schedule_problems(data.schedule)
    if schedule_problem:
        problems["schedule"] = schedule_problem
    return problems


@transaction.atomic
def update_terms(*, actor: User, agreement: Agreement, data: TermsData) -> Version:
    """Change the draft's guidance, evaluation, liability, term and payment schedule."""
    _require_editor(actor, agreement)
    agreement = _lock_agreement(agreement)
    version = _draft_version(agreement)
    _raise_if(terms_problems(data, agreement.year), "协议条款有误 / invalid terms")
    values: dict[str, Any] = {
        "contact_name": data.contact_name.strip(),
        "contact_phone": data.contact_phone.strip(),
        "trainings_per_year": data.trainings_per_year,
        "visits_per_year": data.visits_per_year,
        "guidance_notes": data.guidance_notes.strip(),
        "evaluation_method": data.evaluation_method.strip(),
        "liability_department": data.liability_department.strip(),
        "liability_party": data.liability_party.strip(),
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "schedule": [dict(r) for r in data.schedule],
    }
    changed = [name for name, value in values.items() if getattr(version, name) != value]
    for name in changed:
        setattr(version, name, values[name])
    if changed:
        version.save(update_fields=changed)
        audit.record(
            "agreements.agreement.update_terms",
            actor=actor,
            target=agreement,
            data={"version": version.number, "fields": changed},
        )
    return version


# --- the text -----------------------------------------------------------------------------------------------


def terms_of(version: Version) -> canonical.Terms:
    agreement = version.agreement
    template = agreement.template
    defaults = default_template_data(agreement.kind)
    items = [
        canonical.Item(
            title=item.task.title,
            requirements=item.requirements,
            standards=item.standards,
            amount_fen=item.amount_fen,
            basis=_basis(item.task.admitted_task) if item.task.admitted_task is not None else "",
        )
        for item in version.items.select_related(
            "task", "task__admitted_task", "task__admitted_task__list_item"
        ).order_by("task__position", "task_id")
    ]
    return canonical.Terms(
        title_template=template.title if template else defaults.title,
        body_template=template.body if template else defaults.body,
        number=agreement.number,
        version=version.number,
        year=agreement.year,
        kind_label=str(Kind(agreement.kind).label),
        department=agreement.department.name,
        party=agreement.party.name,
        community=agreement.community.name,
        items=items,
        contact_name=version.contact_name,
        contact_phone=version.contact_phone,
        trainings_per_year=version.trainings_per_year,
        visits_per_year=version.visits_per_year,
        guidance_notes=version.guidance_notes,
        schedule=list(version.schedule),
        evaluation_method=version.evaluation_method,
        liability_department=version.liability_department,
        liability_party=version.liability_party,
        starts_on=version.starts_on,
        ends_on=version.ends_on,
        reason=version.reason,
    )


def preview_text(version: Version) -> str:
    """The text as it stands (a draft's is rendered afresh; a sent version's is the frozen one)."""
    if version.status != Version.Status.DRAFT and version.text:
        return version.text
    return canonical.render(terms_of(version))


# --- sending, returning, signing ----------------------------------------------------------------------------


@transaction.atomic
def send_agreement(*, actor: User, agreement: Agreement) -> Version:
    """Freeze the draft's text (SM3 digest) and send it to the other party."""
    _require_editor(actor, agreement)
    agreement = _lock_agreement(agreement)
    version = _draft_version(agreement)
    items = list(version.items.all())
    if not items:
        raise ValidationFailed("协议中没有事项 / the agreement has no tasks", fields={"tasks": "empty"})
    missing = list(eligible_tasks(agreement).values_list("pk", flat=True))
    if missing:
        raise ValidationFailed(
            "尚有须签协议的准入事项未纳入,请先加入 / admitted tasks that need an agreement are not yet in it",
            fields={"tasks": "uncovered:" + ",".join(str(m) for m in missing)},
        )
    _raise_if(terms_problems(TermsData.of(version), agreement.year), "协议条款有误 / invalid terms")
    total = sum(i.amount_fen for i in items)
    previous = effective_total(agreement)
    if version.is_amendment and total < previous:
        raise ValidationFailed(
            "补充协议不能减少协议金额 / an amendment cannot lower the total", fields={"amount_fen": "lower"}
        )
    text = canonical.render(terms_of(version))
    now = timezone.now()
    fields = {"text": text, "digest": canonical.digest(text), "total_fen": total, "sent_at": now}
    states.move(
        version,
        Version.Status.SENT,
        actor=actor,
        fields=fields,
        data={"digest": fields["digest"], "total_fen": total},
        action="agreements.version.send",
    )
    if not version.is_amendment:
        states.move(
            agreement,
            Agreement.Status.SENT,
            actor=actor,
            fields={"first_sent_at": agreement.first_sent_at or now},
            data={"version": version.number},
            action="agreements.agreement.send",
        )
    notices.sent(agreement, version.number, actor)
    return version


def _release(actor: User | None, version: Version, reason: str, amount: int | None = None) -> int:
    """Give back what remains (or `amount`) of the version's reservation. Returns the amount released."""
    reservation = version.reservation
    if reservation is None:
        return 0
    reservation.refresh_from_db()
    amount = reservation.remaining if amount is None else amount
    if amount <= 0:
        return 0
    # Released by the actor when they may move the budget's money; otherwise (the other party returned the
    # agreement, a clerk withdrew an amendment) by the system on the agreement's behalf — the agreement's own
    # audit entry names the person.
    by = actor if actor is not None and funds_permissions.can_reserve(actor, reservation.account) else None
    funds.release(actor=by, reservation=reservation, reason=reason[:200], amount=amount)
    return amount


@transaction.atomic
def reopen_agreement(*, actor: User, agreement: Agreement, reason: str) -> Version:
    """Take a sent or department-signed version back to draft: the department recalls it, or the other party
    returns it with comments. Signatures on it are voided and its reservation is released."""
    reason = reason.strip()
    if not (
        permissions.can_edit_agreement(actor, agreement) or permissions.can_sign_for_party(actor, agreement)
    ):
        raise PermissionDenied("只有双方的经办人或签署人可以退回 / only the parties may take it back")
    if not reason:
        raise ValidationFailed("须写明退回理由 / give the reason", fields={"reason": "required"})
    if len(reason) > 2000:
        raise ValidationFailed("不能超过2000字 / at most 2000 characters", fields={"reason": "too_long"})
    agreement = _lock_agreement(agreement)
    version = open_version(agreement, lock=True)
    if version is None or version.status not in (Version.Status.SENT, Version.Status.DEPT_SIGNED):
        raise InvalidTransition(
            "只有已送达、尚未经双方签署的协议可以退回 / only a sent version not yet signed by both can go back"
        )
    now = timezone.now()
    voided = Signature.objects.filter(version=version, voided_at__isnull=True).update(voided_at=now)
    released = _release(actor, version, f"协议{agreement.number}第{version.number}版退回修改")
    states.move(
        version,
        Version.Status.DRAFT,
        actor=actor,
        reason=reason[:500],
        fields={"text": "", "digest": "", "reservation": None},
        data={"voided_signatures": voided, "released_fen": released},
        action="agreements.version.reopen",
    )
    if not version.is_amendment:
        states.move(
            agreement,
            Agreement.Status.DRAFT,
            actor=actor,
            reason=reason[:500],
            action="agreements.agreement.reopen",
        )
    notices.reopened(agreement, reason, actor)
    return version


def _check_digest(version: Version, digest: str) -> None:
    if not version.digest or canonical.digest(version.text) != version.digest:
        raise Conflict(
            "协议文本与其摘要不符,不能签署 / the text does not match its digest; it cannot be signed",
            code="digest_mismatch",
        )
    if digest.strip().lower() != version.digest:
        raise Conflict(
            "所签文本已不是当前文本,请重新阅读后签署 / the text you signed is not the current one; read it again",
            code="stale_digest",
            fields={"digest": "stale"},
        )


@transaction.atomic
def sign_for_department(*, actor: User, agreement: Agreement, digest: str) -> Signature:
    """The department's head signs the sent text (identified by its SM3 digest)."""
    if not permissions.can_sign_for_department(actor, agreement):
        raise PermissionDenied("只有部门负责人可以代表部门签署 / only the department's head signs for it")
    agreement = _lock_agreement(agreement)
    version = open_version(agreement, lock=True)
    if version is None or version.status != Version.Status.SENT:
        raise InvalidTransition("协议不在待部门签署状态 / the agreement is not waiting for the department")
    _check_digest(version, digest)
    signature = Signature.objects.create(
        version=version,
        side=Side.DEPARTMENT,
        organization=agreement.department,
        signer=actor,
        signer_name=actor.display_name or actor.get_username(),
        signed_at=timezone.now(),
        digest=version.digest,
    )
    states.move(
        version,
        Version.Status.DEPT_SIGNED,
        actor=actor,
        data={"digest": version.digest},
        action="agreements.version.dept_sign",
    )
    if not version.is_amendment:
        states.move(
            agreement,
            Agreement.Status.DEPT_SIGNED,
            actor=actor,
            data={"digest": version.digest},
            action="agreements.agreement.dept_sign",
        )
    notices.signed(agreement, agreement.department.name, actor)
    return signature


@transaction.atomic
def sign_for_party(
    *, actor: User, agreement: Agreement, digest: str, meeting_date: dt.date | None, minutes_no: str
) -> Signature:
    """The community signs, with the reference of the committee meeting that approved the agreement (date and
    minutes number); a service provider signs the same way with its own meeting's reference. When the budget is
    already reserved, the agreement comes into force at once."""
    org = permissions.party_signing_org(actor, agreement)
    if org is None:
        raise PermissionDenied("只有乙方的签署人可以签署 / only the other party's signatory signs")
    minutes_no = minutes_no.strip()
    problems: dict[str, str] = {}
    if meeting_date is None:
        problems["meeting_date"] = "须填写通过协议的会议日期 / give the date of the meeting that approved it"
    elif meeting_date > today():
        problems["meeting_date"] = "会议日期不能晚于今天 / the meeting cannot be in the future"
    elif meeting_date.year < agreement.year - 1:
        problems["meeting_date"] = "会议日期过早 / the meeting is too early for this agreement"
    if not minutes_no:
        problems["minutes_no"] = "须填写会议纪要编号 / give the minutes number"
    elif not MINUTES_RE.match(minutes_no):
        problems["minutes_no"] = "会议纪要编号不超过60字且不含控制字符 / at most 60 characters"
    _raise_if(problems, "会议信息有误 / invalid meeting reference")
    agreement = _lock_agreement(agreement)
    version = open_version(agreement, lock=True)
    if version is None or version.status != Version.Status.DEPT_SIGNED:
        raise InvalidTransition("协议须先由部门签署 / the department signs first")
    _check_digest(version, digest)
    signature = Signature.objects.create(
        version=version,
        side=Side.PARTY,
        organization=org,
        signer=actor,
        signer_name=actor.display_name or actor.get_username(),
        signed_at=timezone.now(),
        digest=version.digest,
        meeting_date=meeting_date,
        minutes_no=minutes_no,
    )
    meeting = {"meeting_date": meeting_date, "minutes_no": minutes_no, "digest": version.digest}
    states.move(
        version,
        Version.Status.COMMUNITY_SIGNED,
        actor=actor,
        data=meeting,
        action="agreements.version.party_sign",
    )
    if not version.is_amendment:
        states.move(
            agreement,
            Agreement.Status.COMMUNITY_SIGNED,
            actor=actor,
            data=meeting,
            action="agreements.agreement.party_sign",
        )
    notices.signed(agreement, agreement.party.name, actor)
    _activate_if_ready(actor, agreement, version)
    return signature


# --- money --------------------------------------------------------------------------------------------------


def payee_account(actor: User | None, agreement: Agreement) -> Account:
    kind = Account.Kind.COMMUNITY if agreement.kind == Kind.ENTRUSTMENT else Account.Kind.SERVICE
    return funds.ensure_account(
        actor=actor, organization=agreement.party, kind=kind, is_sample=agreement.is_sample
    )


def budget_account(actor: User | None, agreement: Agreement) -> Account:
    return funds.ensure_account(
        actor=actor,
        organization=agreement.department,
        kind=Account.Kind.BUDGET,
        year=agreement.year,
        is_sample=agreement.is_sample,
    )


def reserve_needed(agreement: Agreement, version: Version) -> int:
    """What the version still needs reserved: its total less what is in force less what it reserved itself."""
    reserved = version.reservation.amount if version.reservation is not None else 0
    previous = effective_total(agreement) if version.is_amendment else 0
    return max(0, version.total_fen - previous - reserved)


@transaction.atomic
def reserve_funds(*, actor: User, agreement: Agreement) -> Version:
    """费随事转: the department's finance reserves the whole (added) amount in the year's budget. An agreement (or an
    amendment) comes into force only once this is done and both sides have signed."""
    if not permissions.can_pay(actor, agreement):
        raise PermissionDenied("只有部门财务人员可以预留经费 / only the department's finance reserves funds")
    agreement = _lock_agreement(agreement)
    version = open_version(agreement, lock=True)
    if version is None or version.status not in (Version.Status.DEPT_SIGNED, Version.Status.COMMUNITY_SIGNED):
        raise InvalidTransition("部门签署后才能预留经费 / funds are reserved once the department has signed")
    need = reserve_needed(agreement, version)
    if need <= 0:
        raise Conflict("经费已全部预留 / the funds are already reserved", code="already_reserved")
    if version.reservation is not None:  # an earlier reservation of this version is too small (cannot happen)
        raise Conflict("该版本已有预留 / this version already has a reservation", code="already_reserved")
    reservation = funds.reserve(
        actor=actor,
        account=budget_account(actor, agreement),
        amount=need,
        ref=f"agreement:{agreement.pk}/v{version.number}",
        payee=payee_account(actor, agreement),
        memo=f"{agreement.number} 第{version.number}版 预留"[:200],
    )
    version.reservation = reservation
    version.save(update_fields=["reservation"])
    audit.record(
        "agreements.agreement.reserve",
        actor=actor,
        target=agreement,
        data={"version": version.number, "amount_fen": need, "reservation": reservation.pk},
    )
    _activate_if_ready(actor, agreement, version)
    return version


def _activate_if_ready(actor: User | None, agreement: Agreement, version: Version) -> bool:
    """Both signed and fully reserved → the version comes into force: the original makes the agreement active, an
    amendment supersedes the version in force; the (added) amount's instalments are scheduled."""
    if version.status != Version.Status.COMMUNITY_SIGNED or reserve_needed(agreement, version) > 0:
        return False
    now = timezone.now()
    on = today()
    previous = effective_version(agreement)
    delta = version.total_fen - (previous.total_fen if previous is not None else 0)
    if previous is not None:
        states.move(
            previous,
            Version.Status.SUPERSEDED,
            actor=actor,
            data={"by": version.number},
            action="agreements.version.supersede",
        )
    states.move(
        version,
        Version.Status.EFFECTIVE,
        actor=actor,
        fields={"effective_at": now},
        data={"total_fen": version.total_fen, "added_fen": delta},
        action="agreements.version.effective",
    )
    if not version.is_amendment:
        states.move(
            agreement,
            Agreement.Status.ACTIVE,
            actor=actor,
            fields={"activated_at": now},
            data={"total_fen": version.total_fen},
            action="agreements.agreement.activate",
        )
    last = Instalment.objects.filter(agreement=agreement).order_by("-seq").first()
    seq = last.seq if last else 0
    planned = canonical.plan_instalments(
        version.schedule, total_fen=delta, year=agreement.year, effective_on=on
    )
    prefix = f"第{version.number}版 " if version.is_amendment else ""
    for p in planned:
        seq += 1
        Instalment.objects.create(
            agreement=agreement,
            version=version,
            seq=seq,
            label=f"{prefix}{p.label}"[:60],
            due_on=p.due_on,
            amount_fen=p.amount_fen,
        )
    notices.activated(agreement, version.number, actor)
    return True


def hold_ends_on(agreement: Agreement, instalment: Instalment) -> dt.date:
    """The last day a final instalment waits for the evaluation: the end of the year after the agreement's year
    (or its due date, if later). A year that no published evaluation settles does not lock the money for longer."""
    return max(dt.date(agreement.year + 1, 12, 31), instalment.due_on)


def held_instalment_id(
    agreement: Agreement, instalments: list[Instalment], *, on: dt.date | None = None
) -> int | None:
    """The instalment among `instalments` (all of the agreement's, any order, with their versions) that is held for
    the evaluation, if any. Held: the agreement's final instalment (the highest seq, the one that
    settle_final_instalment settles) while the agreement is in force and the instalment is not settled yet, when
    the schedule it comes from pays it after the year's end (anchor year_end, "协议年度结束(评估后)") and the hold
    has not lapsed (hold_ends_on). Only settle_final_instalment pays it then, after the cycle is published. Not
    held: an advance (a schedule whose last instalment counts from signing, e.g. a single payment on signing); a
    terminated agreement's instalments (its settlement, chosen on termination, is paid as usual); a settled one."""
    if agreement.status != Agreement.Status.ACTIVE or not instalments:
        return None
    final = max(instalments, key=lambda i: i.seq)
    schedule = final.version.schedule
    if final.settled_at is not None or not schedule or schedule[-1].get("anchor") != Anchor.YEAR_END:
        return None
    if (on or today()) > hold_ends_on(agreement, final):
        return None
    return final.pk


def held_for_evaluation(instalment: Instalment, *, on: dt.date | None = None) -> bool:
    """Whether `instalment` is its agreement's final instalment held for the evaluation (held_instalment_id)."""
    agreement = instalment.agreement
    instalments = list(Instalment.objects.filter(agreement=agreement).select_related("version"))
    return held_instalment_id(agreement, instalments, on=on) == instalment.pk


def _held_error(agreement: Agreement, instalment: Instalment) -> Conflict:
    until = hold_ends_on(agreement, instalment).isoformat()
    return Conflict(
        f"尾款待评估结算:第{instalment.seq}期是本协议的尾款,须在{agreement.year}年度评估结果公布后由财务人员"
        f"按评估结算支付,不能直接支付(若至{until}仍未结算,可直接支付)/ this is the agreement's final instalment: "
        f"it is settled from the {agreement.year} evaluation once the results are published and cannot be paid "
        f"directly (if it is not settled by {until}, it can then be paid as usual)",
        fields={"instalment": "held_for_evaluation"},
        code="held_for_evaluation",
    )


@transaction.atomic
def pay_instalment(*, actor: User, instalment: Instalment, amount_fen: int, note: str = "") -> Payment:
    """The department's finance pays (part of) an instalment: the funds ledger moves the money from the
    agreement's reservation to the community's (or provider's) account. The final instalment of an agreement in
    force is held for the year's evaluation (held_instalment_id): refused here (409 held_for_evaluation), it is
    paid by settle_final_instalment once the cycle is published."""
    agreement = instalment.agreement
    if not permissions.can_pay(actor, agreement):
        raise PermissionDenied("只有部门财务人员可以支付 / only the department's finance pays")
    problem = _amount_problem(amount_fen, positive=True)
    note = note.strip()
    if problem:
        raise ValidationFailed(problem, fields={"amount_fen": "invalid"})
    if len(note) > 200:
        raise ValidationFailed("摘要不能超过200字 / at most 200 characters", fields={"note": "too_long"})
    agreement = _lock_agreement(agreement)
    if agreement.status not in Agreement.PAYABLE:
        raise InvalidTransition("协议未生效,不能支付 / the agreement is not in force")
    locked = (
        Instalment.objects.select_for_update(of=("self",))
        .select_related("version", "version__reservation")
        .get(pk=instalment.pk)
    )
    # the agreement's row lock keeps an amendment from adding a later instalment meanwhile
    siblings = list(
        Instalment.objects.filter(agreement=agreement).exclude(pk=locked.pk).select_related("version")
    )
    if held_instalment_id(agreement, [*siblings, locked]) == locked.pk:
        raise _held_error(agreement, locked)
    if amount_fen > locked.outstanding_fen:
        raise ValidationFailed(
            f"超过本期未付金额 {locked.outstanding_yuan} 元 / more than the {locked.outstanding_yuan} yuan outstanding",
            fields={"amount_fen": "too_much"},
        )
    reservation = locked.version.reservation
    if reservation is None:
        raise Conflict("该期没有经费预留 / this instalment has no reservation")
    n = Payment.objects.filter(instalment=locked).count() + 1
    transfer = funds.pay_from_reservation(
        actor=actor,
        reservation=reservation,
        to_account=payee_account(actor, agreement),
        amount=amount_fen,
        ref=f"agreement:{agreement.pk}/instalment:{locked.seq}/payment:{n}",
        memo=f"{agreement.number} 第{locked.seq}期 {locked.label}"[:200],
    )
    updated = Instalment.objects.filter(pk=locked.pk, paid_fen__lte=F("amount_fen") - amount_fen).update(
        paid_fen=F("paid_fen") + amount_fen
    )
    if updated != 1:  # the row lock makes this unreachable; the constraint would refuse it anyway
        raise Conflict("超过本期未付金额 / more than is outstanding")
    locked.refresh_from_db()
    payment = Payment.objects.create(
        agreement=agreement,
        instalment=locked,
        amount_fen=amount_fen,
        transfer=transfer,
        paid_by=actor,
        paid_at=transfer.at,
        note=note,
    )
    audit.record(
        "agreements.instalment.pay",
        actor=actor,
        target=locked,
        data={
            "agreement": agreement.pk,
            "amount_fen": amount_fen,
            "paid_fen": locked.paid_fen,
            "transfer": transfer.pk,
        },
    )
    instalment.paid_fen = locked.paid_fen
    notices.paid(payment, actor)
    return payment


SETTLE_REF_RE = re.compile(r"^[a-z]+:[0-9A-Za-z:/_-]{1,50}$")


@transaction.atomic
def settle_final_instalment(*, actor: User, instalment: Instalment, settled_fen: int, ref: str) -> Instalment:
    """Settle an agreement's final instalment from the year's evaluation, once. The caller (the evaluations app)
    works out `settled_fen` from the community's score and names its basis in `ref` ("evaluation:<cycle id>").
    The department's finance pays what is still owed of it through the funds ledger (reservation → the party's
    account), gives the rest of the instalment back from the reservation to the department's budget, and the
    instalment's amount becomes the settled amount (so the agreement can then be closed as paid in full).
    What was already paid on the instalment is never taken back: the settlement is at least that."""
    agreement = instalment.agreement
    if not permissions.can_pay(actor, agreement):
        raise PermissionDenied("只有该部门的财务人员可以结算尾款 / only the department's finance settles it")
    ref = (ref or "").strip()
    problems: dict[str, str] = {}
    amount_problem = _amount_problem(settled_fen)
    if amount_problem:
        problems["settled_fen"] = amount_problem
    if not SETTLE_REF_RE.match(ref):
        problems["ref"] = "invalid"
    _raise_if(problems, "结算信息有误 / invalid settlement")
    agreement = _lock_agreement(agreement)
    if agreement.status != Agreement.Status.ACTIVE:
        raise InvalidTransition("只有生效中的协议可以结算尾款 / only an agreement in force is settled")
    if open_version(agreement) is not None:
        raise Conflict("尚有修订在办理中,办结后再结算 / an amendment is in progress", code="amendment_open")
    locked = (
        Instalment.objects.select_for_update(of=("self",))
        .select_related("version", "version__reservation")
        .get(pk=instalment.pk)
    )
    last = (
        Instalment.objects.filter(agreement=agreement).order_by("-seq").values_list("pk", flat=True).first()
    )
    if locked.pk != last:
        raise ValidationFailed(
            "只有最后一期(尾款)按评估结算 / only the final instalment is settled",
            fields={"instalment": "not_final"},
        )
    if locked.settled_at is not None:
        raise Conflict(
            f"该期尾款已于{timezone.localtime(locked.settled_at):%Y-%m-%d}结算({locked.settled_ref}),不能重复结算"
            f" / this instalment was already settled ({locked.settled_ref})",
            code="already_settled",
        )
    if settled_fen > locked.amount_fen:
        raise ValidationFailed(
            f"结算金额超过本期应付 {locked.amount_yuan} 元 / more than the instalment's {locked.amount_yuan} yuan",
            fields={"settled_fen": "too_much"},
        )
    before = locked.amount_fen
    target = max(settled_fen, locked.paid_fen)
    to_pay = target - locked.paid_fen
    freed = before - target
    reservation = locked.version.reservation
    if reservation is None and (to_pay or freed):
        raise Conflict("该期没有经费预留 / this instalment has no reservation")
    payment: Payment | None = None
    if to_pay > 0:
        assert reservation is not None
        transfer = funds.pay_from_reservation(
            actor=actor,
            reservation=reservation,
            to_account=payee_account(actor, agreement),
            amount=to_pay,
            ref=f"agreement:{agreement.pk}/instalment:{locked.seq}/settlement",
            memo=f"{agreement.number} 第{locked.seq}期 {locked.label} 按评估结算"[:200],
        )
        payment = Payment.objects.create(
            agreement=agreement,
            instalment=locked,
            amount_fen=to_pay,
            transfer=transfer,
            paid_by=actor,
            paid_at=transfer.at,
            note=f"按评估结算 {ref}"[:200],
        )
    released = (
        _release(actor, locked.version, f"协议{agreement.number}尾款按评估结算", freed) if freed > 0 else 0
    )
    locked.amount_fen = target
    locked.paid_fen = target
    locked.settled_from_fen = before
    locked.settled_at = timezone.now()
    locked.settled_by = actor
    locked.settled_ref = ref
    locked.save(
        update_fields=[
            "amount_fen",
            "paid_fen",
            "settled_from_fen",
            "settled_at",
            "settled_by",
            "settled_ref",
        ]
    )
    audit.record(
        "agreements.instalment.settle",
        actor=actor,
        target=locked,
        data={
            "agreement": agreement.pk,
            "ref": ref,
            "before_fen": before,
            "settled_fen": settled_fen,
            "amount_fen": target,
            "paid_now_fen": to_pay,
            "released_fen": released,
            "transfer": payment.transfer_id if payment is not None else None,
        },
    )
    notices.settled(locked, to_pay, released, actor)
    for name in ("amount_fen", "paid_fen", "settled_from_fen", "settled_at", "settled_by", "settled_ref"):
        setattr(instalment, name, getattr(locked, name))
    return locked


# --- amendments, completion, termination --------------------------------------------------------------------


@transaction.atomic
def start_amendment(*, actor: User, agreement: Agreement, reason: str) -> Version:
    """A new version in draft, copied from the one in force, with every newly admitted task added. It goes
    through sending and both signatures like the original; the version in force stays until it takes over."""
    _require_editor(actor, agreement)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("须写明修订理由 / give the reason", fields={"reason": "required"})
    if len(reason) > 2000:
        raise ValidationFailed("不能超过2000字 / at most 2000 characters", fields={"reason": "too_long"})
    agreement = _lock_agreement(agreement)
    if agreement.status != Agreement.Status.ACTIVE:
        raise InvalidTransition("只有生效中的协议可以修订 / only an agreement in force can be amended")
    if open_version(agreement) is not None:
        raise Conflict(
            "已有一份修订在办理中 / an amendment is already in progress", fields={"reason": "open"}
        )
    current = effective_version(agreement)
    assert current is not None
    last = Version.objects.filter(agreement=agreement).order_by("-number").first()
    number = (last.number if last else 1) + 1
    draft = Version.objects.create(
        agreement=agreement,
        number=number,
        reason=reason,
        contact_name=current.contact_name,
        contact_phone=current.contact_phone,
        trainings_per_year=current.trainings_per_year,
        visits_per_year=current.visits_per_year,
        guidance_notes=current.guidance_notes,
        evaluation_method=current.evaluation_method,
        liability_department=current.liability_department,
        liability_party=current.liability_party,
        starts_on=current.starts_on,
        ends_on=current.ends_on,
        schedule=list(current.schedule),
        created_by=actor,
    )
    VersionItem.objects.bulk_create(
        VersionItem(
            version=draft,
            task_id=item.task_id,
            requirements=item.requirements,
            standards=item.standards,
            amount_fen=item.amount_fen,
            standard_fen=item.standard_fen,
        )
        for item in current.items.all()
    )
    added = _add_tasks(agreement, draft, list(eligible_tasks(agreement)))
    audit.record(
        "agreements.agreement.amend",
        actor=actor,
        target=agreement,
        data={"version": number, "reason": reason[:500], "tasks": [t.admitted_task_id for t in added]},
    )
    return draft


@transaction.atomic
def withdraw_amendment(*, actor: User, agreement: Agreement, reason: str) -> Version:
    """Abandon an amendment in progress (its reservation is released); the version in force stays."""
    _require_editor(actor, agreement)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("须写明撤回理由 / give the reason", fields={"reason": "required"})
    agreement = _lock_agreement(agreement)
    version = open_version(agreement, lock=True)
    if version is None or not version.is_amendment:
        raise InvalidTransition("没有办理中的修订 / there is no amendment in progress")
    released = _release(actor, version, f"协议{agreement.number}第{version.number}版撤回")
    Signature.objects.filter(version=version, voided_at__isnull=True).update(voided_at=timezone.now())
    states.move(
        version,
        Version.Status.WITHDRAWN,
        actor=actor,
        reason=reason[:500],
        data={"released_fen": released},
        action="agreements.version.withdraw",
    )
    return version


def paid_total(agreement: Agreement) -> int:
    return int(Instalment.objects.filter(agreement=agreement).aggregate(s=Sum("paid_fen"))["s"] or 0)


def agreed_total(agreement: Agreement) -> int:
    """What the department owes under the agreement: the instalments once it is in force, else the plan."""
    if agreement.status in (Agreement.Status.ACTIVE, Agreement.Status.COMPLETED, Agreement.Status.TERMINATED):
        return int(Instalment.objects.filter(agreement=agreement).aggregate(s=Sum("amount_fen"))["s"] or 0)
    version = open_version(agreement)
    if version is None:
        return 0
    return version.total_fen if version.status != Version.Status.DRAFT else items_total(version)


@transaction.atomic
def complete_agreement(*, actor: User, agreement: Agreement) -> Agreement:
    """Close an agreement that has been paid in full (after the year's evaluation)."""
    if not permissions.can_sign_for_department(actor, agreement):
        raise PermissionDenied("只有部门负责人可以确认履行完毕 / only the department's head closes it")
    agreement = _lock_agreement(agreement)
    if agreement.status != Agreement.Status.ACTIVE:
        raise InvalidTransition("只有生效中的协议可以确认履行完毕 / only an agreement in force can be closed")
    if open_version(agreement) is not None:
        raise Conflict("尚有修订在办理中 / an amendment is in progress", code="amendment_open")
    unpaid = Instalment.objects.filter(agreement=agreement, paid_fen__lt=F("amount_fen")).count()
    if unpaid:
        raise Conflict(
            f"尚有{unpaid}期款项未付清 / {unpaid} instalment(s) are not paid in full",
            code="unpaid_instalments",
        )
    states.move(
        agreement,
        Agreement.Status.COMPLETED,
        actor=actor,
        fields={"completed_at": timezone.now()},
        data={"paid_fen": paid_total(agreement)},
        action="agreements.agreement.complete",
    )
    return agreement


@transaction.atomic
def terminate_agreement(*, actor: User, agreement: Agreement, reason: str, settlement_fen: int) -> Agreement:
    """End an agreement early with a reason and a settlement: the total the department pays in the end (at least
    what was paid, at most what was agreed). Unpaid instalments shrink to the settlement, the rest of the
    reservations goes back to the budget, and an amendment in progress is withdrawn."""
    if not permissions.can_sign_for_department(actor, agreement):
        raise PermissionDenied("只有部门负责人可以终止协议 / only the department's head terminates it")
    reason = reason.strip()
    problems: dict[str, str] = {}
    if not reason:
        problems["reason"] = "须写明终止理由 / give the reason"
    elif len(reason) > 4000:
        problems["reason"] = "不能超过4000字 / at most 4000 characters"
    amount_problem = _amount_problem(settlement_fen)
    if amount_problem:
        problems["settlement_fen"] = amount_problem
    _raise_if(problems, "终止信息有误 / invalid termination")
    agreement = _lock_agreement(agreement)
    if agreement.is_final:
        raise InvalidTransition("协议已终止或履行完毕 / the agreement has already ended")
    instalments = list(
        Instalment.objects.select_for_update(of=("self",)).filter(agreement=agreement).order_by("seq")
    )
    paid = sum(i.paid_fen for i in instalments)
    agreed = sum(i.amount_fen for i in instalments)
    if not paid <= settlement_fen <= agreed:
        raise ValidationFailed(
            f"结算金额须在已付 {canonical._yuan(paid)} 元与协议金额 {canonical._yuan(agreed)} 元之间 / the settlement "
            f"must be between what was paid ({canonical._yuan(paid)}) and what was agreed ({canonical._yuan(agreed)})",
            fields={"settlement_fen": "out_of_range"},
        )
    pending = open_version(agreement, lock=True)
    if pending is not None:
        _release(actor, pending, f"协议{agreement.number}终止")
        Signature.objects.filter(version=pending, voided_at__isnull=True).update(voided_at=timezone.now())
        states.move(
            pending,
            Version.Status.WITHDRAWN,
            actor=actor,
            reason=reason[:500],
            action="agreements.version.withdraw",
        )
    to_pay = settlement_fen - paid
    freed_by_version: dict[int, int] = {}
    for inst in instalments:
        share = min(inst.outstanding_fen, to_pay)
        to_pay -= share
        new_amount = inst.paid_fen + share
        if new_amount != inst.amount_fen:
            freed_by_version[inst.version_id] = (
                freed_by_version.get(inst.version_id, 0) + inst.amount_fen - new_amount
            )
            inst.amount_fen = new_amount
            inst.save(update_fields=["amount_fen"])
    released = 0
    for version in Version.objects.filter(pk__in=list(freed_by_version)).select_related("reservation"):
        released += _release(actor, version, f"协议{agreement.number}终止结算", freed_by_version[version.pk])
    states.move(
        agreement,
        Agreement.Status.TERMINATED,
        actor=actor,
        reason=reason[:500],
        fields={
            "terminated_at": timezone.now(),
            "termination_reason": reason,
            "settlement_fen": settlement_fen,
        },
        data={"settlement_fen": settlement_fen, "paid_fen": paid, "released_fen": released},
        action="agreements.agreement.terminate",
    )
    notices.terminated(agreement, actor)
    return agreement


# --- completion reports -------------------------------------------------------------------------------------


@transaction.atomic
def report_completion(
    *,
    actor: User,
    agreement: Agreement,
    task: AgreementTask,
    summary: str,
    upload: UploadedFile | None = None,
) -> Completion:
    """The community (or provider) reports a task done, with a summary and optionally one evidence file."""
    if not permissions.can_report_completion(actor, agreement):
        raise PermissionDenied("只有乙方可以报告完成情况 / only the other party reports completion")
    summary = summary.strip()
    if not summary:
        raise ValidationFailed("须写明完成情况 / describe what was done", fields={"summary": "required"})
    if len(summary) > 4000:
        raise ValidationFailed("不能超过4000字 / at most 4000 characters", fields={"summary": "too_long"})
    checked = admission_files.check_upload(upload) if upload is not None else None
    agreement = _lock_agreement(agreement)
    if agreement.status != Agreement.Status.ACTIVE:
        raise InvalidTransition(
            "只有生效中的协议可以报告完成 / report completion under an agreement in force"
        )
    in_force = VersionItem.objects.filter(task=task, version__status=Version.Status.EFFECTIVE).exists()
    if task.agreement_id != agreement.pk or not in_force:
        raise ValidationFailed(
            "该事项不在现行协议中 / the task is not in the agreement in force", fields={"task": "unknown"}
        )
    if Completion.objects.filter(task=task).exclude(status=Completion.Status.REJECTED).exists():
        raise Conflict("该事项已报告完成 / this task has already been reported", fields={"task": "reported"})
    stored = evidence.store(checked) if checked is not None else ""
    try:
        with transaction.atomic():
            completion = Completion.objects.create(
                agreement=agreement,
                task=task,
                summary=summary,
                evidence_name=checked.original_name if checked else "",
                evidence_type=checked.file_type if checked else "",
                evidence_size=checked.size if checked else 0,
                evidence_sha256=checked.sha256 if checked else "",
                evidence_stored=stored,
                reported_by=actor,
                reported_at=timezone.now(),
            )
            audit.record(
                "agreements.completion.report",
                actor=actor,
                target=completion,
                data={
                    "agreement": agreement.pk,
                    "task": task.pk,
                    "evidence_sha256": checked.sha256 if checked else None,
                },
            )
    except BaseException:
        if stored:
            evidence.remove(stored)
        raise
    notices.completion_reported(completion, actor)
    return completion


@transaction.atomic
def review_completion(*, actor: User, completion: Completion, confirm: bool, note: str = "") -> Completion:
    """The department confirms the reported completion or disputes it (with reasons; the approval office then
    decides)."""
    if not permissions.can_review_completion(actor, completion):
        raise PermissionDenied("只有甲方部门可以确认 / only the department confirms")
    note = note.strip()
    if not confirm and not note:
        raise ValidationFailed(
            "有异议时须写明理由 / give the reasons for the dispute", fields={"note": "required"}
        )
    if len(note) > 4000:
        raise ValidationFailed("不能超过4000字 / at most 4000 characters", fields={"note": "too_long"})
    to = Completion.Status.CONFIRMED if confirm else Completion.Status.DISPUTED
    states.move(
        completion,
        to,
        actor=actor,
        reason=note[:500],
        fields={"review_note": note, "reviewed_by": actor, "reviewed_at": timezone.now()},
        action=f"agreements.completion.{'confirm' if confirm else 'dispute'}",
    )
    notices.completion_reviewed(completion, actor)
    return completion


@transaction.atomic
def resolve_completion(*, actor: User, completion: Completion, complete: bool, note: str) -> Completion:
    """The approval office decides a disputed completion: done (upheld) or not done (the community may report
    again)."""
    if not permissions.can_resolve_completion(actor, completion):
        raise PermissionDenied("只有审批办可以处理争议 / only the approval office resolves disputes")
    note = note.strip()
    if not note:
        raise ValidationFailed("须写明认定意见 / give the finding", fields={"note": "required"})
    if len(note) > 4000:
        raise ValidationFailed("不能超过4000字 / at most 4000 characters", fields={"note": "too_long"})
    to = Completion.Status.UPHELD if complete else Completion.Status.REJECTED
    states.move(
        completion,
        to,
        actor=actor,
        reason=note[:500],
        fields={"resolution_note": note, "resolved_by": actor, "resolved_at": timezone.now()},
        action=f"agreements.completion.{'uphold' if complete else 'reject'}",
    )
    notices.completion_resolved(completion, actor)
    return completion


# --- overdue instalments and refusals -----------------------------------------------------------------------


def overdue_instalments(on: dt.date | None = None) -> QuerySet[Instalment]:
    """Instalments past their due date and not paid in full, of agreements that are being paid."""
    on = on or today()
    return Instalment.objects.filter(
        agreement__status__in=Agreement.PAYABLE, due_on__lt=on, paid_fen__lt=F("amount_fen")
    ).select_related(
        "agreement", "agreement__department", "agreement__department__region", "agreement__party"
    )


@transaction.atomic
def flag_overdue_instalments(*, actor: User | None = None, on: dt.date | None = None) -> list[Instalment]:
    """Tell both sides and the approval office about each overdue or short instalment: once when it falls
    overdue, again after each part payment that leaves it short; not a final instalment held for the evaluation.
    Run daily (`gongzhi flag_overdue_instalments`)."""
    on = on or today()
    flagged: list[Instalment] = []
    later = Instalment.objects.filter(agreement=OuterRef("agreement"), seq__gt=OuterRef("seq"))
    overdue = overdue_instalments(on).select_related("version").annotate(is_last=~Exists(later))
    for inst in overdue.select_for_update(of=("self",)):
        if inst.flagged_on is not None and inst.flagged_paid_fen == inst.paid_fen:
            continue  # already told, and nothing was paid since
        if inst.is_last and held_instalment_id(inst.agreement, [inst], on=on) == inst.pk:
            continue  # the final instalment waits for the evaluation: not the department's delay
        notices.overdue(inst, short=inst.paid_fen > 0, on=on.isoformat())
        inst.flagged_on, inst.flagged_paid_fen = on, inst.paid_fen
        inst.save(update_fields=["flagged_on", "flagged_paid_fen"])
        flagged.append(inst)
    if flagged:
        audit.record(
            "agreements.instalment.flag_overdue",
            actor=actor,
            data={"on": on, "instalments": [i.pk for i in flagged][:500], "count": len(flagged)},
        )
    return flagged


def task_has_active_agreement(task: AdmittedTask) -> bool:
    return AgreementTask.objects.filter(
        admitted_task=task,
        agreement__status__in=(Agreement.Status.ACTIVE, Agreement.Status.COMPLETED),
        items__version__status=Version.Status.EFFECTIVE,
    ).exists()


@transaction.atomic
def refuse_task_without_agreement(*, actor: User, task: AdmittedTask, details: str = "") -> Refusal:
    """拒绝权: the community refuses an admitted task whose agreement was not in force by its start date (the
    money has not followed the task). Lodged through the admission mechanism's refusal (reason: funding missing),
    so the department and the approval authority see it with the other refusals."""
    if admission_permissions.refusing_org(actor, task.community) is None:
        raise PermissionDenied("只有社区居委会可以行使拒绝权 / only the community's committee may refuse")
    details = details.strip()
    if len(details) > 3000:
        raise ValidationFailed("不能超过3000字 / at most 3000 characters", fields={"details": "too_long"})
    if task.status != AdmittedTask.Status.ACTIVE or not task.requires_agreement:
        raise ValidationFailed(
            "该事项无须签订委托协议 / this task does not need an agreement",
            fields={"task": "no_agreement_needed"},
        )
    if today() <= task.starts_on:
        raise ValidationFailed(
            f"事项于 {task.starts_on.isoformat()} 开始,届时协议仍未生效才可拒绝 / the task starts on "
            f"{task.starts_on.isoformat()}; refuse on this ground only after that date",
            fields={"task": "not_started"},
        )
    if task_has_active_agreement(task):
        raise Conflict("该事项的委托协议已生效 / the task's agreement is in force", fields={"task": "active"})
    text = f"委托协议未在事项开始日期({task.starts_on.isoformat()})前生效,经费未随事转。"
    return admission_services.lodge_refusal(
        actor=actor,
        community=task.community,
        data=admission_services.RefusalData(
            reason=Refusal.Reason.FUNDING_MISSING,
            details=f"{text}{details}",
            admitted_task=task,
        ),
    )
