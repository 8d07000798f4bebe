"""A Hypothesis state machine over list editions (security.md TM-3).

Random sequences of creating drafts (for the city and a district), adding and editing items, publishing and
trying to change or re-publish editions, by the approval officer and by people who may not edit lists. After
every step:
- at most one edition per scope is published, and it is the one the model expects;
- a published or superseded edition's items never change after publication;
- every status is one of the table's, and superseded editions were superseded by a later publication;
- every publication and supersession was audited exactly once;
- nobody but the officer changed anything.
Each example runs in a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.models import AuditEntry
from gongzhi.duties import services
from gongzhi.duties.models import ListEdition
from gongzhi.duties.tests.helpers import item

STATUSES = set(ListEdition.Status.values)


@pytest.mark.django_db
def test_edition_state_machine(city, approval_officer, dept_clerk, community_director):
    scopes = [city.city, city.district]
    outsiders = [dept_clerk, community_director]

    class Editions(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.editions: list[int] = []
            self.published: dict[int, int | None] = {s.pk: None for s in scopes}  # scope → edition
            self.frozen: dict[int, list[Any]] = {}  # edition → its items when published
            self.publications = 0
            self.supersessions = 0
            self.day = date(2020, 1, 1)
            self.audit_start = AuditEntry.objects.count()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _pick(self, i: int) -> ListEdition | None:
            if not self.editions:
                return None
            return ListEdition.objects.select_related("scope").get(pk=self.editions[i % len(self.editions)])

        @rule(scope=st.sampled_from([0, 1]), n=st.integers(0, 3))
        def create_draft(self, scope: int, n: int) -> None:
            self.day += timedelta(days=30)
            data = services.EditionData(title=f"版本{len(self.editions)}", effective_from=self.day)
            edition = services.create_edition_with_items(
                actor=approval_officer,
                scope=scopes[scope],
                data=data,
                items=[item(f"S-{k}") for k in range(n)],
            )
            self.editions.append(edition.pk)

        @rule(i=st.integers(0, 50), code=st.sampled_from(["S-0", "S-1", "A-9", "X-1"]))
        def add_item(self, i: int, code: str) -> None:
            edition = self._pick(i)
            if edition is None:
                return
            try:
                services.add_item(actor=approval_officer, edition=edition, data=item(code))
            except DomainError:
                # only a draft takes items, and a code once
                assert not edition.is_draft or edition.items.filter(code=code).exists()

        @rule(i=st.integers(0, 50))
        def edit_first_item(self, i: int) -> None:
            edition = self._pick(i)
            first = edition.items.first() if edition else None
            if first is None:
                return
            try:
                services.update_item(actor=approval_officer, item=first, data=item(first.code, title="改过"))
            except DomainError:
                assert not edition.is_draft  # type: ignore[union-attr]

        @rule(i=st.integers(0, 50))
        def publish(self, i: int) -> None:
            edition = self._pick(i)
            if edition is None:
                return
            try:
                services.publish_edition(actor=approval_officer, edition=edition)
            except DomainError:
                # a non-draft, or an empty draft
                assert not edition.is_draft or not edition.items.exists()
                return
            previous = self.published[edition.scope_id]
            if previous is not None:
                self.supersessions += 1
            self.published[edition.scope_id] = edition.pk
            self.publications += 1
            self.frozen[edition.pk] = list(
                edition.items.order_by("code").values_list("code", "title", "kind")
            )

        @rule(i=st.integers(0, 50), who=st.sampled_from([0, 1]))
        def outsider_tries(self, i: int, who: int) -> None:
            edition = self._pick(i)
            if edition is None:
                return
            for attempt in (
                lambda: services.publish_edition(actor=outsiders[who], edition=edition),
                lambda: services.add_item(actor=outsiders[who], edition=edition, data=item("Z-9")),
                lambda: services.delete_draft(actor=outsiders[who], edition=edition),
            ):
                with pytest.raises(PermissionDenied):
                    attempt()

        @invariant()
        def one_published_per_scope_and_frozen_items(self) -> None:
            for scope_pk, expected in self.published.items():
                current = list(
                    ListEdition.objects.filter(scope_id=scope_pk, status="published").values_list(
                        "pk", flat=True
                    )
                )
                assert current == ([expected] if expected else [])
            for edition in ListEdition.objects.filter(pk__in=self.editions):
                assert edition.status in STATUSES
                if edition.pk in self.frozen:
                    assert edition.status != "draft"
                    items = list(edition.items.order_by("code").values_list("code", "title", "kind"))
                    assert items == self.frozen[edition.pk]
                else:
                    assert edition.status == "draft"
                if edition.status == "superseded":
                    assert edition.superseded_at is not None and edition.published_at is not None
                    assert edition.superseded_at >= edition.published_at

        @invariant()
        def transitions_audited_once(self) -> None:
            new = AuditEntry.objects.order_by("seq")[self.audit_start :]
            actions = [e.action for e in new]
            assert actions.count("duties.edition.publish") == self.publications
            assert actions.count("duties.edition.supersede") == self.supersessions
            assert all(e.actor_id == approval_officer.pk for e in new if e.action.startswith("duties."))

    run_state_machine_as_test(
        Editions,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
