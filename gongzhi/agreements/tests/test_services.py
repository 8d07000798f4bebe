"""The agreement's life through the services: drafting from admitted tasks, the one-per-year constraint, the frozen
text, signatures, 费随事转 (no activation before the whole amount is reserved), payments through the ledger,
amendments, termination, completion reports, overdue flags and the refusal link."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from conftest import make_user
from gongzhi.admissions.models import Refusal
from gongzhi.agreements import canonical, services
from gongzhi.agreements.models import (
    Agreement,
    AgreementTask,
    Completion,
    Instalment,
    Kind,
    Payment,
    Signature,
    Version,
)
from gongzhi.agreements.tests.conftest import (
    MEETING,
    STANDARD,
    TODAY,
    YEAR,
    active,
    admit,
    digest_of,
    draft,
    fund,
    sent,
    signed_both,
    version_of,
)
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry, Notification
from gongzhi.core.roles import OrgKind, Role
from gongzhi.funds.models import Account, Reservation
from gongzhi.funds.queries import verify_ledger
from gongzhi.orgs import services as org_services

pytestmark = pytest.mark.usefixtures("tasks")


def _actions(agreement: Agreement) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="agreements.agreement", target_id=str(agreement.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_draft_covers_every_admitted_task_of_the_year_at_least_the_standard(city, people, tasks, dept_clerk):
    admit(city, dept_clerk, "他区社区的事项", community=city.shizishan)  # another community
    admit(city, dept_clerk, "不须协议的事项", requires_agreement=False)
    admit(city, dept_clerk, "明年的事项", starts_on=dt.date(YEAR + 1, 2, 1))
    agreement = draft(city, people)
    assert agreement.status == Agreement.Status.DRAFT
    assert agreement.party == city.committee and agreement.kind == Kind.ENTRUSTMENT
    assert agreement.number == f"WT{YEAR}-{city.dept.pk:03d}-{city.tongxia.code}"
    version = version_of(agreement, 1)
    items = list(version.items.order_by("task__position"))
    assert [i.task.admitted_task for i in items] == tasks
    assert [i.amount_fen for i in items] == [
        STANDARD,
        800_000,
    ]  # the list item's standard; the admitted funding
    assert all(i.amount_fen >= i.standard_fen for i in items)
    assert version.contact_name == "王科长"
    assert version.starts_on == dt.date(YEAR, 1, 1) and version.ends_on == dt.date(YEAR, 12, 31)
    assert version.schedule == canonical.DEFAULT_SCHEDULE
    assert _actions(agreement) == ["agreements.agreement.create"]


def test_one_agreement_per_department_community_year(city, people):
    first = draft(city, people)
    with pytest.raises(Conflict) as exc:
        draft(city, people)
    assert first.number in exc.value.message
    # and the database says the same when the service is bypassed
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(
            kind=Kind.ENTRUSTMENT,
            number="other",
            year=YEAR,
            department=city.dept,
            community=city.tongxia,
            party=city.committee,
            created_by=people.clerk,
        )
    # another year, another department are fine
    services.create_agreement(actor=people.clerk, department=city.dept, community=city.tongxia, year=YEAR + 1)
    assert Agreement.objects.count() == 2


def test_only_the_departments_clerks_and_heads_draft(city, people):
    for user in (people.finance, people.director):
        with pytest.raises(PermissionDenied):
            services.create_agreement(actor=user, department=city.dept, community=city.tongxia, year=YEAR)
    outsider_clerk = make_user("statclerk", city.other_dept, Role.DEPT_CLERK)
    with pytest.raises(PermissionDenied):
        services.create_agreement(
            actor=outsider_clerk, department=city.dept, community=city.tongxia, year=YEAR
        )
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"year": 1999}, "year"),
        ({"year": True}, "year"),
        ({"kind": "loan"}, "kind"),
    ],
)
def test_draft_bad_input(city, people, kwargs, field):
    args = {"actor": people.clerk, "department": city.dept, "community": city.tongxia, "year": YEAR} | kwargs
    with pytest.raises(ValidationFailed) as exc:
        services.create_agreement(**args)
    assert field in exc.value.fields
    assert (
        not Agreement.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="agreements").exists()
    )


def test_draft_needs_a_community_with_a_committee(city, people):
    with pytest.raises(ValidationFailed) as exc:
        services.create_agreement(
            actor=people.clerk, department=city.dept, community=city.district, year=YEAR
        )
    assert "community" in exc.value.fields


def test_amount_at_least_the_standard_and_terms_validated(city, people):
    agreement = draft(city, people)
    task = agreement.tasks.order_by("position").first()
    assert task is not None
    with pytest.raises(ValidationFailed) as exc:
        services.update_item(
            actor=people.clerk,
            agreement=agreement,
            task=task,
            requirements="x",
            standards="y",
            amount_fen=STANDARD - 1,
        )
    assert "费随事转" in exc.value.message
    bad: Any
    for bad in (-1, 1.5, "100", True):
        with pytest.raises(ValidationFailed):
            services.update_item(
                actor=people.clerk,
                agreement=agreement,
                task=task,
                requirements="x",
                standards="y",
                amount_fen=bad,
            )
    item = services.update_item(
        actor=people.clerk,
        agreement=agreement,
        task=task,
        requirements="入户",
        standards="全覆盖",
        amount_fen=STANDARD + 5,
    )
    assert item.amount_fen == STANDARD + 5
    data = services.TermsData.of(version_of(agreement, 1))
    data.schedule = [{"label": "一次付清", "percent": 90, "anchor": "signing", "days": 10}]
    with pytest.raises(ValidationFailed) as exc:
        services.update_terms(actor=people.clerk, agreement=agreement, data=data)
    assert "schedule" in exc.value.fields
    data.schedule = [{"label": "一次付清", "percent": 100, "anchor": "signing", "days": 10}]
    data.ends_on = dt.date(YEAR + 1, 1, 31)
    with pytest.raises(ValidationFailed) as exc:
        services.update_terms(actor=people.clerk, agreement=agreement, data=data)
    assert "ends_on" in exc.value.fields
    data.ends_on = dt.date(YEAR, 6, 30)
    data.contact_name = ""
    with pytest.raises(ValidationFailed):
        services.update_terms(actor=people.clerk, agreement=agreement, data=data)
    data.contact_name = "李科长"
    version = services.update_terms(actor=people.clerk, agreement=agreement, data=data)
    assert version.ends_on == dt.date(YEAR, 6, 30) and version.contact_name == "李科长"


def test_send_freezes_the_text_with_its_sm3_digest(city, people):
    agreement = sent(city, people)
    version = version_of(agreement, 1)
    assert agreement.status == Agreement.Status.SENT and version.status == Version.Status.SENT
    assert version.digest == canonical.digest(version.text) and len(version.digest) == 64
    assert version.total_fen == STANDARD + 800_000
    for text in (
        "低保家庭入户调查",
        "铜陵市民政局",
        "铜霞社区居委会",
        "贰万元整",
        "评估",
        "违约责任",
        f"{YEAR}年1月1日",
    ):
        assert text in version.text, text
    task = agreement.tasks.first()
    assert task is not None
    # the text cannot change any more: editing needs the draft back
    with pytest.raises(InvalidTransition):
        services.update_item(
            actor=people.clerk,
            agreement=agreement,
            task=task,
            requirements="x",
            standards="y",
            amount_fen=STANDARD * 2,
        )
    with pytest.raises(InvalidTransition):
        services.send_agreement(actor=people.clerk, agreement=agreement)
    # the community sees it now and was told
    assert Notification.objects.filter(user=people.director, event="agreements.sent").exists()


def test_send_refuses_an_empty_draft_and_uncovered_tasks(city, people, dept_clerk):
    agreement = draft(city, people)
    late = admit(city, dept_clerk, "后来准入的事项")
    with pytest.raises(ValidationFailed) as exc:
        services.send_agreement(actor=people.clerk, agreement=agreement)
    assert str(late.pk) in exc.value.fields["tasks"]
    services.add_admitted_tasks(actor=people.clerk, agreement=agreement)
    assert agreement.tasks.count() == 3
    services.send_agreement(actor=people.clerk, agreement=agreement)


def test_signing_order_digest_and_meeting_reference(city, people):
    agreement = sent(city, people)
    digest = digest_of(agreement)
    # the community cannot sign first; the clerk and the finance cannot sign for the department
    with pytest.raises(InvalidTransition):
        services.sign_for_party(
            actor=people.director, agreement=agreement, digest=digest, meeting_date=MEETING, minutes_no="1号"
        )
    for user in (people.clerk, people.finance):
        with pytest.raises(PermissionDenied):
            services.sign_for_department(actor=user, agreement=agreement, digest=digest)
    with pytest.raises(Conflict) as stale:
        services.sign_for_department(actor=people.head, agreement=agreement, digest="0" * 64)
    assert stale.value.code == "stale_digest"
    signature = services.sign_for_department(actor=people.head, agreement=agreement, digest=digest)
    assert (
        signature.digest == digest and signature.signer == people.head and signature.signer_name == "民政局长"
    )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DEPT_SIGNED
    # the community signs only with the meeting's date and minutes number
    for meeting_date, minutes in (
        (None, "1号"),
        (MEETING, ""),
        (TODAY + dt.timedelta(days=1), "1号"),
        (MEETING, "x" * 61),
    ):
        with pytest.raises(ValidationFailed):
            services.sign_for_party(
                actor=people.director,
                agreement=agreement,
                digest=digest,
                meeting_date=meeting_date,
                minutes_no=minutes,
            )
    staff = make_user("staff2", city.committee, Role.COMMUNITY_STAFF)
    with pytest.raises(PermissionDenied):
        services.sign_for_party(
            actor=staff, agreement=agreement, digest=digest, meeting_date=MEETING, minutes_no="1号"
        )
    signed = services.sign_for_party(
        actor=people.director,
        agreement=agreement,
        digest=digest,
        meeting_date=MEETING,
        minutes_no="居委会纪要〔2027〕1号",
    )
    assert (signed.meeting_date, signed.minutes_no) == (MEETING, "居委会纪要〔2027〕1号")
    agreement.refresh_from_db()
    # both signed, nothing reserved: not in force (费随事转)
    assert agreement.status == Agreement.Status.COMMUNITY_SIGNED
    assert not Instalment.objects.exists()


def test_altered_text_cannot_be_signed(city, people):
    agreement = sent(city, people)
    Version.objects.filter(agreement=agreement).update(text="改过的文本")
    with pytest.raises(Conflict) as exc:
        services.sign_for_department(actor=people.head, agreement=agreement, digest=digest_of(agreement))
    assert exc.value.code == "digest_mismatch"


def test_no_activation_until_the_whole_amount_is_reserved(city, people):
    agreement = signed_both(city, people)
    budget = fund(city, 1_000_000)  # 10,000 yuan: less than the 20,000 agreed
    with pytest.raises(Conflict) as exc:
        services.reserve_funds(actor=people.finance, agreement=agreement)
    assert exc.value.code == "insufficient_funds"
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.COMMUNITY_SIGNED
    assert not Reservation.objects.exists()
    with pytest.raises(PermissionDenied):
        services.reserve_funds(actor=people.clerk, agreement=agreement)
    fund(city, 1_000_000)
    version = services.reserve_funds(actor=people.finance, agreement=agreement)
    agreement.refresh_from_db()
    budget.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE and version.status == Version.Status.EFFECTIVE
    assert budget.reserved == STANDARD + 800_000
    reservation = version.reservation
    assert reservation is not None and reservation.payee is not None
    assert (
        reservation.payee.organization == city.committee and reservation.payee.kind == Account.Kind.COMMUNITY
    )
    plan = list(Instalment.objects.filter(agreement=agreement).order_by("seq"))
    assert [i.amount_fen for i in plan] == [1_200_000, 800_000]  # 60 % / 40 %
    assert plan[0].due_on == TODAY + dt.timedelta(days=15)
    assert plan[1].due_on == dt.date(YEAR + 1, 1, 31)
    with pytest.raises(InvalidTransition):
        services.reserve_funds(actor=people.finance, agreement=agreement)
    assert _actions(agreement) == [
        "agreements.agreement.create",
        "agreements.agreement.send",
        "agreements.agreement.dept_sign",
        "agreements.agreement.party_sign",
        "agreements.agreement.reserve",
        "agreements.agreement.activate",
    ]


def test_reserve_before_the_community_signs_activates_on_its_signature(city, people, budget):
    agreement = sent(city, people)
    services.sign_for_department(actor=people.head, agreement=agreement, digest=digest_of(agreement))
    services.reserve_funds(actor=people.finance, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DEPT_SIGNED
    services.sign_for_party(
        actor=people.director,
        agreement=agreement,
        digest=digest_of(agreement),
        meeting_date=MEETING,
        minutes_no="2号",
    )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE


def test_returning_voids_signatures_and_releases_the_reservation(city, people, budget):
    agreement = sent(city, people)
    services.sign_for_department(actor=people.head, agreement=agreement, digest=digest_of(agreement))
    services.reserve_funds(actor=people.finance, agreement=agreement)
    budget.refresh_from_db()
    assert budget.reserved == STANDARD + 800_000
    with pytest.raises(ValidationFailed):
        services.reopen_agreement(actor=people.director, agreement=agreement, reason="  ")
    services.reopen_agreement(actor=people.director, agreement=agreement, reason="第二项金额偏低")
    agreement.refresh_from_db()
    budget.refresh_from_db()
    version = version_of(agreement, 1)
    assert agreement.status == Agreement.Status.DRAFT and version.status == Version.Status.DRAFT
    assert version.digest == "" and version.reservation is None
    assert budget.reserved == 0
    assert Signature.objects.filter(voided_at__isnull=False).count() == 1
    # edited and sent again: a new digest, signed afresh
    task = agreement.tasks.order_by("position").last()
    assert task is not None
    services.update_item(
        actor=people.clerk,
        agreement=agreement,
        task=task,
        requirements="核查",
        standards="全覆盖",
        amount_fen=900_000,
    )
    services.send_agreement(actor=people.clerk, agreement=agreement)
    assert version_of(agreement, 1).total_fen == STANDARD + 900_000
    assert verify_ledger().ok


def test_payments_move_money_and_never_exceed_the_agreement(city, people, budget):
    agreement = active(city, people)
    first = Instalment.objects.get(agreement=agreement, seq=1)
    with pytest.raises(PermissionDenied):
        services.pay_instalment(actor=people.head, instalment=first, amount_fen=100)
    bad2: Any
    for bad2 in (0, -5, 1.0, True):
        with pytest.raises(ValidationFailed):
            services.pay_instalment(actor=people.finance, instalment=first, amount_fen=bad2)
    with pytest.raises(ValidationFailed):
        services.pay_instalment(actor=people.finance, instalment=first, amount_fen=first.amount_fen + 1)
    part = services.pay_instalment(
        actor=people.finance, instalment=first, amount_fen=200_000, note="预拨一部分"
    )
    rest = services.pay_instalment(actor=people.finance, instalment=first, amount_fen=1_000_000)
    first.refresh_from_db()
    assert first.paid_fen == first.amount_fen == 1_200_000
    assert part.transfer.ref != rest.transfer.ref
    community = Account.objects.get(organization=city.committee, kind=Account.Kind.COMMUNITY)
    assert community.balance == 1_200_000
    budget.refresh_from_db()
    assert budget.balance == 10_000_000 - 1_200_000 and budget.reserved == 800_000
    with pytest.raises(ValidationFailed):
        services.pay_instalment(actor=people.finance, instalment=first, amount_fen=1)
    assert Notification.objects.filter(user=people.director, event="agreements.paid").count() == 2
    assert verify_ledger().ok


def test_payment_rolls_back_when_the_ledger_refuses(city, people, budget):
    """The ledger pays a reference once: if the next payment's reference was already used, nothing is written."""
    from gongzhi.funds import services as funds

    agreement = active(city, people)
    first = Instalment.objects.get(agreement=agreement, seq=1)
    funds.pay_from_reservation(
        actor=people.finance,
        reservation=first.version.reservation,  # type: ignore[arg-type]
        to_account=Account.objects.get(organization=city.committee),
        amount=1,
        ref=f"agreement:{agreement.pk}/instalment:1/payment:1",
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        services.pay_instalment(actor=people.finance, instalment=first, amount_fen=100)
    assert exc.value.code == "duplicate_ref"
    first.refresh_from_db()
    assert first.paid_fen == 0 and not Payment.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_amendment_adds_a_task_as_a_new_version(city, people, budget, dept_clerk):
    agreement = active(city, people)
    with pytest.raises(ValidationFailed):
        services.start_amendment(actor=people.clerk, agreement=agreement, reason="")
    late = admit(city, dept_clerk, "困境儿童摸底", funding=500_000)
    amendment = services.start_amendment(actor=people.clerk, agreement=agreement, reason="新增准入事项")
    assert amendment.number == 2 and amendment.status == Version.Status.DRAFT
    assert AgreementTask.objects.filter(agreement=agreement, admitted_task=late, added_in=2).exists()
    with pytest.raises(Conflict):
        services.start_amendment(actor=people.clerk, agreement=agreement, reason="又一次")
    # an amendment cannot lower an amount in force
    old_task = agreement.tasks.order_by("position").first()
    assert old_task is not None
    with pytest.raises(ValidationFailed):
        services.update_item(
            actor=people.clerk,
            agreement=agreement,
            task=old_task,
            requirements="x",
            standards="y",
            amount_fen=STANDARD - 1,
        )
    services.send_agreement(actor=people.clerk, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE  # version 1 stays in force meanwhile
    v2 = version_of(agreement, 2)
    assert "补充协议" in v2.text and "困境儿童摸底" in v2.text
    services.sign_for_department(actor=people.head, agreement=agreement, digest=v2.digest)
    services.sign_for_party(
        actor=people.director, agreement=agreement, digest=v2.digest, meeting_date=MEETING, minutes_no="3号"
    )
    assert version_of(agreement, 2).status == Version.Status.COMMUNITY_SIGNED
    services.reserve_funds(actor=people.finance, agreement=agreement)
    assert version_of(agreement, 1).status == Version.Status.SUPERSEDED
    v2 = version_of(agreement, 2)
    assert v2.status == Version.Status.EFFECTIVE and v2.reservation is not None
    assert v2.reservation.amount == 500_000
    added = Instalment.objects.filter(agreement=agreement, version=v2).order_by("seq")
    assert [i.seq for i in added] == [3, 4] and sum(i.amount_fen for i in added) == 500_000
    assert version_of(agreement, 1).text  # the earlier version stays readable


def test_withdrawn_amendment_releases_its_reservation(city, people, budget, dept_clerk):
    agreement = active(city, people)
    admit(city, dept_clerk, "困境儿童摸底", funding=500_000)
    services.start_amendment(actor=people.clerk, agreement=agreement, reason="新增")
    services.send_agreement(actor=people.clerk, agreement=agreement)
    services.sign_for_department(actor=people.head, agreement=agreement, digest=digest_of(agreement))
    services.reserve_funds(actor=people.finance, agreement=agreement)
    budget.refresh_from_db()
    assert budget.reserved == STANDARD + 800_000 + 500_000
    services.withdraw_amendment(actor=people.clerk, agreement=agreement, reason="对方不同意")
    budget.refresh_from_db()
    assert budget.reserved == STANDARD + 800_000
    assert version_of(agreement, 2).status == Version.Status.WITHDRAWN
    assert version_of(agreement, 1).status == Version.Status.EFFECTIVE


def test_a_task_of_a_withdrawn_amendment_is_still_to_be_covered(city, people, budget, dept_clerk):
    """Found by the state machine: the withdrawn amendment's new task used to stay out of every later amendment
    (sent without it, and refused by add_admitted_tasks), so it could never be covered that year."""
    agreement = active(city, people)
    late = admit(city, dept_clerk, "困境儿童摸底", funding=500_000)
    services.start_amendment(actor=people.clerk, agreement=agreement, reason="新增")
    services.withdraw_amendment(actor=people.clerk, agreement=agreement, reason="对方不同意")
    assert list(services.eligible_tasks(agreement)) == [late]
    v3 = services.start_amendment(actor=people.clerk, agreement=agreement, reason="再次新增")
    items = list(v3.items.select_related("task"))
    assert late in [i.task.admitted_task for i in items]
    task = AgreementTask.objects.get(agreement=agreement, admitted_task=late)  # the same task, added again
    assert task.added_in == 3 and sum(i.amount_fen for i in items) == STANDARD + 800_000 + 500_000
    assert not services.eligible_tasks(agreement).exists()


def test_termination_settles_and_releases(city, people, budget):
    agreement = active(city, people)
    first = Instalment.objects.get(agreement=agreement, seq=1)
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=1_200_000)
    for settlement in (1_199_999, 2_000_001):
        with pytest.raises(ValidationFailed):
            services.terminate_agreement(
                actor=people.head, agreement=agreement, reason="社区撤并", settlement_fen=settlement
            )
    with pytest.raises(ValidationFailed):
        services.terminate_agreement(
            actor=people.head, agreement=agreement, reason="", settlement_fen=1_500_000
        )
    with pytest.raises(PermissionDenied):
        services.terminate_agreement(
            actor=people.clerk, agreement=agreement, reason="x", settlement_fen=1_500_000
        )
    services.terminate_agreement(
        actor=people.head, agreement=agreement, reason="事项退出", settlement_fen=1_500_000
    )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED and agreement.settlement_fen == 1_500_000
    second = Instalment.objects.get(agreement=agreement, seq=2)
    assert second.amount_fen == 300_000
    budget.refresh_from_db()
    assert budget.reserved == 300_000
    services.pay_instalment(
        actor=people.finance, instalment=second, amount_fen=300_000
    )  # the settlement is paid
    with pytest.raises(InvalidTransition):
        services.terminate_agreement(
            actor=people.head, agreement=agreement, reason="again", settlement_fen=1_500_000
        )
    assert verify_ledger().ok


def test_completion_needs_everything_paid(city, people, budget):
    agreement = active(city, people)
    with pytest.raises(Conflict):
        services.complete_agreement(actor=people.head, agreement=agreement)
    *earlier, final = Instalment.objects.filter(agreement=agreement).order_by("seq")
    for inst in earlier:
        services.pay_instalment(actor=people.finance, instalment=inst, amount_fen=inst.amount_fen)
    with pytest.raises(Conflict):  # the final instalment is not paid yet: it waits for the evaluation
        services.complete_agreement(actor=people.head, agreement=agreement)
    services.settle_final_instalment(
        actor=people.finance, instalment=final, settled_fen=final.amount_fen, ref="evaluation:1"
    )
    with pytest.raises(PermissionDenied):
        services.complete_agreement(actor=people.clerk, agreement=agreement)
    services.complete_agreement(actor=people.head, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.COMPLETED
    with pytest.raises(InvalidTransition):
        services.pay_instalment(
            actor=people.finance, instalment=Instalment.objects.get(agreement=agreement, seq=1), amount_fen=1
        )


def test_completion_reports_confirmed_disputed_and_resolved(city, people, budget, approval_officer):
    agreement = active(city, people)
    first, second = agreement.tasks.order_by("position")
    with pytest.raises(PermissionDenied):
        services.report_completion(actor=people.clerk, agreement=agreement, task=first, summary="做完了")
    with pytest.raises(ValidationFailed):
        services.report_completion(actor=people.director, agreement=agreement, task=first, summary=" ")
    done = services.report_completion(
        actor=people.director, agreement=agreement, task=first, summary="入户128户,公示完毕"
    )
    with pytest.raises(Conflict):
        services.report_completion(actor=people.director, agreement=agreement, task=first, summary="再报一次")
    services.review_completion(actor=people.clerk, completion=done, confirm=True)
    assert done.status == Completion.Status.CONFIRMED
    disputed = services.report_completion(
        actor=people.director, agreement=agreement, task=second, summary="已核查"
    )
    with pytest.raises(ValidationFailed):
        services.review_completion(actor=people.clerk, completion=disputed, confirm=False, note="")
    services.review_completion(actor=people.clerk, completion=disputed, confirm=False, note="缺少核查名单")
    assert Notification.objects.filter(user=approval_officer, event="agreements.completion.disputed").exists()
    with pytest.raises(PermissionDenied):
        services.resolve_completion(actor=people.clerk, completion=disputed, complete=True, note="x")
    services.resolve_completion(
        actor=approval_officer, completion=disputed, complete=False, note="名单未报送"
    )
    assert disputed.status == Completion.Status.REJECTED
    again = services.report_completion(
        actor=people.director, agreement=agreement, task=second, summary="补报名单"
    )
    assert again.status == Completion.Status.REPORTED
    with pytest.raises(InvalidTransition):
        services.review_completion(actor=people.clerk, completion=done, confirm=False, note="改主意")


def test_overdue_and_short_instalments_are_flagged_to_both_sides_and_the_office(
    city, people, budget, approval_officer
):
    agreement = active(city, people)
    first = Instalment.objects.get(agreement=agreement, seq=1)
    later = first.due_on + dt.timedelta(days=1)
    flagged = services.flag_overdue_instalments(on=later)
    assert [i.pk for i in flagged] == [first.pk]
    for user in (people.clerk, people.finance, people.director, approval_officer):
        assert Notification.objects.filter(user=user, event="agreements.overdue").count() == 1, user
    assert services.flag_overdue_instalments(on=later) == []  # once a day
    assert services.flag_overdue_instalments(on=later + dt.timedelta(days=1)) == []  # and not again unchanged
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=100)
    short = services.flag_overdue_instalments(on=later + dt.timedelta(days=2))
    assert [i.pk for i in short] == [first.pk]
    note = (
        Notification.objects.filter(user=people.director, event="agreements.overdue").order_by("-id").first()
    )
    assert note is not None and "未足额" in note.title
    assert AuditEntry.objects.filter(action="agreements.instalment.flag_overdue").count() == 2


def test_community_refuses_a_task_without_an_agreement_after_its_start(city, people, monkeypatch):
    from gongzhi.admissions import precheck

    task = _first_task(city)
    with pytest.raises(ValidationFailed):  # before the start date
        services.refuse_task_without_agreement(actor=people.director, task=task)
    after = task.starts_on + dt.timedelta(days=1)
    monkeypatch.setattr(services, "today", lambda: after)
    monkeypatch.setattr(precheck, "today", lambda: after)
    with pytest.raises(PermissionDenied):
        services.refuse_task_without_agreement(actor=people.clerk, task=task)
    refusal = services.refuse_task_without_agreement(actor=people.director, task=task, details="请先签订协议")
    assert refusal.reason == Refusal.Reason.FUNDING_MISSING and refusal.admitted_task == task
    assert "委托协议未在事项开始日期" in refusal.details


def test_no_refusal_once_the_agreement_is_in_force(city, people, budget, monkeypatch):
    agreement = active(city, people)
    task = agreement.tasks.order_by("position").first()
    assert task is not None and task.admitted_task is not None
    monkeypatch.setattr(services, "today", lambda: dt.date(YEAR, 12, 1))
    with pytest.raises(Conflict):
        services.refuse_task_without_agreement(actor=people.director, task=task.admitted_task)


def _first_task(city: Any) -> Any:
    from gongzhi.admissions.models import AdmittedTask

    task = AdmittedTask.objects.filter(community=city.tongxia).order_by("id").first()
    assert task is not None
    return task


def test_service_purchase_with_a_social_organization(city, people, budget):
    social = org_services.create_organization(
        actor=None, name="阳光社工", kind=OrgKind.SOCIAL_ORG, region=city.tongxia
    )
    contact = make_user("socialcontact", social, Role.ORG_CONTACT)
    with pytest.raises(ValidationFailed):
        services.create_agreement(
            actor=people.clerk,
            department=city.dept,
            community=city.tongxia,
            year=YEAR,
            kind=Kind.SERVICE_PURCHASE,
        )
    agreement = services.create_agreement(
        actor=people.clerk,
        department=city.dept,
        community=city.tongxia,
        year=YEAR,
        kind=Kind.SERVICE_PURCHASE,
        party=social,
    )
    assert agreement.number.startswith(f"GM{YEAR}") and not agreement.tasks.exists()
    with pytest.raises(ValidationFailed):
        services.send_agreement(actor=people.clerk, agreement=agreement)
    services.add_service_item(
        actor=people.clerk,
        agreement=agreement,
        title="居家养老上门服务",
        requirements="每月两次",
        standards="满意率90%",
        amount_fen=3_000_000,
    )
    services.send_agreement(actor=people.clerk, agreement=agreement)
    services.sign_for_department(actor=people.head, agreement=agreement, digest=digest_of(agreement))
    with pytest.raises(
        PermissionDenied
    ):  # the committee does not sign a purchase from the social organization
        services.sign_for_party(
            actor=people.director,
            agreement=agreement,
            digest=digest_of(agreement),
            meeting_date=MEETING,
            minutes_no="1",
        )
    services.sign_for_party(
        actor=contact,
        agreement=agreement,
        digest=digest_of(agreement),
        meeting_date=MEETING,
        minutes_no="理事会决议1号",
    )
    services.reserve_funds(actor=people.finance, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    first = Instalment.objects.get(agreement=agreement, seq=1)
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=first.amount_fen)
    assert Account.objects.get(organization=social, kind=Account.Kind.SERVICE).balance == first.amount_fen
    # the entrustment with the committee for the same year is a different agreement
    entrustment = draft(city, people)
    assert entrustment.kind == Kind.ENTRUSTMENT
