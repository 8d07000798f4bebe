"""JSON shapes of the admissions API. Input schemas refuse unknown fields: a client cannot set a status, a
verdict, a decision date or who filed it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import StrictSchema

Kind = Literal["ongoing", "one_off", "report_form", "plaque", "inspection", "certificate"]
Target = Literal["all", "district", "chosen"]
Frequency = Literal["none", "once", "weekly", "monthly", "quarterly", "yearly"]


class Ref(Schema):
    id: int
    name: str


class ItemRef(Schema):
    id: int
    code: str
    title: str
    kind: str


class RequestIn(StrictSchema):
    department_id: int
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=8000)
    legal_basis: str = Field("", max_length=4000)
    kind: Kind
    target: Target = "all"
    target_district_id: int | None = None
    target_community_ids: list[int] = Field(default_factory=list, max_length=2000)
    starts_on: date
    ends_on: date | None = None
    hours_per_month: int = Field(0, ge=0, le=744)
    forms_count: int = Field(0, ge=0, le=1000)
    forms_frequency: Frequency = "none"
    plaques_count: int = Field(0, ge=0, le=50)
    funding_fen: int = Field(
        0, ge=0, le=10**12, description="每个社区每年经费(分) / per community per year, fen"
    )
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=30)


class PrecheckIn(StrictSchema):
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=8000)
    kind: Kind = "ongoing"
    starts_on: date | None = None
    funding_fen: int = Field(0, ge=0, le=10**12)
    forms_count: int = Field(0, ge=0, le=1000)
    plaques_count: int = Field(0, ge=0, le=50)


class MatchOut(Schema):
    kind: str
    code: str
    title: str
    score: float


class PrecheckOut(Schema):
    verdict: str
    route: str = Field(..., description="blocked | guidance | review | authority")
    reason: str
    flags: list[str]
    matches: list[MatchOut]
    item_id: int | None
    item_code: str
    item_title: str
    standard_funding_fen: int | None
    needs_authority: bool
    requires_agreement: bool
    can_submit: bool
    errors: list[str]
    warnings: list[str]
    notes: list[str]
    checked_on: str
    lead_workdays: int | None
    latest_submission: str
    earliest_start: str
    decision_due: str
    calendar_note: str


class ReviewOut(Schema):
    id: int
    stage: str
    outcome: str
    actor: str
    organization: Ref
    comments: str
    meeting_ref: str
    created_at: datetime


class AttachmentOut(Schema):
    id: str
    name: str
    file_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    url: str


class RequestOut(Schema):
    id: int
    department: Ref
    title: str
    description: str
    legal_basis: str
    kind: str
    target: str
    target_district: Ref | None
    target_communities: list[Ref]
    starts_on: date
    ends_on: date | None
    hours_per_month: int
    forms_count: int
    forms_frequency: str
    plaques_count: int
    funding_fen: int
    contact_name: str
    contact_phone: str
    status: str
    verdict: str
    needs_authority: bool
    list_item: ItemRef | None
    proposed_item: ItemRef | None
    precheck: dict[str, Any]
    submitted_at: datetime | None
    decision_due: date | None
    decided_at: datetime | None
    meeting_ref: str
    revoked_at: datetime | None
    revoke_reason: str
    created_at: datetime
    is_sample: bool


class RequestDetailOut(RequestOut):
    reviews: list[ReviewOut]
    attachments: list[AttachmentOut]
    admitted_task_ids: list[int]


class RequestPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[RequestOut]


class ReasonIn(StrictSchema):
    reason: str = Field("", max_length=4000)


class ExamineIn(StrictSchema):
    outcome: Literal["recommend_approve", "recommend_reject", "return"]
    comments: str = Field("", max_length=4000)


class DecideIn(StrictSchema):
    outcome: Literal["approve", "reject", "return"]
    meeting_ref: str = Field(
        "", max_length=120, description="会议纪要或文号 / meeting minutes or document number"
    )
    comments: str = Field("", max_length=4000)


class TaskOut(Schema):
    id: int
    request_id: int
    community: Ref
    department: Ref
    title: str
    kind: str
    starts_on: date
    ends_on: date | None
    hours_per_month: int
    forms_count: int
    forms_frequency: str
    plaques_count: int
    funding_required_fen: int
    funding_due: date | None
    funding_received_fen: int
    requires_agreement: bool
    list_item: ItemRef | None
    proposed_item: ItemRef | None
    status: str
    admitted_at: datetime
    revoked_at: datetime | None
    revoke_reason: str
    is_sample: bool


class FundingIn(StrictSchema):
    amount_fen: int = Field(..., gt=0, le=10**12)


class RefusalIn(StrictSchema):
    community_id: int
    reason: Literal["not_admitted", "funding_missing", "beyond_scope"]
    details: str = Field(..., min_length=1, max_length=4000)
    title: str = Field("", max_length=200)
    department_id: int | None = None
    admitted_task_id: int | None = None
    task_request_id: int | None = None
    demanded_on: date | None = None


class RefusalOut(Schema):
    id: int
    community: Ref
    organization: Ref
    department: Ref
    reason: str
    admitted_task_id: int | None
    task_request_id: int | None
    title: str
    details: str
    demanded_on: date | None
    created_at: datetime
    is_sample: bool


class ReportIn(StrictSchema):
    community_id: int
    department_id: int
    title: str = Field(..., min_length=1, max_length=200)
    details: str = Field(..., min_length=1, max_length=8000)
    demanded_on: date
    channel: Literal["document", "phone", "chat", "in_person", "other"] = "other"


class ReportOut(Schema):
    id: int
    community: Ref
    organization: Ref
    department: Ref
    title: str
    details: str
    demanded_on: date
    channel: str
    status: str
    finding: str
    acknowledged_at: datetime | None
    concluded_at: datetime | None
    created_at: datetime
    attachments: list[AttachmentOut]
    is_sample: bool


class AdvanceIn(StrictSchema):
    to: Literal["acknowledged", "investigating", "upheld", "dismissed"]
    finding: str = Field("", max_length=8000)
