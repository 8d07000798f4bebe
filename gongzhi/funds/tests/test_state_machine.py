"""A Hypothesis state machine over the ledger (security.md TM-3, RL-4).

Random sequences of funding, reserving, releasing, paying from reservations, paying directly and reversing, by
the right people and by the wrong ones, with amounts that often do not fit. A plain-Python model of every
account predicts which operations must succeed. After every step:
- each balance equals the sum of its entries and the model's balance; the balances of all accounts sum to zero;
- no account but the appropriation source is below zero, and 0 ≤ reserved ≤ balance;
- a budget's reserved money is the sum of its reservations' remainders, and amount = remaining + paid + released;
- every successful operation wrote exactly one audit entry, and a refused one wrote nothing and moved nothing;
- `verify_ledger` finds nothing wrong.
Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conftest import make_user
from gongzhi.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.core.roles import Role
from gongzhi.funds import services
from gongzhi.funds.models import Account, Entry, Reservation, Transfer
from gongzhi.funds.queries import verify_ledger

AMOUNTS = st.integers(min_value=1, max_value=6_000)


def _first(*cases: tuple[bool, type[DomainError]]) -> type[DomainError] | None:
    """The refusal of the first failing check, in the order the service checks them; None: it must succeed."""
    return next((error for failing, error in cases if failing), None)


def funds_audits() -> int:
    return AuditEntry.objects.filter(action__startswith="funds.").exclude(action="funds.account.open").count()


@pytest.mark.django_db
def test_ledger_state_machine(city, dept_finance, dept_clerk, community_director):
    other_finance = make_user("other-finance", city.other_dept, Role.DEPT_FINANCE)
    head = make_user("head", city.dept, Role.DEPT_HEAD)
    budgets = [
        services.ensure_account(actor=None, organization=city.dept, kind="budget", year=2026),
        services.ensure_account(actor=None, organization=city.other_dept, kind="budget", year=2026),
    ]
    payees = [
        services.ensure_account(actor=None, organization=city.committee, kind="community"),
        services.ensure_account(actor=None, organization=city.other_committee, kind="community"),
        services.ensure_account(actor=None, organization=city.committee, kind="escrow"),
    ]
    finance_of = {budgets[0].pk: dept_finance, budgets[1].pk: other_finance}
    # people who may not move this money: the department's clerk, a community director, the other finance
    people = [dept_finance, other_finance, head, dept_clerk, community_director]
    # the appropriation source exists before the first example (its opening is not a step)
    services.fund_budget(actor=dept_finance, account=budgets[0], amount=1, memo="开户")
    services.reverse_transfer(actor=dept_finance, transfer=Transfer.objects.get(), reason="开户")

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.accounts = {a.pk: a for a in [*budgets, *payees, Account.objects.get(kind="source")]}
            self.balance = {pk: a.balance for pk, a in Account.objects.in_bulk(list(self.accounts)).items()}
            self.reserved = dict.fromkeys(self.accounts, 0)
            self.reservations: list[int] = []
            self.remaining: dict[int, int] = {}
            self.transfers: list[int] = []
            self.reversed: set[int] = set()
            self.audits = funds_audits()
            self.source = next(pk for pk, a in self.accounts.items() if a.kind == "source")

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        # --- helpers ---

        def _try(self, expect: type[DomainError] | None, call: Any) -> Any:
            """Run a service call. `expect` None: the model says it must succeed (and be audited once); else the
            refusal it must meet, which changes nothing."""
            before = (Entry.objects.count(), Reservation.objects.count(), funds_audits())
            refusal: DomainError | None = None
            try:
                result = call()
            except DomainError as exc:
                refusal = exc
            if refusal is not None:
                assert expect is not None, f"refused although the model allows it: {refusal.message}"
                assert isinstance(refusal, expect), (expect, refusal.message)
                assert (Entry.objects.count(), Reservation.objects.count(), funds_audits()) == before
                return None
            assert expect is None, f"succeeded although the model expects {expect.__name__}"
            self.audits += 1
            return result

        def _available(self, pk: int) -> int:
            return self.balance[pk] - self.reserved[pk]

        def _move(self, payer: int, payee: int, amount: int) -> None:
            self.balance[payer] -= amount
            self.balance[payee] += amount

        # --- rules ---

        @rule(b=st.integers(0, 1), amount=AMOUNTS, who=st.integers(0, len(people) - 1))
        def fund(self, b: int, amount: int, who: int) -> None:
            budget, actor = budgets[b], people[who]
            expect = None if actor == finance_of[budget.pk] else PermissionDenied
            t = self._try(
                expect, lambda: services.fund_budget(actor=actor, account=budget, amount=amount, memo="下达")
            )
            if t is not None:
                self._move(self.source, budget.pk, amount)
                self.transfers.append(t.pk)

        @rule(
            b=st.integers(0, 1), amount=AMOUNTS, payee=st.integers(-1, 2), who=st.integers(0, len(people) - 1)
        )
        def reserve(self, b: int, amount: int, payee: int, who: int) -> None:
            budget, actor = budgets[b], people[who]
            allowed = actor == finance_of[budget.pk] or (actor == head and b == 0)
            expect = _first(
                (not allowed, PermissionDenied),
                (amount > self._available(budget.pk), services.InsufficientFunds),
            )
            r = self._try(
                expect,
                lambda: services.reserve(
                    actor=actor,
                    account=budget,
                    amount=amount,
                    ref=f"agreement:{len(self.reservations)}",
                    payee=payees[payee] if payee >= 0 else None,
                ),
            )
            if r is not None:
                self.reserved[budget.pk] += amount
                self.reservations.append(r.pk)
                self.remaining[r.pk] = amount

        @precondition(lambda self: self.reservations)
        @rule(i=st.integers(0, 99), amount=st.none() | AMOUNTS, who=st.integers(0, len(people) - 1))
        def release(self, i: int, amount: int | None, who: int) -> None:
            r = Reservation.objects.get(pk=self.reservations[i % len(self.reservations)])
            actor = people[who]
            allowed = actor == finance_of[r.account_id] or (actor == head and r.account_id == budgets[0].pk)
            take = self.remaining[r.pk] if amount is None else amount
            expect = _first((not allowed, PermissionDenied), (not 0 < take <= self.remaining[r.pk], Conflict))
            done = self._try(
                expect, lambda: services.release(actor=actor, reservation=r, amount=amount, reason="变更")
            )
            if done is not None:
                self.remaining[r.pk] -= take
                self.reserved[r.account_id] -= take

        @precondition(lambda self: self.reservations)
        @rule(i=st.integers(0, 99), to=st.integers(0, 2), amount=AMOUNTS, who=st.integers(0, len(people) - 1))
        def pay_instalment(self, i: int, to: int, amount: int, who: int) -> None:
            r = Reservation.objects.get(pk=self.reservations[i % len(self.reservations)])
            actor, payee = people[who], payees[to]
            expect = _first(
                (r.payee_id is not None and r.payee_id != payee.pk, ValidationFailed),
                (actor != finance_of[r.account_id], PermissionDenied),
                (amount > self.remaining[r.pk], services.InsufficientFunds),
            )
            t = self._try(
                expect,
                lambda: services.pay_from_reservation(
                    actor=actor,
                    reservation=r,
                    to_account=payee,
                    amount=amount,
                    ref=f"instalment:{len(self.transfers)}",
                ),
            )
            if t is not None:
                self.remaining[r.pk] -= amount
                self.reserved[r.account_id] -= amount
                self._move(r.account_id, payee.pk, amount)
                self.transfers.append(t.pk)

        @rule(
            frm=st.integers(0, 4), to=st.integers(0, 2), amount=AMOUNTS, who=st.integers(0, len(people) - 1)
        )
        def pay(self, frm: int, to: int, amount: int, who: int) -> None:
            payer = [*budgets, *payees][frm]
            payee, actor = payees[to], people[who]
            if payer.kind == "budget":
                allowed = actor == finance_of[payer.pk]
            else:  # the committee's director pays from the committee's accounts
                allowed = actor == community_director and payer.organization_id == city.committee.pk
            expect = _first(
                (payer.pk == payee.pk, ValidationFailed),
                (not allowed, PermissionDenied),
                (amount > self._available(payer.pk), services.InsufficientFunds),
            )
            t = self._try(
                expect,
                lambda: services.pay(
                    actor=actor,
                    from_account=payer,
                    to_account=payee,
                    amount=amount,
                    ref=f"pay:{len(self.transfers)}:{frm}",
                ),
            )
            if t is not None:
                self._move(payer.pk, payee.pk, amount)
                self.transfers.append(t.pk)

        @precondition(lambda self: self.transfers)
        @rule(i=st.integers(0, 99), who=st.integers(0, len(people) - 1))
        def reverse(self, i: int, who: int) -> None:
            t = Transfer.objects.select_related("from_account", "to_account").get(
                pk=self.transfers[i % len(self.transfers)]
            )
            actor = people[who]
            payer = t.to_account if t.from_account.kind == "source" else t.from_account
            if payer.kind == "budget":
                allowed = actor == finance_of[payer.pk]
            else:
                allowed = actor == community_director and payer.organization_id == city.committee.pk
            expect = _first(
                (not allowed, PermissionDenied),
                (t.pk in self.reversed, Conflict),
                (t.amount > self._available(t.to_account_id), services.InsufficientFunds),
            )
            rev = self._try(expect, lambda: services.reverse_transfer(actor=actor, transfer=t, reason="更正"))
            if rev is not None:
                self.reversed.add(t.pk)
                self._move(t.to_account_id, t.from_account_id, t.amount)
                if t.reservation_id is not None:
                    self.remaining[t.reservation_id] += t.amount
                    self.reserved[t.from_account_id] += t.amount

        # --- invariants ---

        @invariant()
        def balances_are_the_sum_of_entries_and_the_model(self) -> None:
            sums = dict(
                Entry.objects.values("account_id").annotate(s=Sum("amount")).values_list("account_id", "s")
            )
            rows = Account.objects.in_bulk(list(self.accounts))
            for pk, account in rows.items():
                assert account.balance == sums.get(pk, 0) == self.balance[pk], account.name
                assert account.reserved == self.reserved[pk], account.name
                if account.kind != "source":
                    assert 0 <= account.reserved <= account.balance, account.name
            assert sum(a.balance for a in Account.objects.all()) == 0

        @invariant()
        def reservations_add_up(self) -> None:
            for r in Reservation.objects.filter(pk__in=self.reservations):
                assert r.amount == r.remaining + r.paid + r.released
                assert r.remaining == self.remaining[r.pk]

        @invariant()
        def every_operation_is_audited_once(self) -> None:
            assert funds_audits() == self.audits

        @invariant()
        def the_ledger_verifies(self) -> None:
            report = verify_ledger()
            assert report.ok, [p.describe() for p in report.problems]

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
