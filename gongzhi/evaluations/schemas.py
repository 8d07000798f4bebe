from __future__ import annotations

import datetime as dt

from ninja import Schema

from gongzhi.core.api_support import StrictSchema


class CycleIn(StrictSchema):
    scope_id: int
    year: int
    period: str = "year"
    name: str
    ratings_due: dt.date


class IndicatorOut(Schema):
    id: int
    direction: str
    key: str
    name: str
    source: str
    weight: int
    survey_id: int | None
    penalty: int  # interference: points off per incident


class CycleOut(Schema):
    id: int
    name: str
    year: int
    period: str
    scope_id: int
    status: str
    ratings_due: dt.date
    settle_full: int
    settle_floor: int
    indicators: list[IndicatorOut]


class WeightsIn(StrictSchema):
    direction: str
    weights: dict[str, int]


class RulesIn(StrictSchema):
    settle_full: int
    settle_floor: int
    penalty: int


class TransitionIn(StrictSchema):
    to: str
    reason: str = ""


class RatingIn(StrictSchema):
    indicator_id: int
    department_id: int | None = None
    community_id: int | None = None
    score: int
    evidence: str = ""


class RatingOut(Schema):
    id: int
    indicator_id: int
    score: int
    late: bool


class AdjustIn(StrictSchema):
    value: float
    reason: str


class ScoreOut(Schema):
    id: int
    indicator: str
    direction: str
    subject_id: int
    subject: str
    value: float | None
    adjusted: float | None
    adjust_reason: str
    evidence: dict[str, object]


class ResultRowOut(Schema):
    subject_id: int
    name: str
    rank: int | None  # None: not ranked (`ranked` false: too little data, see evaluations.queries)
    ranked: bool
    missing: list[str]  # the indicators without a value
    withheld: list[str]  # of those, the surveys withheld for fewer than 5 responses
    total: float | None
    change: float | None
    values: dict[str, float | None]
    margins: dict[str, float]  # satisfaction surveys: the 95 % margin (±) of the value, 0–100 scale


class ResultsOut(Schema):
    cycle_id: int
    name: str
    communities: list[ResultRowOut]
    departments: list[ResultRowOut]
    award: list[str]
    adjustments: list[ScoreOut]


class SettleIn(StrictSchema):
    agreement_id: int


class SettlementOut(Schema):
    agreement_id: int
    agreement: str
    community: str
    department: str
    instalment_id: int
    total: float | None
    final_fen: int
    settled_fen: int
    paid_fen: int
    settled: bool
    settled_at: dt.datetime | None
    settled_ref: str
