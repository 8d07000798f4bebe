"""A Hypothesis state machine over clean-up campaigns (security.md TM-3).

Random sequences of: starting plaque and task campaigns, moving them to any status (legal or not) as the office
or as someone who may not, registering plaques, entering tasks, deciding items, confirming removals. After every
step:
- each campaign's status is one of the table's and equals the model's;
- every successful move wrote exactly one audit entry, failed ones none;
- execution and closing never happen with undecided items, closing a plaque campaign never with an unconfirmed
  removal, and a removed plaque always has a confirmed removal behind it;
- nobody but the office moved a campaign.
Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from gongzhi.cleanup import services
from gongzhi.cleanup.models import Campaign, CarriedTask, Plaque, PlaqueReview
from gongzhi.cleanup.tests.conftest import png
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.models import AuditEntry

STATUSES = list(Campaign.Status.values)
TITLES = ["调解民间纠纷", "协助做好社区矫正", "为居民出具无犯罪记录证明", "每月报送统计报表", "组织居民会议"]
PLAQUES = ["居民委员会", "社区老年学校", "新时代文明实践站", "组织架构图"]


@pytest.mark.django_db
def test_campaign_state_machine(city, approval_officer, community_staff, dept_clerk, lists, allowed):
    communities = [city.tongxia, city.shizishan]

    class Campaigns(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.status: dict[int, str] = {}
            self.moves = 0
            self.audit_start = self._moves_audited()

        @staticmethod
        def _moves_audited() -> int:
            moves = AuditEntry.objects.filter(action__startswith="cleanup.campaign.")
            return moves.exclude(action="cleanup.campaign.create").count()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _campaign(self, i: int) -> Campaign | None:
            if not self.status:
                return None
            ids = sorted(self.status)
            return Campaign.objects.select_related("scope").get(pk=ids[i % len(ids)])

        @rule(kind=st.sampled_from(["plaques", "tasks"]))
        def start(self, kind: str) -> None:
            campaign = services.create_campaign(
                actor=approval_officer, kind=kind, title=kind, scope=city.district
            )
            self.status[campaign.pk] = "draft"

        @rule(i=st.integers(0, 9), to=st.sampled_from(STATUSES), by_office=st.booleans())
        def move(self, i: int, to: str, by_office: bool) -> None:
            campaign = self._campaign(i)
            if campaign is None:
                return
            actor = approval_officer if by_office else community_staff
            before = campaign.status
            try:
                services.move_campaign(actor=actor, campaign=campaign, to=to, reason="理由")
            except PermissionDenied:
                assert not by_office
                return
            except DomainError:
                assert Campaign.objects.get(pk=campaign.pk).status == before
                return
            assert by_office
            assert to in Campaign.TRANSITIONS[before]
            self.status[campaign.pk] = to
            self.moves += 1

        @rule(i=st.integers(0, 9), j=st.integers(0, 9))
        def advance(self, i: int, j: int) -> None:
            """A legal next step, so that runs reach review, execution and closing often."""
            campaign = self._campaign(i)
            if campaign is None or not Campaign.TRANSITIONS[campaign.status]:
                return
            options = sorted(Campaign.TRANSITIONS[campaign.status])
            self.move(i, options[j % len(options)], True)

        @rule(i=st.integers(0, 9), n=st.integers(0, len(PLAQUES) - 1), c=st.integers(0, 1))
        def register(self, i: int, n: int, c: int) -> None:
            services.register_plaque(
                actor=community_staff if c == 0 else None,
                community=communities[c],
                name=PLAQUES[n],
                placement="inside" if i % 2 else "outside",
            )

        @rule(i=st.integers(0, 9), n=st.integers(0, len(TITLES) - 1), c=st.integers(0, 1))
        def enter(self, i: int, n: int, c: int) -> None:
            campaign = self._campaign(i)
            if campaign is None:
                return
            try:
                services.add_carried_task(
                    actor=approval_officer,
                    campaign=campaign,
                    community=communities[c],
                    title=TITLES[n],
                    department=city.dept,
                )
            except DomainError:
                return

        @rule(i=st.integers(0, 9))
        def decide_all(self, i: int) -> None:
            campaign = self._campaign(i)
            if campaign is None:
                return
            try:
                if campaign.is_tasks:
                    services.accept_task_suggestions(actor=approval_officer, campaign=campaign)
                    for task in campaign.tasks.filter(decision=""):
                        services.decide_task(
                            actor=approval_officer, task=task, decision="cancel", note="取消"
                        )
                else:
                    services.accept_plaque_suggestions(actor=approval_officer, campaign=campaign)
            except DomainError:
                assert campaign.status != "review"

        @rule(i=st.integers(0, 9))
        def confirm(self, i: int) -> None:
            review = (
                PlaqueReview.objects.filter(decision="remove", confirmed_at__isnull=True)
                .order_by("id")
                .first()
            )
            if review is None:
                return
            try:
                services.confirm_plaque_removal(actor=community_staff, review=review, photo=png())
            except DomainError:
                assert review.campaign.status != "execution" or review.plaque.community != city.tongxia

        @rule(i=st.integers(0, 9))
        def outsider_tries(self, i: int) -> None:
            campaign = self._campaign(i)
            if campaign is None:
                return
            for to in Campaign.TRANSITIONS[campaign.status]:
                with pytest.raises(PermissionDenied):
                    services.move_campaign(actor=dept_clerk, campaign=campaign, to=to, reason="x")

        @invariant()
        def statuses_agree(self) -> None:
            for pk, status in self.status.items():
                assert Campaign.objects.get(pk=pk).status == status
                assert status in STATUSES

        @invariant()
        def each_move_audited_once(self) -> None:
            assert self._moves_audited() - self.audit_start == self.moves

        @invariant()
        def nothing_undecided_past_review(self) -> None:
            past = Campaign.objects.filter(status__in=["execution", "closed"])
            assert not CarriedTask.objects.filter(campaign__in=past, decision="").exists()
            assert not PlaqueReview.objects.filter(campaign__in=past, decision="").exists()
            assert not PlaqueReview.objects.filter(
                campaign__status="closed", decision="remove", confirmed_at__isnull=True
            ).exists()
            for plaque in Plaque.objects.filter(status="removed"):
                assert plaque.reviews.filter(decision="remove", confirmed_at__isnull=False).exists()

    run_state_machine_as_test(
        Campaigns,
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
