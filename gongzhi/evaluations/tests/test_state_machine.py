"""A Hypothesis state machine over the evaluation cycle lifecycle.

Random sequences of moves (to any status, by the office, the panel, a community director or an outsider), ratings
and panel adjustments (with and without a reason). After every step:
- the status is the one the model expects and one of the table's;
- every successful transition was audited exactly once (and refused ones not at all);
- nothing is public before publication, and publication only follows the panel's sign-off;
- every adjustment has a reason, and adjustments happen only during review.
Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from gongzhi.core.errors import DomainError
from gongzhi.core.models import AuditEntry
from gongzhi.evaluations import services
from gongzhi.evaluations.models import Cycle, Score
from gongzhi.evaluations.tests.helpers import dep, make_cycle

STATUSES = list(Cycle.Status.values)


@pytest.mark.django_db
def test_cycle_state_machine(city, approval_officer, panel_member, community_director, outsider):
    actors = {
        "office": approval_officer,
        "panel": panel_member,
        "director": community_director,
        "out": outsider,
    }
    anon = Client()

    class Cycles(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.cycle = make_cycle(city, approval_officer)
            self.status = "draft"
            self.moves: dict[str, int] = {s: 0 for s in STATUSES}
            self.signed_off = False
            self.audit_start = AuditEntry.objects.count()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule(who=st.sampled_from(sorted(actors)), to=st.sampled_from(STATUSES))
        def move(self, who: str, to: str) -> None:
            allowed_actor = (who == "panel") if to == "signed_off" else (who == "office")
            legal = to in Cycle.TRANSITIONS[self.status]
            try:
                with transaction.atomic():
                    services.move_cycle(actor=actors[who], cycle=self.cycle, to=to)
            except DomainError:
                assert not (allowed_actor and legal)
                return
            assert allowed_actor and legal
            self.status = to
            self.moves[to] += 1
            if to == "signed_off":
                self.signed_off = True

        @rule(score=st.integers(-5, 105))
        def rate(self, score: int) -> None:
            try:
                with transaction.atomic():
                    services.rate(
                        actor=community_director,
                        indicator=dep(self.cycle, "guidance"),
                        score=score,
                        department=city.dept,
                    )
            except DomainError:
                assert self.status != "open" or not 0 <= score <= 100
                return
            assert self.status == "open" and 0 <= score <= 100

        @rule(reason=st.sampled_from(["", "  ", "走访核实有误"]), value=st.integers(-1, 101))
        def adjust(self, reason: str, value: int) -> None:
            score = Score.objects.filter(indicator__cycle=self.cycle).first()
            if score is None:
                return
            try:
                with transaction.atomic():
                    services.adjust_score(actor=panel_member, score=score, value=value, reason=reason)
            except DomainError:
                return
            assert self.status == "reviewing" and reason.strip() and 0 <= value <= 100

        @invariant()
        def status_matches(self) -> None:
            current = Cycle.objects.get(pk=self.cycle.pk).status
            assert current == self.status and current in STATUSES

        @invariant()
        def every_transition_audited_once(self) -> None:
            for status, n in self.moves.items():
                got = AuditEntry.objects.filter(
                    seq__gt=self.audit_start,
                    action=f"evaluations.cycle.{status}",
                    target_id=str(self.cycle.pk),
                ).count()
                assert got == n, (status, got, n)

        @invariant()
        def nothing_public_before_sign_off(self) -> None:
            page = anon.get(f"/evaluations/results/{self.cycle.pk}/")
            api = anon.get(f"/api/evaluations/results/{self.cycle.pk}")
            if self.status == "published":
                assert self.signed_off
                assert page.status_code == 200 and api.status_code == 200
            else:
                assert page.status_code == 404 and api.status_code == 404

        @invariant()
        def adjustments_have_reasons(self) -> None:
            for s in Score.objects.filter(indicator__cycle=self.cycle, adjusted__isnull=False):
                assert s.adjust_reason.strip() and s.adjusted is not None and 0 <= s.adjusted <= 100

    run_state_machine_as_test(
        Cycles,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
