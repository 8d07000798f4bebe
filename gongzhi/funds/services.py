"""Every write on the funds ledger. Keyword-only arguments, an explicit `actor` (None = the system: the demo loader,
management commands), one transaction each, audited in that transaction.

The public API other apps (agreements, property) call:

    ensure_account(actor=, organization=, kind=, year=None, is_sample=False) -> Account
    fund_budget(actor=, account=, amount=, memo=, ref="") -> Transfer
    reserve(actor=, account=, amount=, ref=, payee=None, memo="") -> Reservation
    release(actor=, reservation=, reason=, amount=None) -> Reservation
    pay_from_reservation(actor=, reservation=, to_account=, amount=, ref=, memo="") -> Transfer
    pay(actor=, from_account=, to_account=, amount=, ref=, memo="") -> Transfer
    reverse_transfer(actor=, transfer=, reason=) -> Transfer

Amounts are integer fen (> 0). Errors (gongzhi.core.errors): ValidationFailed (422: bad amount, wrong account
kind, payee mismatch), PermissionDenied (403: the actor may not move this money), InsufficientFunds (409, code
"insufficient_funds": the budget's available money or the reservation's remainder does not cover it),
DuplicateRef (409, code "duplicate_ref": a transfer with this `ref` exists — a reference pays once).

Concurrency: a debit is `UPDATE account SET balance = balance - x … WHERE id = … AND balance - reserved >= x`
(or `reserved >= x` for a reservation) whose row count is checked, inside the caller's transaction (SQLite runs
BEGIN IMMEDIATE; PostgreSQL row-locks the account: accounts are locked in id order first, so two transfers
never deadlock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gongzhi.core import audit, crypto
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import User
from gongzhi.funds import permissions
from gongzhi.funds.models import GENESIS_MAC, Account, Entry, Reservation, Transfer, entry_canonical, yuan
from gongzhi.orgs.models import Organization, Region

# One amount may not exceed 100 billion yuan (keeps every sum far inside a 64-bit integer).
MAX_AMOUNT = 10**13
MIN_YEAR, MAX_YEAR = 2000, 2100


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class DuplicateRef(Conflict):
    code = "duplicate_ref"


# --- helpers ------------------------------------------------------------------------------------------------


def _amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise ValidationFailed(
            "金额须为大于0的整数(分),且不超过1000亿元 / amount must be a positive whole number of fen "
            "(at most 100 billion yuan)",
            fields={"amount": "invalid"},
        )
    return int(amount)


def _text(value: str, field: str, *, required: bool, limit: int = 200) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{field} / {field} is required", fields={field: "required"})
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise ValidationFailed(
            f"{field}过长或含控制字符 / {field} is too long or has control characters",
            fields={field: "invalid"},
        )
    return value


def _allow(actor: User | None, check: Callable[..., bool], *args: Any) -> None:
    """The system (actor None) may; a person must pass the permission predicate."""
    if actor is not None and not check(actor, *args):
        raise PermissionDenied("无权办理该笔资金业务 / You may not move this money")


def _lock(*accounts: Account) -> None:
    """Row-lock the accounts in id order (PostgreSQL), so that two transfers never wait on each other in a
    circle; SQLite's BEGIN IMMEDIATE already serializes writers."""
    list(
        Account.objects.select_for_update(of=("self",)).filter(pk__in={a.pk for a in accounts}).order_by("pk")
    )


def _refuse_duplicate_ref(ref: str) -> None:
    if ref and Transfer.objects.filter(ref=ref).exists():
        raise DuplicateRef(
            "该业务编号已支付过,不能重复支付 / a transfer with this reference exists; it pays once",
            fields={"ref": "duplicate"},
        )


def _debit(account: Account, amount: int, *, from_reserved: bool = False) -> None:
    """Take `amount` out of an account with one conditional UPDATE (checked row count): out of its available
    money, or out of its reserved money; the appropriation source may go below zero."""
    rows = Account.objects.filter(pk=account.pk)
    if from_reserved:
        rows = rows.filter(reserved__gte=amount, balance__gte=amount)
        changes = {"balance": F("balance") - amount, "reserved": F("reserved") - amount}
    elif account.kind == Account.Kind.SOURCE:
        changes = {"balance": F("balance") - amount}
    else:
        rows = rows.filter(balance__gte=F("reserved") + amount)
        changes = {"balance": F("balance") - amount}
    if rows.update(entry_count=F("entry_count") + 1, **changes) != 1:
        raise InsufficientFunds(
            f"“{account.name}”可用余额不足 / not enough available money in {account.name}",
            fields={"amount": "insufficient"},
        )


def _credit(account: Account, amount: int, *, to_reserved: bool = False) -> None:
    changes = {"balance": F("balance") + amount}
    if to_reserved:
        changes["reserved"] = F("reserved") + amount
    Account.objects.filter(pk=account.pk).update(entry_count=F("entry_count") + 1, **changes)


def _entry(transfer: Transfer, account: Account, amount: int) -> Entry:
    """Write the entry of a leg whose account row was just updated (and is locked by that UPDATE)."""
    balance, seq = Account.objects.filter(pk=account.pk).values_list("balance", "entry_count").get()
    prev = Entry.objects.filter(account_id=account.pk, seq=seq - 1).values_list("mac", flat=True).first()
    entry = Entry(
        account_id=account.pk,
        transfer=transfer,
        seq=seq,
        amount=amount,
        balance_after=balance,
        region_id=account.region_id,
        at=transfer.at,
        prev_mac=prev or GENESIS_MAC,
    )
    entry.mac = crypto.mac("ledger", entry_canonical(entry, transfer))
    entry.save(force_insert=True)
    return entry


def _transfer_region(payer: Account, payee: Account) -> int:
    """A transfer carries the community side's region (for sharding by region), else the payer's."""
    for account in (payee, payer):
        if account.region.is_grassroots:
            return account.region_id
    return payer.region_id


def _book(
    *,
    actor: User | None,
    kind: str,
    payer: Account,
    payee: Account,
    amount: int,
    ref: str = "",
    memo: str = "",
    reservation: Reservation | None = None,
    reverses: Transfer | None = None,
    from_reserved: bool = False,
    to_reserved: bool = False,
) -> Transfer:
    """Move the money (conditional updates), then write the transfer and its two entries."""
    _debit(payer, amount, from_reserved=from_reserved)
    _credit(payee, amount, to_reserved=to_reserved)
    transfer = Transfer(
        from_account=payer,
        to_account=payee,
        amount=amount,
        kind=kind,
        ref=ref,
        memo=memo,
        reservation=reservation,
        reverses=reverses,
        region_id=_transfer_region(payer, payee),
        created_by=actor if actor is not None and actor.pk else None,
        at=timezone.now(),
    )
    try:
        with transaction.atomic():
            transfer.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent transfer took the same ref, or reversed the same transfer
        if reverses is not None:
            raise Conflict(
                "该笔转账已冲正 / this transfer was already reversed", code="already_reversed"
            ) from exc
        raise DuplicateRef(
            "该业务编号已支付过,不能重复支付 / a transfer with this reference exists; it pays once",
            fields={"ref": "duplicate"},
        ) from exc
    _entry(transfer, payer, -amount)
    _entry(transfer, payee, amount)
    return transfer


def _payee(to_account: Account, payer: Account) -> None:
    if to_account.kind == Account.Kind.SOURCE or to_account.pk == payer.pk:
        raise ValidationFailed(
            "收款账户无效 / the receiving account is not valid here", fields={"to_account": "invalid"}
        )


# --- accounts -----------------------------------------------------------------------------------------------

_NAMES = {
    Account.Kind.BUDGET: "{org} {year}年度预算",
    Account.Kind.COMMUNITY: "{org} 社区账户",
    Account.Kind.ESCROW: "{org} 物业补贴监管账户",
    Account.Kind.SERVICE: "{org} 账户",
}


def _find(organization: Organization, kind: str, year: int | None) -> Account | None:
    return Account.objects.filter(organization=organization, kind=kind, year=year).first()


@transaction.atomic
def ensure_account(
    *,
    actor: User | None,
    organization: Organization,
    kind: str,
    year: int | None = None,
    is_sample: bool = False,
) -> Account:
    """The organization's account of `kind` (for a budget: of `year`), opened (and audited) if it does not exist.

    Kinds and holders: budget (department, year required), community and escrow (the residents' committee),
    service (community service centre or social organization). Who may open: the system, a platform administrator,
    the department's finance (its own budget; any payee account of the other kinds), the community's staff
    (its committee's accounts), the organization's own people (a service account)."""
    if kind not in Account.Kind.values or kind == Account.Kind.SOURCE:
        raise ValidationFailed("账户类型无效 / unknown account kind", fields={"kind": "invalid"})
    if organization.kind not in Account.OWNER_KINDS[kind]:
        raise ValidationFailed(
            "该机构不能开立此类账户 / this organization cannot hold this kind of account",
            fields={"kind": "invalid"},
        )
    if kind == Account.Kind.BUDGET:
        if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationFailed("请填写预算年度 / a budget needs its year", fields={"year": "invalid"})
    elif year is not None:
        raise ValidationFailed("只有预算账户分年度 / only budgets have a year", fields={"year": "invalid"})
    existing = _find(organization, kind, year)
    if existing is not None:
        return existing
    _allow(actor, permissions.can_open_account, organization, kind)
    account = Account(
        organization=organization,
        region_id=organization.region_id,
        kind=kind,
        year=year,
        name=_NAMES[Account.Kind(kind)].format(org=organization.name, year=year)[:160],
        is_sample=is_sample,
    )
    try:
        with transaction.atomic():
            account.save(force_insert=True)
    except IntegrityError:  # opened by a concurrent request meanwhile
        found = _find(organization, kind, year)
        if found is None:
            raise
        return found
    audit.record(
        "funds.account.open",
        actor=actor,
        target=account,
        data={"kind": kind, "year": year, "org": organization.pk},
    )
    return account


def _city(region: Region) -> Region:
    chain = region.ancestors()
    return chain[-1] if chain else region


def _source_for(actor: User | None, region: Region) -> Account:
    """The appropriation source (财政拨款来源) of the region's city, opened on first use."""
    city = _city(region)
    found = Account.objects.filter(kind=Account.Kind.SOURCE, region=city).first()
    if found is not None:
        return found
    source = Account.objects.create(kind=Account.Kind.SOURCE, region=city, name=f"{city.name}财政拨款")
    audit.record("funds.account.open", actor=actor, target=source, data={"kind": "source", "region": city.pk})
    return source


# --- money --------------------------------------------------------------------------------------------------


@transaction.atomic
def fund_budget(*, actor: User | None, account: Account, amount: int, memo: str, ref: str = "") -> Transfer:
    """Record money appropriated to a department's budget: a FUNDING transfer from the city's appropriation
    source (opened on first use). Actor: the department's finance (Cap.PAY_INSTALMENTS). A non-empty `ref` funds
    once (DuplicateRef otherwise)."""
    amount = _amount(amount)
    memo = _text(memo, "memo", required=True)
    ref = _text(ref, "ref", required=False)
    if account.kind != Account.Kind.BUDGET:
        raise ValidationFailed(
            "只能向部门预算下达经费 / only a budget is funded", fields={"account": "invalid"}
        )
    _allow(actor, permissions.can_fund, account)
    _refuse_duplicate_ref(ref)
    source = _source_for(actor, account.region)
    _lock(source, account)
    transfer = _book(
        actor=actor,
        kind=Transfer.Kind.FUNDING,
        payer=source,
        payee=account,
        amount=amount,
        ref=ref,
        memo=memo,
    )
    audit.record(
        "funds.fund",
        actor=actor,
        target=transfer,
        data={"account": account.pk, "amount": amount, "yuan": yuan(amount), "ref": ref},
    )
    return transfer


@transaction.atomic
def reserve(
    *,
    actor: User | None,
    account: Account,
    amount: int,
    ref: str,
    payee: Account | None = None,
    memo: str = "",
) -> Reservation:
    """Commit `amount` of a budget's available money to `ref` (e.g. "agreement:12/v1"). `payee` set → payments
    from this reservation may only go to that account. InsufficientFunds when available < amount.
    Actor: the department's finance or a person who signs agreements for it (Cap.SIGN_AGREEMENTS)."""
    amount = _amount(amount)
    ref = _text(ref, "ref", required=True)
    memo = _text(memo, "memo", required=False)
    if account.kind != Account.Kind.BUDGET:
        raise ValidationFailed(
            "只能在部门预算中预留 / only a budget holds reservations", fields={"account": "invalid"}
        )
    if payee is not None:
        _payee(payee, account)
    _allow(actor, permissions.can_reserve, account)
    _lock(account)
    reserved = Account.objects.filter(pk=account.pk, balance__gte=F("reserved") + amount).update(
        reserved=F("reserved") + amount
    )
    if reserved != 1:
        raise InsufficientFunds(
            f"“{account.name}”可用余额不足,无法预留 / not enough available money in {account.name} to reserve",
            fields={"amount": "insufficient"},
        )
    reservation = Reservation.objects.create(
        account=account,
        payee=payee,
        amount=amount,
        remaining=amount,
        ref=ref,
        memo=memo,
        region_id=account.region_id,
        created_by=actor if actor is not None and actor.pk else None,
    )
    audit.record(
        "funds.reserve",
        actor=actor,
        target=reservation,
        data={"account": account.pk, "amount": amount, "ref": ref, "payee": payee.pk if payee else None},
    )
    return reservation


def _locked_reservation(pk: int) -> Reservation:
    return Reservation.objects.select_for_update(of=("self",)).select_related("account", "payee").get(pk=pk)


@transaction.atomic
def release(
    *, actor: User | None, reservation: Reservation, reason: str, amount: int | None = None
) -> Reservation:
    """Give back `amount` (default: all that remains) of a reservation to the budget's available money
    (an agreement terminated or settled below its amount). Same actors as reserve()."""
    reason = _text(reason, "reason", required=True)
    locked = _locked_reservation(reservation.pk)
    _allow(actor, permissions.can_reserve, locked.account)
    amount = locked.remaining if amount is None else _amount(amount)
    if amount == 0:
        raise Conflict("该预留已无余额 / nothing of this reservation remains", code="reservation_closed")
    _lock(locked.account)
    rows = Reservation.objects.filter(pk=locked.pk, remaining__gte=amount).update(
        remaining=F("remaining") - amount, released=F("released") + amount
    )
    if rows != 1:
        raise InsufficientFunds(
            "释放金额超过预留余额 / more than what remains of the reservation",
            fields={"amount": "insufficient"},
        )
    Account.objects.filter(pk=locked.account_id).update(reserved=F("reserved") - amount)
    locked.refresh_from_db()
    audit.record(
        "funds.release",
        actor=actor,
        target=locked,
        data={
            "account": locked.account_id,
            "amount": amount,
            "reason": reason,
            "remaining": locked.remaining,
        },
    )
    for name in ("remaining", "paid", "released"):
        setattr(reservation, name, getattr(locked, name))
    return locked


@transaction.atomic
def pay_from_reservation(
    *,
    actor: User | None,
    reservation: Reservation,
    to_account: Account,
    amount: int,
    ref: str,
    memo: str = "",
) -> Transfer:
    """Pay an instalment: moves `amount` from the reservation's budget to `to_account`, lowering the reservation's
    remainder and the budget's reserved money with the balance. `ref` is unique (e.g.
    "agreement:12/instalment:3"); paying the same ref twice raises DuplicateRef. InsufficientFunds when the
    reservation's remainder is short. Actor: the department's finance (Cap.PAY_INSTALMENTS)."""
    amount = _amount(amount)
    ref = _text(ref, "ref", required=True)
    memo = _text(memo, "memo", required=False)
    locked = _locked_reservation(reservation.pk)
    budget = locked.account
    _payee(to_account, budget)
    if locked.payee_id is not None and locked.payee_id != to_account.pk:
        raise ValidationFailed(
            "该预留只能支付给指定的收款账户 / this reservation pays only its named payee",
            fields={"to_account": "invalid"},
        )
    _allow(actor, permissions.can_pay_from_reservation, locked)
    _refuse_duplicate_ref(ref)
    _lock(budget, to_account)
    rows = Reservation.objects.filter(pk=locked.pk, remaining__gte=amount).update(
        remaining=F("remaining") - amount, paid=F("paid") + amount
    )
    if rows != 1:
        raise InsufficientFunds(
            "支付金额超过预留余额 / the payment exceeds what remains of the reservation",
            fields={"amount": "insufficient"},
        )
    transfer = _book(
        actor=actor,
        kind=Transfer.Kind.PAYMENT,
        payer=budget,
        payee=to_account,
        amount=amount,
        ref=ref,
        memo=memo,
        reservation=locked,
        from_reserved=True,
    )
    locked.refresh_from_db()
    for name in ("remaining", "paid", "released"):
        setattr(reservation, name, getattr(locked, name))
    audit.record(
        "funds.pay",
        actor=actor,
        target=transfer,
        data={
            "from": budget.pk,
            "to": to_account.pk,
            "amount": amount,
            "yuan": yuan(amount),
            "ref": ref,
            "reservation": locked.pk,
        },
    )
    return transfer


@transaction.atomic
def pay(
    *, actor: User | None, from_account: Account, to_account: Account, amount: int, ref: str, memo: str = ""
) -> Transfer:
    """A payment out of an account's available (unreserved) money, e.g. a property subsidy into a committee's
    escrow. Actor: the paying organization's finance (budget) or director (Cap.SIGN_AGREEMENTS: community and
    escrow accounts) or service staff (Cap.TAKE_SERVICES: service accounts)."""
    amount = _amount(amount)
    ref = _text(ref, "ref", required=True)
    memo = _text(memo, "memo", required=False)
    if from_account.kind == Account.Kind.SOURCE:
        raise ValidationFailed(
            "不能从拨款来源直接支付 / pay from an account, not the source", fields={"from": "invalid"}
        )
    _payee(to_account, from_account)
    _allow(actor, permissions.can_pay_from, from_account)
    _refuse_duplicate_ref(ref)
    _lock(from_account, to_account)
    transfer = _book(
        actor=actor,
        kind=Transfer.Kind.PAYMENT,
        payer=from_account,
        payee=to_account,
        amount=amount,
        ref=ref,
        memo=memo,
    )
    audit.record(
        "funds.pay",
        actor=actor,
        target=transfer,
        data={
            "from": from_account.pk,
            "to": to_account.pk,
            "amount": amount,
            "yuan": yuan(amount),
            "ref": ref,
        },
    )
    return transfer


@transaction.atomic
def reverse_transfer(*, actor: User | None, transfer: Transfer, reason: str) -> Transfer:
    """Correct a transfer by a reversing one (the entries stay): the money goes back from the payee, which must
    still have it available. A reversed payment from a reservation goes back into that reservation. A transfer is
    reversed at most once; a reversal is not itself reversed. Actor: the finance of the department whose budget
    the transfer touched (for other payers: whoever may pay from the paying account)."""
    reason = _text(reason, "reason", required=True)
    original = Transfer.objects.select_related("from_account", "to_account").get(pk=transfer.pk)
    if original.kind == Transfer.Kind.REVERSAL:
        raise Conflict("冲正记录不能再冲正 / a reversal is not reversed", code="is_reversal")
    _allow(actor, permissions.can_reverse, original)
    if Transfer.objects.filter(reverses=original).exists():
        raise Conflict("该笔转账已冲正 / this transfer was already reversed", code="already_reversed")
    reservation = _locked_reservation(original.reservation_id) if original.reservation_id else None
    _lock(original.from_account, original.to_account)
    if reservation is not None:
        Reservation.objects.filter(pk=reservation.pk).update(
            remaining=F("remaining") + original.amount, paid=F("paid") - original.amount
        )
    reversal = _book(
        actor=actor,
        kind=Transfer.Kind.REVERSAL,
        payer=original.to_account,
        payee=original.from_account,
        amount=original.amount,
        memo=f"冲正 #{original.pk}:{reason}"[:200],
        reservation=reservation,
        reverses=original,
        to_reserved=reservation is not None,
    )
    audit.record(
        "funds.reverse",
        actor=actor,
        target=reversal,
        data={"reverses": original.pk, "amount": original.amount, "reason": reason},
    )
    return reversal
