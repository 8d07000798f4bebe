"""Reads of the funds ledger: an account's statement, the totals an overseer sees, and the ledger verification that
`gongzhi verify_ledger` runs (balances recomputed from the entries, every entry's HMAC-SM3 and its chain)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum

from gongzhi.core import crypto
from gongzhi.funds.models import GENESIS_MAC, Account, Entry, Reservation, Transfer, entry_canonical, yuan

# --- statements ---------------------------------------------------------------------------------------------


def statement(account: Account) -> QuerySet[Entry]:
    """The account's entries, newest first, with their transfer and both of its accounts."""
    return (
        Entry.objects.filter(account=account)
        .select_related("transfer", "transfer__from_account", "transfer__to_account")
        .order_by("-seq")
    )


def counterparty(entry: Entry) -> Account:
    transfer = entry.transfer
    return transfer.to_account if transfer.from_account_id == entry.account_id else transfer.from_account


def open_reservations(account: Account) -> QuerySet[Reservation]:
    return account.reservations.filter(remaining__gt=0).select_related("payee").order_by("created_at", "pk")


def budget_for(organization_id: int, year: int) -> Account | None:
    """A department's budget account of a year, if opened."""
    return Account.objects.filter(
        organization_id=organization_id, kind=Account.Kind.BUDGET, year=year
    ).first()


def account_of(organization_id: int, kind: str) -> Account | None:
    """An organization's (non-budget) account of `kind`, if opened."""
    return Account.objects.filter(organization_id=organization_id, kind=kind, year__isnull=True).first()


# --- totals -------------------------------------------------------------------------------------------------


@dataclass
class AccountRow:
    account: Account
    money_in: int
    money_out: int

    @property
    def money_in_yuan(self) -> str:
        return yuan(self.money_in)

    @property
    def money_out_yuan(self) -> str:
        return yuan(self.money_out)


@dataclass
class KindTotal:
    kind: str
    label: str
    accounts: int = 0
    balance: int = 0
    reserved: int = 0
    money_in: int = 0
    money_out: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    def yuan(self, name: str) -> str:
        return yuan(int(getattr(self, name)))

    @property
    def balance_yuan(self) -> str:
        return yuan(self.balance)

    @property
    def reserved_yuan(self) -> str:
        return yuan(self.reserved)

    @property
    def available_yuan(self) -> str:
        return yuan(self.available)

    @property
    def money_in_yuan(self) -> str:
        return yuan(self.money_in)

    @property
    def money_out_yuan(self) -> str:
        return yuan(self.money_out)


@dataclass
class Totals:
    rows: list[AccountRow]
    kinds: list[KindTotal] = field(default_factory=list)


def account_rows(accounts: QuerySet[Account]) -> list[AccountRow]:
    """Each account with the money that came in and went out (from its entries)."""
    flows = accounts.annotate(
        money_in=Sum("entries__amount", filter=Q(entries__amount__gt=0), default=0),
        money_out=Sum("entries__amount", filter=Q(entries__amount__lt=0), default=0),
    ).select_related("organization", "region")
    return [AccountRow(a, int(a.money_in), -int(a.money_out)) for a in flows]


def totals(accounts: QuerySet[Account], *, year: int | None = None) -> Totals:
    """Totals by kind over the given accounts (the source excluded); `year` limits the budgets to one year."""
    accounts = accounts.exclude(kind=Account.Kind.SOURCE)
    if year is not None:
        accounts = accounts.filter(Q(year=year) | Q(year__isnull=True))
    rows = account_rows(accounts.order_by("kind", "region__code", "name", "pk"))
    by_kind: dict[str, KindTotal] = {}
    for kind in Account.Kind:
        if kind != Account.Kind.SOURCE:
            by_kind[kind.value] = KindTotal(kind.value, str(kind.label))
    for row in rows:
        total = by_kind[row.account.kind]
        total.accounts += 1
        total.balance += row.account.balance
        total.reserved += row.account.reserved
        total.money_in += row.money_in
        total.money_out += row.money_out
    return Totals(rows=rows, kinds=list(by_kind.values()))


# --- verification -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    what: str
    entry_id: int | None = None
    account_id: int | None = None
    transfer_id: int | None = None
    reservation_id: int | None = None

    def describe(self) -> str:
        where = [
            f"{label}={value}"
            for label, value in (
                ("entry", self.entry_id),
                ("account", self.account_id),
                ("transfer", self.transfer_id),
                ("reservation", self.reservation_id),
            )
            if value is not None
        ]
        return f"{' '.join(where)}: {self.what}"


@dataclass
class Verification:
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    reservations: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _verify_account(account: Account, report: Verification) -> None:
    running = 0
    prev = GENESIS_MAC
    expected_seq = 1
    entries: Iterable[Entry] = (
        Entry.objects.filter(account=account)
        .select_related("transfer")
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    for entry in entries:
        report.entries += 1
        here = {"entry_id": entry.pk, "account_id": account.pk, "transfer_id": entry.transfer_id}
        if entry.seq != expected_seq:
            report.problems.append(Problem(f"sequence jumps from {expected_seq - 1} to {entry.seq}", **here))
            expected_seq = entry.seq
        if entry.prev_mac != prev:
            report.problems.append(Problem("does not chain to the previous entry of its account", **here))
        if not crypto.verify_mac("ledger", entry_canonical(entry, entry.transfer), entry.mac):
            report.problems.append(
                Problem(
                    f"amount {entry.amount}, balance {entry.balance_after} or its transfer do not match the "
                    "entry's MAC (changed in the database)",
                    **here,
                )
            )
        running += entry.amount
        if entry.balance_after != running:
            report.problems.append(
                Problem(
                    f"balance after is {entry.balance_after}, the entries up to it sum to {running}", **here
                )
            )
        if account.kind != Account.Kind.SOURCE and running < 0:
            report.problems.append(Problem("the account goes below zero here", **here))
        prev = entry.mac
        expected_seq += 1
    if running != account.balance:
        report.problems.append(
            Problem(f"balance is {account.balance}, its entries sum to {running}", account_id=account.pk)
        )
    if account.entry_count != expected_seq - 1:
        report.problems.append(
            Problem(f"entry count is {account.entry_count}, found {expected_seq - 1}", account_id=account.pk)
        )
    if not 0 <= account.reserved <= max(account.balance, 0) and account.kind != Account.Kind.SOURCE:
        report.problems.append(
            Problem(
                f"reserved {account.reserved} is outside 0…balance {account.balance}", account_id=account.pk
            )
        )


def _verify_transfers(report: Verification) -> None:
    legs: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for entry_id, transfer_id, account_id, amount in Entry.objects.values_list(
        "pk", "transfer_id", "account_id", "amount"
    ).iterator(chunk_size=5000):
        legs[transfer_id].append((entry_id, account_id, amount))
    for transfer in Transfer.objects.order_by("pk").iterator(chunk_size=2000):
        report.transfers += 1
        found = legs.pop(transfer.pk, [])
        expected = {transfer.from_account_id: -transfer.amount, transfer.to_account_id: transfer.amount}
        seen = {account_id: (entry_id, amount) for entry_id, account_id, amount in found}
        if len(found) != 2 or set(seen) != set(expected):
            report.problems.append(
                Problem(
                    f"has {len(found)} entries, expected one on each of its two accounts",
                    transfer_id=transfer.pk,
                )
            )
            continue
        for account_id, (entry_id, amount) in seen.items():
            if amount != expected[account_id]:
                report.problems.append(
                    Problem(
                        f"amount {amount} does not match its transfer ({expected[account_id]})",
                        entry_id=entry_id,
                        account_id=account_id,
                        transfer_id=transfer.pk,
                    )
                )


def _verify_reservations(report: Verification) -> None:
    paid: dict[int, int] = defaultdict(int)
    for reservation_id, kind, amount in Transfer.objects.filter(reservation__isnull=False).values_list(
        "reservation_id", "kind", "amount"
    ):
        paid[reservation_id] += -amount if kind == Transfer.Kind.REVERSAL else amount
    reserved: dict[int, int] = defaultdict(int)
    for r in Reservation.objects.order_by("pk").iterator(chunk_size=2000):
        report.reservations += 1
        reserved[r.account_id] += r.remaining
        if r.amount != r.remaining + r.paid + r.released or min(r.remaining, r.paid, r.released) < 0:
            report.problems.append(Problem("amount ≠ remaining + paid + released", reservation_id=r.pk))
        if r.paid != paid.get(r.pk, 0):
            report.problems.append(
                Problem(f"paid is {r.paid}, its transfers sum to {paid.get(r.pk, 0)}", reservation_id=r.pk)
            )
    for account_id, held in Account.objects.values_list("pk", "reserved"):
        if held != reserved.get(account_id, 0):
            report.problems.append(
                Problem(
                    f"reserved is {held}, its open reservations sum to {reserved.get(account_id, 0)}",
                    account_id=account_id,
                )
            )


def verify_ledger() -> Verification:
    """Recompute every balance from the entries and check every MAC, chain, transfer and reservation."""
    report = Verification()
    total = 0
    for account in Account.objects.order_by("pk").iterator(chunk_size=500):
        report.accounts += 1
        _verify_account(account, report)
        total += account.balance
    if total != 0:
        report.problems.append(Problem(f"the balances of all accounts sum to {total}, not 0 (double entry)"))
    _verify_transfers(report)
    _verify_reservations(report)
    return report
