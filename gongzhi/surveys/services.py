"""Every write of the surveys: building a questionnaire (draft only), opening and closing it (core.states.move),
new versions, issuing and reissuing invitations, printing slips (an audited read of the codes), and recording a
response (by code, by a signed-in resident or unit contact, or entered by community staff).

Recording a response (security.md SV-1, SV-2): the Participation row (unique per survey series and household or
unit) is inserted first, in a savepoint; a second submission for the same household fails the unique constraint
(also when both arrive at once: SQLite's BEGIN IMMEDIATE serializes them, PostgreSQL makes the second insert wait
for the first and then fail) and gets 409. The Response and its Answers go into the same transaction, with
nothing that leads back to the participation. After the survey's closing date (`closes_on`, local date, the day
itself included) nothing is accepted (409, like a closed survey).

Audit (docs/decisions.md D14): an answer by code or by a resident's account writes NO audit entry: the Participation
row (day only) is the record. An audit entry carries the exact time, the address and the user, and its place in
the chain orders it among every other entry; next to the household's community that would keep what the
participation deliberately drops. Staff-assisted entry is an act of a staff member and is audited (who, community,
channel; never the household or the answers). Closing a survey version records its participation tally (per
community, channel and day) in the audit log, which fixes the count in the hash chain.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from gongzhi.core import audit, states
from gongzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Household, Organization, Region
from gongzhi.surveys import codes, permissions
from gongzhi.surveys.models import (
    ANONYMOUS_TABLES,
    Answer,
    Invitation,
    Participation,
    Question,
    Response,
    Survey,
)

Status = Survey.Status
Kind = Question.Kind

MAX_QUESTIONS = 60
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 2000
ISSUE_BATCH = 50_000
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TOKEN_RE = re.compile(r"^[\x21-\x7e]{8,200}$")


class AlreadyAnswered(Conflict):
    code = "already_answered"


class SurveyNotOpen(Conflict):
    code = "survey_not_open"


# --- Input helpers ------------------------------------------------------------------------------------------------


def _text(value: str | None, field_name: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{label}不能为空 / {field_name} is required", fields={field_name: "required"})
    if len(value) > limit:
        raise ValidationFailed(
            f"{label}不能超过{limit}字 / {field_name} is at most {limit} characters",
            fields={field_name: "too_long"},
        )
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValidationFailed(
            f"{label}含有控制字符 / {field_name} contains control characters", fields={field_name: "invalid"}
        )
    return value


def _require_draft(survey: Survey) -> None:
    if survey.status != Status.DRAFT:
        raise Conflict(
            "问卷已开放,内容已冻结;如需修改请创建新版本 / the survey is frozen once opened: make a new version",
            code="survey_frozen",
        )


def _closed(survey: Survey) -> bool:
    """Whether the survey is closed now (read from the database: the caller's object may be older)."""
    return Survey.objects.filter(pk=survey.pk, status=Status.CLOSED).exists()


def past_deadline(survey: Survey, today: date | None = None) -> bool:
    """Whether the survey's closing date (`closes_on`, inclusive, in local time) has passed."""
    return survey.closes_on is not None and (today or timezone.localdate()) > survey.closes_on


def accepts_answers(survey: Survey) -> bool:
    """Open, and not past its closing date (for pages; the services check the database again)."""
    return survey.is_open and not past_deadline(survey)


def _ended_message(closes_on: date) -> str:
    day = f"{closes_on.year}年{closes_on.month}月{closes_on.day}日"
    return f"问卷已于{day}截止,不再接收答卷 / the survey ended on {closes_on.isoformat()}"


def participation_tally(survey: Survey) -> dict[str, Any]:
    """The participations of one survey version, counted per community, channel and day (no household): what the
    audit log keeps of the answering instead of one entry per answer."""
    rows = (
        Participation.objects.filter(survey=survey)
        .values_list("community_id", "channel", "on")
        .annotate(n=Count("id"))
        .order_by("community_id", "channel", "on")
    )
    communities: dict[str, dict[str, dict[str, int]]] = {}
    total = 0
    for community_id, channel, on, n in rows:
        communities.setdefault(str(community_id), {}).setdefault(channel, {})[on.isoformat()] = n
        total += n
    return {"total": total, "communities": communities}


def _record_tally(actor: User | None, survey: Survey) -> None:
    audit.record("surveys.participation.tally", actor=actor, target=survey, data=participation_tally(survey))


def _locked(survey: Survey) -> Survey:
    return Survey.objects.select_for_update(of=("self",)).select_related("scope", "owner").get(pk=survey.pk)


# --- Building -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    required: bool = True
    options: Sequence[str] = field(default_factory=tuple)
    help: str = ""
    key: str = ""
    low_label: str = ""
    high_label: str = ""


def _clean_spec(spec: QuestionSpec) -> dict[str, Any]:
    if spec.kind not in Kind.values:
        raise ValidationFailed("题型无效 / unknown question kind", fields={"kind": "invalid"})
    values: dict[str, Any] = {
        "kind": spec.kind,
        "text": _text(spec.text, "text", "题目", 300),
        "help": _text(spec.help, "help", "提示", 300, required=False),
        "required": bool(spec.required),
        "key": (spec.key or "").strip(),
        "options": [],
        "low_label": "",
        "high_label": "",
    }
    if values["key"] and not KEY_RE.match(values["key"]):
        raise ValidationFailed(
            "标识只能用小写字母、数字、-和_ / key: lowercase letters, digits, - and _",
            fields={"key": "invalid"},
        )
    if spec.kind in Question.CHOICE_KINDS:
        options = [_text(o, "options", "选项", 100) for o in spec.options]
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise ValidationFailed(
                f"选择题需要2到{MAX_OPTIONS}个选项 / a choice question needs 2–{MAX_OPTIONS} options",
                fields={"options": "count"},
            )
        if len(set(options)) != len(options):
            raise ValidationFailed("选项不能重复 / options must differ", fields={"options": "duplicate"})
        values["options"] = options
    elif any((o or "").strip() for o in spec.options):
        raise ValidationFailed(
            "只有选择题有选项 / only choice questions have options", fields={"options": "invalid"}
        )
    if spec.kind == Kind.SCALE:
        values["low_label"] = _text(spec.low_label, "low_label", "1分含义", 20, required=False)
        values["high_label"] = _text(spec.high_label, "high_label", "5分含义", 20, required=False)
    return values


def _check_key_free(survey: Survey, key: str, exclude: int | None = None) -> None:
    if key and survey.questions.filter(key=key).exclude(pk=exclude or 0).exists():
        raise ValidationFailed(
            "标识在本问卷中已使用 / key already used in this survey", fields={"key": "taken"}
        )


def _survey_fields(title: str, intro: str, purpose: str, closes_on: date | None) -> dict[str, Any]:
    if purpose not in Survey.Purpose.values:
        raise ValidationFailed("用途无效 / unknown purpose", fields={"purpose": "invalid"})
    if closes_on is not None and closes_on < timezone.localdate():
        raise ValidationFailed(
            "截止日期不能早于今天 / the closing date is in the past", fields={"closes_on": "past"}
        )
    return {
        "title": _text(title, "title", "标题", 120),
        "intro": _text(intro, "intro", "说明", 2000, required=False),
        "purpose": purpose,
        "closes_on": closes_on,
    }


@transaction.atomic
def create_survey(
    *,
    actor: User | None,
    scope: Region,
    title: str,
    intro: str = "",
    purpose: str = Survey.Purpose.GENERAL,
    respondents: str = Survey.Respondents.HOUSEHOLDS,
    closes_on: date | None = None,
    owner: Organization | None = None,
    questions: Sequence[QuestionSpec] = (),
    is_sample: bool = False,
) -> Survey:
    """A draft survey over a community or a larger region (the whole city). The owner is the office or the
    community body the actor runs it through; `owner` is only for the system (actor None)."""
    if actor is not None:
        owner = permissions.creating_org(actor, scope)
        if owner is None:
            raise PermissionDenied(
                "只有审批办或本社区工作人员可以发起问卷 / only the office or the community's staff run surveys here"
            )
    if owner is None:
        raise ValidationFailed("缺少发起机构 / owner is required", fields={"owner": "required"})
    if respondents not in Survey.Respondents.values:
        raise ValidationFailed("答卷对象无效 / unknown respondents", fields={"respondents": "invalid"})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationFailed(
            f"最多{MAX_QUESTIONS}道题 / at most {MAX_QUESTIONS} questions", fields={"questions": "count"}
        )
    cleaned = [_clean_spec(q) for q in questions]
    keys = [c["key"] for c in cleaned if c["key"]]
    if len(keys) != len(set(keys)):
        raise ValidationFailed(
            "题目标识重复 / duplicate question keys", fields={"questions": "duplicate_key"}
        )
    survey = Survey.objects.create(
        scope=scope,
        respondents=respondents,
        owner=owner,
        created_by=actor,
        is_sample=is_sample,
        **_survey_fields(title, intro, purpose, closes_on),
    )
    Question.objects.bulk_create(
        [Question(survey=survey, position=i, **values) for i, values in enumerate(cleaned, start=1)]
    )
    audit.record(
        "surveys.survey.create",
        actor=actor,
        target=survey,
        data={"scope": scope.pk, "respondents": respondents, "questions": len(cleaned)},
    )
    return survey


@transaction.atomic
def update_survey(
    *,
    actor: User | None,
    survey: Survey,
    title: str,
    intro: str = "",
    purpose: str = Survey.Purpose.GENERAL,
    closes_on: date | None = None,
) -> Survey:
    survey = _locked(survey)
    _guard_manage(actor, survey)
    _require_draft(survey)
    values = _survey_fields(title, intro, purpose, closes_on)
    for name, value in values.items():
        setattr(survey, name, value)
    survey.save(update_fields=list(values))
    audit.record("surveys.survey.update", actor=actor, target=survey, data={"fields": sorted(values)})
    return survey


def _guard_manage(actor: User | None, survey: Survey) -> None:
    if actor is not None and not permissions.can_manage_survey(actor, survey):
        raise PermissionDenied("无权管理该问卷 / you may not manage this survey")


@transaction.atomic
def add_question(*, actor: User | None, survey: Survey, spec: QuestionSpec) -> Question:
    survey = _locked(survey)
    _guard_manage(actor, survey)
    _require_draft(survey)
    values = _clean_spec(spec)
    _check_key_free(survey, values["key"])
    count = survey.questions.count()
    if count >= MAX_QUESTIONS:
        raise ValidationFailed(
            f"最多{MAX_QUESTIONS}道题 / at most {MAX_QUESTIONS} questions", fields={"questions": "count"}
        )
    position = (survey.questions.aggregate(m=Max("position"))["m"] or 0) + 1
    question = Question.objects.create(survey=survey, position=position, **values)
    audit.record("surveys.question.add", actor=actor, target=survey, data={"question": question.pk})
    return question


@transaction.atomic
def update_question(*, actor: User | None, question: Question, spec: QuestionSpec) -> Question:
    survey = _locked(question.survey)
    _guard_manage(actor, survey)
    _require_draft(survey)
    values = _clean_spec(spec)
    _check_key_free(survey, values["key"], exclude=question.pk)
    for name, value in values.items():
        setattr(question, name, value)
    question.save(update_fields=list(values))
    audit.record("surveys.question.update", actor=actor, target=survey, data={"question": question.pk})
    return question


@transaction.atomic
def delete_question(*, actor: User | None, question: Question) -> None:
    survey = _locked(question.survey)
    _guard_manage(actor, survey)
    _require_draft(survey)
    pk, position = question.pk, question.position
    question.delete()
    for later in survey.questions.filter(position__gt=position).order_by("position"):
        later.position -= 1
        later.save(update_fields=["position"])
    audit.record("surveys.question.delete", actor=actor, target=survey, data={"question": pk})


@transaction.atomic
def open_survey(*, actor: User | None, survey: Survey) -> Survey:
    """Open a draft: its questions are frozen from now on. Opening a new version closes the one it replaces."""
    original, survey = survey, _locked(survey)
    _guard_manage(actor, survey)
    if survey.status == Status.DRAFT and not survey.questions.exists():
        raise ValidationFailed(
            "问卷还没有题目 / the survey has no questions", fields={"questions": "required"}
        )
    previous = survey.previous
    if survey.status == Status.DRAFT and previous is not None and previous.status == Status.OPEN:
        states.move(
            previous,
            Status.CLOSED,
            actor=actor,
            reason=f"由第{survey.version}版取代 / replaced by version {survey.version}",
            fields={"closed_on": timezone.localdate()},
        )
        _record_tally(actor, previous)
    states.move(survey, Status.OPEN, actor=actor, fields={"opened_on": timezone.localdate()})
    original.refresh_from_db()
    return original


@transaction.atomic
def close_survey(*, actor: User | None, survey: Survey) -> Survey:
    original, survey = survey, _locked(survey)
    _guard_manage(actor, survey)
    states.move(survey, Status.CLOSED, actor=actor, fields={"closed_on": timezone.localdate()})
    _record_tally(actor, survey)
    original.refresh_from_db()
    return original


@transaction.atomic
def new_version(*, actor: User | None, survey: Survey) -> Survey:
    """A draft copy of an opened (or closed) survey, to change it. Invitations and participation belong to the
    series: codes keep working and a household that answered an earlier version cannot answer again."""
    survey = _locked(survey)
    _guard_manage(actor, survey)
    if survey.status == Status.DRAFT:
        raise Conflict("草稿可以直接修改 / a draft can be edited directly", code="still_draft")
    if Survey.objects.filter(previous=survey).exists():
        raise Conflict("该版本已有新版本 / this version already has a newer one", code="has_next_version")
    latest = Survey.objects.filter(series=survey.series).aggregate(m=Max("version"))["m"] or survey.version
    if latest != survey.version:
        raise Conflict("只能从最新版本创建 / only the latest version can be copied", code="not_latest")
    copy = Survey.objects.create(
        series=survey.series,
        version=survey.version + 1,
        previous=survey,
        title=survey.title,
        intro=survey.intro,
        purpose=survey.purpose,
        scope=survey.scope,
        respondents=survey.respondents,
        owner=survey.owner,
        closes_on=survey.closes_on if survey.closes_on and survey.closes_on >= timezone.localdate() else None,
        created_by=actor,
        is_sample=survey.is_sample,
    )
    Question.objects.bulk_create(
        [
            Question(
                survey=copy,
                position=q.position,
                key=q.key,
                kind=q.kind,
                text=q.text,
                help=q.help,
                required=q.required,
                options=list(q.options),
                low_label=q.low_label,
                high_label=q.high_label,
            )
            for q in survey.questions.order_by("position")
        ]
    )
    audit.record(
        "surveys.survey.new_version",
        actor=actor,
        target=copy,
        data={"from": survey.pk, "version": copy.version},
    )
    return copy


# --- Invitations --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueResult:
    created: int
    existing: int
    communities: int


@dataclass(frozen=True)
class Slip:
    label: str
    code: str  # canonical form; codes.pretty() for print
    community: str


def _respondents(survey: Survey, community_id: int) -> Iterable[int]:
    if survey.for_units:
        return (
            Organization.objects.filter(region_id=community_id, kind=OrgKind.UNIT, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return Household.objects.filter(community_id=community_id).order_by("pk").values_list("pk", flat=True)


@dataclass(slots=True)
class _Pending:
    key: str  # respondent_key
    respondent_id: int
    community_id: int
    generation: int
    code_hash: str


_INVITATION_COLUMNS = (
    "series", "survey_id", "kind", "respondent_key", "community_id", "code_hash", "generation", "issued_on",
)  # fmt: skip


def _existing(column: str, values: list[str], **where: Any) -> set[str]:
    found: set[str] = set()
    for lo in range(0, len(values), 10_000):  # below SQLite's 32,766 variables a statement
        found.update(
            Invitation.objects.filter(**{f"{column}__in": values[lo : lo + 10_000]}, **where).values_list(
                column, flat=True
            )
        )
    return found


def _insert_invitations(survey: Survey, rows: list[_Pending], deriver: codes.Deriver, today: date) -> int:
    """Insert in one savepoint with plain INSERTs: at city scale the ORM's model objects cost more than the
    writing. Optimistic: the first try checks nothing in the database; when the unique constraints refuse the
    batch (a code equal to a live one, about once per city-wide issue, or households issued meanwhile by
    someone else), the retry drops what exists and moves a clashing code to its household's next generation."""
    qn = connection.ops.quote_name
    table, columns = qn(Invitation._meta.db_table), ", ".join(qn(c) for c in _INVITATION_COLUMNS)
    marks = ", ".join(["%s"] * len(_INVITATION_COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - the model's own names only
    series = Invitation._meta.get_field("series").get_db_prep_value(survey.series, connection)
    issued_on = Invitation._meta.get_field("issued_on").get_db_prep_value(today, connection)
    taken: set[str] = set()
    for _attempt in range(8):
        seen: set[str] = set()
        for row in rows:
            while row.code_hash in taken or row.code_hash in seen:
                row.generation += 1
                row.code_hash = deriver.code_hash(deriver.code(row.respondent_id, row.generation))
            seen.add(row.code_hash)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    sql,
                    [
                        (series, survey.pk, survey.respondents, r.key, r.community_id, r.code_hash, r.generation,
                         issued_on)
                        for r in rows
                    ],
                )  # fmt: skip
            return len(rows)
        except IntegrityError:
            issued = _existing("respondent_key", [r.key for r in rows], series=survey.series)
            rows = [r for r in rows if r.key not in issued]
            if not rows:
                return 0
            taken = _existing("code_hash", [r.code_hash for r in rows])
    raise Conflict("邀请码生成冲突,请重试 / invitation codes clashed; try again", code="issue_conflict")


@transaction.atomic
def _issue_batch(
    *,
    actor: User | None,
    survey: Survey,
    rows: list[_Pending],
    deriver: codes.Deriver,
    today: date,
    note: str,
) -> int:
    created = _insert_invitations(survey, rows, deriver, today)
    audit.record(
        "surveys.invitation.issue", actor=actor, target=survey, data={"created": created, "communities": note}
    )
    return created


def issue_invitations(
    *, actor: User | None, survey: Survey, community: Region | None = None, batch_size: int = ISSUE_BATCH
) -> IssueResult:
    """One invitation per household (or unit) of `community`, or of every community in the survey's scope, that
    has none yet in this series. Idempotent. Written in batches of `batch_size`, each its own transaction with one
    audit entry, so that issuing for a whole city holds the database for a second or two at a time, not for the
    whole run; a rerun finishes an interrupted issue. Nobody sees the codes here: the community's staff print them
    (invitation_slips). Large batches on purpose: the two unique indexes are on random HMACs, so every batch
    rewrites most of their pages whatever its size (docs/benchmarks.md)."""
    if actor is not None and not permissions.can_issue_invitations(actor, survey, community):
        raise PermissionDenied("无权为该问卷发放邀请码 / you may not issue invitations for this survey")
    if _closed(survey):
        raise SurveyNotOpen("问卷已结束 / the survey is closed")
    in_scope = permissions.community_ids_in(survey.scope)
    if community is not None and community.pk not in in_scope:
        raise ValidationFailed(
            "该社区不在问卷范围内 / community outside the survey", fields={"community": "scope"}
        )
    targets = [community.pk] if community is not None else sorted(in_scope)
    deriver, today = codes.Deriver(survey.series, survey.respondents), timezone.localdate()
    created = existing = 0
    pending: list[_Pending] = []
    pending_communities: set[int] = set()

    def flush() -> None:
        nonlocal created, pending, pending_communities
        if pending:
            note = ",".join(str(c) for c in sorted(pending_communities))[:500]
            created += _issue_batch(
                actor=actor, survey=survey, rows=pending, deriver=deriver, today=today, note=note
            )
        pending, pending_communities = [], set()

    for community_id in targets:
        have = set(
            Invitation.objects.filter(series=survey.series, community_id=community_id).values_list(
                "respondent_key", flat=True
            )
        )
        for respondent_id in _respondents(survey, community_id):
            key = deriver.respondent_key(respondent_id)
            if key in have:
                existing += 1
                continue
            pending.append(
                _Pending(
                    key, respondent_id, community_id, 0, deriver.code_hash(deriver.code(respondent_id, 0))
                )
            )
            pending_communities.add(community_id)
            if len(pending) >= batch_size:
                flush()
    flush()
    return IssueResult(created=created, existing=existing, communities=len(targets))


def _respondent_label(survey: Survey, community_id: int) -> list[tuple[int, str]]:
    if survey.for_units:
        return list(
            Organization.objects.filter(region_id=community_id, kind=OrgKind.UNIT, is_active=True)
            .order_by("name")
            .values_list("pk", "name")
        )
    return [
        (h.pk, f"{h.estate.name} {h.address}")
        for h in Household.objects.filter(community_id=community_id)
        .select_related("estate")
        .order_by("estate__name", "address")
    ]


@transaction.atomic
def invitation_slips(*, actor: User, survey: Survey, community: Region) -> list[Slip]:
    """The codes of a community's invitations, for printing (derived again, never stored). Only the community's
    own staff; each printing is audited with the count."""
    if not permissions.can_print_invitations(actor, survey, community):
        raise PermissionDenied(
            "只有本社区工作人员可以打印邀请码 / only the community's own staff print codes"
        )
    if _closed(survey):
        raise SurveyNotOpen("问卷已结束 / the survey is closed")
    generations = dict(
        Invitation.objects.filter(series=survey.series, community=community).values_list(
            "respondent_key", "generation"
        )
    )
    slips: list[Slip] = []
    for respondent_id, label in _respondent_label(survey, community.pk):
        generation = generations.get(codes.respondent_key(survey.series, survey.respondents, respondent_id))
        if generation is None:
            continue
        code = codes.derive_code(survey.series, survey.respondents, respondent_id, generation)
        slips.append(Slip(label=label, code=code, community=community.name))
    audit.record(
        "surveys.invitation.print",
        actor=actor,
        target=survey,
        data={"community": community.pk, "slips": len(slips)},
    )
    return slips


@transaction.atomic
def reissue_invitation(*, actor: User, survey: Survey, respondent_id: int) -> Slip:
    """A new code for one household (or unit) whose slip was lost: the old code stops working."""
    community_id = respondent_community(survey, respondent_id)
    community = Region.objects.get(pk=community_id)
    if not permissions.can_print_invitations(actor, survey, community):
        raise PermissionDenied(
            "只有本社区工作人员可以补发邀请码 / only the community's own staff reissue codes"
        )
    if _closed(survey):
        raise SurveyNotOpen("问卷已结束 / the survey is closed")
    key = codes.respondent_key(survey.series, survey.respondents, respondent_id)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(series=survey.series, respondent_key=key)
        .first()
    )
    if invitation is None:
        raise NotFound("该户尚未发放邀请码 / no invitation issued for this respondent yet")
    while True:
        invitation.generation += 1
        code = codes.derive_code(survey.series, survey.respondents, respondent_id, invitation.generation)
        invitation.code_hash = codes.code_hash(code)
        if not Invitation.objects.filter(code_hash=invitation.code_hash).exists():
            break
    invitation.save(update_fields=["generation", "code_hash"])
    audit.record("surveys.invitation.reissue", actor=actor, target=survey, data={"community": community_id})
    label = dict(_respondent_label(survey, community_id)).get(respondent_id, "")
    return Slip(label=label, code=code, community=community.name)


def respondent_community(survey: Survey, respondent_id: int) -> int:
    if survey.for_units:
        unit = Organization.objects.filter(pk=respondent_id, kind=OrgKind.UNIT).first()
        if unit is None:
            raise NotFound("未找到该共建单位 / unit not found")
        return unit.region_id
    household = Household.objects.filter(pk=respondent_id).first()
    if household is None:
        raise NotFound("未找到该住户 / household not found")
    return household.community_id


# --- Answering ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What a respondent gets back: which survey was answered and whether this was a retry. No response id."""

    survey: Survey
    replayed: bool = False


@dataclass(frozen=True)
class InvitationMatch:
    invitation: Invitation
    survey: Survey  # the open version of the series, else its latest


def find_invitation(typed: str) -> InvitationMatch | None:
    code = codes.normalize(typed)
    if code is None:
        return None
    return find_invitation_by_hash(codes.code_hash(code))


def find_invitation_by_hash(code_hash: str) -> InvitationMatch | None:
    """The invitation a code's HMAC (`codes.code_hash`) looks up: what the answering page keeps in its signed
    cookie instead of the code."""
    if not isinstance(code_hash, str) or len(code_hash) != codes.KEY_HEX:
        return None
    invitation = Invitation.objects.filter(code_hash=code_hash).first()
    if invitation is None:
        return None
    versions = Survey.objects.filter(series=invitation.series).select_related("scope")
    survey = versions.filter(status=Status.OPEN).first() or versions.order_by("-version").first()
    assert survey is not None
    return InvitationMatch(invitation, survey)


def clean_answers(survey: Survey, raw: Mapping[str, Any]) -> list[tuple[Question, int | None, str]]:
    """Check answers against the questions: {question id (str or int): value}. Single: an option index; multiple:
    a list of option indexes; scale: 1–5; text: a string. Returns (question, value, text) rows, one per chosen
    option. All problems are reported at once (field names `q<id>`)."""
    questions = {q.pk: q for q in survey.questions.all()}
    rows: list[tuple[Question, int | None, str]] = []
    errors: dict[str, str] = {}
    given: dict[int, Any] = {}
    for key, value in raw.items():
        try:
            qid = int(str(key).removeprefix("q"))
        except ValueError:
            errors[str(key)] = "未知的题目 / unknown question"
            continue
        if qid not in questions:
            errors[str(key)] = "未知的题目 / unknown question"
            continue
        given[qid] = value
    for qid, question in questions.items():
        name = f"q{qid}"
        value = given.get(qid)
        empty = value is None or value == "" or value == []
        if empty:
            if question.required:
                errors[name] = "此题必答 / this question is required"
            continue
        if question.kind == Kind.TEXT:
            if not isinstance(value, str):
                errors[name] = "须为文字 / must be text"
                continue
            text = value.strip()
            if len(text) > MAX_TEXT_ANSWER:
                errors[name] = f"不能超过{MAX_TEXT_ANSWER}字 / at most {MAX_TEXT_ANSWER} characters"
            elif any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
                errors[name] = "含有控制字符 / contains control characters"
            elif text:
                rows.append((question, None, text))
            elif question.required:
                errors[name] = "此题必答 / this question is required"
            continue
        picks = value if question.kind == Kind.MULTIPLE and isinstance(value, list) else [value]
        numbers: list[int] = []
        for pick in picks:
            number = _int(pick)
            if number is None:
                break
            numbers.append(number)
        else:
            if question.kind == Kind.SCALE:
                if len(numbers) == 1 and Question.SCALE_MIN <= numbers[0] <= Question.SCALE_MAX:
                    rows.append((question, numbers[0], ""))
                    continue
                errors[name] = "请选1到5分 / choose 1 to 5"
                continue
            if (
                len(numbers) == len(set(numbers))
                and all(0 <= n < len(question.options) for n in numbers)
                and (question.kind == Kind.MULTIPLE or len(numbers) == 1)
            ):
                rows.extend((question, n, "") for n in sorted(numbers))
                continue
        errors[name] = "选项无效 / invalid choice"
    if errors:
        raise ValidationFailed("答卷有误,请检查标出的题目 / please check the marked questions", fields=errors)
    return rows


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) < 6:
        return int(value.strip())
    return None


def _record(
    *,
    survey: Survey,
    respondent: str,
    community_id: int,
    channel: str,
    raw: Mapping[str, Any],
    actor: User | None,
    retry_token: str,
) -> Receipt:
    if retry_token and not TOKEN_RE.match(retry_token):
        raise ValidationFailed("重试标识无效 / invalid retry token", fields={"retry_token": "invalid"})
    current = Survey.objects.filter(pk=survey.pk).values_list("status", "closes_on").first()
    if current is None or current[0] != Status.OPEN:
        raise SurveyNotOpen("问卷不在收集期 / the survey is not open for answers")
    closes_on = current[1]
    if closes_on is not None and timezone.localdate() > closes_on:
        raise SurveyNotOpen(_ended_message(closes_on))
    rows = clean_answers(survey, raw)
    retry = codes.retry_hash(survey.series, respondent, retry_token) if retry_token else ""
    try:
        with transaction.atomic():
            Participation.objects.create(
                series=survey.series,
                survey=survey,
                kind=survey.respondents,
                respondent_key=respondent,
                community_id=community_id,
                channel=channel,
                entered_by=actor if channel == Participation.Channel.ASSISTED else None,
                retry_hash=retry,
                on=timezone.localdate(),
            )
    except IntegrityError:
        earlier = Participation.objects.filter(series=survey.series, respondent_key=respondent).first()
        if retry and earlier is not None and earlier.retry_hash == retry:
            return Receipt(survey=survey, replayed=True)
        raise AlreadyAnswered(
            "本户已提交过这份问卷,每户只能提交一次 / this household has already answered this survey"
            if not survey.for_units
            else "本单位已提交过这份问卷 / this unit has already answered this survey"
        ) from None
    response = Response.objects.create(survey=survey, community_id=community_id)
    Answer.objects.bulk_create(
        [
            Answer(response=response, question=q, community_id=community_id, value=value, text=text)
            for q, value, text in rows
        ]
    )
    if channel == Participation.Channel.ASSISTED:
        # the staff member's act (D14): who, for which community; never the household or the answers
        audit.record(
            "surveys.participate",
            actor=actor,
            target=survey,
            data={"community": community_id, "channel": channel},
        )
    # by code or account: no audit entry (D14); the Participation row, day only, is the record
    return Receipt(survey=survey)


@transaction.atomic
def submit_with_code(*, code: str, answers: Mapping[str, Any], retry_token: str = "") -> Receipt:
    """Anyone holding a household's (or unit's) code answers for it, without an account."""
    code = codes.normalize(code) or ""
    return submit_with_code_hash(
        code_hash=codes.code_hash(code) if code else "", answers=answers, retry_token=retry_token
    )


@transaction.atomic
def submit_with_code_hash(*, code_hash: str, answers: Mapping[str, Any], retry_token: str = "") -> Receipt:
    """The same as submit_with_code, given the code's HMAC (the answering page keeps only that, in a signed
    cookie, so that the code leaves the URLs after the first request)."""
    match = find_invitation_by_hash(code_hash)
    if match is None:
        raise NotFound("邀请码无效,请核对后重新输入 / the code is not valid; check it and try again")
    return _record(
        survey=match.survey,
        respondent=match.invitation.respondent_key,
        community_id=match.invitation.community_id,
        channel=Participation.Channel.CODE,
        raw=answers,
        actor=None,
        retry_token=retry_token,
    )


@transaction.atomic
def submit_with_account(
    *, actor: User, survey: Survey, answers: Mapping[str, Any], retry_token: str = ""
) -> Receipt:
    """A signed-in resident answers for their household (a unit contact for their unit), without a code."""
    found = permissions.account_respondent(actor, survey)
    if found is None:
        raise PermissionDenied("您的住户不在这份问卷的范围内 / your household is not invited to this survey")
    respondent_id, community_id = found
    return _record(
        survey=survey,
        respondent=codes.respondent_key(survey.series, survey.respondents, respondent_id),
        community_id=community_id,
        channel=Participation.Channel.ACCOUNT,
        raw=answers,
        actor=actor,
        retry_token=retry_token,
    )


@transaction.atomic
def submit_assisted(
    *, actor: User, survey: Survey, respondent_id: int, answers: Mapping[str, Any], retry_token: str = ""
) -> Receipt:
    """Community staff enter the answers of a household (or unit) of their own community that has no phone; the
    participation is marked as assisted and names the staff member (the response does not)."""
    community_id = respondent_community(survey, respondent_id)
    if not permissions.can_assist(actor, survey, community_id):
        raise PermissionDenied("只能为本社区的住户代录 / you may enter answers for your own community only")
    return _record(
        survey=survey,
        respondent=codes.respondent_key(survey.series, survey.respondents, respondent_id),
        community_id=community_id,
        channel=Participation.Channel.ASSISTED,
        raw=answers,
        actor=actor,
        retry_token=retry_token,
    )


def new_retry_token() -> str:
    """A random token for an answer form, so that sending the same form twice is one response."""
    return uuid.uuid4().hex


# --- Storage (PostgreSQL) -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResealResult:
    needed: bool
    rows: dict[str, int] = field(default_factory=dict)  # table → rows rewritten


def reseal_anonymous_tables(*, actor: User | None = None) -> ResealResult:
    """Remove what PostgreSQL keeps of when each participation, response and answer was written (security.md
    SV-2, docs/surveys.md). A PostgreSQL row carries `xmin`, the id of the transaction that wrote it, and sits in
    its table's heap in the order of arrival. A participation and its response are written by one transaction, so
    either would line them up; and a response's place in the order of arrival, against the participations' days,
    would tie it to a day. This rewrites every row of the three tables in one transaction (all of them get that
    transaction's id), then, once that is committed and the old versions are dead, CLUSTERs each table on its
    random primary key, which stores the rows in key order and drops the old versions. Run daily (`gongzhi
    reseal_survey_tables`); CLUSTER locks each table for the seconds it takes. SQLite needs none of this (WITHOUT
    ROWID tables keyed at random, no transaction ids in rows): nothing is done there."""
    if connection.vendor != "postgresql":
        return ResealResult(needed=False)
    if connection.in_atomic_block:
        raise RuntimeError(
            "reseal_anonymous_tables runs outside any transaction (CLUSTER must see it committed)"
        )
    qn = connection.ops.quote_name
    rows: dict[str, int] = {}
    primary: dict[str, str] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            for model in ANONYMOUS_TABLES:
                table = model._meta.db_table
                column = qn("community_id")  # every anonymous table has its community
                cursor.execute(f"UPDATE {qn(table)} SET {column} = {column}")  # noqa: S608 - the model's own names
                rows[table] = cursor.rowcount
                constraints = connection.introspection.get_constraints(cursor, table)
                primary[table] = next(name for name, c in constraints.items() if c["primary_key"])
        audit.record("surveys.storage.reseal", actor=actor, data={"rows": rows})
    with connection.cursor() as cursor:
        for table, index in primary.items():
            cursor.execute(f"CLUSTER {qn(table)} USING {qn(index)}")
    return ResealResult(needed=True, rows=rows)
