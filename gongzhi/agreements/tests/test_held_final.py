"""The final instalment is held for the evaluation (D11): while the agreement is in force, its final instalment (the
highest seq, the one settle_final_instalment settles) is not paid directly when its schedule pays it after the
year's end — by the service, the page or the API; a refusal writes nothing. Earlier instalments stay payable, and
the hold ends with the settlement, with termination, for an advance-only schedule and after hold_ends_on.
(The settlement after publication is tested end to end in gongzhi.evaluations.tests.test_settlement.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import City
from gongzhi.agreements import queries, services
from gongzhi.agreements.models import Agreement, Instalment, Payment
from gongzhi.agreements.tests.conftest import People, active, client_for, draft, version_of
from gongzhi.core.errors import Conflict
from gongzhi.core.models import AuditEntry
from gongzhi.funds.models import Entry, Transfer

pytestmark = pytest.mark.django_db

ONE_PAYMENT = [{"label": "一次付清", "percent": 100, "anchor": "signing", "days": 10}]
AFTER_EVALUATION = [{"label": "年度履约评估后结算", "percent": 100, "anchor": "year_end", "days": 31}]


def _footprint(final: Instalment) -> tuple[int, ...]:
    final.refresh_from_db()
    counts = tuple(m.objects.count() for m in (Payment, Transfer, Entry, AuditEntry))
    return (*counts, final.paid_fen)


def _instalments(agreement: Agreement) -> tuple[Instalment, Instalment]:
    first = Instalment.objects.get(agreement=agreement, seq=1)
    final = Instalment.objects.filter(agreement=agreement).order_by("-seq").first()
    assert final is not None and final.seq > 1
    return first, final


def _active_with(city: City, people: People, schedule: list[dict[str, object]]) -> Agreement:
    agreement = draft(city, people)
    data = services.TermsData.of(version_of(agreement, 1))
    data.schedule = schedule
    services.update_terms(actor=people.clerk, agreement=agreement, data=data)
    services.send_agreement(actor=people.clerk, agreement=agreement)
    version = version_of(agreement, 1)
    services.sign_for_department(actor=people.head, agreement=agreement, digest=version.digest)
    services.sign_for_party(
        actor=people.director,
        agreement=agreement,
        digest=version.digest,
        meeting_date=dt.date(2027, 1, 20),
        minutes_no="居委会纪要〔2027〕1号",
    )
    services.reserve_funds(actor=people.finance, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    return agreement


def test_the_final_instalment_is_refused_and_nothing_is_written(city, people, budget, tasks):
    agreement = active(city, people)
    first, final = _instalments(agreement)
    assert services.held_for_evaluation(final) and not services.held_for_evaluation(first)
    before = _footprint(final)
    for amount in (final.amount_fen, 1):
        with pytest.raises(Conflict) as exc:
            services.pay_instalment(actor=people.finance, instalment=final, amount_fen=amount)
        assert exc.value.code == "held_for_evaluation" and "尾款待评估结算" in exc.value.message
        assert "final instalment" in exc.value.message
    assert _footprint(final) == before
    # the earlier instalment is still paid as usual
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=first.amount_fen)
    first.refresh_from_db()
    assert first.outstanding_fen == 0 and services.held_for_evaluation(final)


def test_the_settlement_pays_it_and_ends_the_hold(city, people, budget, tasks):
    agreement = active(city, people)
    first, final = _instalments(agreement)
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=first.amount_fen)
    services.settle_final_instalment(
        actor=people.finance, instalment=final, settled_fen=final.amount_fen, ref="evaluation:1"
    )
    final.refresh_from_db()
    assert final.is_settled and final.outstanding_fen == 0 and not services.held_for_evaluation(final)
    services.complete_agreement(actor=people.head, agreement=agreement)


def test_an_advance_only_schedule_is_not_held(city, people, budget, tasks):
    agreement = _active_with(city, people, ONE_PAYMENT)
    (only,) = Instalment.objects.filter(agreement=agreement)
    assert not services.held_for_evaluation(only)
    services.pay_instalment(actor=people.finance, instalment=only, amount_fen=only.amount_fen)


def test_a_single_instalment_after_the_evaluation_is_held(city, people, budget, tasks):
    agreement = _active_with(city, people, AFTER_EVALUATION)
    (only,) = Instalment.objects.filter(agreement=agreement)
    assert services.held_for_evaluation(only)
    with pytest.raises(Conflict):
        services.pay_instalment(actor=people.finance, instalment=only, amount_fen=only.amount_fen)


def test_termination_settles_by_its_own_rule(city, people, budget, tasks):
    agreement = active(city, people)
    first, final = _instalments(agreement)
    agreed = first.amount_fen + final.amount_fen
    services.terminate_agreement(
        actor=people.head, agreement=agreement, reason="社区撤并", settlement_fen=agreed
    )
    final.refresh_from_db()
    assert not services.held_for_evaluation(final)
    services.pay_instalment(actor=people.finance, instalment=final, amount_fen=final.amount_fen)


def test_the_hold_lapses_when_no_evaluation_settles_it(city, people, budget, tasks, monkeypatch):
    agreement = active(city, people)
    _first, final = _instalments(agreement)
    last_day = services.hold_ends_on(agreement, final)
    assert last_day == dt.date(agreement.year + 1, 12, 31)
    assert services.held_for_evaluation(final, on=last_day)
    assert not services.held_for_evaluation(final, on=last_day + dt.timedelta(days=1))
    monkeypatch.setattr(services, "today", lambda: last_day + dt.timedelta(days=1))
    services.pay_instalment(actor=people.finance, instalment=final, amount_fen=final.amount_fen)


def test_the_page_does_not_offer_it(city, people, budget, tasks):
    agreement = active(city, people)
    first, final = _instalments(agreement)
    client = client_for(people.finance)
    page = client.get(f"/agreements/{agreement.pk}/").content.decode()
    assert f"/agreements/{agreement.pk}/instalments/{first.seq}/pay/" in page
    assert f"/agreements/{agreement.pk}/instalments/{final.seq}/pay/" not in page
    assert "尾款待评估结算" in page
    url = f"/agreements/{agreement.pk}/instalments/{final.seq}/pay/"
    form = client.get(url)
    assert form.status_code == 200
    assert "尾款待评估结算" in form.content.decode() and 'name="amount"' not in form.content.decode()
    before = _footprint(final)
    refused = client.post(url, {"amount": "1", "note": ""})
    assert refused.status_code == 409 and "尾款待评估结算" in refused.content.decode()
    assert _footprint(final) == before


def test_the_api_refuses_it(city, people, budget, tasks):
    agreement = active(city, people)
    first, final = _instalments(agreement)
    client = client_for(people.finance)
    listed = client.get(f"/api/agreements/{agreement.pk}/instalments").json()
    assert [i["held_for_evaluation"] for i in listed] == [i.pk == final.pk for i in (first, final)]
    assert not listed[-1]["overdue"]
    before = _footprint(final)
    refused = client.post(
        f"/api/agreements/{agreement.pk}/instalments/{final.seq}/payments",
        json.dumps({"amount_fen": final.amount_fen, "note": ""}),
        content_type="application/json",
        headers={"Idempotency-Key": "pay-final-early"},
    )
    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "held_for_evaluation" and "尾款待评估结算" in error["message"]
    assert _footprint(final) == before


def test_a_held_final_instalment_is_not_flagged_overdue(city, people, budget, tasks):
    agreement = active(city, people)
    first, final = _instalments(agreement)
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=first.amount_fen)
    assert services.flag_overdue_instalments(on=final.due_on + dt.timedelta(days=1)) == []
    lapsed = services.hold_ends_on(agreement, final) + dt.timedelta(days=1)
    assert [i.pk for i in services.flag_overdue_instalments(on=lapsed)] == [final.pk]


def test_the_overdue_lists_leave_out_a_held_final_instalment(city, people, budget, tasks):
    """The lists on the department's, the community's and the office's pages (and the API's figures) show
    what is late by the department's doing; the held final instalment is not, until the hold lapses."""
    agreement = active(city, people)
    first, final = _instalments(agreement)
    mine = Agreement.objects.filter(pk=agreement.pk)
    after_due = final.due_on + dt.timedelta(days=1)
    assert [i.pk for i in queries.overdue_instalments(mine, on=after_due)] == [first.pk]
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=first.amount_fen)
    assert list(queries.overdue_instalments(mine, on=after_due)) == []
    lapsed = services.hold_ends_on(agreement, final) + dt.timedelta(days=1)
    assert [i.pk for i in queries.overdue_instalments(mine, on=lapsed)] == [final.pk]
