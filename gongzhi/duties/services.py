"""Every write on the lists: editions (create, edit, copy, publish, delete a draft) and their items.

Each service takes keyword-only arguments and an explicit `actor`, runs in one transaction and writes its audit
entry in it. `actor=None` is the system (management commands, the demo loader); a user must be a list editor of
the edition's scope. Only drafts change; a published or superseded edition answers 409.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from gongzhi.core import audit, states
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.duties import permissions
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.orgs.models import Organization, Region

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_FUNDING_FEN = 10**12  # ten billion yuan: anything above is a typing error
MAX_ITEMS = 5000

ITEM_LIMITS = {
    "title": 200,
    "category": 40,
    "description": 4000,
    "legal_basis": 2000,
    "keywords": 1000,
    "source": 1000,
}
EDITION_LIMITS = {"title": 120, "doc_number": 80, "issuing_body": 120, "note": 4000}


@dataclass
class ItemData:
    """An item's fields before it is written (from a form, a workbook row or a copied edition)."""

    kind: str
    code: str
    title: str
    category: str = ""
    description: str = ""
    legal_basis: str = ""
    department: Organization | None = None
    funding_fen: int = 0
    keywords: str = ""
    source: str = ""

    @classmethod
    def of(cls, item: ListItem) -> ItemData:
        return cls(
            kind=item.kind,
            code=item.code,
            title=item.title,
            category=item.category,
            description=item.description,
            legal_basis=item.legal_basis,
            department=item.department,
            funding_fen=item.funding_fen,
            keywords=item.keywords,
            source=item.source,
        )


@dataclass
class EditionData:
    title: str
    doc_number: str = ""
    issuing_body: str = ""
    approved_on: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    note: str = ""
    is_sample: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# --- validation (pure; shared with the workbook importer) ------------------------------------------------------


def item_problems(data: ItemData) -> dict[str, str]:
    """Field → bilingual message for everything wrong with one item on its own (not counting duplicates)."""
    problems: dict[str, str] = {}
    if data.kind not in ListItem.Kind.values:
        problems["kind"] = "类别须为五类之一 / kind must be one of " + ", ".join(ListItem.Kind.values)
    if not data.code:
        problems["code"] = "编码不能为空 / code is required"
    elif not CODE_RE.match(data.code):
        problems["code"] = "编码只能含字母、数字、点、横线,最长32位 / code: letters, digits, . _ - (max 32)"
    if not data.title.strip():
        problems["title"] = "事项名称不能为空 / title is required"
    if not data.source.strip():
        problems["source"] = "须注明来源 / the source citation is required"
    for name, limit in ITEM_LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems[name] = f"不能超过{limit}字 / at most {limit} characters"
    if not isinstance(data.funding_fen, int) or data.funding_fen < 0:
        problems["funding_fen"] = "经费不能为负数 / funding cannot be negative"
    elif data.funding_fen > MAX_FUNDING_FEN:
        problems["funding_fen"] = "经费数额过大 / funding is too large"
    elif data.funding_fen and data.kind != ListItem.Kind.ASSISTING:
        problems["funding_fen"] = (
            "只有协助政府工作事项有经费标准(费随事转) / only assisting items carry funding"
        )
    if data.department is not None:
        if data.kind not in ListItem.DEPARTMENT_KINDS:
            problems["department"] = (
                "只有协助事项和部门权力事项填写责任部门 / only assisting and power items name a department"
            )
        elif data.department.kind != OrgKind.DEPARTMENT or not data.department.is_active:
            problems["department"] = (
                "责任部门须为有效的政府职能部门 / must be an active government department"
            )
    return problems


def edition_problems(data: EditionData) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not data.title.strip():
        problems["title"] = "标题不能为空 / title is required"
    for name, limit in EDITION_LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems[name] = f"不能超过{limit}字 / at most {limit} characters"
    if data.effective_from and data.effective_to and data.effective_to < data.effective_from:
        problems["effective_to"] = "失效日期不能早于生效日期 / the end date is before the start date"
    return problems


def _raise_if(problems: dict[str, str], what: str) -> None:
    if problems:
        first = next(iter(problems.values()))
        raise ValidationFailed(f"{what}:{first}", fields=problems)


# --- guards ---------------------------------------------------------------------------------------------------


def _require_editor(actor: User | None, scope: Region) -> None:
    if actor is None:
        return  # the system (management command, demo loader)
    if not permissions.can_edit_scope(actor, scope):
        raise PermissionDenied("只有审批机构可以编制清单 / only the approval office may edit the lists")


def _lock_draft(edition: ListEdition) -> ListEdition:
    """Re-read the edition under a row lock; anything but a draft is frozen (409)."""
    locked = ListEdition.objects.select_for_update(of=("self",)).select_related("scope").get(pk=edition.pk)
    if locked.status != ListEdition.Status.DRAFT:
        raise Conflict(
            "只有草稿可以修改,已发布的版本不能改动 / only drafts can be edited; a published edition is frozen",
            code="not_draft",
        )
    return locked


def _bump(edition: ListEdition) -> None:
    ListEdition.objects.filter(pk=edition.pk).update(revision=F("revision") + 1)


# --- editions -------------------------------------------------------------------------------------------------


@transaction.atomic
def create_edition(*, actor: User | None, scope: Region, data: EditionData) -> ListEdition:
    _require_editor(actor, scope)
    if scope.kind not in permissions.SCOPE_KINDS:
        raise ValidationFailed(
            "清单的适用范围须为市或区(县) / a list's scope is a city or a district",
            fields={"scope": "invalid"},
        )
    _raise_if(edition_problems(data), "清单信息有误 / invalid edition")
    edition = ListEdition.objects.create(
        scope=scope,
        title=data.title.strip(),
        doc_number=data.doc_number.strip(),
        issuing_body=data.issuing_body.strip(),
        approved_on=data.approved_on,
        effective_from=data.effective_from,
        effective_to=data.effective_to,
        note=data.note,
        is_sample=data.is_sample,
        created_by=actor,
    )
    audit.record(
        "duties.edition.create",
        actor=actor,
        target=edition,
        data={"scope": scope.code, "title": edition.title},
    )
    return edition


@transaction.atomic
def update_edition(*, actor: User | None, edition: ListEdition, data: EditionData) -> ListEdition:
    _require_editor(actor, edition.scope)
    locked = _lock_draft(edition)
    _raise_if(edition_problems(data), "清单信息有误 / invalid edition")
    changed: dict[str, Any] = {}
    for name in ListEdition.EDITABLE_FIELDS:
        value = getattr(data, name)
        if isinstance(value, str) and name != "note":
            value = value.strip()
        if getattr(locked, name) != value:
            changed[name] = value
            setattr(locked, name, value)
    if changed:
        locked.revision += 1
        locked.save(update_fields=[*changed, "revision"])
        audit.record("duties.edition.update", actor=actor, target=locked, data={"fields": sorted(changed)})
    return locked


@transaction.atomic
def delete_draft(*, actor: User | None, edition: ListEdition) -> None:
    _require_editor(actor, edition.scope)
    locked = _lock_draft(edition)
    count = locked.items.count()
    audit.record(
        "duties.edition.delete", actor=actor, target=locked, data={"title": locked.title, "items": count}
    )
    locked.items.all().delete()
    locked.delete()


@transaction.atomic
def copy_edition(*, actor: User | None, source: ListEdition, title: str = "") -> ListEdition:
    """Start a new draft for the same scope with the source edition's items (the usual way to revise a list)."""
    _require_editor(actor, source.scope)
    data = EditionData(
        title=title or source.title,
        issuing_body=source.issuing_body,
        note=source.note,
        is_sample=source.is_sample,
    )
    edition = create_edition(actor=actor, scope=source.scope, data=data)
    items = [ItemData.of(i) for i in source.items.select_related("department").order_by("position", "id")]
    _write_items(edition, items)
    audit.record(
        "duties.edition.copy", actor=actor, target=edition, data={"from": source.pk, "items": len(items)}
    )
    return edition


@transaction.atomic
def publish_edition(*, actor: User | None, edition: ListEdition) -> ListEdition:
    """Publish a draft; the scope's current edition is superseded in the same transaction."""
    _require_editor(actor, edition.scope)
    locked = ListEdition.objects.select_for_update(of=("self",)).select_related("scope").get(pk=edition.pk)
    if not states.allowed(locked, ListEdition.Status.PUBLISHED):
        raise InvalidTransition(
            f"只有草稿可以发布,此版本为“{locked.get_status_display()}” / only a draft can be published"
        )
    if not locked.items.exists():
        raise ValidationFailed(
            "空清单不能发布 / an empty edition cannot be published", fields={"items": "empty"}
        )
    if locked.effective_from is None:
        raise ValidationFailed(
            "发布前须填写生效日期 / set the effective date before publishing",
            fields={"effective_from": "required"},
        )
    now = timezone.now()
    current = (
        ListEdition.objects.select_for_update(of=("self",))
        .filter(scope_id=locked.scope_id, status=ListEdition.Status.PUBLISHED)
        .first()
    )
    try:
        with transaction.atomic():
            if current is not None:
                fields: dict[str, Any] = {"superseded_at": now}
                day_before = locked.effective_from - timedelta(days=1)
                if current.effective_to is None and (
                    current.effective_from is None or day_before >= current.effective_from
                ):
                    fields["effective_to"] = day_before
                states.move(
                    current,
                    ListEdition.Status.SUPERSEDED,
                    actor=actor,
                    fields=fields,
                    data={"by": locked.pk},
                    action="duties.edition.supersede",
                )
            states.move(
                locked,
                ListEdition.Status.PUBLISHED,
                actor=actor,
                fields={"published_at": now, "published_by": actor, "revision": locked.revision + 1},
                data={"supersedes": current.pk if current else None, "items": locked.items.count()},
                action="duties.edition.publish",
            )
    except IntegrityError as exc:  # another edition of this scope was published at the same moment
        raise Conflict(
            "该范围已有现行清单,请刷新后重试 / another edition of this scope was just published",
            code="conflict",
        ) from exc
    transaction.on_commit(lambda: _warm_matcher(locked))
    return locked


def _warm_matcher(edition: ListEdition) -> None:
    """Rebuild the matcher's index for the editions now in force (after the publication commits)."""
    from gongzhi.duties import matcher

    matcher.warm(edition)


# --- items ----------------------------------------------------------------------------------------------------


def _next_position(edition: ListEdition) -> int:
    top = edition.items.aggregate(m=Max("position"))["m"]
    return (top or 0) + 1


@transaction.atomic
def add_item(*, actor: User | None, edition: ListEdition, data: ItemData) -> ListItem:
    _require_editor(actor, edition.scope)
    locked = _lock_draft(edition)
    _raise_if(item_problems(data), "事项信息有误 / invalid item")
    if locked.items.filter(code=data.code).exists():
        raise Conflict(
            "本版本已有该编码 / that code is already used in this edition", fields={"code": "taken"}
        )
    item = ListItem.objects.create(edition=locked, position=_next_position(locked), **_item_fields(data))
    _bump(locked)
    audit.record(
        "duties.item.create", actor=actor, target=item, data={"edition": locked.pk, "code": item.code}
    )
    return item


@transaction.atomic
def update_item(*, actor: User | None, item: ListItem, data: ItemData) -> ListItem:
    _require_editor(actor, item.edition.scope)
    _lock_draft(item.edition)
    _raise_if(item_problems(data), "事项信息有误 / invalid item")
    if (
        data.code != item.code
        and ListItem.objects.filter(edition_id=item.edition_id, code=data.code).exists()
    ):
        raise Conflict(
            "本版本已有该编码 / that code is already used in this edition", fields={"code": "taken"}
        )
    changed: list[str] = []
    for name, value in _item_fields(data).items():
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    if changed:
        item.save(update_fields=changed)
        _bump(item.edition)
        audit.record(
            "duties.item.update",
            actor=actor,
            target=item,
            data={"edition": item.edition_id, "fields": changed},
        )
    return item


@transaction.atomic
def delete_item(*, actor: User | None, item: ListItem) -> None:
    _require_editor(actor, item.edition.scope)
    _lock_draft(item.edition)
    audit.record(
        "duties.item.delete", actor=actor, target=item, data={"edition": item.edition_id, "code": item.code}
    )
    _bump(item.edition)
    item.delete()


def _item_fields(data: ItemData) -> dict[str, Any]:
    return {
        "kind": data.kind,
        "code": data.code,
        "title": data.title.strip(),
        "category": data.category.strip(),
        "description": data.description.strip(),
        "legal_basis": data.legal_basis.strip(),
        "department": data.department,
        "funding_fen": data.funding_fen,
        "keywords": data.keywords.strip(),
        "source": data.source.strip(),
    }


def _write_items(edition: ListEdition, items: list[ItemData]) -> None:
    ListItem.objects.bulk_create(
        ListItem(edition=edition, position=n, **_item_fields(d)) for n, d in enumerate(items, start=1)
    )
    _bump(edition)


def _check_items(items: list[ItemData]) -> None:
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"一个版本最多{MAX_ITEMS}项 / at most {MAX_ITEMS} items per edition")
    seen: set[str] = set()
    for n, data in enumerate(items, start=1):
        _raise_if(item_problems(data), f"第{n}项有误 / item {n} is invalid")
        if data.code in seen:
            raise Conflict(f"编码重复:{data.code} / duplicate code", fields={"code": "taken"})
        seen.add(data.code)


@transaction.atomic
def replace_contents(
    *, actor: User | None, edition: ListEdition, data: EditionData, items: list[ItemData], via: str = ""
) -> ListEdition:
    """Replace a draft's fields and all of its items at once (the workbook import). All or nothing."""
    _require_editor(actor, edition.scope)
    locked = _lock_draft(edition)
    _raise_if(edition_problems(data), "清单信息有误 / invalid edition")
    _check_items(items)
    for name in ListEdition.EDITABLE_FIELDS:
        setattr(locked, name, getattr(data, name))
    locked.save(update_fields=list(ListEdition.EDITABLE_FIELDS))
    removed = locked.items.count()
    locked.items.all().delete()
    _write_items(locked, items)
    locked.refresh_from_db(fields=["revision"])
    audit.record(
        "duties.edition.replace",
        actor=actor,
        target=locked,
        data={"items": len(items), "removed": removed, **({"via": via} if via else {})},
    )
    return locked


@transaction.atomic
def create_edition_with_items(
    *, actor: User | None, scope: Region, data: EditionData, items: list[ItemData], via: str = ""
) -> ListEdition:
    """A new draft with its items in one transaction (the workbook import, the demo loader)."""
    _check_items(items)
    edition = create_edition(actor=actor, scope=scope, data=data)
    _write_items(edition, items)
    edition.refresh_from_db(fields=["revision"])
    audit.record(
        "duties.edition.fill",
        actor=actor,
        target=edition,
        data={"items": len(items), **({"via": via} if via else {})},
    )
    return edition


# --- proposals from outside the list editors (appended for admissions, issue 4) ---------------------------------


def scope_for(region: Region) -> Region:
    """The list scope a region falls under: itself or its nearest ancestor that is a city, district or county."""
    node: Region | None = region
    while node is not None:
        if node.kind in permissions.SCOPE_KINDS:
            return node
        node = node.parent
    raise ValidationFailed(
        "找不到适用的清单范围 / no list scope above this region", fields={"scope": "missing"}
    )


@transaction.atomic
def propose_item(*, actor: User | None, scope: Region, data: ItemData, basis: str) -> ListItem:
    """Add an item to the scope's next edition on a decision taken outside the list editors' own work (the
    approval authority admitting a task no list item covered). The next edition is the scope's newest draft, or
    a new draft copied from the published edition (empty if there is none). The caller has authorized the
    decision; the item is written as the system and the audit entry names `actor` and `basis`."""
    draft = (
        ListEdition.objects.select_for_update(of=("self",))
        .filter(scope=scope, status=ListEdition.Status.DRAFT)
        .order_by("-created_at", "-id")
        .first()
    )
    if draft is None:
        current = ListEdition.objects.filter(scope=scope, status=ListEdition.Status.PUBLISHED).first()
        if current is not None:
            draft = copy_edition(actor=None, source=current, title=f"{current.title}(修订草稿)")
        else:
            draft = create_edition(
                actor=None, scope=scope, data=EditionData(title=f"{scope.name}社区工作清单(草稿)")
            )
    if draft.items.filter(code=data.code).exists():
        raise Conflict(
            "下一版清单草稿已有该编码 / the next edition already has that code", fields={"code": "taken"}
        )
    item = add_item(actor=None, edition=draft, data=data)
    audit.record(
        "duties.item.propose",
        actor=actor,
        target=item,
        data={"edition": draft.pk, "code": item.code, "basis": basis},
    )
    return item


# --- workbook import ------------------------------------------------------------------------------------------


class WorkbookInvalid(ValidationFailed):
    """A workbook with problems: nothing was imported. `problems` lists each with sheet, row, column, message."""

    code = "invalid_workbook"

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(
            f"工作簿有{len(problems)}处错误,未导入任何内容 / the workbook has {len(problems)} problem(s); "
            "nothing was imported",
            fields={f"{p.sheet}!{p.row}:{p.column}": p.message for p in problems[:200]},
        )
        self.problems = problems

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["error"]["problems"] = [p.as_dict() for p in self.problems]
        return body


def _parse_workbook(data: bytes) -> Any:
    from gongzhi.duties import workbook

    parsed = workbook.parse(data)
    if parsed.problems:
        raise WorkbookInvalid(parsed.problems)
    return parsed


@transaction.atomic
def import_workbook(*, actor: User | None, data: bytes) -> ListEdition:
    """A new draft from a workbook (its scope from the 清单信息 sheet). All or nothing."""
    from gongzhi.duties.workbook import SCOPE_ROW, SHEET_INFO, Problem

    parsed = _parse_workbook(data)
    scope = Region.objects.filter(code=parsed.scope_code).first()
    if scope is None or scope.kind not in permissions.SCOPE_KINDS:
        raise WorkbookInvalid(
            [
                Problem(
                    SHEET_INFO,
                    SCOPE_ROW,
                    "适用范围区划代码",
                    "找不到该市或区(县) / no city or district with that code",
                )
            ]
        )
    return create_edition_with_items(
        actor=actor, scope=scope, data=parsed.edition, items=parsed.items, via="workbook"
    )


@transaction.atomic
def import_workbook_into(*, actor: User | None, edition: ListEdition, data: bytes) -> ListEdition:
    """Replace a draft's fields and items with a workbook's. The workbook's scope must be the draft's."""
    from gongzhi.duties.workbook import SCOPE_ROW, SHEET_INFO, Problem

    _require_editor(actor, edition.scope)
    _lock_draft(edition)
    parsed = _parse_workbook(data)
    if parsed.scope_code != edition.scope.code:
        raise WorkbookInvalid(
            [
                Problem(
                    SHEET_INFO,
                    SCOPE_ROW,
                    "适用范围区划代码",
                    f"工作簿的适用范围不是本草稿的“{edition.scope.name}”({edition.scope.code}) "
                    "/ the workbook is for another scope",
                )
            ]
        )
    return replace_contents(
        actor=actor, edition=edition, data=parsed.edition, items=parsed.items, via="workbook"
    )
