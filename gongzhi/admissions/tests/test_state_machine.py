"""A Hypothesis state machine over task requests (security.md TM-3).

Random sequences of filing, editing, submitting, examining, deciding, withdrawing and revoking, by the right
people and by the wrong ones (the filer, an officer of the requesting department, the recommender deciding).
After every step:
- no admitted task exists without an approval decision, and every approved request has one per target community;
- excluded work is never submitted nor admitted;
- nobody reviewed their own department's request, and nobody decided a request they recommended;
- every transition was audited exactly once (audit rows with a from/to = the transitions the model saw);
- every status is one of the table's.
Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

import pytest
from django.db import transaction
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
from gongzhi.admissions import services
from gongzhi.admissions.models import AdmittedTask, Review, TaskRequest
from gongzhi.admissions.tests.conftest import TEXTS, new_request, request_data, standard_fen
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.models import AuditEntry
from gongzhi.core.roles import Role
from gongzhi.orgs import services as org_services

KINDS = sorted(TEXTS)
STATUSES = set(TaskRequest.Status.values)


@pytest.mark.django_db
def test_request_state_machine(city, lists, dept_clerk, approval_officer, authority_member):
    funding = standard_fen(TEXTS["assisting"])
    # the wrong people: an officer who also works in the requesting department; a person holding both
    # authority roles (may examine or decide, never both on one request)
    insider = make_user("insider", city.office, Role.APPROVAL_OFFICER)
    org_services.grant_membership(actor=None, user=insider, organization=city.dept, role=Role.DEPT_FINANCE)
    both = make_user("bothroles", city.office, Role.APPROVAL_OFFICER)
    org_services.grant_membership(actor=None, user=both, organization=city.office, role=Role.AUTHORITY_MEMBER)
    # `both` is drawn most often: it is the person the separation-of-duties rule is about
    examiners = [both, both, approval_officer, insider, dept_clerk]
    deciders = [authority_member, both, insider, approval_officer]

    class Requests(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.requests: list[int] = []
            self.kind: dict[int, str] = {}
            self.transitions: dict[int, int] = {}

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _req(self, i: int, aim: str | None = None) -> TaskRequest:
            """Usually a request in the state the action needs (so that runs get far), sometimes any request
            (so that wrong states are tried too)."""
            if aim is not None:
                fitting = list(TaskRequest.objects.filter(pk__in=self.requests, status=aim).order_by("pk"))
                if fitting:
                    return fitting[i % len(fitting)]
            return TaskRequest.objects.get(pk=self.requests[i % len(self.requests)])

        def _count_moves(self, pk: int, before: str) -> None:
            after = TaskRequest.objects.get(pk=pk).status
            if after != before:
                # submit from draft is one move; an edit of a returned request moves it back to draft
                self.transitions[pk] += 1

        @initialize()
        def two_admissible_requests(self) -> None:
            self.file("assisting", underfunded=False)
            self.file("unlisted", underfunded=False)

        @precondition(lambda self: len(self.requests) < 5)
        @rule(kind=st.sampled_from(KINDS), underfunded=st.booleans())
        def file(self, kind: str, underfunded: bool) -> None:
            req = new_request(
                dept_clerk, city, TEXTS[kind], funding_fen=funding - 1 if underfunded else funding
            )
            self.requests.append(req.pk)
            self.kind[req.pk] = kind
            self.transitions[req.pk] = 0

        @precondition(lambda self: self.requests)
        @rule(i=st.integers(0, 3))
        def edit(self, i: int) -> None:
            req = self._req(i)
            before = req.status
            try:
                services.update_request(
                    actor=dept_clerk,
                    request=req,
                    data=request_data(TEXTS[self.kind[req.pk]], funding_fen=funding),
                )
            except DomainError:
                assert before not in TaskRequest.EDITABLE
                return
            self._count_moves(req.pk, before)

        @precondition(lambda self: self.requests)
        @rule(i=st.integers(0, 3), aim=st.booleans())
        def submit(self, i: int, aim: bool) -> None:
            req = self._req(i, TaskRequest.Status.DRAFT if aim else None)
            before = req.status
            try:
                services.submit_request(actor=dept_clerk, request=req)
            except DomainError:
                assert TaskRequest.objects.get(pk=req.pk).status == before
                return
            self._count_moves(req.pk, before)

        @precondition(lambda self: self.requests)
        @rule(
            i=st.integers(0, 3),
            aim=st.booleans(),
            who=st.integers(0, len(examiners) - 1),
            outcome=st.sampled_from(sorted(Review.OUTCOMES_BY_STAGE[Review.Stage.EXAMINE])),
        )
        def examine(self, i: int, aim: bool, who: int, outcome: str) -> None:
            req = self._req(i, TaskRequest.Status.SUBMITTED if aim else None)
            before = req.status
            try:
                services.examine_request(actor=examiners[who], request=req, outcome=outcome, comments="意见")
            except DomainError:
                assert TaskRequest.objects.get(pk=req.pk).status == before
                return
            assert examiners[who] in (approval_officer, both)
            self._count_moves(req.pk, before)

        @precondition(lambda self: self.requests)
        @rule(
            i=st.integers(0, 3),
            aim=st.booleans(),
            who=st.integers(0, len(deciders) - 1),
            outcome=st.sampled_from(sorted(Review.OUTCOMES_BY_STAGE[Review.Stage.DECIDE])),
        )
        def decide(self, i: int, aim: bool, who: int, outcome: str) -> None:
            req = self._req(i, TaskRequest.Status.UNDER_REVIEW if aim else None)
            before = req.status
            try:
                services.decide_request(
                    actor=deciders[who],
                    request=req,
                    outcome=outcome,
                    meeting_ref="纪要〔2026〕1号",
                    comments="决定",
                )
            except DomainError:
                assert TaskRequest.objects.get(pk=req.pk).status == before
                return
            assert deciders[who] in (authority_member, both)
            self._count_moves(req.pk, before)

        @precondition(lambda self: self.requests)
        @rule(i=st.integers(0, 3), outcome=st.sampled_from([Review.Outcome.APPROVE, Review.Outcome.REJECT]))
        def recommender_tries_to_decide(self, i: int, outcome: str) -> None:
            req = self._req(i, TaskRequest.Status.UNDER_REVIEW)
            if req.status != TaskRequest.Status.UNDER_REVIEW:
                return
            recommender = req.reviews.filter(stage=Review.Stage.EXAMINE).order_by("-id").first()
            assert recommender is not None
            with pytest.raises(PermissionDenied):
                services.decide_request(
                    actor=recommender.actor, request=req, outcome=outcome, meeting_ref="纪要", comments="决定"
                )

        @precondition(lambda self: self.requests)
        @rule(i=st.integers(0, 3), who=st.sampled_from(["insider", "filer"]))
        def insider_tries_to_examine(self, i: int, who: str) -> None:
            req = self._req(i, TaskRequest.Status.SUBMITTED)
            if req.status != TaskRequest.Status.SUBMITTED:
                return
            with pytest.raises(PermissionDenied):
                services.examine_request(
                    actor=insider if who == "insider" else dept_clerk,
                    request=req,
                    outcome=Review.Outcome.RECOMMEND_APPROVE,
                )

        @precondition(lambda self: self.requests)
        @rule(i=st.integers(0, 3), now=st.integers(0, 3))
        def withdraw(self, i: int, now: int) -> None:
            if now:  # withdrawing ends a request's story: try it one time in four
                return
            req = self._req(i)
            before = req.status
            try:
                services.withdraw_request(actor=dept_clerk, request=req)
            except DomainError:
                assert before not in TaskRequest.OPEN
                return
            self._count_moves(req.pk, before)

        @precondition(lambda self: self.requests)
        @rule(i=st.integers(0, 3), aim=st.booleans())
        def revoke(self, i: int, aim: bool) -> None:
            req = self._req(i, TaskRequest.Status.APPROVED if aim else None)
            before = req.status
            try:
                services.revoke_request(actor=authority_member, request=req, reason="部门收回")
            except DomainError:
                assert before != TaskRequest.Status.APPROVED
                return
            self._count_moves(req.pk, before)

        @invariant()
        def rules_hold(self) -> None:
            requests = {r.pk: r for r in TaskRequest.objects.filter(pk__in=self.requests)}
            reviews: dict[int, list[Review]] = {pk: [] for pk in requests}
            for review in Review.objects.filter(request_id__in=requests).order_by("id"):
                reviews[review.request_id].append(review)
            tasks: dict[int, int] = dict.fromkeys(requests, 0)
            for request_id in AdmittedTask.objects.values_list("request_id", flat=True):
                tasks[request_id] += 1
            moves: dict[str, int] = {}
            for target_id, data in AuditEntry.objects.filter(
                target_type="admissions.taskrequest"
            ).values_list("target_id", "data"):
                if "from" in data and "to" in data:
                    moves[target_id] = moves.get(target_id, 0) + 1
            for pk, req in requests.items():
                # every status is the table's
                assert req.status in STATUSES
                # an admitted task exists exactly when an approval decision was taken, one per target community
                approved = any(
                    r.stage == Review.Stage.DECIDE and r.outcome == Review.Outcome.APPROVE
                    for r in reviews[pk]
                )
                if req.status in (TaskRequest.Status.APPROVED, TaskRequest.Status.REVOKED):
                    assert approved and tasks[pk] == 2
                else:
                    assert tasks[pk] == 0 and not approved
                # excluded work never leaves the draft (it can only be withdrawn)
                if self.kind[pk] == "excluded":
                    assert req.status in (TaskRequest.Status.DRAFT, TaskRequest.Status.WITHDRAWN)
                    assert req.verdict != "excluded" or req.submitted_at is None
                # nobody reviews their own department's or their own request; the decider never recommended it
                last_recommender = None
                for review in reviews[pk]:
                    assert review.actor_id not in (insider.pk, dept_clerk.pk, req.created_by_id)
                    if review.stage == Review.Stage.EXAMINE:
                        assert review.actor_id in (approval_officer.pk, both.pk)
                        if review.outcome != Review.Outcome.RETURN:
                            last_recommender = review.actor_id
                    else:
                        assert review.actor_id in (authority_member.pk, both.pk)
                        assert review.actor_id != last_recommender
                # every transition was audited exactly once
                assert moves.get(str(pk), 0) == self.transitions[pk]
            revoked_tasks = AdmittedTask.objects.filter(status=AdmittedTask.Status.REVOKED).count()
            assert AuditEntry.objects.filter(action="admissions.task.revoke").count() == revoked_tasks

    run_state_machine_as_test(
        Requests,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
