"""JSON shapes of the surveys API. Input schemas refuse unknown fields. Outputs carry aggregates only: no
response, participation or invitation row is ever serialized."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import StrictSchema

AnswerValue = int | list[int] | str


class QuestionIn(StrictSchema):
    kind: Literal["single", "multiple", "scale", "text"]
    text: str = Field(..., max_length=300)
    required: bool = True
    options: list[str] = Field(default_factory=list, max_length=20)
    help: str = Field("", max_length=300)
    key: str = Field("", max_length=40)
    low_label: str = Field("", max_length=20)
    high_label: str = Field("", max_length=20)


class SurveyIn(StrictSchema):
    scope_id: int = Field(..., ge=1, le=2**63 - 1)
    title: str = Field(..., max_length=120)
    intro: str = Field("", max_length=2000)
    purpose: Literal["general", "satisfaction", "property", "deliberation"] = "general"
    respondents: Literal["households", "units"] = "households"
    closes_on: date | None = None
    questions: list[QuestionIn] = Field(default_factory=list, max_length=60)


class TransitionIn(StrictSchema):
    to: Literal["open", "closed"]


class IssueIn(StrictSchema):
    community_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="空 = 范围内全部社区 / all communities"
    )


class CodeIn(StrictSchema):
    code: str = Field(..., max_length=40, description="邀请码 / the invitation code")


class AnswersIn(StrictSchema):
    answers: dict[str, AnswerValue] = Field(
        ...,
        max_length=60,
        description="{题目ID: 值}:单选为选项序号(从0起),多选为序号列表,评分为1–5,文字题为文字 / "
        "{question id: value}: option index, list of indexes, 1–5, or text",
    )


class CodeAnswersIn(AnswersIn):
    code: str = Field(..., max_length=40)


class AssistedIn(AnswersIn):
    respondent_id: int = Field(
        ..., ge=1, le=2**63 - 1, description="住户ID(或共建单位ID) / household (or unit) id"
    )


class RegionRef(Schema):
    id: int
    name: str


class QuestionOut(Schema):
    id: int
    position: int
    key: str
    kind: str
    text: str
    help: str
    required: bool
    options: list[str]
    low_label: str
    high_label: str


class SurveyOut(Schema):
    id: int
    series: str
    version: int
    previous_id: int | None
    title: str
    intro: str
    purpose: str
    respondents: str
    scope: RegionRef
    owner: RegionRef
    status: str
    closes_on: date | None
    opened_on: date | None
    closed_on: date | None
    is_sample: bool


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]


class SurveyPageOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[SurveyOut]


class QuestionnaireOut(Schema):
    """What a respondent sees behind a code."""

    id: int
    title: str
    intro: str
    open: bool
    answered: bool
    questions: list[QuestionOut]


class ReceiptOut(Schema):
    survey_id: int
    replayed: bool
    message: str


class IssueOut(Schema):
    created: int
    existing: int
    communities: int


class RateOut(Schema):
    community_id: int
    community: str
    eligible: int
    invited: int
    responded: int
    by_code: int
    by_account: int
    assisted: int
    rate: float | None


class RatesOut(Schema):
    rows: list[RateOut]
    total: RateOut


class ScoreOut(Schema):
    suppressed: bool
    n: int | None
    mean: float | None
    sd: float | None
    margin: float | None = Field(None, description="95 % 误差范围(半宽) / 95 % margin of error (half-width)")
    low: float | None
    high: float | None
    population: int | None
    score100: float | None
    margin100: float | None


class CommunityScoreOut(Schema):
    community_id: int
    community: str
    score: ScoreOut


class ScoresOut(Schema):
    question: str | None = Field(
        None, description="题目标识或ID;空 = 满意度指数 / question key or id; none: index"
    )
    overall: ScoreOut
    communities: list[CommunityScoreOut]


class OptionOut(Schema):
    label: str
    count: int | None = Field(None, description="空 = 不足5份不公布 / null: fewer than 5, withheld")


class QuestionResultOut(Schema):
    question_id: int
    position: int
    kind: str
    text: str
    answered: int | None
    options: list[OptionOut]
    score: ScoreOut | None
    texts: int | None


class GroupOut(Schema):
    label: str
    community_id: int | None
    responses: int | None = Field(None, description="空 = 不足5份不公布 / null: fewer than 5, withheld")
    questions: list[QuestionResultOut]


class ResultsOut(Schema):
    survey_id: int
    min_cell: int
    overall: GroupOut
    communities: list[GroupOut]
    index: ScoresOut | None


class CommentsOut(Schema):
    question_id: int
    withheld: bool
    texts: list[str]
