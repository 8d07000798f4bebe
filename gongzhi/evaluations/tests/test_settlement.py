"""Settlement of the final agreement instalments from the published evaluation: the department's finance pays the
settled share through the funds ledger, the rest of the reservation goes back to the budget, once; who may, when,
how much (full at or above settle_full, none below settle_floor, linear between), page and API."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import City, login, make_user
from gongzhi.agreements import services as agreement_services
from gongzhi.agreements.models import Agreement, Instalment, Payment
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied
from gongzhi.core.models import AuditEntry, Notification, User
from gongzhi.core.roles import Role
from gongzhi.evaluations import queries, services
from gongzhi.evaluations.models import Cycle, Score
from gongzhi.evaluations.tests.helpers import admit, com, make_cycle
from gongzhi.funds import services as funds
from gongzhi.funds.models import Account
from gongzhi.funds.queries import verify_ledger

pytestmark = pytest.mark.django_db

YEAR = 2026
BUDGET = 5_000_000
TASK_FEN = 1_000_000


@pytest.fixture(autouse=True)
def _agreements_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agreement_services, "today", lambda: dt.date(YEAR, 2, 1))


@dataclass
class World:
    city: City
    officer: User
    panel: User
    finance: User
    cycle: Cycle
    agreement: Agreement
    final: Instalment
    budget: Account


def _active_agreement(city: City, clerk: User, finance: User, director: User) -> Agreement:
    head = make_user("head", city.dept, Role.DEPT_HEAD)
    admit(city, city.tongxia, city.dept, funding_fen=TASK_FEN, requires_agreement=True)
    budget = funds.ensure_account(actor=None, organization=city.dept, kind=Account.Kind.BUDGET, year=YEAR)
    funds.fund_budget(actor=None, account=budget, amount=BUDGET, memo="年度预算下达")
    agreement = agreement_services.create_agreement(
        actor=clerk, department=city.dept, community=city.tongxia, year=YEAR
    )
    agreement_services.send_agreement(actor=clerk, agreement=agreement)

    def digest() -> str:
        version = agreement_services.open_version(agreement)
        assert version is not None
        return version.digest

    agreement_services.sign_for_department(actor=head, agreement=agreement, digest=digest())
    agreement_services.sign_for_party(
        actor=director,
        agreement=agreement,
        digest=digest(),
        meeting_date=dt.date(YEAR, 1, 20),
        minutes_no="居委会纪要〔2026〕1号",
    )
    agreement_services.reserve_funds(actor=finance, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    return agreement


def _world(
    city: City, officer: User, panel: User, clerk: User, finance: User, director: User, total: float
) -> World:
    agreement = _active_agreement(city, clerk, finance, director)
    # the earlier instalments are paid as they fell due
    instalments = list(Instalment.objects.filter(agreement=agreement).order_by("seq"))
    assert len(instalments) >= 2
    for inst in instalments[:-1]:
        agreement_services.pay_instalment(actor=finance, instalment=inst, amount_fen=inst.amount_fen)
    cycle = make_cycle(city, officer, year=YEAR)
    services.move_cycle(actor=officer, cycle=cycle, to="open")
    services.move_cycle(actor=officer, cycle=cycle, to="reviewing")
    # 铜霞's only indicator with a value is the agreement performance: the panel sets it, so it is the total
    score = Score.objects.get(indicator=com(cycle, "agreement"), community=city.tongxia)
    services.adjust_score(actor=panel, score=score, value=total, reason="走访核实履约情况")
    budget = Account.objects.get(organization=city.dept, kind=Account.Kind.BUDGET, year=YEAR)
    return World(city, officer, panel, finance, cycle, agreement, instalments[-1], budget)


def _publish(w: World) -> None:
    services.move_cycle(actor=w.panel, cycle=w.cycle, to="signed_off")
    services.move_cycle(actor=w.officer, cycle=w.cycle, to="published")
    w.cycle.refresh_from_db()


@pytest.fixture
def make_world(city, approval_officer, panel_member, dept_clerk, dept_finance, community_director) -> Any:
    def make(total: float = 75, publish: bool = True) -> World:
        w = _world(city, approval_officer, panel_member, dept_clerk, dept_finance, community_director, total)
        if publish:
            _publish(w)
        return w

    return make


def _settle_url(w: World) -> str:
    return f"/evaluations/cycles/{w.cycle.pk}/settlements/{w.agreement.pk}/settle/"


def _api(client: Client, w: World, key: str = "k1") -> Any:
    return client.post(
        f"/api/evaluations/cycles/{w.cycle.pk}/settlements",
        json.dumps({"agreement_id": w.agreement.pk}),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


@pytest.mark.parametrize(
    ("total", "share"),
    [(95, 1.0), (90, 1.0), (75, 0.5), (60, 0.0), (59, 0.0)],
)
def test_settled_amount_follows_the_rule(make_world, total, share):
    w = make_world(total)
    final_fen = w.final.amount_fen
    budget_before = Account.objects.get(pk=w.budget.pk)
    party = agreement_services.payee_account(None, w.agreement)
    party_before = party.balance
    settled = int(final_fen * share)

    inst = services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)

    assert inst.amount_fen == settled and inst.paid_fen == settled
    assert inst.settled_from_fen == final_fen and inst.settled_ref == f"evaluation:{w.cycle.pk}"
    party.refresh_from_db()
    assert party.balance - party_before == settled
    budget = Account.objects.get(pk=w.budget.pk)
    # the settled amount left the budget; the unsettled remainder is available again, nothing stays reserved
    assert budget.balance == budget_before.balance - settled
    assert budget.reserved == budget_before.reserved - final_fen == 0
    assert budget.available == budget_before.available + (final_fen - settled)
    assert Payment.objects.filter(instalment=inst).count() == (1 if settled else 0)
    assert verify_ledger().ok
    entry = AuditEntry.objects.get(action="agreements.instalment.settle")
    assert entry.data["settled_fen"] == settled and entry.data["released_fen"] == final_fen - settled
    # the settlement row shows what was settled
    [row] = queries.settlements(w.cycle)
    assert row.is_settled and row.final_fen == final_fen and row.settled_fen == settled
    # the agreement can now be closed as paid in full
    assert not Instalment.objects.filter(agreement=w.agreement, paid_fen__lt=F("amount_fen")).exists()


def test_finance_settles_on_the_page_once(make_world, community_director):
    w = make_world(75)
    client = login(w.finance)
    page = client.get(f"/evaluations/cycles/{w.cycle.pk}/settlements/")
    assert page.status_code == 200
    assert _settle_url(w) in page.content.decode()
    assert Notification.objects.filter(user=community_director, event="agreements.settled").count() == 0
    r = client.post(_settle_url(w))
    assert r.status_code == 302
    w.final.refresh_from_db()
    assert w.final.settled_at is not None and w.final.amount_fen == w.final.settled_from_fen // 2
    assert Notification.objects.filter(user=community_director, event="agreements.settled").count() == 1
    # a second settlement is refused with the reason, and nothing moves
    entries = AuditEntry.objects.count()
    again = client.post(_settle_url(w))
    assert again.status_code == 409
    assert "已结算" in again.content.decode()
    assert AuditEntry.objects.count() == entries
    assert _settle_url(w) not in client.get(f"/evaluations/cycles/{w.cycle.pk}/settlements/").content.decode()
    assert verify_ledger().ok


def test_api_settles_with_an_idempotency_key(make_world):
    w = make_world(80)
    client = login(w.finance)
    assert (
        client.post(
            f"/api/evaluations/cycles/{w.cycle.pk}/settlements",
            json.dumps({"agreement_id": w.agreement.pk}),
            content_type="application/json",
        ).status_code
        == 400
    )
    r = _api(client, w)
    assert r.status_code == 201, r.content
    body = r.json()
    expected = int(w.final.amount_fen * 2 / 3)
    assert body["settled"] is True and body["settled_fen"] == expected
    replay = _api(client, w)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert Payment.objects.filter(instalment=w.final).count() == 1
    again = _api(client, w, key="k2")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_settled"
    listed = client.get(f"/api/evaluations/cycles/{w.cycle.pk}/settlements").json()
    assert listed[0]["settled"] is True and listed[0]["settled_fen"] == expected
    assert verify_ledger().ok


def test_others_may_not_settle(make_world, city, community_director, resident):
    w = make_world(95)
    other_finance = make_user("otherfinance", city.other_dept, Role.DEPT_FINANCE)
    for user, page_status, api_status in (
        (other_finance, 403, 403),
        (community_director, 403, 403),
        (resident, 403, 403),
        (w.officer, 403, 403),
    ):
        client = login(user)
        assert client.post(_settle_url(w)).status_code == page_status, user
        assert _api(client, w, key=f"k-{user.pk}").status_code == api_status, user
    anon = Client()
    r = anon.post(_settle_url(w))
    assert r.status_code == 302 and "/login" in r["Location"]
    assert _api(anon, w).status_code == 401
    w.final.refresh_from_db()
    assert w.final.settled_at is None
    assert not AuditEntry.objects.filter(action="agreements.instalment.settle").exists()
    with pytest.raises(PermissionDenied):
        services.settle_instalment(actor=other_finance, cycle=w.cycle, agreement=w.agreement)


def test_not_before_publication(make_world):
    w = make_world(95, publish=False)
    client = login(w.finance)
    # the finance sees the provisional amounts, without a button, and a settlement is refused with the reason
    page = client.get(f"/evaluations/cycles/{w.cycle.pk}/settlements/")
    assert page.status_code == 200 and _settle_url(w) not in page.content.decode()
    r = client.post(_settle_url(w))
    assert r.status_code == 409 and "公布后" in r.content.decode()
    with pytest.raises(InvalidTransition):
        services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)
    services.move_cycle(actor=w.panel, cycle=w.cycle, to="signed_off")
    assert _api(client, w).status_code == 409
    w.final.refresh_from_db()
    assert w.final.settled_at is None


def test_the_final_instalment_waits_for_the_published_evaluation(make_world):
    """Paying the final instalment directly is refused before and after publication (nothing written); the
    settlement after publication is what pays it, and then the agreement can be closed."""
    w = make_world(100, publish=False)
    final_fen = w.final.amount_fen
    payments, entries = Payment.objects.count(), AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        agreement_services.pay_instalment(actor=w.finance, instalment=w.final, amount_fen=final_fen)
    assert exc.value.code == "held_for_evaluation"
    _publish(w)
    entries = AuditEntry.objects.count()
    with pytest.raises(Conflict):
        agreement_services.pay_instalment(actor=w.finance, instalment=w.final, amount_fen=final_fen)
    assert (Payment.objects.count(), AuditEntry.objects.count()) == (payments, entries)
    inst = services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)
    assert inst.paid_fen == inst.amount_fen == final_fen
    assert Payment.objects.filter(instalment=inst).count() == 1
    head = make_user("closing-head", w.city.dept, Role.DEPT_HEAD)
    agreement_services.complete_agreement(actor=head, agreement=w.agreement)
    w.agreement.refresh_from_db()
    assert w.agreement.status == Agreement.Status.COMPLETED
    assert verify_ledger().ok


def test_double_settlement_refused_at_the_service(make_world):
    w = make_world(70)
    services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)
    with pytest.raises(Conflict):
        services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)
    w.final.refresh_from_db()
    with pytest.raises(Conflict):
        agreement_services.settle_final_instalment(
            actor=w.finance, instalment=w.final, settled_fen=0, ref=f"evaluation:{w.cycle.pk}"
        )
    assert AuditEntry.objects.filter(action="agreements.instalment.settle").count() == 1
    assert verify_ledger().ok


def test_public_results_cached_once_published_but_settlement_live(make_world):
    w = make_world(75)
    anon = Client()
    url = f"/evaluations/results/{w.cycle.pk}/"
    first = anon.get(url).content.decode()
    assert "走访核实履约情况" in first and "铜霞社区" in first
    assert f">{round(w.final.amount_fen / 2 / 100)}<" in first  # half of the final instalment at 75
    # the rankings, charts, award and adjustments of a published cycle come from the cache: no score is read again
    with CaptureQueriesContext(connection) as queries_run:
        again = anon.get(url).content.decode()
    assert not any("evaluations_score" in q["sql"] for q in queries_run.captured_queries)
    assert "走访核实履约情况" in again
    # the settlement rows are worked out on every request (they change after publication), from the cached totals
    services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)
    Instalment.objects.filter(pk=w.final.pk).update(settled_from_fen=F("settled_from_fen") + 100_000)
    after = anon.get(url).content.decode()
    assert f">{round((w.final.amount_fen + 100_000) / 100)}<" in after
    assert anon.get(f"/evaluations/results/{w.cycle.pk}/report/").status_code == 200


def test_payment_indicator_leaves_out_the_final_instalment_held_then_settled(make_world, monkeypatch):
    """Paid through agreements.services.pay_instalment and settled through settle_instalment: the department's
    payment indicator agrees with the ledger's overdue list, which leaves the held final instalment out too."""
    from gongzhi.agreements import queries as agreement_queries
    from gongzhi.evaluations import compute

    w = make_world(75, publish=False)
    department = w.agreement.department
    final = Instalment.objects.select_related("agreement", "version").get(pk=w.final.pk)
    assert final.due_on.year == YEAR + 1 and agreement_services.held_for_evaluation(final)
    # direct payment of the held final instalment is refused: only the evaluation's settlement pays it
    with pytest.raises(Conflict):
        agreement_services.pay_instalment(actor=w.finance, instalment=final, amount_fen=final.amount_fen)
    officer = w.officer
    later = make_cycle(w.city, officer, year=YEAR + 1)
    on = dt.date(YEAR + 1, 6, 30)  # the final instalment fell due in January and is still held
    monkeypatch.setattr(compute, "today", lambda: on)
    monkeypatch.setattr(agreement_services, "today", lambda: on)
    overdue = agreement_queries.overdue_instalments(Agreement.objects.filter(department=department), on=on)
    assert final.pk not in {i.pk for i in overdue}
    value, evidence = compute.payment(later, department)
    assert evidence["held_for_evaluation"] == 1 and evidence["instalments_due"] == 0 and value is None
    _publish(w)
    settled = services.settle_instalment(actor=w.finance, cycle=w.cycle, agreement=w.agreement)
    assert settled.settled_ref == f"evaluation:{w.cycle.pk}"
    # paid by the settlement: neither late nor on time for the department
    value, evidence = compute.payment(later, department)
    assert evidence["settled_by_evaluation"] == 1 and evidence["instalments_due"] == 0 and value is None
    assert not agreement_queries.overdue_instalments(Agreement.objects.filter(department=department), on=on)
    # the earlier instalment, paid through the ledger, is judged as usual in its own year's cycle
    [first] = Instalment.objects.filter(agreement=w.agreement).exclude(pk=final.pk)
    value, evidence = compute.payment(w.cycle, department)
    assert evidence["instalments_due"] == 1 and evidence["settled_by_evaluation"] == 0
    assert evidence["held_for_evaluation"] == 0
    assert value == (100 if compute.paid_on_time_in_full(first) else 0)
