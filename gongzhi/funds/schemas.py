"""JSON shapes of the funds API. Amounts are integer fen (`*_fen`); input schemas refuse unknown fields (no mass
assignment of balances, accounts or who booked what)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from gongzhi.core.api_support import StrictSchema
from gongzhi.funds.services import MAX_AMOUNT, MAX_YEAR, MIN_YEAR


class Ref(Schema):
    id: int
    name: str


class AccountOut(Schema):
    id: int
    kind: str
    name: str
    year: int | None
    organization: Ref | None
    region: Ref
    balance_fen: int
    reserved_fen: int
    available_fen: int
    entry_count: int
    is_sample: bool


class TransferOut(Schema):
    id: int
    kind: str
    from_account: Ref
    to_account: Ref
    amount_fen: int
    ref: str
    memo: str
    reservation_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    at: datetime


class EntryOut(Schema):
    id: int
    seq: int
    amount_fen: int = Field(..., description="正数为收入,负数为支出 / positive in, negative out")
    balance_after_fen: int
    at: datetime
    transfer_id: int
    kind: str
    counterparty: Ref
    ref: str
    memo: str


class EntryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[EntryOut]


class ReservationOut(Schema):
    id: int
    account_id: int
    payee_id: int | None
    amount_fen: int
    remaining_fen: int
    paid_fen: int
    released_fen: int
    ref: str
    memo: str
    created_at: datetime


class FundIn(StrictSchema):
    amount_fen: int = Field(..., ge=1, le=MAX_AMOUNT, description="金额(分) / amount in fen")
    memo: str = Field(
        ..., min_length=1, max_length=200, description="摘要,如预算文号 / memo, e.g. the budget notice"
    )


class OpenBudgetIn(StrictSchema):
    organization_id: int = Field(..., ge=1, description="部门 / the department")
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)


class ReverseIn(StrictSchema):
    reason: str = Field(..., min_length=1, max_length=150)


class KindTotalOut(Schema):
    kind: str
    label: str
    accounts: int
    balance_fen: int
    reserved_fen: int
    available_fen: int
    in_fen: int
    out_fen: int


class TotalsRowOut(Schema):
    account: AccountOut
    in_fen: int
    out_fen: int


class TotalsOut(Schema):
    year: int | None
    kinds: list[KindTotalOut]
    accounts: list[TotalsRowOut]
