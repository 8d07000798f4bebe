"""The pre-check of a task request: the list matcher's verdict plus the admission rules.

Shown live while the clerk writes (htmx) and stored on the request at submission. Pure reads; no writes.

Rules (issue 4; domain.md §1.3, §3.1):

- `excluded` → cannot be submitted; the message names the list item;
- `statutory` → the community's own duty: the department may only give guidance (the request ends as
  "guidance only" when submitted);
- `assisting` → the funding offered per community must be at least the item's standard amount (费随事转) and an
  entrustment agreement will be required;
- `unlisted`, or an `inspection_ranking` or `plaque` flag → needs the approval authority's decision (an approved
  unlisted task becomes a draft item of the next list edition);
- timing: submitted at least ADMISSION_LEAD_WORKDAYS working days before the start; the decision is due within
  ADMISSION_DECISION_WORKDAYS working days of submission. Working days come from gongzhi.core.workdays; where a
  year has no holiday data the note says that the count fell back to Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from gongzhi.core import workdays
from gongzhi.duties.models import ListEdition, ListItem, fen_to_yuan

DEFAULT_LEAD_WORKDAYS = 30
DEFAULT_DECISION_WORKDAYS = 15

VERDICTS = ("statutory", "assisting", "excluded", "unlisted")
FLAGS = ("plaque", "report_form", "inspection_ranking", "certificate")

# The request's own kind and numbers imply flags whatever the text says.
KIND_FLAGS = {
    "plaque": "plaque",
    "report_form": "report_form",
    "inspection": "inspection_ranking",
    "certificate": "certificate",
}

FLAG_LABELS = {
    "plaque": "挂牌 / plaque",
    "report_form": "报表台账 / forms and reports",
    "inspection_ranking": "检查评比考核 / inspection or ranking",
    "certificate": "出具证明 / certificate",
}

VERDICT_LABELS = {
    "statutory": "依法履行职责事项 / the community's own duty",
    "assisting": "协助政府工作事项 / assisting work",
    "excluded": "不应由社区承担事项 / not the community's work",
    "unlisted": "清单外事项 / not on the lists",
}


class Route:
    BLOCKED = "blocked"  # cannot be submitted
    GUIDANCE = "guidance"  # ends as guidance only
    REVIEW = "review"  # office examines, authority decides
    AUTHORITY = "authority"  # the same two steps; the authority's decision is what the rules require


def lead_workdays() -> int:
    return int(getattr(settings, "ADMISSION_LEAD_WORKDAYS", DEFAULT_LEAD_WORKDAYS))


def decision_workdays() -> int:
    return int(getattr(settings, "ADMISSION_DECISION_WORKDAYS", DEFAULT_DECISION_WORKDAYS))


def today() -> dt.date:
    return timezone.localdate()


@dataclass
class Draft:
    """What the pre-check needs of a request (from a form being typed, an API body or a saved request)."""

    title: str
    description: str
    kind: str
    starts_on: dt.date | None
    funding_fen: int = 0
    forms_count: int = 0
    plaques_count: int = 0
    legal_basis: str = ""

    @property
    def text(self) -> str:
        return "\n".join(p for p in (self.title.strip(), self.description.strip()) if p)


@dataclass
class Precheck:
    verdict: str
    route: str
    reason: str
    flags: list[str]
    matches: list[dict[str, Any]]
    item_id: int | None = None
    item_code: str = ""
    item_title: str = ""
    standard_funding_fen: int | None = None
    needs_authority: bool = False
    requires_agreement: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked_on: str = ""
    lead_workdays: int | None = None
    latest_submission: str = ""
    earliest_start: str = ""
    decision_due: str = ""
    calendar_note: str = ""
    edition_id: int | None = None

    @property
    def can_submit(self) -> bool:
        return not self.errors

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS.get(self.verdict, self.verdict)

    @property
    def standard_funding_yuan(self) -> str:
        return fen_to_yuan(self.standard_funding_fen or 0)

    @property
    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS.get(f, f) for f in self.flags]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "route": self.route,
            "reason": self.reason,
            "flags": list(self.flags),
            "matches": list(self.matches),
            "item_id": self.item_id,
            "item_code": self.item_code,
            "item_title": self.item_title,
            "standard_funding_fen": self.standard_funding_fen,
            "needs_authority": self.needs_authority,
            "requires_agreement": self.requires_agreement,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "checked_on": self.checked_on,
            "lead_workdays": self.lead_workdays,
            "latest_submission": self.latest_submission,
            "earliest_start": self.earliest_start,
            "decision_due": self.decision_due,
            "calendar_note": self.calendar_note,
            "edition_id": self.edition_id,
        }


def from_dict(data: dict[str, Any]) -> Precheck | None:
    """A stored pre-check (TaskRequest.precheck) back as an object, for the pages; None if there is none."""
    if not data or "verdict" not in data:
        return None
    known = {f for f in Precheck.__dataclass_fields__}
    values = {k: v for k, v in data.items() if k in known}
    values.setdefault("route", Route.REVIEW)
    values.setdefault("reason", "")
    values.setdefault("flags", [])
    values.setdefault("matches", [])
    return Precheck(**values)


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _match_dict(m: Any) -> dict[str, Any]:
    score = _attr(m, "score", 0.0)
    return {
        "kind": str(_attr(m, "kind", "")),
        "code": str(_attr(m, "code", "")),
        "title": str(_attr(m, "title", "")),
        "score": round(float(score), 4) if score is not None else 0.0,
    }


def _run_matcher(text: str) -> Any:
    from gongzhi.duties import matcher  # imported late: the matcher builds its index on first use

    return matcher.match(text, edition=None)


def _resolve_item(verdict: Any, kind: str) -> ListItem | None:
    """The list item that decided a statutory/assisting/excluded verdict: the best match of that kind."""
    for m in _attr(verdict, "matches", None) or []:
        if str(_attr(m, "kind", "")) != kind:
            continue
        direct = _attr(m, "item", None)
        if isinstance(direct, ListItem):
            return direct
        item_id = _attr(m, "item_id", None) or _attr(m, "id", None)
        if isinstance(item_id, int):
            found = ListItem.objects.filter(pk=item_id).select_related("edition").first()
            if found is not None:
                return found
        code = str(_attr(m, "code", ""))
        edition = _attr(verdict, "edition", None)
        items = ListItem.objects.filter(code=code, kind=kind).select_related("edition")
        if isinstance(edition, ListEdition):
            items = items.filter(edition=edition)
        else:
            items = items.filter(edition__status=ListEdition.Status.PUBLISHED)
        found = items.order_by("-edition__published_at", "-id").first()
        if found is not None:
            return found
    return None


def check(draft: Draft, *, on: dt.date | None = None) -> Precheck:
    """Run the matcher and the rules over a draft; `on` is the submission date (today by default)."""
    on = on or today()
    text = draft.text
    if text:
        verdict_obj = _run_matcher(text)
        verdict = str(_attr(verdict_obj, "verdict", "unlisted"))
        flags = {str(f) for f in (_attr(verdict_obj, "flags", None) or [])}
        reason = str(_attr(verdict_obj, "reason", "") or "")
        matches = [_match_dict(m) for m in (_attr(verdict_obj, "matches", None) or [])][:5]
    else:
        verdict_obj, verdict, flags, reason, matches = None, "unlisted", set(), "", []
    if verdict not in VERDICTS:
        verdict = "unlisted"
    if draft.kind in KIND_FLAGS:
        flags.add(KIND_FLAGS[draft.kind])
    if draft.plaques_count > 0:
        flags.add("plaque")
    if draft.forms_count > 0:
        flags.add("report_form")

    result = Precheck(
        verdict=verdict,
        route=Route.REVIEW,
        reason=reason,
        flags=[f for f in FLAGS if f in flags],
        matches=matches,
        checked_on=on.isoformat(),
    )
    item = _resolve_item(verdict_obj, verdict) if verdict_obj is not None and verdict != "unlisted" else None
    if item is not None:
        result.item_id, result.item_code, result.item_title = item.pk, item.code, item.title
        result.edition_id = item.edition_id
    named = f"“{item.code} {item.title}”" if item is not None else "清单事项"
    named_en = f'"{item.code} {item.title}"' if item is not None else "a list item"

    if not text:
        result.errors.append("请填写事项名称和工作内容 / enter the title and the description")
    if verdict == "excluded":
        result.route = Route.BLOCKED
        result.errors.append(
            f"该工作属于不应由社区承担的事项{named},不能提交准入申请 / "
            f"this work is on the list of what communities must not be given ({named_en}); it cannot be submitted"
        )
    elif verdict == "statutory":
        result.route = Route.GUIDANCE
        result.notes.append(
            f"该工作属于社区依法履行职责事项{named},无需准入;部门只能进行工作指导,提交后本申请以“仅作工作指导”办结 / "
            f"this is the community's own duty ({named_en}): no admission is needed and the department may only "
            "give guidance; submitting closes the request as guidance only"
        )
    elif verdict == "assisting":
        result.requires_agreement = True
        standard = item.funding_fen if item is not None else 0
        result.standard_funding_fen = standard
        result.notes.append(
            f"该工作属于协助政府工作事项{named},须签订委托协议,费随事转 / "
            f"assisting work ({named_en}): an entrustment agreement is required and funding follows the task"
        )
        if draft.funding_fen < standard:
            result.errors.append(
                f"每个社区经费须不低于清单标准 {fen_to_yuan(standard)} 元/年,现为 {fen_to_yuan(draft.funding_fen)} 元 / "
                f"funding per community must be at least the standard {fen_to_yuan(standard)} yuan a year "
                f"(offered: {fen_to_yuan(draft.funding_fen)})"
            )
    else:
        result.notes.append(
            "清单未覆盖该工作,须由审批机构研究决定;批准后列入下一版清单草稿 / "
            "no list item covers this work: the approval authority decides, and an approved task becomes a draft "
            "item of the next list edition"
        )
    if result.route != Route.BLOCKED and result.route != Route.GUIDANCE:
        if verdict == "unlisted" or {"inspection_ranking", "plaque"} & flags:
            result.route = Route.AUTHORITY
            result.needs_authority = True
        if "inspection_ranking" in flags:
            result.warnings.append(
                "部门不得单独对社区开展检查、评比、考核;此类事项须审批机构决定 / departments may not inspect, rank "
                "or assess communities on their own: the approval authority must decide"
            )
        if "plaque" in flags:
            result.warnings.append(
                "新增挂牌须审批机构决定,并计入社区牌子总数 / a new plaque needs the approval authority's decision "
                "and counts toward the community's plaques"
            )
        if "report_form" in flags:
            result.notes.append(
                "报表台账计入社区填报负担 / forms and reports count toward the community's burden"
            )
        if "certificate" in flags:
            result.notes.append(
                "社区只能出具法律法规规定或保留清单内的证明 / a community may only issue certificates that a law "
                "or the retained list provides for"
            )
    _timing(result, draft.starts_on, on)
    return result


def _timing(result: Precheck, starts_on: dt.date | None, on: dt.date) -> None:
    cal = workdays.Calendar()
    lead, window = lead_workdays(), decision_workdays()
    due = cal.add_workdays(on, window)
    result.decision_due = due.isoformat()
    earliest = cal.add_workdays(on, lead)
    result.earliest_start = earliest.isoformat()
    if starts_on is None:
        result.errors.append("请填写开始日期 / enter the start date")
    else:
        result.lead_workdays = cal.workdays_between(on, starts_on)
        latest = cal.add_workdays(starts_on, -lead)
        result.latest_submission = latest.isoformat()
        if result.route != Route.GUIDANCE and result.lead_workdays < lead:
            result.errors.append(
                f"须在开始日期前至少{lead}个工作日提交:距开始仅{max(result.lead_workdays, 0)}个工作日,"
                f"最早可于 {earliest.isoformat()} 开始 / submit at least {lead} working days before the start: "
                f"only {max(result.lead_workdays, 0)} left; the earliest possible start is {earliest.isoformat()}"
            )
    result.notes.append(
        f"如今日提交,审批机构应在 {due.isoformat()} 前作出决定({window}个工作日) / if submitted today, the "
        f"decision is due by {due.isoformat()} ({window} working days)"
    )
    result.calendar_note = cal.note()
