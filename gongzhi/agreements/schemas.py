"""JSON shapes of the agreements API. Input schemas refuse unknown fields (no mass assignment of status, amounts
paid, signatures or parties); money is integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import ID_MAX, StrictSchema

MAX_FEN = 10**12
Digest = Field(
    ..., pattern=r"^[0-9a-fA-F]{64}$", description="所签文本的SM3摘要 / SM3 digest of the text signed"
)


class Ref(Schema):
    id: int
    name: str


# --- input --------------------------------------------------------------------------------------------------


class AgreementIn(StrictSchema):
    kind: Literal["entrustment", "service_purchase"] = "entrustment"
    department_id: int = Field(..., ge=1, le=ID_MAX)
    community_id: int = Field(..., ge=1, le=ID_MAX)
    year: int = Field(..., ge=2000, le=2100)
    party_id: int | None = Field(None, ge=1, le=ID_MAX, description="仅政府购买服务 / service purchase only")


class ScheduleRow(StrictSchema):
    label: str = Field(..., min_length=1, max_length=60)
    percent: int = Field(..., ge=1, le=100)
    anchor: Literal["signing", "year_end"]
    days: int = Field(..., ge=0, le=400)


class TermsIn(StrictSchema):
    contact_name: str = Field(..., max_length=60)
    contact_phone: str = Field("", max_length=30)
    trainings_per_year: int = Field(..., ge=0, le=366)
    visits_per_year: int = Field(..., ge=0, le=366)
    guidance_notes: str = Field("", max_length=4000)
    evaluation_method: str = Field(..., max_length=4000)
    liability_department: str = Field(..., max_length=4000)
    liability_party: str = Field(..., max_length=4000)
    starts_on: date
    ends_on: date
    schedule: list[ScheduleRow] = Field(..., min_length=1, max_length=6)


class ItemIn(StrictSchema):
    requirements: str = Field(..., max_length=4000)
    standards: str = Field(..., max_length=4000)
    amount_fen: int = Field(..., ge=0, le=MAX_FEN)


class ServiceIn(ItemIn):
    title: str = Field(..., min_length=1, max_length=200)


class TasksIn(StrictSchema):
    task_ids: list[int] | None = Field(
        None, max_length=500, description="准入事项ID;不填则加入全部 / admitted task ids; all when omitted"
    )


class ReasonIn(StrictSchema):
    reason: str = Field(..., min_length=1, max_length=2000)


class SignIn(StrictSchema):
    digest: str = Digest
    meeting_date: date | None = Field(None, description="乙方必填 / the other party: required")
    minutes_no: str = Field("", max_length=60, description="乙方必填 / the other party: required")


class TerminateIn(StrictSchema):
    reason: str = Field(..., min_length=1, max_length=4000)
    settlement_fen: int = Field(..., ge=0, le=MAX_FEN)


class PaymentIn(StrictSchema):
    amount_fen: int = Field(..., ge=1, le=MAX_FEN)
    note: str = Field("", max_length=200)


class CompletionIn(StrictSchema):
    summary: str = Field(..., min_length=1, max_length=4000)


class ReviewIn(StrictSchema):
    confirm: bool
    note: str = Field("", max_length=4000)


class ResolveIn(StrictSchema):
    complete: bool
    note: str = Field(..., min_length=1, max_length=4000)


class RefuseIn(StrictSchema):
    details: str = Field("", max_length=3000)


class TemplateUpdateIn(StrictSchema):
    title: str = Field(..., min_length=1, max_length=120)
    body: str = Field(..., min_length=1, max_length=20000)
    schedule: list[ScheduleRow] = Field(..., min_length=1, max_length=6)
    evaluation_method: str = Field(..., max_length=4000)
    liability_department: str = Field(..., max_length=4000)
    liability_party: str = Field(..., max_length=4000)
    trainings_per_year: int = Field(2, ge=0, le=366)
    visits_per_year: int = Field(4, ge=0, le=366)


class TemplateIn(TemplateUpdateIn):
    region_id: int = Field(..., ge=1, le=ID_MAX)
    year: int = Field(..., ge=2000, le=2100)
    kind: Literal["entrustment", "service_purchase"] = "entrustment"


class AgreementFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    status: (
        Literal["draft", "sent", "dept_signed", "community_signed", "active", "completed", "terminated"]
        | None
    ) = None
    kind: Literal["entrustment", "service_purchase"] | None = None


# --- output -------------------------------------------------------------------------------------------------


class ItemOut(Schema):
    task_id: int
    admitted_task_id: int | None
    title: str
    requirements: str
    standards: str
    amount_fen: int
    standard_fen: int


class SignatureOut(Schema):
    side: str
    organization: Ref
    signer_name: str
    signed_at: datetime
    digest: str
    meeting_date: date | None
    minutes_no: str
    voided: bool


class VersionSummaryOut(Schema):
    number: int
    status: str
    reason: str
    total_fen: int
    digest: str
    sent_at: datetime | None
    effective_at: datetime | None


class VersionOut(VersionSummaryOut):
    contact_name: str
    contact_phone: str
    trainings_per_year: int
    visits_per_year: int
    guidance_notes: str
    evaluation_method: str
    liability_department: str
    liability_party: str
    starts_on: date
    ends_on: date
    schedule: list[ScheduleRow]
    text: str = Field(..., description="规范文本(草稿为即时预览) / canonical text (a draft's is a preview)")
    items: list[ItemOut]
    signatures: list[SignatureOut]
    verification_code: str


class InstalmentOut(Schema):
    seq: int
    version: int
    label: str
    due_on: date
    amount_fen: int
    paid_fen: int
    outstanding_fen: int
    overdue: bool
    # the agreement's final instalment, settled from the year's evaluation: not paid directly (409)
    held_for_evaluation: bool = False


class PaymentOut(Schema):
    id: int
    agreement_id: int
    instalment: InstalmentOut
    amount_fen: int
    paid_at: datetime
    transfer_id: int
    note: str


class AgreementOut(Schema):
    id: int
    number: str
    kind: str
    year: int
    status: str
    department: Ref
    community: Ref
    party: Ref
    version: int
    agreed_fen: int
    reserved_fen: int
    paid_fen: int
    overdue_fen: int
    to_deliver: int
    first_sent_at: datetime | None
    activated_at: datetime | None
    terminated_at: datetime | None
    termination_reason: str
    settlement_fen: int | None
    is_sample: bool


class AgreementPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AgreementOut]


class CompletionOut(Schema):
    id: int
    agreement_id: int
    task_id: int
    status: str
    summary: str
    has_evidence: bool
    reported_at: datetime
    review_note: str
    resolution_note: str


class AgreementDetailOut(AgreementOut):
    current: VersionOut | None
    versions: list[VersionSummaryOut]
    instalments: list[InstalmentOut]
    completions: list[CompletionOut]
    uncovered_task_ids: list[int] = Field(
        ...,
        description="须纳入而尚未纳入的准入事项(仅甲方可见) / admitted tasks not yet covered (department only)",
    )


class VerifyCheck(Schema):
    ok: bool
    message: str


class VerifyOut(Schema):
    ok: bool
    checks: list[VerifyCheck]


class DiffItem(Schema):
    task_id: int
    title: str
    change: Literal["added", "removed", "changed"]
    old_amount_fen: int | None
    new_amount_fen: int | None


class DiffLine(Schema):
    op: Literal[" ", "+", "-"]
    text: str


class DiffOut(Schema):
    old: int
    new: int
    old_total_fen: int
    new_total_fen: int
    items: list[DiffItem]
    lines: list[DiffLine]


class RefusalOut(Schema):
    id: int
    reason: str
    title: str
    details: str
    admitted_task_id: int | None
    created_at: datetime


class TemplateOut(Schema):
    id: int
    region: Ref
    year: int
    kind: str
    title: str
    body: str
    schedule: list[ScheduleRow]
    evaluation_method: str
    liability_department: str
    liability_party: str
    trainings_per_year: int
    visits_per_year: int
    is_sample: bool


class TotalsOut(Schema):
    count: int
    agreed_fen: int
    reserved_fen: int
    paid_fen: int
    overdue_fen: int


class OverdueOut(Schema):
    agreement_id: int
    number: str
    seq: int
    label: str
    due_on: date
    amount_fen: int
    paid_fen: int
    short: bool


class TaskRef(Schema):
    id: int
    title: str
    department: Ref
    community: Ref
    starts_on: date


class SummaryOut(Schema):
    department: TotalsOut | None
    party: TotalsOut | None
    office: TotalsOut | None
    overdue: list[OverdueOut]
    uncovered_tasks: list[TaskRef]


class PublicAgreementOut(Schema):
    number: str
    kind: str
    year: int
    department: str
    party: str
    status: str
    agreed_fen: int
    received_fen: int


class QuarterOut(Schema):
    year: int
    quarter: int
    received_fen: int


class PublicCommunityOut(Schema):
    community: Ref
    agreed_fen: int
    received_fen: int
    agreements: list[PublicAgreementOut]
    quarters: list[QuarterOut]
