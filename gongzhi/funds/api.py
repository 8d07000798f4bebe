"""JSON endpoints of the funds ledger (under /api/funds/): accounts the caller may see, their entries and
reservations, funding a budget, opening a budget, a transfer and its reversal, and the totals the approval office
sees. POSTs that move money take an Idempotency-Key (a replay pays once). Instalments are paid through the
agreements API, which calls funds.services.pay_from_reservation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from gongzhi.core.api_support import ERRORS, PageParams, current_user, object_id, paginate
from gongzhi.core.errors import NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.roles import OrgKind
from gongzhi.funds import permissions, queries, services
from gongzhi.funds.models import Account, Entry, Reservation, Transfer
from gongzhi.funds.schemas import (
    AccountOut,
    EntryPage,
    FundIn,
    KindTotalOut,
    OpenBudgetIn,
    ReservationOut,
    ReverseIn,
    TotalsOut,
    TotalsRowOut,
    TransferOut,
)
from gongzhi.funds.services import MAX_YEAR, MIN_YEAR
from gongzhi.orgs.models import Organization

router = Router(tags=["funds"])


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def account_out(a: Account) -> AccountOut:
    return AccountOut(
        id=a.pk,
        kind=a.kind,
        name=a.name,
        year=a.year,
        organization=_ref(a.organization),  # type: ignore[arg-type]
        region=_ref(a.region),  # type: ignore[arg-type]
        balance_fen=a.balance,
        reserved_fen=a.reserved,
        available_fen=a.available,
        entry_count=a.entry_count,
        is_sample=a.is_sample,
    )


def transfer_out(t: Transfer) -> TransferOut:
    reversal = Transfer.objects.filter(reverses=t).values_list("pk", flat=True).first()
    return TransferOut(
        id=t.pk,
        kind=t.kind,
        from_account=_ref(t.from_account),  # type: ignore[arg-type]
        to_account=_ref(t.to_account),  # type: ignore[arg-type]
        amount_fen=t.amount,
        ref=t.ref,
        memo=t.memo,
        reservation_id=t.reservation_id,
        reverses_id=t.reverses_id,
        reversed_by_id=reversal,
        at=t.at,
    )


def _entry(e: Entry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "seq": e.seq,
        "amount_fen": e.amount,
        "balance_after_fen": e.balance_after,
        "at": e.at,
        "transfer_id": e.transfer_id,
        "kind": e.transfer.kind,
        "counterparty": _ref(queries.counterparty(e)),
        "ref": e.transfer.ref,
        "memo": e.transfer.memo,
    }


def _reservation(r: Reservation) -> ReservationOut:
    return ReservationOut(
        id=r.pk,
        account_id=r.account_id,
        payee_id=r.payee_id,
        amount_fen=r.amount,
        remaining_fen=r.remaining,
        paid_fen=r.paid,
        released_fen=r.released,
        ref=r.ref,
        memo=r.memo,
        created_at=r.created_at,
    )


@router.get(
    "/funds/accounts", response={200: list[AccountOut], **ERRORS}, summary="我可查看的账户 / my accounts"
)
def funds_list_accounts(request: HttpRequest) -> list[AccountOut]:
    accounts = permissions.accounts_for_user(current_user(request)).order_by(
        "kind", "region__code", "name", "pk"
    )
    return [account_out(a) for a in accounts[:500]]


@router.get("/funds/accounts/{pk}", response={200: AccountOut, **ERRORS}, summary="账户 / an account")
def funds_get_account(request: HttpRequest, pk: int = object_id()) -> AccountOut:
    return account_out(permissions.get_account_for_user(current_user(request), pk))


@router.get(
    "/funds/accounts/{pk}/entries",
    response={200: EntryPage, **ERRORS},
    summary="账户明细 / an account's entries",
)
def funds_list_entries(
    request: HttpRequest, paging: Query[PageParams], pk: int = object_id()
) -> dict[str, Any]:
    account = permissions.get_account_for_user(current_user(request), pk)
    page = paginate(queries.statement(account), paging)
    page["results"] = [_entry(e) for e in page["results"]]
    return page


@router.get(
    "/funds/accounts/{pk}/reservations",
    response={200: list[ReservationOut], **ERRORS},
    summary="未支付完的预留 / open reservations",
)
def funds_list_reservations(request: HttpRequest, pk: int = object_id()) -> list[ReservationOut]:
    account = permissions.get_account_for_user(current_user(request), pk)
    return [_reservation(r) for r in queries.open_reservations(account)]


@router.post(
    "/funds/accounts/{pk}/fund",
    response={201: TransferOut, **ERRORS},
    summary="下达预算 / fund a budget (Idempotency-Key: a replay funds once)",
)
@idempotent(status=201)
def funds_fund_budget(request: HttpRequest, payload: FundIn, pk: int = object_id()) -> TransferOut:
    user = current_user(request)
    account = permissions.get_account_for_user(user, pk)
    transfer = services.fund_budget(actor=user, account=account, amount=payload.amount_fen, memo=payload.memo)
    return transfer_out(transfer)


@router.post(
    "/funds/budgets", response={201: AccountOut, **ERRORS}, summary="开立年度预算账户 / open a budget"
)
@idempotent(status=201)
def funds_open_budget(request: HttpRequest, payload: OpenBudgetIn) -> AccountOut:
    org = Organization.objects.filter(pk=payload.organization_id, kind=OrgKind.DEPARTMENT).first()
    if org is None:
        raise NotFound("未找到该部门 / department not found")
    account = services.ensure_account(
        actor=current_user(request), organization=org, kind=Account.Kind.BUDGET, year=payload.year
    )
    return account_out(account)


@router.get("/funds/transfers/{pk}", response={200: TransferOut, **ERRORS}, summary="转账 / a transfer")
def funds_get_transfer(request: HttpRequest, pk: int = object_id()) -> TransferOut:
    return transfer_out(permissions.get_transfer_for_user(current_user(request), pk))


@router.post(
    "/funds/transfers/{pk}/reverse",
    response={201: TransferOut, **ERRORS},
    summary="冲正 / reverse a transfer (Idempotency-Key)",
)
@idempotent(status=201)
def funds_reverse_transfer(request: HttpRequest, payload: ReverseIn, pk: int = object_id()) -> TransferOut:
    user = current_user(request)
    transfer = permissions.get_transfer_for_user(user, pk)
    return transfer_out(services.reverse_transfer(actor=user, transfer=transfer, reason=payload.reason))


class TotalsQuery(Schema):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="预算年度 / budget year")


@router.get("/funds/totals", response={200: TotalsOut, **ERRORS}, summary="全市汇总 / city totals")
def funds_totals(request: HttpRequest, query: Query[TotalsQuery]) -> TotalsOut:
    user = current_user(request)
    if not permissions.can_view_totals(user):
        raise NotFound("未找到 / not found")
    result = queries.totals(permissions.accounts_for_user(user), year=query.year)
    return TotalsOut(
        year=query.year,
        kinds=[
            KindTotalOut(
                kind=k.kind,
                label=k.label,
                accounts=k.accounts,
                balance_fen=k.balance,
                reserved_fen=k.reserved,
                available_fen=k.available,
                in_fen=k.money_in,
                out_fen=k.money_out,
            )
            for k in result.kinds
        ],
        accounts=[
            TotalsRowOut(account=account_out(r.account), in_fen=r.money_in, out_fen=r.money_out)
            for r in result.rows
        ],
    )
