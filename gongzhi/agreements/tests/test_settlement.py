"""settle_final_instalment: the final instalment is settled once from the evaluation — the settled amount is paid
from the reservation, the rest goes back to the budget, what was already paid is never taken back; refusals leave
nothing written. (The evaluation side — who, when, how much — is tested in gongzhi.evaluations.)"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import City
from gongzhi.agreements import services
from gongzhi.agreements.models import Instalment
from gongzhi.agreements.tests.conftest import People, active
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry, User
from gongzhi.funds.models import Account
from gongzhi.funds.queries import verify_ledger

pytestmark = pytest.mark.django_db
ONE_DAY = dt.timedelta(days=1)


def _final(city: City, people: People) -> Instalment:
    agreement = active(city, people)
    final = Instalment.objects.filter(agreement=agreement).order_by("-seq").first()
    assert final is not None and final.seq > 1
    return final


def test_settlement_pays_part_and_releases_the_rest(city, people, budget, tasks):
    final = _final(city, people)
    before = Account.objects.get(pk=budget.pk)
    amount = final.amount_fen
    services.settle_final_instalment(
        actor=people.finance, instalment=final, settled_fen=amount // 4, ref="evaluation:1"
    )
    final.refresh_from_db()
    assert final.amount_fen == final.paid_fen == amount // 4
    assert final.settled_from_fen == amount and final.settled_by == people.finance and final.is_settled
    after = Account.objects.get(pk=budget.pk)
    assert after.balance == before.balance - amount // 4
    assert after.reserved == before.reserved - amount
    assert verify_ledger().ok
    with pytest.raises(Conflict):
        services.settle_final_instalment(
            actor=people.finance, instalment=final, settled_fen=0, ref="evaluation:2"
        )
    assert AuditEntry.objects.filter(action="agreements.instalment.settle").count() == 1


def test_what_was_paid_is_not_taken_back(city, people, budget, tasks, monkeypatch):
    final = _final(city, people)
    # no evaluation settled it by the end of the next year: the hold lapsed and half of it was paid
    monkeypatch.setattr(services, "today", lambda: services.hold_ends_on(final.agreement, final) + ONE_DAY)
    services.pay_instalment(actor=people.finance, instalment=final, amount_fen=final.amount_fen // 2)
    amount = final.amount_fen
    services.settle_final_instalment(
        actor=people.finance, instalment=final, settled_fen=0, ref="evaluation:1"
    )
    final.refresh_from_db()
    assert final.amount_fen == final.paid_fen == amount // 2
    assert Account.objects.get(pk=budget.pk).reserved == sum(
        i.outstanding_fen for i in Instalment.objects.filter(agreement=final.agreement)
    )
    assert verify_ledger().ok


def test_refusals_write_nothing(city, people, budget, tasks, other_finance: User):
    final = _final(city, people)
    first = Instalment.objects.get(agreement=final.agreement, seq=1)
    entries = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.settle_final_instalment(
            actor=other_finance, instalment=final, settled_fen=0, ref="evaluation:1"
        )
    with pytest.raises(PermissionDenied):
        services.settle_final_instalment(
            actor=people.clerk, instalment=final, settled_fen=0, ref="evaluation:1"
        )
    with pytest.raises(ValidationFailed):
        services.settle_final_instalment(
            actor=people.finance, instalment=first, settled_fen=0, ref="evaluation:1"
        )
    for bad_amount, bad_ref in ((final.amount_fen + 1, "evaluation:1"), (-1, "evaluation:1"), (0, "")):
        with pytest.raises(ValidationFailed):
            services.settle_final_instalment(
                actor=people.finance, instalment=final, settled_fen=bad_amount, ref=bad_ref
            )
    final.refresh_from_db()
    assert not final.is_settled and AuditEntry.objects.count() == entries
