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

from gongzhi.core.errors import Conflict
from gongzhi.core.models import User
from gongzhi.funds.models import Account, Reservation, Transfer
from gongzhi.orgs.models import Organization


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class DuplicateRef(Conflict):
    code = "duplicate_ref"


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
    raise NotImplementedError("being written")


def fund_budget(*, actor: User | None, account: Account, amount: int, memo: str, ref: str = "") -> Transfer:
    """Record money appropriated to a department's budget (or escrow): a FUNDING transfer from the city's
    appropriation source (opened on first use). Actor: the department's finance (Cap.PAY_INSTALMENTS)."""
    raise NotImplementedError("being written")


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
    raise NotImplementedError("being written")


def release(
    *, actor: User | None, reservation: Reservation, reason: str, amount: int | None = None
) -> Reservation:
    """Give back `amount` (default: all that remains) of a reservation to the budget's available money
    (an agreement terminated or settled below its amount). Same actors as reserve()."""
    raise NotImplementedError("being written")


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
    raise NotImplementedError("being written")


def pay(
    *, actor: User | None, from_account: Account, to_account: Account, amount: int, ref: str, memo: str = ""
) -> Transfer:
    """A payment out of an account's available (unreserved) money, e.g. a property subsidy into a committee's
    escrow. Actor: the paying organization's finance (budget) or director (Cap.SIGN_AGREEMENTS: community and
    escrow accounts) or service staff (Cap.TAKE_SERVICES: service accounts)."""
    raise NotImplementedError("being written")


def reverse_transfer(*, actor: User | None, transfer: Transfer, reason: str) -> Transfer:
    """Correct a transfer by a reversing one (the entries stay): the money goes back from the payee, which must
    still have it available. A reversed payment from a reservation goes back into that reservation. A transfer is
    reversed at most once; a reversal is not itself reversed. Actor: the finance of the department whose budget
    the transfer touched."""
    raise NotImplementedError("being written")
