"""A Hypothesis state machine over agreements and their money (issue 5).

Two agreements of 民政局 (with 铜霞 and with 狮子山) share one year's budget. Random sequences of drafting, adding
admitted tasks, changing amounts and the schedule, sending, taking back, both signatures (with stale digests),
reserving the budget, paying instalments (in part, in full, too much), settling the final instalment from the
evaluation, amendments (started, withdrawn, signed and put in force), termination with a settlement, completion,
completion reports and their review — by the right
people and by the wrong ones. A plain-Python model of each agreement predicts which calls must succeed and which
refusal each meets (the final instalment of an agreement in force is held for the evaluation when its schedule pays
it after the year's end: paying it is refused, only the settlement pays it); a refused call writes nothing. After
every step:
- the ledger verifies: every balance is the sum of its entries, no account but the source is below zero, the
  budget's available money is the model's;
- each agreement's status, open version, terms in force, instalments and completion reports are the model's, and
  every status change recorded went along the TRANSITIONS table;
- paid ≤ agreed for every agreement and every instalment (and payments add up to what was paid);
- the money promised and not yet paid is exactly what its reservations hold (an active agreement is fully
  reserved: reserved + paid + what settlements gave back = its total in force; a terminated one holds its
  settlement);
- every successful call wrote exactly the agreements audit entries expected of it, and a refused one none.
Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conftest import make_user
from gongzhi.agreements import canonical, services
from gongzhi.agreements.models import (
    Agreement,
    AgreementTask,
    Completion,
    Instalment,
    Payment,
    Signature,
    Version,
    VersionItem,
)
from gongzhi.agreements.tests.conftest import MEETING, STANDARD, YEAR, admit
from gongzhi.core.errors import Conflict, DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry, Notification
from gongzhi.core.roles import Role
from gongzhi.funds import services as funds
from gongzhi.funds.models import Account, Entry, Reservation
from gongzhi.funds.queries import verify_ledger

S = Agreement.Status
V = Version.Status
ONE_PAYMENT = [{"label": "一次付清", "percent": 100, "anchor": "signing", "days": 10}]
SCHEDULES = [canonical.DEFAULT_SCHEDULE, ONE_PAYMENT]
WHO = ["clerk", "head", "finance", "director", "staff", "outsider", "other_head", "other_finance"]
# "ok": the person whose job it is; otherwise anyone (often the wrong one)
who = st.sampled_from(["ok"] * 5 + WHO)
anyone = st.sampled_from(["ok", *WHO])  # for the calls that end an agreement: seldom the right one
slot = st.integers(0, 1)
rarely = st.sampled_from([False, False, False, True])


# a refused call writes none of these
WRITTEN = [
    AuditEntry,
    Entry,
    Reservation,
    Agreement,
    Version,
    VersionItem,
    AgreementTask,
    Signature,
    Instalment,
    Payment,
    Completion,
    Notification,
]
FOOTPRINT = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {m._meta.db_table})" for m in WRITTEN)


def _first(*cases: tuple[bool, type[DomainError]]) -> type[DomainError] | None:
    """The refusal of the first failing check, in the order the service checks them; None: it must succeed."""
    return next((error for failing, error in cases if failing), None)


def _reachable(frm: str, to: str) -> bool:
    seen, todo = {frm}, [frm]
    while todo:
        for nxt in Agreement.TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return to in seen


@dataclass
class Model:
    """What one agreement should be."""

    community: Any
    director: str  # who signs for its committee
    staff: set[str]  # who may report completion
    admitted: dict[int, int] = field(default_factory=dict)  # admitted task → its standard amount
    pk: int = 0  # both agreements are drafted first
    status: str | None = None
    versions: int = 0
    open_no: int | None = None
    open_status: str | None = None
    reserved: int = 0  # what the open version reserved
    draft: dict[int, int] = field(default_factory=dict)  # agreement task → amount in the open version
    standard: dict[int, int] = field(default_factory=dict)  # agreement task → its floor
    schedule: list[dict[str, Any]] = field(default_factory=list)  # the open version's
    effective: dict[int, int] = field(default_factory=dict)  # agreement task → amount in force
    effective_no: int | None = None
    effective_schedule: list[dict[str, Any]] = field(default_factory=list)
    task_of: dict[int, int] = field(default_factory=dict)  # admitted task → agreement task
    instalments: dict[int, list[int]] = field(default_factory=dict)  # pk → [amount, paid]
    completions: dict[int, tuple[int, str]] = field(default_factory=dict)  # task → (completion pk, status)
    settlement: int | None = None
    final_anchor: str | None = None  # the anchor of the schedule row the final instalment comes from
    settled: set[int] = field(default_factory=set)  # instalments settled from the evaluation
    released: int = 0  # what settlements gave back to the budget

    @property
    def open_total(self) -> int:
        return sum(self.draft.values())

    @property
    def effective_total(self) -> int:
        return sum(self.effective.values())

    def eligible(self) -> set[int]:
        """Admitted tasks that need to be in the agreement and are in no live version of it."""
        live = {a for a, t in self.task_of.items() if t in self.draft or t in self.effective}
        return set(self.admitted) - live

    def held(self, pk: int) -> bool:
        """The final instalment (the last scheduled) of an agreement in force, not settled, that its schedule pays
        after the year's end, waits for the evaluation (TODAY is well within the hold)."""
        return (
            self.status == S.ACTIVE
            and pk == max(self.instalments, default=None)
            and pk not in self.settled
            and self.final_anchor == "year_end"
        )


@pytest.mark.django_db
def test_agreement_state_machine(
    city, tasks, list_item, dept_clerk, dept_head, dept_finance, community_director, community_staff, outsider
):
    other_head = make_user("otherhead", city.other_dept, Role.DEPT_HEAD)
    other_finance = make_user("otherfinance", city.other_dept, Role.DEPT_FINANCE)
    actors = {
        "clerk": dept_clerk,
        "head": dept_head,
        "finance": dept_finance,
        "director": community_director,  # signs for 铜霞
        "staff": community_staff,  # 铜霞's worker: reports, never signs
        "outsider": outsider,  # signs for 狮子山
        "other_head": other_head,
        "other_finance": other_finance,
    }
    far = admit(city, dept_clerk, "狮子山入户核查", community=city.shizishan, funding=300_000)
    budget = funds.ensure_account(actor=None, organization=city.dept, kind=Account.Kind.BUDGET, year=YEAR)
    standards = {tasks[0].pk: STANDARD, tasks[1].pk: 800_000}

    class Agreements(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.m = [
                Model(city.tongxia, "director", {"director", "staff"}, dict(standards)),
                Model(city.shizishan, "outsider", {"outsider"}, {far.pk: 300_000}),
            ]
            self.available = 0
            self.extra_tasks = 0
            self.audit_start = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            self.expected: Counter[str] = Counter()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        # --- helpers ---

        def _footprint(self) -> tuple[int, ...]:
            with connection.cursor() as cur:
                cur.execute(FOOTPRINT)
                return tuple(cur.fetchone())

        def _try(self, expect: type[DomainError] | None, call: Any, *audits: str) -> Any:
            """Run a service call. `expect` None: the model says it must succeed, writing `audits`; else the
            refusal it must meet, which writes nothing at all."""
            before = self._footprint()
            refusal: DomainError | None = None
            try:
                result = call()
            except DomainError as exc:
                refusal = exc
            if refusal is not None:
                assert expect is not None, f"refused although the model allows it: {refusal.message}"
                assert isinstance(refusal, expect), (expect.__name__, type(refusal).__name__, refusal.message)
                if expect is Conflict:
                    assert not isinstance(refusal, InvalidTransition), refusal.message
                assert self._footprint() == before, "a refused call wrote something"
                return None
            assert expect is None, f"succeeded although the model expects {expect.__name__}"
            self.expected.update(audits)
            return result

        def _agreement(self, m: Model) -> Agreement:
            return Agreement.objects.get(pk=m.pk)

        def _sync_open_items(self, m: Model, added: set[int]) -> None:
            """The open version now also holds the admitted tasks `added` at their standard amounts."""
            m.task_of = dict(
                AgreementTask.objects.filter(agreement_id=m.pk).values_list("admitted_task_id", "pk")
            )
            for a in added:
                m.draft[m.task_of[a]] = m.admitted[a]
                m.standard[m.task_of[a]] = m.admitted[a]

        def _activate(self, m: Model) -> list[str]:
            """The open version comes into force; its added amount is scheduled."""
            audits = ["agreements.version.effective"]
            if m.effective_no is not None:
                audits.append("agreements.version.supersede")
            else:
                audits.append("agreements.agreement.activate")
                m.status = S.ACTIVE
            delta = m.open_total - m.effective_total
            assert m.open_no is not None
            version = Version.objects.get(agreement_id=m.pk, number=m.open_no)
            new = list(Instalment.objects.filter(version=version))
            assert sum(i.amount_fen for i in new) == delta and all(i.paid_fen == 0 for i in new)
            assert len(new) <= len(m.schedule) and all(i.amount_fen > 0 for i in new)
            m.instalments.update({i.pk: [i.amount_fen, 0] for i in new})
            if new:  # the version's last schedule row always gets an amount: it is the final instalment
                m.final_anchor = m.schedule[-1]["anchor"]
            m.effective, m.effective_no, m.effective_schedule = dict(m.draft), m.open_no, m.schedule
            m.open_no = m.open_status = None
            m.draft, m.reserved = {}, 0
            return audits

        def _need(self, m: Model) -> int:
            previous = m.effective_total if m.effective_no is not None else 0
            return max(0, m.open_total - previous - m.reserved)

        def _release_open(self, m: Model) -> None:
            self.available += m.reserved
            m.reserved = 0

        # --- rules ---

        @initialize(amount=st.sampled_from([1_500_000, 2_300_000, 6_000_000]))
        def fund_and_draft(self, amount: int) -> None:
            funds.fund_budget(actor=None, account=budget, amount=amount, memo="年度预算下达")
            self.available = amount
            self.create(0, "clerk")
            self.create(1, "head")

        @rule(amount=st.sampled_from([500_000, 2_000_000]))
        def fund(self, amount: int) -> None:
            funds.fund_budget(actor=None, account=budget, amount=amount, memo="追加预算")
            self.available += amount

        @rule(s=slot, by=who)
        def create(self, s: int, by: str) -> None:
            m = self.m[s]
            by = "clerk" if by == "ok" else by
            expect = _first((by not in ("clerk", "head"), PermissionDenied), (m.pk != 0, Conflict))
            agreement = self._try(
                expect,
                lambda: services.create_agreement(
                    actor=actors[by], department=city.dept, community=m.community, year=YEAR
                ),
                "agreements.agreement.create",
            )
            if agreement is not None:
                m.pk, m.status, m.versions, m.open_no, m.open_status = agreement.pk, S.DRAFT, 1, 1, V.DRAFT
                m.schedule = list(canonical.DEFAULT_SCHEDULE)
                self._sync_open_items(m, m.eligible())

        @precondition(lambda self: self.extra_tasks < 3)
        @rule(s=slot, funding=st.sampled_from([0, 200_000, 500_000]))
        def admit_task(self, s: int, funding: int) -> None:
            """The admission mechanism admits another task for the community (rows, as it leaves them)."""
            m = self.m[s]
            self.extra_tasks += 1
            task = admit(
                city, dept_clerk, f"新准入事项{self.extra_tasks}", community=m.community, funding=funding
            )
            m.admitted[task.pk] = funding

        @rule(s=slot, by=who)
        def add_tasks(self, s: int, by: str) -> None:
            m = self.m[s]
            by = "head" if by == "ok" else by
            eligible = m.eligible() if m.status not in Agreement.FINAL else set()
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied),
                (m.open_status != V.DRAFT, InvalidTransition),
                (not eligible, ValidationFailed),
            )
            added = self._try(
                expect,
                lambda: services.add_admitted_tasks(actor=actors[by], agreement=self._agreement(m)),
                "agreements.agreement.add_tasks",
            )
            if added is not None:
                self._sync_open_items(m, eligible)

        @rule(s=slot, by=who, i=st.integers(0, 9), delta=st.sampled_from([-1, 0, 100_000, 250_000]))
        def update_item(self, s: int, by: str, i: int, delta: int) -> None:
            m = self.m[s]
            by = "clerk" if by == "ok" else by
            if not m.task_of:
                return
            task_pk = sorted(m.task_of.values())[i % len(m.task_of)]
            floor = m.standard.get(task_pk, 0)
            amount = floor + delta
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied),
                (m.open_status != V.DRAFT, InvalidTransition),
                (task_pk not in m.draft, ValidationFailed),
                (amount < floor, ValidationFailed),
                (
                    m.open_no is not None and m.open_no > 1 and amount < m.effective.get(task_pk, 0),
                    ValidationFailed,
                ),
            )
            item = self._try(
                expect,
                lambda: services.update_item(
                    actor=actors[by],
                    agreement=self._agreement(m),
                    task=AgreementTask.objects.get(pk=task_pk),
                    requirements="入户核查",
                    standards="全覆盖",
                    amount_fen=amount,
                ),
                "agreements.agreement.update_item",
            )
            if item is not None:
                m.draft[task_pk] = amount

        @rule(s=slot, by=who, which=st.integers(0, len(SCHEDULES) - 1))
        def update_schedule(self, s: int, by: str, which: int) -> None:
            m = self.m[s]
            by = "clerk" if by == "ok" else by
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied), (m.open_status != V.DRAFT, InvalidTransition)
            )
            schedule = [dict(r) for r in SCHEDULES[which]]
            changed = expect is None and schedule != m.schedule

            def call() -> Version:
                agreement = self._agreement(m)
                current = (
                    services.open_version(agreement) or Version.objects.filter(agreement=agreement).last()
                )
                assert current is not None
                data = services.TermsData.of(current)
                data.schedule = schedule
                return services.update_terms(actor=actors[by], agreement=agreement, data=data)

            version = self._try(expect, call, *(["agreements.agreement.update_terms"] if changed else []))
            if version is not None:
                m.schedule = schedule

        @rule(s=slot, by=who)
        def send(self, s: int, by: str) -> None:
            m = self.m[s]
            by = "clerk" if by == "ok" else by
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied),
                (m.open_status != V.DRAFT, InvalidTransition),
                (not m.draft, ValidationFailed),
                (bool(m.eligible()), ValidationFailed),
            )
            first = m.open_no == 1
            audits = ["agreements.version.send", *(["agreements.agreement.send"] if first else [])]
            version = self._try(
                expect,
                lambda: services.send_agreement(actor=actors[by], agreement=self._agreement(m)),
                *audits,
            )
            if version is not None:
                assert version.total_fen == m.open_total
                m.open_status = V.SENT
                if first:
                    m.status = S.SENT

        @rule(s=slot, by=who, blank=rarely)
        def reopen(self, s: int, by: str, blank: bool) -> None:
            m = self.m[s]
            by = m.director if by == "ok" else by
            expect = _first(
                (by not in ("clerk", "head", m.director), PermissionDenied),
                (blank, ValidationFailed),
                (m.open_status not in (V.SENT, V.DEPT_SIGNED), InvalidTransition),
            )
            first = m.open_no == 1
            audits = ["agreements.version.reopen", *(["agreements.agreement.reopen"] if first else [])]
            version = self._try(
                expect,
                lambda: services.reopen_agreement(
                    actor=actors[by], agreement=self._agreement(m), reason=" " if blank else "金额需调整"
                ),
                *audits,
            )
            if version is not None:
                m.open_status = V.DRAFT
                self._release_open(m)
                if first:
                    m.status = S.DRAFT

        def _digest(self, m: Model, stale: bool) -> str:
            if stale:
                return "0" * 64
            version = services.open_version(self._agreement(m))
            return version.digest if version is not None else ""

        @rule(s=slot, by=who, stale=rarely)
        def sign_for_department(self, s: int, by: str, stale: bool) -> None:
            m = self.m[s]
            by = "head" if by == "ok" else by
            expect = _first(
                (by != "head", PermissionDenied),
                (m.open_status != V.SENT, InvalidTransition),
                (stale, Conflict),
            )
            first = m.open_no == 1
            audits = ["agreements.version.dept_sign", *(["agreements.agreement.dept_sign"] if first else [])]
            digest = self._digest(m, stale)
            signature = self._try(
                expect,
                lambda: services.sign_for_department(
                    actor=actors[by], agreement=self._agreement(m), digest=digest
                ),
                *audits,
            )
            if signature is not None:
                m.open_status = V.DEPT_SIGNED
                if first:
                    m.status = S.DEPT_SIGNED

        @rule(s=slot, by=who, stale=rarely)
        def sign_for_party(self, s: int, by: str, stale: bool) -> None:
            m = self.m[s]
            by = m.director if by == "ok" else by
            expect = _first(
                (by != m.director, PermissionDenied),
                (m.open_status != V.DEPT_SIGNED, InvalidTransition),
                (stale, Conflict),
            )
            first = m.open_no == 1
            audits = [
                "agreements.version.party_sign",
                *(["agreements.agreement.party_sign"] if first else []),
            ]
            ready = expect is None and self._need(m) == 0
            digest = self._digest(m, stale)

            def call() -> Signature:
                return services.sign_for_party(
                    actor=actors[by],
                    agreement=self._agreement(m),
                    digest=digest,
                    meeting_date=MEETING,
                    minutes_no="居委会纪要〔2027〕1号",
                )

            if expect is not None:
                self._try(expect, call)
                return
            self._try(None, call, *audits)
            m.open_status = V.COMMUNITY_SIGNED
            if first:
                m.status = S.COMMUNITY_SIGNED
            if ready:
                self.expected.update(self._activate(m))

        @rule(s=slot, by=who)
        def reserve(self, s: int, by: str) -> None:
            m = self.m[s]
            by = "finance" if by == "ok" else by
            need = self._need(m)
            expect = _first(
                (by != "finance", PermissionDenied),
                (m.open_status not in (V.DEPT_SIGNED, V.COMMUNITY_SIGNED), InvalidTransition),
                (need <= 0, Conflict),
                (need > self.available, Conflict),  # insufficient funds
            )
            version = self._try(
                expect,
                lambda: services.reserve_funds(actor=actors[by], agreement=self._agreement(m)),
                "agreements.agreement.reserve",
            )
            if version is not None:
                m.reserved += need
                self.available -= need
                if m.open_status == V.COMMUNITY_SIGNED:
                    self.expected.update(self._activate(m))

        @rule(
            s=slot,
            by=who,
            i=st.integers(0, 9),
            how=st.sampled_from(["all", "part", "one", "too_much", "zero"]),
        )
        def pay(self, s: int, by: str, i: int, how: str) -> None:
            m = self.m[s]
            by = "finance" if by == "ok" else by
            if not m.instalments:
                return
            pk = sorted(m.instalments)[i % len(m.instalments)]
            amount, paid = m.instalments[pk]
            outstanding = amount - paid
            value = {
                "all": outstanding,
                "part": outstanding // 3,
                "one": 1,
                "too_much": outstanding + 1,
                "zero": 0,
            }[how]
            expect = _first(
                (by != "finance", PermissionDenied),
                (value <= 0, ValidationFailed),
                (m.status not in Agreement.PAYABLE, InvalidTransition),
                (m.held(pk), Conflict),  # the final instalment waits for the evaluation
                (value > outstanding, ValidationFailed),
            )
            payment = self._try(
                expect,
                lambda: services.pay_instalment(
                    actor=actors[by], instalment=Instalment.objects.get(pk=pk), amount_fen=value
                ),
                "agreements.instalment.pay",
            )
            if payment is not None:
                m.instalments[pk][1] += value

        @rule(s=slot, by=who, i=st.integers(0, 9), quarters=st.integers(0, 5))
        def settle(self, s: int, by: str, i: int, quarters: int) -> None:
            """The evaluation settles the final instalment at a share of it (5 quarters: too much)."""
            m = self.m[s]
            by = "finance" if by == "ok" else by
            if not m.instalments:
                return
            pk = sorted(m.instalments)[i % len(m.instalments)]
            amount, paid = m.instalments[pk]
            value = amount * quarters // 4 + (quarters > 4)
            expect = _first(
                (by != "finance", PermissionDenied),
                (m.status != S.ACTIVE, InvalidTransition),
                (m.open_no is not None, Conflict),
                (pk != max(m.instalments), ValidationFailed),
                (pk in m.settled, Conflict),
                (value > amount, ValidationFailed),
            )
            done = self._try(
                expect,
                lambda: services.settle_final_instalment(
                    actor=actors[by],
                    instalment=Instalment.objects.get(pk=pk),
                    settled_fen=value,
                    ref="evaluation:1",
                ),
                "agreements.instalment.settle",
            )
            if done is not None:
                target = max(value, paid)
                m.instalments[pk] = [target, target]
                m.settled.add(pk)
                m.released += amount - target
                self.available += amount - target

        @rule(s=slot, by=who, blank=rarely)
        def start_amendment(self, s: int, by: str, blank: bool) -> None:
            m = self.m[s]
            by = "clerk" if by == "ok" else by
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied),
                (blank, ValidationFailed),
                (m.status != S.ACTIVE, InvalidTransition),
                (m.open_no is not None, Conflict),
            )
            eligible = m.eligible()
            version = self._try(
                expect,
                lambda: services.start_amendment(
                    actor=actors[by], agreement=self._agreement(m), reason="" if blank else "新增准入事项"
                ),
                "agreements.agreement.amend",
            )
            if version is not None:
                m.versions += 1
                assert version.number == m.versions
                m.open_no, m.open_status = version.number, V.DRAFT
                m.draft, m.reserved, m.schedule = dict(m.effective), 0, m.effective_schedule
                self._sync_open_items(m, eligible)

        @rule(s=slot, by=who)
        def withdraw_amendment(self, s: int, by: str) -> None:
            m = self.m[s]
            by = "head" if by == "ok" else by
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied),
                (m.open_no is None or m.open_no == 1, InvalidTransition),
            )
            version = self._try(
                expect,
                lambda: services.withdraw_amendment(
                    actor=actors[by], agreement=self._agreement(m), reason="对方不同意"
                ),
                "agreements.version.withdraw",
            )
            if version is not None:
                self._release_open(m)
                m.open_no = m.open_status = None
                m.draft = {}

        @rule(s=slot, by=anyone, how=st.sampled_from(["paid", "agreed", "between", "below", "above"]))
        def terminate(self, s: int, by: str, how: str) -> None:
            m = self.m[s]
            by = "head" if by == "ok" else by
            paid = sum(p for _, p in m.instalments.values())
            agreed = sum(a for a, _ in m.instalments.values())
            value = {
                "paid": paid,
                "agreed": agreed,
                "between": (paid + agreed) // 2,
                "below": paid - 1,
                "above": agreed + 1,
            }[how]
            expect = _first(
                (by != "head", PermissionDenied),
                (value < 0, ValidationFailed),
                (m.status in Agreement.FINAL, InvalidTransition),
                (not paid <= value <= agreed, ValidationFailed),
            )
            pending = m.open_no is not None
            audits = ["agreements.agreement.terminate", *(["agreements.version.withdraw"] if pending else [])]
            agreement = self._try(
                expect,
                lambda: services.terminate_agreement(
                    actor=actors[by], agreement=self._agreement(m), reason="事项退出", settlement_fen=value
                ),
                *audits,
            )
            if agreement is not None:
                self._release_open(m)
                m.open_no = m.open_status = None
                m.draft = {}
                m.status, m.settlement = S.TERMINATED, value
                self.available += agreed - value
                for inst in Instalment.objects.filter(agreement_id=m.pk):
                    old_amount, old_paid = m.instalments[inst.pk]
                    assert inst.paid_fen == old_paid <= inst.amount_fen <= old_amount
                    m.instalments[inst.pk][0] = inst.amount_fen

        @rule(s=slot, by=who)
        def complete(self, s: int, by: str) -> None:
            m = self.m[s]
            by = "head" if by == "ok" else by
            expect = _first(
                (by != "head", PermissionDenied),
                (m.status != S.ACTIVE, InvalidTransition),
                (m.open_no is not None, Conflict),
                (any(p < a for a, p in m.instalments.values()), Conflict),
            )
            agreement = self._try(
                expect,
                lambda: services.complete_agreement(actor=actors[by], agreement=self._agreement(m)),
                "agreements.agreement.complete",
            )
            if agreement is not None:
                m.status = S.COMPLETED

        @rule(s=slot, by=who, i=st.integers(0, 9))
        def report_completion(self, s: int, by: str, i: int) -> None:
            m = self.m[s]
            by = sorted(m.staff)[0] if by == "ok" else by
            if not m.task_of:
                return
            task_pk = sorted(m.task_of.values())[i % len(m.task_of)]
            live = task_pk in m.completions and m.completions[task_pk][1] != Completion.Status.REJECTED
            expect = _first(
                (by not in m.staff, PermissionDenied),
                (m.status != S.ACTIVE, InvalidTransition),
                (task_pk not in m.effective, ValidationFailed),
                (live, Conflict),
            )
            completion = self._try(
                expect,
                lambda: services.report_completion(
                    actor=actors[by],
                    agreement=self._agreement(m),
                    task=AgreementTask.objects.get(pk=task_pk),
                    summary="已入户核查并公示",
                ),
                "agreements.completion.report",
            )
            if completion is not None:
                m.completions[task_pk] = (completion.pk, Completion.Status.REPORTED)

        @rule(s=slot, by=who, i=st.integers(0, 9), confirm=st.booleans())
        def review_completion(self, s: int, by: str, i: int, confirm: bool) -> None:
            m = self.m[s]
            by = "clerk" if by == "ok" else by
            if not m.completions:
                return
            task_pk = sorted(m.completions)[i % len(m.completions)]
            pk, status = m.completions[task_pk]
            expect = _first(
                (by not in ("clerk", "head"), PermissionDenied),
                (status != Completion.Status.REPORTED, InvalidTransition),
            )
            to = Completion.Status.CONFIRMED if confirm else Completion.Status.DISPUTED
            done = self._try(
                expect,
                lambda: services.review_completion(
                    actor=actors[by],
                    completion=Completion.objects.get(pk=pk),
                    confirm=confirm,
                    note="" if confirm else "缺少核查名单",
                ),
                f"agreements.completion.{'confirm' if confirm else 'dispute'}",
            )
            if done is not None:
                m.completions[task_pk] = (pk, to)

        def _advance(self, s: int) -> None:
            """The next step of the agreement's life, by the right person (so that examples get far)."""
            m = self.m[s]
            if m.status in Agreement.FINAL:
                return
            elif m.open_status == V.DRAFT:
                if m.eligible():
                    self.add_tasks(s, "ok")
                else:
                    self.send(s, "ok")
            elif m.open_status == V.SENT:
                self.sign_for_department(s, "ok", False)
            elif m.open_status == V.DEPT_SIGNED:
                self.sign_for_party(s, "ok", False)
            elif m.open_status == V.COMMUNITY_SIGNED:
                if self._need(m) > self.available:
                    self.fund(2_000_000)
                self.reserve(s, "ok")
            else:  # in force: pay the next instalment, settle the held final one; when all is paid (or new tasks
                # came), amend
                order = sorted(m.instalments)
                unpaid = [
                    i
                    for i, pk in enumerate(order)
                    if m.instalments[pk][1] < m.instalments[pk][0] and not m.held(pk)
                ]
                if unpaid and not m.eligible():
                    self.pay(s, "ok", unpaid[0], "all")
                elif order and m.held(order[-1]) and not m.eligible():
                    self.settle(s, "ok", len(order) - 1, 3)
                else:
                    self.start_amendment(s, "ok", False)

        @rule(n=st.integers(1, 4))
        def advance_tongxia(self, n: int) -> None:
            for _ in range(n):
                self._advance(0)

        @rule(n=st.integers(1, 4))
        def advance_shizishan(self, n: int) -> None:
            for _ in range(n):
                self._advance(1)

        # --- invariants ---

        @invariant()
        def the_ledger_verifies_and_matches_the_model(self) -> None:
            report = verify_ledger()  # balances = sums of entries, none below zero, reservations add up
            assert report.ok, [p.describe() for p in report.problems]
            row = Account.objects.get(pk=budget.pk)
            assert row.balance == Entry.objects.filter(account=budget).aggregate(s=Sum("amount"))["s"]
            assert 0 <= row.reserved <= row.balance
            assert row.balance - row.reserved == self.available

        @invariant()
        def agreements_match_the_model(self) -> None:
            for m in self.m:
                agreement = self._agreement(m)
                assert agreement.status == m.status and _reachable(S.DRAFT, agreement.status)
                versions = list(
                    Version.objects.filter(agreement=agreement)
                    .select_related("reservation")
                    .order_by("number")
                )
                assert [v.number for v in versions] == list(range(1, m.versions + 1))
                items: dict[int, dict[int, int]] = {v.pk: {} for v in versions}
                for version_id, task_id, amount in VersionItem.objects.filter(
                    version__agreement=agreement
                ).values_list("version_id", "task_id", "amount_fen"):
                    items[version_id][task_id] = amount
                open_ = [v for v in versions if v.status in Version.OPEN]
                assert len(open_) <= 1
                if open_:
                    v = open_[0]
                    assert (v.number, v.status) == (m.open_no, m.open_status)
                    assert items[v.pk] == m.draft and v.schedule == m.schedule
                    assert (v.reservation.remaining if v.reservation else 0) == m.reserved
                    if v.status != V.DRAFT:
                        assert v.total_fen == m.open_total and v.digest == canonical.digest(v.text)
                else:
                    assert (m.open_no, m.open_status) == (None, None)
                in_force = [v for v in versions if v.status == V.EFFECTIVE]
                assert [v.number for v in in_force] == ([m.effective_no] if m.effective_no else [])
                if in_force:
                    assert items[in_force[0].pk] == m.effective
                    assert in_force[0].total_fen == m.effective_total
                instalments = list(Instalment.objects.filter(agreement=agreement))
                assert {i.pk: [i.amount_fen, i.paid_fen] for i in instalments} == m.instalments
                # paid ≤ agreed: the agreement's, each instalment's; payments add up to what is paid
                assert 0 <= services.paid_total(agreement) <= services.agreed_total(agreement)
                payments = dict(
                    Payment.objects.filter(agreement=agreement)
                    .values("instalment_id")
                    .annotate(s=Sum("amount_fen"))
                    .values_list("instalment_id", "s")
                )
                for i in instalments:
                    assert 0 <= i.paid_fen <= i.amount_fen and payments.get(i.pk, 0) == i.paid_fen
                # promised money is reserved: per version once in force, its reservation holds exactly its
                # instalments' unpaid amounts and paid out exactly what they were paid
                unpaid: Counter[int] = Counter()
                paid: Counter[int] = Counter()
                for i in instalments:
                    unpaid[i.version_id] += i.amount_fen - i.paid_fen
                    paid[i.version_id] += i.paid_fen
                held = 0
                for v in versions:
                    r = v.reservation
                    if v.status in (V.EFFECTIVE, V.SUPERSEDED):
                        assert (r.remaining if r else 0) == unpaid[v.pk], (v.number, r, unpaid[v.pk])
                        assert (r.paid if r else 0) == paid[v.pk]
                        held += r.remaining if r else 0
                    elif v.status == V.WITHDRAWN:
                        assert r is None or r.remaining == 0
                total_paid = sum(paid.values())
                if m.status in (S.ACTIVE, S.COMPLETED):  # an agreement in force is fully reserved
                    assert held + total_paid + m.released == m.effective_total
                if m.status == S.COMPLETED:
                    assert held == 0
                if m.status == S.TERMINATED:
                    assert held + total_paid == m.settlement == agreement.settlement_fen
                completions = {
                    c.task_id: (c.pk, c.status)
                    for c in Completion.objects.filter(agreement=agreement).order_by("reported_at", "id")
                }
                assert completions == m.completions

        @invariant()
        def every_call_audited_as_expected(self) -> None:
            entries = AuditEntry.objects.filter(seq__gt=self.audit_start, action__startswith="agreements.")
            assert Counter(entries.values_list("action", flat=True)) == self.expected
            for action, data in entries.filter(
                target_type="agreements.agreement", data__has_key="to"
            ).values_list("action", "data"):
                assert data["to"] in Agreement.TRANSITIONS[data["from"]], (action, data)

    run_state_machine_as_test(
        Agreements,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
