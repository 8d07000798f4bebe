"""Money under concurrency (security.md RL-3): 20 threads race for a budget (or a reservation) that covers 10
payments; exactly 10 succeed, the rest are refused as insufficient, nothing goes below zero and the ledger
verifies. Each thread uses its own database connection and closes it at the end. Runs on SQLite (BEGIN
IMMEDIATE serializes writers) and on PostgreSQL (the conditional UPDATE row-locks the account):
`bash scripts/test-postgres.sh gongzhi/funds`.

The SQLite test database lives in memory with a shared cache, where a second writer gets SQLITE_LOCKED ("database
table is locked") at once instead of waiting out the busy timeout as it does on the database file in production;
`attempt()` retries exactly that error, which is what the busy handler does. PostgreSQL never raises it."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection

from gongzhi.funds import services
from gongzhi.funds.models import Account, Reservation, Transfer
from gongzhi.funds.queries import verify_ledger

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
COVERED = 10
PRICE = 1_000  # fen


def attempt(work: Callable[[int], object], i: int) -> None:
    """work(i), retried while the in-memory SQLite's shared cache is locked by another writer."""
    deadline = time.monotonic() + 60
    while True:
        try:
            work(i)
            return
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def race(work: Callable[[int], object]) -> Counter[str]:
    """Run work(0…19) in 20 threads released together; count the outcomes."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            attempt(work, i)
            outcome = "ok"
        except services.InsufficientFunds:
            outcome = "insufficient"
        except Exception as exc:  # anything else is a failure the assertion shows
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(outcomes)


@pytest.fixture
def small_budget(city, dept_finance) -> Account:
    budget = services.ensure_account(actor=dept_finance, organization=city.dept, kind="budget", year=2026)
    services.fund_budget(actor=dept_finance, account=budget, amount=COVERED * PRICE, memo="只够10笔")
    return budget


def test_twenty_concurrent_debits_against_a_budget_for_ten(small_budget, community_account, dept_finance):
    outcomes = race(
        lambda i: services.pay(
            actor=dept_finance,
            from_account=small_budget,
            to_account=community_account,
            amount=PRICE,
            ref=f"race:{i}",
        )
    )
    assert outcomes == Counter({"ok": COVERED, "insufficient": THREADS - COVERED})
    small_budget.refresh_from_db()
    community_account.refresh_from_db()
    assert small_budget.balance == 0
    assert community_account.balance == COVERED * PRICE
    assert Transfer.objects.filter(kind="payment").count() == COVERED
    assert verify_ledger().ok


def test_twenty_concurrent_instalments_against_a_reservation_for_ten(
    small_budget, community_account, dept_finance
):
    reservation = services.reserve(
        actor=dept_finance,
        account=small_budget,
        amount=COVERED * PRICE,
        ref="agreement:1/v1",
        payee=community_account,
    )
    outcomes = race(
        lambda i: services.pay_from_reservation(
            actor=dept_finance,
            reservation=reservation,
            to_account=community_account,
            amount=PRICE,
            ref=f"agreement:1/instalment:{i}",
        )
    )
    assert outcomes == Counter({"ok": COVERED, "insufficient": THREADS - COVERED})
    reservation.refresh_from_db()
    small_budget.refresh_from_db()
    assert (reservation.remaining, reservation.paid) == (0, COVERED * PRICE)
    assert (small_budget.balance, small_budget.reserved) == (0, 0)
    assert verify_ledger().ok


def test_twenty_concurrent_reservations_against_a_budget_for_ten(small_budget, dept_finance):
    outcomes = race(
        lambda i: services.reserve(
            actor=dept_finance, account=small_budget, amount=PRICE, ref=f"agreement:{i}/v1"
        )
    )
    assert outcomes == Counter({"ok": COVERED, "insufficient": THREADS - COVERED})
    small_budget.refresh_from_db()
    assert small_budget.reserved == small_budget.balance == COVERED * PRICE
    assert Reservation.objects.count() == COVERED
    assert verify_ledger().ok
