"""Notifications (gongzhi.core.notify) as the admission mechanism uses them: in-app rows in the same transaction,
mail only after commit, nothing when the change rolls back, per-user immediate mail or a daily digest, and the
due-date reminders sent once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from gongzhi.admissions import notices, precheck, services
from gongzhi.admissions.models import AdmittedTask, Review, TaskRequest
from gongzhi.admissions.tests.conftest import ASSISTING, START, new_request, standard_fen
from gongzhi.core import notify
from gongzhi.core import services as core_services
from gongzhi.core.models import Notification, User

pytestmark = pytest.mark.usefixtures("lists")


def _email(user: User, address: str) -> None:
    User.objects.filter(pk=user.pk).update(email=address)
    user.refresh_from_db()


def test_mail_goes_out_only_after_commit(
    city, dept_clerk, approval_officer, django_capture_on_commit_callbacks
):
    _email(approval_officer, "officer@example.cn")
    req = new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.submit_request(actor=dept_clerk, request=req)
        assert Notification.objects.filter(user=approval_officer).count() == 1
    assert mail.outbox == []  # not yet committed
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["officer@example.cn"] and "新的准入申请待审查" in mail.outbox[0].subject
    assert Notification.objects.get(user=approval_officer).emailed_at is not None


def test_a_failed_decision_notifies_nobody_and_writes_nothing(
    city, dept_clerk, approval_officer, authority_member, monkeypatch, django_capture_on_commit_callbacks
):
    _email(dept_clerk, "clerk@example.cn")
    req = new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING))
    services.submit_request(actor=dept_clerk, request=req)
    services.examine_request(actor=approval_officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    before = Notification.objects.count()
    real = notices.request_decided

    def decided_then_crash(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        raise RuntimeError("crash after the notifications were written")

    monkeypatch.setattr(notices, "request_decided", decided_then_crash)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.decide_request(
            actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="纪要"
        )
    assert callbacks == []
    assert mail.outbox == []
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.UNDER_REVIEW
    assert not AdmittedTask.objects.exists() and not req.reviews.filter(stage="decide").exists()
    assert Notification.objects.count() == before


def test_digest_preference_collects_a_days_notifications(
    city, dept_clerk, approval_officer, django_capture_on_commit_callbacks
):
    _email(approval_officer, "officer@example.cn")
    core_services.set_notification_preference(actor=approval_officer, mail="digest")
    with django_capture_on_commit_callbacks(execute=True):
        for title in ("甲事项", "乙事项"):
            req = new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING), title=title)
            services.submit_request(actor=dept_clerk, request=req)
    assert mail.outbox == []
    call_command("send_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert "每日通知汇总(2条)" in digest.subject and "甲事项" in digest.body and "乙事项" in digest.body
    assert notify.send_digests() == 0  # nothing left to send


def test_in_app_only_and_no_address_get_no_mail(
    city, dept_clerk, approval_officer, django_capture_on_commit_callbacks
):
    _email(approval_officer, "officer@example.cn")
    core_services.set_notification_preference(actor=approval_officer, mail="none")
    with django_capture_on_commit_callbacks(execute=True):
        req = new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING))
        services.submit_request(actor=dept_clerk, request=req)
    assert Notification.objects.filter(user=approval_officer).count() == 1
    assert mail.outbox == [] and notify.send_digests() == 0


def test_due_date_reminders_are_sent_once(
    city, dept_clerk, approval_officer, authority_member, community_director, monkeypatch
):
    req = new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING))
    services.submit_request(actor=dept_clerk, request=req)
    req.refresh_from_db()
    assert req.decision_due is not None
    monkeypatch.setattr(precheck, "today", lambda: req.decision_due - dt.timedelta(days=1))
    assert notices.due_reminders()["decisions"] == 1
    assert notices.due_reminders()["decisions"] == 0
    assert (
        Notification.objects.filter(user=approval_officer, event="admissions.request.decision_due").count()
        == 1
    )

    services.examine_request(actor=approval_officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    services.decide_request(
        actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="纪要"
    )
    monkeypatch.setattr(precheck, "today", lambda: START - dt.timedelta(days=1))
    assert notices.due_reminders()["starts"] >= 1
    monkeypatch.setattr(precheck, "today", lambda: START + dt.timedelta(days=3))
    counts = notices.due_reminders()
    assert counts["funding"] >= 2  # the department's clerk and the community's director, for 铜霞
    assert (
        Notification.objects.filter(user=community_director, event="admissions.task.funding_overdue").count()
        == 1
    )
    assert Notification.objects.filter(user=dept_clerk, event="admissions.task.funding_overdue").count() == 2
    assert notices.due_reminders()["funding"] == 0
    call_command("admission_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_rollback_discards_notifications(city, dept_clerk, django_capture_on_commit_callbacks):
    _email(dept_clerk, "clerk@example.cn")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify.send([dept_clerk], event="test", title="不会送达")
                raise ValueError
        except ValueError:
            pass
    assert callbacks == [] and mail.outbox == [] and not Notification.objects.exists()
