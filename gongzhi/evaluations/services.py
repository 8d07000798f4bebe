"""Every write in two-way evaluation: set up a cycle and its indicators, move it through its lifecycle (computing the
scores on the way to review), ratings, panel adjustments, reminders. Each runs in one transaction with its audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from gongzhi.admissions.models import AdmittedTask
from gongzhi.agreements import permissions as agreement_permissions
from gongzhi.agreements import services as agreement_services
from gongzhi.agreements.models import Agreement, Instalment
from gongzhi.core import audit, notify, states
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.evaluations import compute, permissions, queries
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Rating, Score, Source
from gongzhi.orgs.models import Membership, Organization, Region
from gongzhi.surveys import permissions as survey_permissions
from gongzhi.surveys import services as survey_services
from gongzhi.surveys.models import Survey


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    name: str
    source: str
    weight: int
    penalty: int = 10


# The defaults (domain.md §3.3; the weights are the platform's proposal and configurable per cycle).
DEFAULT_INDICATORS: dict[str, tuple[IndicatorSpec, ...]] = {
    Direction.COMMUNITY: (
        IndicatorSpec("agreement", "协议履行情况", Source.COMPUTED, 20),
        IndicatorSpec("statutory", "依法履行职责情况", Source.RATED, 20),
        IndicatorSpec("residents", "居民满意度", Source.SURVEY, 50),
        IndicatorSpec("units", "驻区单位满意度", Source.SURVEY, 10),
    ),
    Direction.DEPARTMENT: (
        IndicatorSpec("guidance", "行政指导", Source.RATED, 25),
        IndicatorSpec("service", "行政服务", Source.RATED, 25),
        IndicatorSpec("interference", "行政干预(越少越好)", Source.COMPUTED, 25),
        IndicatorSpec("payment", "资金支付", Source.COMPUTED, 25),
    ),
}
COMPUTABLE = {Direction.COMMUNITY: {"agreement"}, Direction.DEPARTMENT: {"interference", "payment"}}


def _deny(message: str) -> PermissionDenied:
    return PermissionDenied(message, code="forbidden")


def communities_of(cycle: Cycle) -> QuerySet[Region]:
    ids = permissions.subtree_ids({cycle.scope_id})
    return Region.objects.filter(pk__in=ids, kind__in=[Region.Kind.COMMUNITY, Region.Kind.VILLAGE]).order_by(
        "code"
    )


def departments_of(cycle: Cycle) -> QuerySet[Organization]:
    regions = permissions.subtree_ids({cycle.scope_id}) | {r.pk for r in cycle.scope.ancestors()}
    return Organization.objects.filter(
        kind=OrgKind.DEPARTMENT, is_active=True, region_id__in=regions
    ).order_by("name")


def worked_with(cycle: Cycle, community: Region) -> QuerySet[Organization]:
    """The departments in the cycle's scope a community dealt with in the cycle's period, i.e. the ones it may
    rate: an admitted task for the community running at some time in the period, or an agreement of the cycle's
    year signed by both sides."""
    start, end = compute.period(cycle)
    by_task = AdmittedTask.objects.filter(community=community, starts_on__lte=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=start)
    )
    by_agreement = Agreement.objects.filter(community=community, year=cycle.year, status__in=Agreement.SIGNED)
    ids = set(by_task.values_list("department_id", flat=True)) | set(
        by_agreement.values_list("department_id", flat=True)
    )
    return departments_of(cycle).filter(pk__in=ids)


def rating_org(actor: User, cycle: Cycle) -> Organization | None:
    """The committee in the cycle's scope on whose behalf the actor rates departments (None: not a rater)."""
    scope = permissions.subtree_ids({cycle.scope_id})
    return next((o for o in permissions.rater_orgs(actor) if o.region_id in scope), None)


def departments_to_rate(actor: User, cycle: Cycle) -> QuerySet[Organization]:
    org = rating_org(actor, cycle)
    if org is None:
        return Organization.objects.none()
    return worked_with(cycle, org.region)


# --- set-up ------------------------------------------------------------------------------------------------


def ratings_due_problem(ratings_due: Any, *, year: int, period: str) -> None:
    """The rating deadline must fall in the second half of the period or within RATINGS_DUE_MAX_DAYS after its end:
    ratings judge the period's work, so a deadline before the period is half over (or a year after it) is a
    typing error. Raises ValidationFailed (422) with the allowed range."""
    if not isinstance(ratings_due, dt.date):
        raise ValidationFailed(
            "评分截止日期无效 / the rating deadline is not a date", fields={"ratings_due": "invalid"}
        )
    draft = Cycle(year=year, period=period)
    start, end = compute.period(draft)
    earliest = start + (end - start) / 2
    latest = end + dt.timedelta(days=RATINGS_DUE_MAX_DAYS)
    if not earliest <= ratings_due <= latest:
        raise ValidationFailed(
            f"评分截止日期须在{earliest.isoformat()}至{latest.isoformat()}之间(评估期后半段至期满后"
            f"{RATINGS_DUE_MAX_DAYS}天内) / the rating deadline must fall between {earliest.isoformat()} and"
            f" {latest.isoformat()}",
            fields={"ratings_due": "range"},
        )


RATINGS_DUE_MAX_DAYS = 120


@transaction.atomic
def create_cycle(
    *,
    actor: User,
    scope: Region,
    year: int,
    period: str,
    name: str,
    ratings_due: dt.date,
    is_sample: bool = False,
) -> Cycle:
    problems: dict[str, str] = {}
    if period not in Cycle.Period.values:
        problems["period"] = "invalid"
    if not 2000 <= year <= 2100:
        problems["year"] = "invalid"
    if not name.strip():
        problems["name"] = "required"
    if problems:
        raise ValidationFailed(
            "评估周期信息不完整或有误 / the cycle's details are missing or invalid", fields=problems
        )
    ratings_due_problem(ratings_due, year=year, period=period)
    if scope.pk not in permissions.office_region_ids(actor):
        raise _deny("只有审批办可以设立评估周期 / only the approval office sets up evaluation cycles")
    if Cycle.objects.filter(scope=scope, year=year, period=period).exists():
        raise Conflict(
            "该区域本期评估已设立 / a cycle for this region and period exists", fields={"period": "duplicate"}
        )
    cycle = Cycle.objects.create(
        name=name.strip()[:120],
        year=year,
        period=period,
        scope=scope,
        ratings_due=ratings_due,
        created_by=actor,
        is_sample=is_sample,
    )
    for direction, specs in DEFAULT_INDICATORS.items():
        for i, spec in enumerate(specs):
            Indicator.objects.create(
                cycle=cycle,
                direction=direction,
                key=spec.key,
                name=spec.name,
                source=spec.source,
                weight=spec.weight,
                penalty=spec.penalty,
                position=i,
            )
    audit.record("evaluations.cycle.create", actor=actor, target=cycle, data={"year": year, "period": period})
    return cycle


def weight_problems(weights: dict[str, Any], keys: set[str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if set(weights) != keys:
        problems["weights"] = "keys"
        return problems
    for key, value in weights.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            problems[f"weights.{key}"] = "range"
    if not problems and sum(weights.values()) != 100:
        problems["weights"] = "sum"
    return problems


@transaction.atomic
def set_weights(*, actor: User, cycle: Cycle, direction: str, weights: dict[str, Any]) -> list[Indicator]:
    """Replace one direction's weights (in draft); they must be whole numbers 0–100 summing to exactly 100."""
    if not permissions.can_manage_cycle(actor, cycle):
        raise _deny("只有审批办可以调整指标权重 / only the approval office sets the weights")
    if direction not in Direction.values:
        raise ValidationFailed("评估方向无效 / invalid direction", fields={"direction": "invalid"})
    cycle = Cycle.objects.select_for_update(of=("self",)).get(pk=cycle.pk)
    if cycle.status != Cycle.Status.DRAFT:
        raise Conflict("评估周期已开始,指标不能再改 / indicators are frozen once the cycle opens")
    indicators = list(Indicator.objects.filter(cycle=cycle, direction=direction))
    problems = weight_problems(weights, {i.key for i in indicators})
    if problems:
        raise ValidationFailed(
            "各项权重须为0–100的整数且合计为100 / weights must be 0–100 and sum to 100", fields=problems
        )
    before = {i.key: i.weight for i in indicators}
    for indicator in indicators:
        indicator.weight = int(weights[indicator.key])
        indicator.save(update_fields=["weight"])
    audit.record(
        "evaluations.cycle.weights",
        actor=actor,
        target=cycle,
        data={"direction": direction, "before": before, "after": dict(weights)},
    )
    return indicators


@transaction.atomic
def link_survey(*, actor: User, indicator: Indicator, survey: Survey | None) -> Indicator:
    """Link a survey indicator to the satisfaction survey it reads (in draft or while open)."""
    cycle = indicator.cycle
    if not permissions.can_manage_cycle(actor, cycle):
        raise _deny("只有审批办可以设置调查 / only the approval office links surveys")
    if cycle.status not in (Cycle.Status.DRAFT, Cycle.Status.OPEN):
        raise Conflict("评估已进入审阅,不能再改 / the cycle is under review")
    if indicator.source != Source.SURVEY:
        raise ValidationFailed(
            "该指标不是调查类 / not a survey indicator", fields={"indicator": "not_survey"}
        )
    if survey is not None and survey.scope_id not in permissions.subtree_ids({cycle.scope_id}) | {
        r.pk for r in cycle.scope.ancestors()
    }:
        raise ValidationFailed(
            "问卷不在本评估范围内 / the survey is outside the cycle's scope", fields={"survey": "scope"}
        )
    indicator.survey = survey
    indicator.save(update_fields=["survey"])
    audit.record(
        "evaluations.indicator.survey",
        actor=actor,
        target=indicator,
        data={"survey": survey.pk if survey else None},
    )
    return indicator


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@transaction.atomic
def update_cycle_rules(
    *, actor: User, cycle: Cycle, settle_full: Any, settle_floor: Any, penalty: Any
) -> Cycle:
    """The settlement thresholds (the whole final instalment at or above `settle_full`, none below `settle_floor`,
    linear between) and the interference penalty per incident, while the cycle is a draft: they are part of the
    rules announced when rating opens. Whole numbers, 0 ≤ settle_floor < settle_full ≤ 100 and 0 ≤ penalty ≤ 100.
    Audited with the values before and after."""
    if not permissions.can_manage_cycle(actor, cycle):
        raise _deny("只有审批办可以调整评估规则 / only the approval office sets the cycle's rules")
    problems: dict[str, str] = {}
    if not _whole(settle_full, 1, 100):
        problems["settle_full"] = "range"
    if not _whole(settle_floor, 0, 99):
        problems["settle_floor"] = "range"
    if not _whole(penalty, 0, 100):
        problems["penalty"] = "range"
    if not problems and settle_floor >= settle_full:
        problems["settle_floor"] = "not_below_full"
    if problems:
        raise ValidationFailed(
            "分数线和扣分须为整数,且 0 ≤ 不予结算分数线 < 全额结算分数线 ≤ 100,每起扣分 0–100"
            " / whole numbers with 0 ≤ floor < full ≤ 100 and a penalty of 0–100",
            fields=problems,
        )
    cycle = Cycle.objects.select_for_update(of=("self",)).get(pk=cycle.pk)
    if cycle.status != Cycle.Status.DRAFT:
        raise Conflict("评估周期已开始,规则不能再改 / the rules are frozen once the cycle opens")
    interference = Indicator.objects.filter(
        cycle=cycle, direction=Direction.DEPARTMENT, key="interference"
    ).first()
    before = {
        "settle_full": cycle.settle_full,
        "settle_floor": cycle.settle_floor,
        "penalty": interference.penalty if interference else None,
    }
    cycle.settle_full, cycle.settle_floor = settle_full, settle_floor
    cycle.save(update_fields=["settle_full", "settle_floor"])
    if interference is not None:
        interference.penalty = penalty
        interference.save(update_fields=["penalty"])
    after = {"settle_full": settle_full, "settle_floor": settle_floor, "penalty": penalty}
    audit.record(
        "evaluations.cycle.rules", actor=actor, target=cycle, data={"before": before, "after": after}
    )
    return cycle


# --- lifecycle ---------------------------------------------------------------------------------------------


def _check_weights(cycle: Cycle) -> None:
    for direction in Direction.values:
        weights = {i.key: i.weight for i in cycle.indicators.filter(direction=direction)}
        problems = weight_problems(weights, set(weights))
        if problems or not weights:
            raise ValidationFailed(
                "权重合计须为100 / the weights must sum to 100", fields={f"weights.{direction}": "sum"}
            )


AdjustmentKey = tuple[int, int | None, int | None]


def compute_scores(cycle: Cycle) -> tuple[int, int]:
    """(Re)compute every indicator value for every subject of the cycle. The panel's adjustments (value, written
    reason, who and when) are kept across a return to rating and a second review: they are the panel's judgement,
    which it may change again during review; the new computed value sits beside them. Returns (scores written,
    adjustments kept)."""
    kept: dict[AdjustmentKey, Score] = {
        (s.indicator_id, s.community_id, s.department_id): s
        for s in Score.objects.filter(indicator__cycle=cycle, adjusted__isnull=False)
    }
    Score.objects.filter(indicator__cycle=cycle).delete()
    communities = list(communities_of(cycle))
    departments = list(departments_of(cycle))
    dealt = compute.dealt_departments(cycle, {d.pk for d in departments})
    # each linked survey scored once for all communities (the survey app's scores())
    surveys = {
        i.pk: compute.survey_values(i)
        for i in cycle.indicators.filter(direction=Direction.COMMUNITY, source=Source.SURVEY).select_related(
            "survey"
        )
    }
    rows: list[Score] = []
    for indicator in cycle.indicators.all():
        if indicator.direction == Direction.COMMUNITY:
            for community in communities:
                value, evidence = compute.value_for(indicator, community, None, surveys=surveys)
                rows.append(Score(indicator=indicator, community=community, value=value, evidence=evidence))
        else:
            for department in departments:
                value, evidence = compute.value_for(indicator, None, department, dealt=dealt)
                rows.append(Score(indicator=indicator, department=department, value=value, evidence=evidence))
    carried = 0
    for row in rows:
        before = kept.get((row.indicator_id, row.community_id, row.department_id))
        if before is not None:
            row.adjusted, row.adjust_reason = before.adjusted, before.adjust_reason
            row.adjusted_by_id, row.adjusted_at = before.adjusted_by_id, before.adjusted_at
            carried += 1
    Score.objects.bulk_create(rows, batch_size=1000)
    return len(rows), carried


def open_linked_surveys(cycle: Cycle) -> list[Survey]:
    """The open versions of the series of the surveys linked to the cycle's indicators."""
    series = Survey.objects.filter(
        pk__in=cycle.indicators.filter(survey__isnull=False).values("survey_id")
    ).values("series")
    return list(Survey.objects.filter(series__in=series, status=Survey.Status.OPEN).select_related("scope"))


@transaction.atomic
def move_cycle(*, actor: User, cycle: Cycle, to: str, reason: str = "") -> Cycle:
    """open / reviewing / back to open: the office; signed_off: the panel; published: the office.

    Moving to review computes the scores from the satisfaction surveys as they stand, so the linked surveys (the
    open version of each linked series) are closed in the same transaction, through
    surveys.services.close_survey (its own audit entry and tally): answers that arrive later would count nowhere.
    If the office may not close one of them (a survey of a wider scope, managed by another office), the move is
    refused (409, nothing written) and names the survey. Going back to rating does not reopen them."""
    if to == Cycle.Status.SIGNED_OFF:
        if not permissions.can_review_cycle(actor, cycle):
            raise _deny("只有第三方评估组可以签署 / only the third-party panel signs off")
    elif not permissions.can_manage_cycle(actor, cycle):
        raise _deny("只有审批办可以推进评估周期 / only the approval office moves the cycle")
    if to not in Cycle.Status.values:
        raise ValidationFailed("目标状态无效 / invalid target status", fields={"to": "invalid"})
    fields: dict[str, Any] = {}
    now = timezone.now()
    if to == Cycle.Status.OPEN and cycle.status == Cycle.Status.DRAFT:
        _check_weights(cycle)
    if to == Cycle.Status.REVIEWING and states.allowed(cycle, to):
        fields["computed_at"] = now
    if to == Cycle.Status.SIGNED_OFF:
        fields.update(signed_off_by=actor, signed_off_at=now)
    if to == Cycle.Status.PUBLISHED:
        fields["published_at"] = now
    closing: list[Survey] = []
    if to == Cycle.Status.REVIEWING and states.allowed(cycle, to):
        closing = open_linked_surveys(cycle)
        foreign = [s for s in closing if not survey_permissions.can_manage_survey(actor, s)]
        if foreign:
            names = "、".join(f"“{s.title}”" for s in foreign)
            raise Conflict(
                f"关联的满意度调查{names}仍在进行,且须由其管理者关闭;关闭后再进入审阅"
                f" / the linked survey(s) {names} are still open and must be closed by their managers first",
                fields={"surveys": "open"},
                code="surveys_open",
            )
    moved = states.move(cycle, to, actor=actor, reason=reason, fields=fields)
    if to == Cycle.Status.REVIEWING:
        for survey in closing:
            survey_services.close_survey(actor=actor, survey=survey)
        written, carried = compute_scores(moved)
        audit.record(
            "evaluations.cycle.compute",
            actor=actor,
            target=moved,
            data={
                "scores": written,
                "adjustments_kept": carried,
                "surveys_closed": [s.pk for s in closing],
            },
        )
    return moved


# --- ratings -----------------------------------------------------------------------------------------------


@transaction.atomic
def rate(
    *,
    actor: User,
    indicator: Indicator,
    score: Any,
    evidence: str = "",
    community: Region | None = None,
    department: Organization | None = None,
) -> Rating:
    """A rating (0–100) for one rated indicator of one subject; rating again while open replaces it."""
    cycle = Cycle.objects.select_for_update(of=("self",)).get(pk=indicator.cycle_id)
    if cycle.status != Cycle.Status.OPEN:
        raise Conflict("评估周期不在评分阶段 / the cycle is not taking ratings")
    problems: dict[str, str] = {}
    if indicator.source != Source.RATED:
        problems["indicator"] = "not_rated"
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        problems["score"] = "range"
    evidence = (evidence or "").strip()
    if len(evidence) > 2000:
        problems["evidence"] = "too_long"
    rater_org: Organization | None = None
    if indicator.direction == Direction.DEPARTMENT:
        if department is None or department not in departments_of(cycle):
            problems["department"] = "invalid"
        rater_org = rating_org(actor, cycle)
        if rater_org is None:
            raise _deny("只有本范围内的社区可以评价部门 / only communities in scope rate departments")
        community = None
        if (
            "department" not in problems
            and department is not None
            and not worked_with(cycle, rater_org.region).filter(pk=department.pk).exists()
        ):
            raise ValidationFailed(
                f"本期{rater_org.region.name}与{department.name}没有准入事项或委托协议,不能评价该部门"
                f" / {rater_org.region.name} had no admitted task or agreement with {department.name} in"
                " this period, so it cannot rate it",
                fields={"department": "not_worked_with"},
            )
    else:
        if not permissions.can_rate_communities(actor, cycle):
            raise _deny("只有审批办可以评定社区依法履职 / only the approval office rates communities")
        if community is None or community not in communities_of(cycle):
            problems["community"] = "invalid"
        if not evidence:
            problems["evidence"] = "required"
        rater_org = next(
            (
                m.organization
                for m in Membership.objects.filter(user=actor, revoked_at__isnull=True).select_related(
                    "organization"
                )
                if m.organization.kind == OrgKind.APPROVAL_AUTHORITY
            ),
            None,
        )
        department = None
    if problems:
        raise ValidationFailed(
            "评分须为0–100的整数;评定社区须写明依据 / a score is 0–100; rating a community needs evidence",
            fields=problems,
        )
    assert rater_org is not None
    now = timezone.now()
    late = compute.today() > cycle.ratings_due
    rating = Rating.objects.filter(
        indicator=indicator, rater_org=rater_org, community=community, department=department
    ).first()
    if rating is None:
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    indicator=indicator,
                    rater_org=rater_org,
                    rater=actor,
                    community=community,
                    department=department,
                    score=score,
                    evidence=evidence,
                    rated_at=now,
                    late=late,
                )
        except IntegrityError as exc:
            raise Conflict("已有评分,请刷新后再试 / already rated; reload and try again") from exc
    else:
        rating.score, rating.evidence, rating.rater, rating.rated_at, rating.late = (
            score,
            evidence,
            actor,
            now,
            late,
        )
        rating.save(update_fields=["score", "evidence", "rater", "rated_at", "late"])
    audit.record(
        "evaluations.rate",
        actor=actor,
        target=rating,
        data={
            "indicator": indicator.key,
            "community": community.pk if community else None,
            "department": department.pk if department else None,
            "score": score,
            "late": late,
        },
    )
    return rating


# --- panel -------------------------------------------------------------------------------------------------


@transaction.atomic
def adjust_score(*, actor: User, score: Score, value: Any, reason: str) -> Score:
    """The panel changes one score, with a written reason (audited and shown on the public results)."""
    cycle = Cycle.objects.select_for_update(of=("self",)).get(pk=score.indicator.cycle_id)
    if not permissions.can_review_cycle(actor, cycle):
        raise _deny("只有第三方评估组可以调整得分 / only the third-party panel adjusts scores")
    if cycle.status != Cycle.Status.REVIEWING:
        raise Conflict("只有在审阅阶段可以调整得分 / scores are adjusted only during review")
    problems: dict[str, str] = {}
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        problems["value"] = "range"
    reason = (reason or "").strip()
    if len(reason) < 4:
        problems["reason"] = "required"
    if problems:
        raise ValidationFailed(
            "调整得分须填写0–100的分数和书面理由 / an adjustment needs a 0–100 value and a written reason",
            fields=problems,
        )
    before = score.final
    score.adjusted = round(float(value), 2)
    score.adjust_reason = reason[:2000]
    score.adjusted_by = actor
    score.adjusted_at = timezone.now()
    score.save(update_fields=["adjusted", "adjust_reason", "adjusted_by", "adjusted_at"])
    audit.record(
        "evaluations.score.adjust",
        actor=actor,
        target=score,
        data={"before": before, "after": score.adjusted, "reason": score.adjust_reason},
    )
    return score


# --- reminders ---------------------------------------------------------------------------------------------


@transaction.atomic
def send_reminders(*, actor: User, cycle: Cycle) -> int:
    """The office reminds the community staff who have not rated every department yet."""
    if not permissions.can_manage_cycle(actor, cycle):
        raise _deny("只有审批办可以发送提醒 / only the approval office sends reminders")
    if cycle.status != Cycle.Status.OPEN:
        raise Conflict("评估周期不在评分阶段 / the cycle is not taking ratings")
    return _remind(cycle, actor)


REMIND_DAYS = 7


@transaction.atomic
def send_due_reminders(*, on: dt.date | None = None) -> int:
    """The scheduled reminder (management command `evaluation_reminders`, daily): every open cycle whose rating
    deadline is within REMIND_DAYS days."""
    today = on or compute.today()
    sent = 0
    for cycle in Cycle.objects.filter(
        status=Cycle.Status.OPEN,
        ratings_due__gte=today,
        ratings_due__lte=today + dt.timedelta(days=REMIND_DAYS),
    ):
        sent += _remind(cycle, None)
    return sent


def _remind(cycle: Cycle, actor: User | None) -> int:
    """Notify the staff of committees that have not rated every department (one reminder per person per day)."""
    rated_inds = cycle.indicators.filter(direction=Direction.DEPARTMENT, source=Source.RATED).count()
    community_ids = set(communities_of(cycle).values_list("pk", flat=True))
    users: list[User] = []
    for org in Organization.objects.filter(
        kind=OrgKind.COMMITTEE, region_id__in=community_ids
    ).select_related("region"):
        # a committee rates only the departments its community dealt with in the period
        expected = rated_inds * worked_with(cycle, org.region).count()
        done = Rating.objects.filter(indicator__cycle=cycle, rater_org=org).count()
        if done >= expected:
            continue
        users += [
            m.user
            for m in Membership.objects.filter(organization=org, revoked_at__isnull=True).select_related(
                "user"
            )
            if permissions.rater_orgs(m.user)
        ]
    today = compute.today().isoformat()
    sent = notify.send(
        users,
        event="evaluations.reminder",
        title=gettext("请在%(due)s前完成“%(cycle)s”部门评价")
        % {"due": cycle.ratings_due.isoformat(), "cycle": cycle.name},
        url=reverse("evaluations:rate", args=[cycle.pk]),
        key=f"evaluations:{cycle.pk}:remind:{today}",
        exclude=actor,
    )
    audit.record("evaluations.cycle.remind", actor=actor, target=cycle, data={"sent": len(sent), "on": today})
    return len(sent)


# --- settlement of the final agreement instalments -----------------------------------------------------------


@transaction.atomic
def settle_instalment(*, actor: User, cycle: Cycle, agreement: Agreement) -> Instalment:
    """The department's finance settles an agreement's final instalment from the community's published total by
    the cycle's rule (queries.settle_share): agreements.services.settle_final_instalment pays the settled amount
    from the reservation to the community and gives the rest back to the budget, once.

    Only after publication: signed off is final too, but publication is when the totals become public, so the
    community can check the amount against the published results before the money moves."""
    if not agreement_permissions.can_pay(actor, agreement):
        raise _deny(
            "只有该协议部门的财务人员可以结算尾款 / only the agreement department's finance settles it"
        )
    cycle = Cycle.objects.select_for_update(of=("self",)).get(pk=cycle.pk)
    if cycle.status != Cycle.Status.PUBLISHED:
        raise InvalidTransition(
            "评估结果公布后才能结算协议尾款 / the final instalments are settled once the results are published"
        )
    row = next((r for r in queries.settlements(cycle) if r.agreement_id == agreement.pk), None)
    if row is None:
        raise ValidationFailed(
            "该协议不在本期评估的结算范围内 / this agreement is not settled by this cycle",
            fields={"agreement_id": "not_in_cycle"},
        )
    if row.is_settled:
        raise Conflict(
            f"该协议尾款已结算({row.settled_ref}),不能重复结算 / already settled ({row.settled_ref})",
            code="already_settled",
        )
    instalment = Instalment.objects.select_related("agreement").get(pk=row.instalment_id)
    return agreement_services.settle_final_instalment(
        actor=actor,
        instalment=instalment,
        settled_fen=row.settled_fen,
        ref=f"{compute.SETTLED_BY_EVALUATION}{cycle.pk}",
    )
