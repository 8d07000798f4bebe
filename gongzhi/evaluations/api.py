"""JSON endpoints of two-way evaluation (under /api/evaluations/): cycles, weights, transitions, ratings, the
panel's evidence and adjustments; published results without sign-in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from gongzhi.agreements.models import Agreement
from gongzhi.core.api_support import ErrorOut, current_user
from gongzhi.core.errors import NotFound, ValidationFailed
from gongzhi.core.idempotency import idempotent
from gongzhi.evaluations import permissions, queries, services
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Score
from gongzhi.evaluations.schemas import (
    AdjustIn,
    CycleIn,
    CycleOut,
    RatingIn,
    RatingOut,
    ResultRowOut,
    ResultsOut,
    RulesIn,
    ScoreOut,
    SettleIn,
    SettlementOut,
    TransitionIn,
    WeightsIn,
)
from gongzhi.orgs.models import Organization, Region

router = Router(tags=["evaluations"])
public_router = Router(tags=["evaluations"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
}


def _cycle_out(c: Cycle) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "year": c.year,
        "period": c.period,
        "scope_id": c.scope_id,
        "status": c.status,
        "ratings_due": c.ratings_due,
        "settle_full": c.settle_full,
        "settle_floor": c.settle_floor,
        "indicators": [
            {
                "id": i.pk,
                "direction": i.direction,
                "key": i.key,
                "name": i.name,
                "source": i.source,
                "weight": i.weight,
                "survey_id": i.survey_id,
                "penalty": i.penalty,
            }
            for i in c.indicators.all()
        ],
    }


def _score_out(s: Score) -> dict[str, Any]:
    subject = s.community or s.department
    assert subject is not None
    return {
        "id": s.pk,
        "indicator": s.indicator.key,
        "direction": s.indicator.direction,
        "subject_id": subject.pk,
        "subject": subject.name,
        "value": s.value,
        "adjusted": s.adjusted,
        "adjust_reason": s.adjust_reason,
        "evidence": s.evidence,
    }


def _row(r: queries.Row) -> dict[str, Any]:
    return {
        "subject_id": r.subject_id,
        "name": r.name,
        "rank": r.rank,
        "ranked": r.ranked,
        "missing": r.missing,
        "withheld": r.withheld,
        "total": r.total,
        "change": r.change,
        "values": r.values,
        "margins": r.margins,
    }


def _get(request: HttpRequest, pk: int) -> Cycle:
    return permissions.get_cycle_for_user(current_user(request), pk)


@router.get("/evaluations/cycles", response={200: list[CycleOut], **ERRORS}, summary="评估周期 / cycles")
def evaluations_cycles(request: HttpRequest) -> list[dict[str, Any]]:
    return [_cycle_out(c) for c in permissions.cycles_for_user(current_user(request))[:200]]


@router.post(
    "/evaluations/cycles", response={201: CycleOut, **ERRORS}, summary="设立评估周期 / set up a cycle"
)
@idempotent(status=201)
def evaluations_create_cycle(request: HttpRequest, payload: CycleIn) -> CycleOut:
    scope = Region.objects.filter(pk=payload.scope_id).first()
    if scope is None:
        raise ValidationFailed("未知的区域 / unknown region", fields={"scope_id": "unknown"})
    cycle = services.create_cycle(
        actor=current_user(request),
        scope=scope,
        year=payload.year,
        period=payload.period,
        name=payload.name,
        ratings_due=payload.ratings_due,
    )
    return CycleOut(**_cycle_out(cycle))


@router.get("/evaluations/cycles/{pk}", response={200: CycleOut, **ERRORS}, summary="评估周期 / a cycle")
def evaluations_cycle(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _cycle_out(_get(request, pk))


@router.put("/evaluations/cycles/{pk}/weights", response={200: CycleOut, **ERRORS}, summary="权重 / weights")
def evaluations_weights(request: HttpRequest, pk: int, payload: WeightsIn) -> dict[str, Any]:
    cycle = _get(request, pk)
    services.set_weights(
        actor=current_user(request), cycle=cycle, direction=payload.direction, weights=dict(payload.weights)
    )
    return _cycle_out(cycle)


@router.put(
    "/evaluations/cycles/{pk}/rules", response={200: CycleOut, **ERRORS}, summary="结算与扣分规则 / rules"
)
def evaluations_rules(request: HttpRequest, pk: int, payload: RulesIn) -> dict[str, Any]:
    cycle = _get(request, pk)
    cycle = services.update_cycle_rules(
        actor=current_user(request),
        cycle=cycle,
        settle_full=payload.settle_full,
        settle_floor=payload.settle_floor,
        penalty=payload.penalty,
    )
    return _cycle_out(cycle)


@router.post(
    "/evaluations/cycles/{pk}/transitions", response={200: CycleOut, **ERRORS}, summary="推进 / move a cycle"
)
def evaluations_move(request: HttpRequest, pk: int, payload: TransitionIn) -> dict[str, Any]:
    cycle = _get(request, pk)
    services.move_cycle(actor=current_user(request), cycle=cycle, to=payload.to, reason=payload.reason)
    return _cycle_out(cycle)


@router.post(
    "/evaluations/cycles/{pk}/ratings", response={200: RatingOut, **ERRORS}, summary="评分 / rate a subject"
)
def evaluations_rate(request: HttpRequest, pk: int, payload: RatingIn) -> dict[str, Any]:
    cycle = _get(request, pk)
    indicator = Indicator.objects.filter(cycle=cycle, pk=payload.indicator_id).first()
    if indicator is None:
        raise ValidationFailed("未知的指标 / unknown indicator", fields={"indicator_id": "unknown"})
    department = (
        Organization.objects.filter(pk=payload.department_id).first() if payload.department_id else None
    )
    community = Region.objects.filter(pk=payload.community_id).first() if payload.community_id else None
    rating = services.rate(
        actor=current_user(request),
        indicator=indicator,
        score=payload.score,
        evidence=payload.evidence,
        department=department,
        community=community,
    )
    return {"id": rating.pk, "indicator_id": indicator.pk, "score": rating.score, "late": rating.late}


@router.get(
    "/evaluations/cycles/{pk}/scores",
    response={200: list[ScoreOut], **ERRORS},
    summary="得分与依据 / evidence",
)
def evaluations_scores(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    user = current_user(request)
    cycle = _get(request, pk)
    if not permissions.can_see_evidence(user, cycle):
        raise NotFound("未找到该评估周期 / evaluation cycle not found")
    rows = Score.objects.filter(indicator__cycle=cycle).select_related("indicator", "community", "department")
    return [_score_out(s) for s in rows]


@router.post(
    "/evaluations/scores/{pk}/adjust", response={200: ScoreOut, **ERRORS}, summary="调整得分 / adjust"
)
def evaluations_adjust(request: HttpRequest, pk: int, payload: AdjustIn) -> dict[str, Any]:
    user = current_user(request)
    score = Score.objects.select_related("indicator__cycle", "community", "department").filter(pk=pk).first()
    if score is None or not permissions.can_see_evidence(user, score.indicator.cycle):
        raise NotFound("未找到该得分 / score not found")
    services.adjust_score(actor=user, score=score, value=payload.value, reason=payload.reason)
    return _score_out(score)


def _settlement_out(s: queries.Settlement) -> SettlementOut:
    return SettlementOut(
        agreement_id=s.agreement_id,
        agreement=s.agreement,
        community=s.community,
        department=s.department,
        instalment_id=s.instalment_id,
        total=s.total,
        final_fen=s.final_fen,
        settled_fen=s.settled_fen,
        paid_fen=s.paid_fen,
        settled=s.is_settled,
        settled_at=s.settled_at,
        settled_ref=s.settled_ref,
    )


@router.get(
    "/evaluations/cycles/{pk}/settlements",
    response={200: list[SettlementOut], **ERRORS},
    summary="协议尾款结算 / settlement of the final instalments",
)
def evaluations_settlements(request: HttpRequest, pk: int) -> list[SettlementOut]:
    cycle = permissions.get_settlement_cycle_for_user(current_user(request), pk)
    return [_settlement_out(s) for s in queries.settlements(cycle)]


@router.post(
    "/evaluations/cycles/{pk}/settlements",
    response={201: SettlementOut, **ERRORS},
    summary="结算协议尾款 / settle a final instalment (Idempotency-Key: a replay pays once)",
)
@idempotent(status=201)
def evaluations_settle(request: HttpRequest, pk: int, payload: SettleIn) -> SettlementOut:
    user = current_user(request)
    cycle = permissions.get_settlement_cycle_for_user(user, pk)
    agreement = Agreement.objects.filter(pk=payload.agreement_id).first()
    if agreement is None:
        raise ValidationFailed("未知的协议 / unknown agreement", fields={"agreement_id": "unknown"})
    services.settle_instalment(actor=user, cycle=cycle, agreement=agreement)
    row = next(s for s in queries.settlements(cycle) if s.agreement_id == agreement.pk)
    return _settlement_out(row)


@public_router.get(
    "/evaluations/results/{pk}",
    response={200: ResultsOut, 404: ErrorOut},
    summary="公布的结果 / published results",
)
def evaluations_public_results(request: HttpRequest, pk: int) -> dict[str, Any]:
    cycle = permissions.get_public_cycle(pk)
    departments = queries.results(cycle, Direction.DEPARTMENT)
    return {
        "cycle_id": cycle.pk,
        "name": cycle.name,
        "communities": [_row(r) for r in queries.results(cycle, Direction.COMMUNITY)],
        "departments": [_row(r) for r in departments],
        "award": [r.name for r in queries.award(cycle, departments)],
        "adjustments": [_score_out(s) for s in queries.adjustments(cycle)],
    }


__all__ = ["ResultRowOut", "public_router", "router"]
