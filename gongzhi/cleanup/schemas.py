"""JSON shapes of the clean-up API. Input schemas refuse unknown fields (no mass assignment of status, decisions
or who entered what)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import StrictSchema


class RegionRef(Schema):
    id: int
    name: str


class OrgRef(Schema):
    id: int
    name: str


class CampaignIn(StrictSchema):
    kind: Literal["plaques", "tasks"]
    title: str = Field(..., min_length=1, max_length=120)
    scope_id: int
    doc_number: str = Field("", max_length=80)
    basis: str = Field("", max_length=300)
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = Field("", max_length=2000)


class CampaignOut(Schema):
    id: int
    kind: str
    title: str
    scope: RegionRef
    doc_number: str
    basis: str
    starts_on: date | None
    ends_on: date | None
    status: str
    is_sample: bool
    created_at: datetime
    closed_at: datetime | None


class CountOut(Schema):
    id: int = Field(..., description="社区或部门ID(0 = 未登记部门) / community or department id (0: none)")
    name: str
    before: int
    after: int
    decided: int


class CountsOut(Schema):
    total: CountOut
    communities: list[CountOut]
    departments: list[CountOut]
    removals: int
    confirmed: int
    progress_percent: int


class CampaignDetailOut(CampaignOut):
    counts: CountsOut


class TransitionIn(StrictSchema):
    to: Literal["draft", "inventory", "review", "execution", "closed", "cancelled"]
    reason: str = Field("", max_length=300)


class DecidedOut(Schema):
    decided: int


class TaskIn(StrictSchema):
    community_id: int
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    department_id: int | None = None
    basis: str = Field("", max_length=300)
    forms_per_month: int = Field(0, ge=0, le=1000)


class TaskOut(Schema):
    id: int
    campaign_id: int
    community: RegionRef
    title: str
    description: str
    department: OrgRef | None
    basis: str
    forms_per_month: int
    source: str
    verdict: str
    flags: list[str]
    matched_code: str
    matched_title: str
    verdict_reason: str
    suggestion: str
    decision: str
    decision_note: str
    transfer_to: OrgRef | None
    decided_at: datetime | None


class TaskDecisionIn(StrictSchema):
    decision: Literal["keep_statutory", "keep_assisting", "return", "to_centre", "to_social_org", "cancel"]
    note: str = Field("", max_length=300)
    transfer_to_id: int | None = None


class ImportOut(Schema):
    imported: int


class PlaqueIn(StrictSchema):
    community_id: int
    name: str = Field(..., min_length=1, max_length=100)
    placement: Literal["outside", "inside"]
    issuer_id: int | None = None
    issuer_name: str = Field("", max_length=100)
    placed_on: date | None = None
    basis: str = Field("", max_length=300)
    task_request_id: int | None = None


class PlaqueOut(Schema):
    id: int
    community: RegionRef
    name: str
    placement: str
    issuer: OrgRef | None
    issuer_name: str
    placed_on: date | None
    basis: str
    task_request_id: int | None
    status: str
    has_photo: bool
    removed_at: datetime | None


class ReviewOut(Schema):
    id: int
    campaign_id: int
    plaque: PlaqueOut
    suggestion: str
    suggestion_reason: str
    decision: str
    reason: str
    decided_at: datetime | None
    confirmed_at: datetime | None


class PlaqueDecisionIn(StrictSchema):
    decision: Literal["keep", "remove"]
    reason: str = Field("", max_length=300)


class BurdenOut(Schema):
    id: int
    name: str
    admitted: int
    funding_offered_fen: int
    funding_standard_fen: int
    funding_received_fen: int
    forms_per_month: float
    plaques: int
    refusals: int
    upheld_reports: int
    tasks_before: int
    tasks_after: int
    task_forms_before: int
    task_forms_after: int
    plaques_before: int
    plaques_after: int


class ProgressOut(Schema):
    campaign_id: int
    title: str
    kind: str
    status: str
    before: int
    after: int
    progress_percent: int


class DashboardOut(Schema):
    level: str
    name: str
    total: BurdenOut
    rows: list[BurdenOut]
    departments: list[BurdenOut]
    campaigns: list[ProgressOut]


class CalendarDayIn(StrictSchema):
    date: date
    name: str = Field("", max_length=40)


class CalendarYearIn(StrictSchema):
    assumed: bool = False
    source: str = Field("", max_length=200)
    holidays: list[CalendarDayIn] = Field(default_factory=list, max_length=60)
    workdays: list[CalendarDayIn] = Field(default_factory=list, max_length=30)


class CalendarYearOut(Schema):
    year: int
    source: Literal["package", "table", "assumed"]
    holidays: int
    workdays: int
    basis: str


class PublicTaskOut(Schema):
    title: str
    kind: str
    department: str
    starts_on: date
    ends_on: date | None
    funding_required_fen: int
    funding_received_fen: int
    requires_agreement: bool
    list_item_code: str


class PublicCommunityOut(Schema):
    community: RegionRef
    admitted_tasks: list[PublicTaskOut]
    tasks_before: int | None
    tasks_after: int | None
    plaques_before: int | None
    plaques_after: int | None
    plaques_now: int
