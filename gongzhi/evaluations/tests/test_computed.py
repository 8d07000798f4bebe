"""Computed indicators agree with the admission, agreement and ledger rows they come from; survey scores are
suppressed under 5 responses; the settlement follows the configured rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.admissions.models import InformalTaskReport, Refusal
from gongzhi.agreements.models import Agreement, AgreementTask, Completion, Instalment, Payment, Version
from gongzhi.evaluations import compute, queries, services
from gongzhi.evaluations.models import Cycle, Direction, Score
from gongzhi.evaluations.tests.helpers import com, dep, make_cycle
from gongzhi.funds.models import Account, Transfer
from gongzhi.surveys import queries as survey_queries
from gongzhi.surveys.models import Answer, Question, Response, Survey

pytestmark = pytest.mark.django_db


def _report(city: Any, user: Any, status: str, on: dt.date, department: Any = None) -> None:
    InformalTaskReport.objects.create(
        community=city.tongxia,
        organization=city.committee,
        department=department or city.dept,
        title="临时填表",
        details="微信群布置",
        demanded_on=on,
        status=status,
        created_by=user,
    )


def _refusal(city: Any, user: Any, reason: str) -> None:
    Refusal.objects.create(
        community=city.tongxia,
        organization=city.committee,
        department=city.dept,
        reason=reason,
        title="未准入事项",
        details="拒绝",
        created_by=user,
    )


def test_interference_counts_upheld_reports_and_refusals(city, approval_officer, community_director):
    cycle = make_cycle(city, approval_officer)
    _report(city, community_director, InformalTaskReport.Status.UPHELD, dt.date(2026, 3, 1))
    _report(city, community_director, InformalTaskReport.Status.UPHELD, dt.date(2026, 5, 1))
    _report(city, community_director, InformalTaskReport.Status.DISMISSED, dt.date(2026, 5, 1))  # not counted
    _report(city, community_director, InformalTaskReport.Status.UPHELD, dt.date(2025, 5, 1))  # other year
    _report(city, community_director, InformalTaskReport.Status.UPHELD, dt.date(2026, 5, 1), city.other_dept)
    _refusal(city, community_director, Refusal.Reason.NOT_ADMITTED)
    _refusal(city, community_director, Refusal.Reason.NOT_ADMITTED)
    value, evidence = compute.interference(cycle, city.dept, 10)
    assert evidence == {
        "dealt_with": True,
        "upheld_reports": 2,
        "refused_tasks": 2,
        "outside_admission": 2,
        "incidents": 4,
        "penalty": 10,
    }
    assert value == 60
    # 统计局: no community dealt with it, but an upheld report is a dealing (a bad one): it counts
    assert compute.interference(cycle, city.other_dept, 10)[0] == 90
    assert compute.interference(cycle, city.dept, 30)[0] == 0  # never below 0


def _agreement(
    city: Any, user: Any, number: str, status: str = Agreement.Status.ACTIVE, department: Any = None
) -> Agreement:
    agreement = Agreement.objects.create(
        number=number,
        year=2026,
        department=department or city.dept,
        community=city.tongxia,
        party=city.committee,
        status=status,
        created_by=user,
    )
    return agreement


def test_agreement_performance_is_the_share_of_confirmed_tasks(city, approval_officer, dept_clerk):
    cycle = make_cycle(city, approval_officer)
    agreement = _agreement(city, dept_clerk, "A-1")
    now = timezone.now()
    tasks = [
        AgreementTask.objects.create(agreement=agreement, title=f"事项{i}", position=i) for i in range(4)
    ]
    for task, status in zip(
        tasks,
        [Completion.Status.CONFIRMED, Completion.Status.UPHELD, Completion.Status.DISPUTED],
        strict=False,
    ):
        Completion.objects.create(
            agreement=agreement,
            task=task,
            status=status,
            summary="完成",
            reported_by=dept_clerk,
            reported_at=now,
        )
    # a terminated agreement's tasks do not count
    other = _agreement(city, dept_clerk, "A-2", Agreement.Status.TERMINATED, city.other_dept)
    AgreementTask.objects.create(agreement=other, title="x", position=0)
    value, evidence = compute.agreement_performance(cycle, city.tongxia)
    assert evidence == {"tasks": 4, "confirmed": 2}
    assert value == 50
    assert compute.agreement_performance(cycle, city.shizishan)[0] is None


def test_payment_is_the_share_paid_on_time_in_full(city, approval_officer, dept_clerk, monkeypatch):
    monkeypatch.setattr(compute, "today", lambda: dt.date(2026, 11, 27))
    cycle = make_cycle(city, approval_officer)
    agreement = _agreement(city, dept_clerk, "A-3")
    version = Version.objects.create(
        agreement=agreement,
        number=1,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        created_by=dept_clerk,
    )
    budget = Account.objects.create(
        region=city.city, kind=Account.Kind.BUDGET, year=2026, name="预算", organization=city.dept
    )
    payee = Account.objects.create(
        region=city.tongxia, kind=Account.Kind.COMMUNITY, name="社区", organization=city.committee
    )

    def instalment(seq: int, due: dt.date, amount: int) -> Instalment:
        return Instalment.objects.create(
            agreement=agreement, version=version, seq=seq, label=f"第{seq}期", due_on=due, amount_fen=amount
        )

    def pay(inst: Instalment, amount: int, on: dt.date) -> None:
        at = timezone.make_aware(dt.datetime.combine(on, dt.time(10)))
        transfer = Transfer.objects.create(
            from_account=budget, to_account=payee, amount=amount, kind="payment", region=city.city, at=at
        )
        Payment.objects.create(
            agreement=agreement,
            instalment=inst,
            amount_fen=amount,
            transfer=transfer,
            paid_by=dept_clerk,
            paid_at=at,
        )

    on_time = instalment(1, dt.date(2026, 3, 31), 10000)
    pay(on_time, 10000, dt.date(2026, 3, 30))
    late = instalment(2, dt.date(2026, 6, 30), 10000)
    pay(late, 10000, dt.date(2026, 7, 15))
    short = instalment(3, dt.date(2026, 9, 30), 10000)
    pay(short, 5000, dt.date(2026, 9, 1))
    split = instalment(4, dt.date(2026, 10, 31), 10000)
    pay(split, 4000, dt.date(2026, 10, 1))
    pay(split, 6000, dt.date(2026, 10, 31))
    instalment(5, dt.date(2026, 12, 31), 10000)  # not yet due (today is before the due date): not counted
    value, evidence = compute.payment(cycle, city.dept)
    assert evidence["instalments_due"] == 4 and evidence["paid_on_time_in_full"] == 2
    assert value == 50
    # once its due date has passed unpaid it counts, as late
    monkeypatch.setattr(compute, "today", lambda: dt.date(2027, 1, 5))
    value, evidence = compute.payment(cycle, city.dept)
    assert evidence["instalments_due"] == 5 and evidence["paid_on_time_in_full"] == 2
    assert value == 40
    assert compute.payment(cycle, city.other_dept)[0] is None


def _survey(city: Any, user: Any) -> tuple[Survey, Question]:
    survey = Survey.objects.create(
        title="满意度",
        scope=city.city,
        owner=city.office,
        purpose=Survey.Purpose.SATISFACTION,
        created_by=user,
    )
    question = Question.objects.create(survey=survey, position=1, kind=Question.Kind.SCALE, text="满意吗")
    return survey, question


def _answer(city: Any, survey: Survey, question: Question, community: Any, value: int) -> None:
    response = Response.objects.create(survey=survey, community=community)
    Answer.objects.create(response=response, question=question, community=community, value=value)


def test_survey_satisfaction_is_the_survey_apps_score(city, approval_officer, panel_member):
    cycle = make_cycle(city, approval_officer)
    survey, question = _survey(city, approval_officer)
    services.link_survey(actor=approval_officer, indicator=com(cycle, "residents"), survey=survey)
    for v in (5, 5, 4, 4, 2):
        _answer(city, survey, question, city.tongxia, v)
    for v in (5, 5, 5, 5):
        _answer(city, survey, question, city.shizishan, v)
    indicator = com(cycle, "residents")
    indicator.refresh_from_db()
    # 狮子山 has 4 responses: withheld, and so (to stop subtraction from the scope's total) is 铜霞, exactly as
    # the survey's own results withhold them
    table = survey_queries.scores(survey)
    assert table.communities[city.shizishan.pk].suppressed and table.communities[city.tongxia.pk].suppressed
    for community in (city.tongxia, city.shizishan):
        value, evidence = compute.survey_satisfaction(indicator, community)
        assert value is None and evidence["suppressed"] is True and "responses" not in evidence
    _answer(city, survey, question, city.shizishan, 1)
    cell = survey_queries.scores(survey).communities[city.tongxia.pk]
    value, evidence = compute.survey_satisfaction(indicator, city.tongxia)
    assert value == 75 == round(cell.score100 or 0, 2)  # each respondent's mean 4 → (4 − 1) / 4 × 100
    # Student's t with 4 degrees of freedom (and the finite-population correction), not 1.96
    assert evidence["responses"] == 5 and evidence["margin"] == round(cell.margin100 or 0, 2) > 26.84
    assert compute.survey_values(indicator)[city.shizishan.pk][0] == 80  # mean 4.2
    # the published results show the score with its ± margin (page and API)
    for to, actor in (
        ("open", approval_officer),
        ("reviewing", approval_officer),
        ("signed_off", panel_member),
    ):
        services.move_cycle(actor=actor, cycle=cycle, to=to)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="published")
    text = Client().get(f"/evaluations/results/{cycle.pk}/").content.decode()
    assert f"75.0 <small>±{evidence['margin']:.1f}</small>" in text
    api = Client().get(f"/api/evaluations/results/{cycle.pk}").json()
    tongxia = next(r for r in api["communities"] if r["name"] == "铜霞社区")
    assert tongxia["values"]["residents"] == 75 and tongxia["margins"]["residents"] == evidence["margin"]


def test_survey_satisfaction_reads_every_version_of_the_series(city, approval_officer):
    cycle = make_cycle(city, approval_officer)
    survey, question = _survey(city, approval_officer)
    services.link_survey(actor=approval_officer, indicator=com(cycle, "residents"), survey=survey)
    newer = Survey.objects.create(
        title="满意度(修订)",
        scope=city.city,
        owner=city.office,
        purpose=Survey.Purpose.SATISFACTION,
        created_by=approval_officer,
        series=survey.series,
        version=2,
    )
    newer_q = Question.objects.create(survey=newer, position=1, kind=Question.Kind.SCALE, text="满意吗")
    for community in (city.tongxia, city.shizishan):
        for v in (5, 5, 5, 5, 5):
            _answer(city, survey, question, community, v)
        for v in (1, 1, 1, 1, 1):  # the newer version's respondents are other households
            _answer(city, newer, newer_q, community, v)
    indicator = com(cycle, "residents")
    indicator.refresh_from_db()
    value, evidence = compute.survey_satisfaction(indicator, city.tongxia)
    assert value == 50 and evidence["responses"] == 10  # mean 3 over both versions
    assert evidence["versions"] == [survey.pk, newer.pk]
    v1 = survey_queries.scores(survey).communities[city.tongxia.pk]
    assert v1.score100 == 100  # the linked version alone would have said 100


def test_totals_ranks_settlement_and_change(city, approval_officer, dept_clerk, panel_member, monkeypatch):
    monkeypatch.setattr(compute, "today", lambda: dt.date(2026, 11, 27))
    previous = make_cycle(city, approval_officer, year=2025)
    cycle = make_cycle(city, approval_officer)
    for c in (previous, cycle):
        services.move_cycle(actor=approval_officer, cycle=c, to="open")
        services.move_cycle(actor=approval_officer, cycle=c, to="reviewing")

    def adjust(c: Cycle, key: str, value: float) -> None:
        score = Score.objects.get(indicator=com(c, key), community=city.tongxia)
        services.adjust_score(actor=panel_member, score=score, value=value, reason="走访核实结论")

    # 2025: 铜霞's statutory duties and residents' satisfaction (70 % of the weight) set by the panel → 50
    adjust(previous, "statutory", 50)
    adjust(previous, "residents", 50)
    services.move_cycle(actor=panel_member, cycle=previous, to="signed_off")
    services.move_cycle(actor=approval_officer, cycle=previous, to="published")
    adjust(cycle, "statutory", 80)
    rows = {r.name: r for r in queries.results(cycle, Direction.COMMUNITY)}
    # only 20 % of the weight has a value: a total for information, not ranked
    assert rows["铜霞社区"].total == 80 and rows["铜霞社区"].rank is None and not rows["铜霞社区"].ranked
    assert "居民满意度" in rows["铜霞社区"].missing
    adjust(cycle, "residents", 80)
    rows = {r.name: r for r in queries.results(cycle, Direction.COMMUNITY)}
    assert rows["铜霞社区"].total == 80 and rows["铜霞社区"].rank == 1 and rows["铜霞社区"].ranked
    assert rows["铜霞社区"].change == 30
    assert rows["狮子山社区"].total is None and rows["狮子山社区"].rank is None
    # settlement rule: 90+ all, under 60 none, linear between
    assert queries.settle_share(80, cycle) == pytest.approx(2 / 3)
    assert queries.settle_share(95, cycle) == 1 and queries.settle_share(59.9, cycle) == 0
    agreement = _agreement(city, dept_clerk, "A-9")
    version = Version.objects.create(
        agreement=agreement,
        number=1,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        created_by=dept_clerk,
    )
    Instalment.objects.create(
        agreement=agreement,
        version=version,
        seq=1,
        label="首期",
        due_on=dt.date(2026, 3, 1),
        amount_fen=60000,
    )
    Instalment.objects.create(
        agreement=agreement,
        version=version,
        seq=2,
        label="尾款",
        due_on=dt.date(2026, 12, 31),
        amount_fen=30000,
    )
    [settlement] = queries.settlements(cycle)
    assert settlement.final_fen == 30000 and settlement.settled_fen == 20000
    # departments: nobody rated either; 民政局 (dealt with 铜霞) has interference 100 only, 统计局 nothing
    departments = {r.name: r for r in queries.results(cycle, Direction.DEPARTMENT)}
    assert departments["铜陵市民政局"].values["interference"] == 100
    assert departments["铜陵市统计局"].values["interference"] is None
    assert not any(r.ranked for r in departments.values()) and queries.award(cycle) == []
    assert Cycle.objects.get(pk=cycle.pk).status == "reviewing"


def test_unrated_departments_are_not_ranked_and_get_no_award(city, approval_officer, panel_member):
    cycle = make_cycle(city, approval_officer)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    # 统计局: no community dealt with it in the period and no incident → no interference and no payment data
    value, evidence = compute.interference(cycle, city.other_dept, 10)
    assert value is None and evidence["dealt_with"] is False and evidence["incidents"] == 0
    assert compute.payment(cycle, city.other_dept)[0] is None

    def adjust(key: str, department: Any, value: float) -> None:
        score = Score.objects.get(indicator=dep(cycle, key), department=department)
        services.adjust_score(actor=panel_member, score=score, value=value, reason="走访核实结论")

    # 民政局 rated low on both rated indicators; 统计局 rated high on one only: 25 % of the weight → not ranked
    adjust("guidance", city.dept, 40)
    adjust("service", city.dept, 40)
    adjust("guidance", city.other_dept, 100)
    rows = queries.results(cycle, Direction.DEPARTMENT)
    assert [(r.name, r.rank, r.ranked) for r in rows] == [
        ("铜陵市民政局", 1, True),  # (40 + 40 + 100) / 3
        ("铜陵市统计局", None, False),
    ]
    assert rows[0].total == 60 and rows[1].total == 100
    assert rows[1].missing == ["行政服务", "行政干预(越少越好)", "资金支付"]
    assert [r.name for r in queries.award(cycle, rows)] == ["铜陵市民政局"]


def test_withheld_satisfaction_is_named_and_not_ranked(city, approval_officer, panel_member):
    cycle = make_cycle(city, approval_officer)
    survey, question = _survey(city, approval_officer)
    services.link_survey(actor=approval_officer, indicator=com(cycle, "residents"), survey=survey)
    for v in (4, 4, 4):  # three responses: withheld
        _answer(city, survey, question, city.tongxia, v)
    services.move_cycle(actor=approval_officer, cycle=cycle, to="open")
    services.move_cycle(actor=approval_officer, cycle=cycle, to="reviewing")
    for key in ("statutory", "agreement", "units"):
        score = Score.objects.get(indicator=com(cycle, key), community=city.tongxia)
        services.adjust_score(actor=panel_member, score=score, value=90, reason="走访核实结论")
    row = next(r for r in queries.results(cycle, Direction.COMMUNITY) if r.name == "铜霞社区")
    assert row.total == 90 and not row.ranked and row.rank is None
    assert row.withheld == ["居民满意度"] and row.missing == ["居民满意度"]
    services.move_cycle(actor=panel_member, cycle=cycle, to="signed_off")
    services.move_cycle(actor=approval_officer, cycle=cycle, to="published")
    text = Client().get(f"/evaluations/results/{cycle.pk}/").content.decode()
    assert "未参评(数据不足)" in text and "答卷少于5份,不公布:居民满意度" in text
    api = Client().get(f"/api/evaluations/results/{cycle.pk}").json()
    tongxia = next(r for r in api["communities"] if r["name"] == "铜霞社区")
    assert tongxia["ranked"] is False and tongxia["withheld"] == ["居民满意度"]
