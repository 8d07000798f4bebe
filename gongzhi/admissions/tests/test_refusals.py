"""The right to refuse (拒绝权) and informal-task reports (摊派举报): the rules, through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.admissions import precheck, services
from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, Refusal, Review
from gongzhi.admissions.tests.conftest import ASSISTING, START, new_request, standard_fen
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry, Notification

pytestmark = pytest.mark.usefixtures("lists")


@pytest.fixture
def task(city, dept_clerk, approval_officer, authority_member) -> AdmittedTask:
    req = new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING))
    services.submit_request(actor=dept_clerk, request=req)
    services.examine_request(actor=approval_officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    services.decide_request(
        actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="纪要"
    )
    return AdmittedTask.objects.get(request=req, community=city.tongxia)


def refusal(reason: str, **kw: object) -> services.RefusalData:
    return services.RefusalData(reason=reason, details=str(kw.pop("details", "理由")), **kw)  # type: ignore[arg-type]


def test_not_admitted_work_can_be_refused(city, community_director, dept_clerk, approval_officer):
    made = services.lodge_refusal(
        actor=community_director,
        community=city.tongxia,
        data=refusal(
            "not_admitted", department=city.dept, title="每周上报走访照片", demanded_on=dt.date(2026, 2, 1)
        ),
    )
    assert made.organization == city.committee and made.admitted_task is None
    assert AuditEntry.objects.filter(action="admissions.refusal.lodge", target_id=str(made.pk)).count() == 1
    # the department and the approval authority are told
    assert Notification.objects.filter(user=dept_clerk, event="admissions.refusal.lodged").count() == 1
    assert Notification.objects.filter(user=approval_officer, event="admissions.refusal.lodged").count() == 1
    assert not Notification.objects.filter(user=community_director).exists()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"department": None, "title": "x"}, "department"),
        ({"title": ""}, "title"),
        ({"details": "  ", "title": "x"}, "details"),
        ({"title": "x", "demanded_on": START}, "demanded_on"),
    ],
)
def test_not_admitted_refusal_needs_its_facts(city, community_director, kw, field):
    values: dict[str, object] = {"department": city.dept, **kw}
    with pytest.raises(ValidationFailed) as caught:
        services.lodge_refusal(
            actor=community_director, community=city.tongxia, data=refusal("not_admitted", **values)
        )
    assert field in caught.value.fields
    assert not Refusal.objects.exists()


def test_an_admitted_task_cannot_be_refused_as_not_admitted(city, community_director, task):
    with pytest.raises(ValidationFailed):
        services.lodge_refusal(
            actor=community_director,
            community=city.tongxia,
            data=refusal("not_admitted", department=city.dept, title="x", admitted_task=task),
        )
    with pytest.raises(ValidationFailed):
        services.lodge_refusal(
            actor=community_director,
            community=city.tongxia,
            data=refusal("not_admitted", department=city.dept, title="x", task_request=task.request),
        )


def test_only_the_communitys_committee_may_refuse(city, outsider, dept_clerk, resident, approval_officer):
    for user in (outsider, dept_clerk, resident, approval_officer):
        with pytest.raises(PermissionDenied):
            services.lodge_refusal(
                actor=user,
                community=city.tongxia,
                data=refusal("not_admitted", department=city.dept, title="x"),
            )
    assert not Refusal.objects.exists()


def test_funding_refusal_only_after_the_due_date_and_while_money_is_missing(
    city, community_director, task, monkeypatch
):
    data = refusal("funding_missing", admitted_task=task)
    with pytest.raises(ValidationFailed) as caught:  # not due yet (today is before the start)
        services.lodge_refusal(actor=community_director, community=city.tongxia, data=data)
    assert caught.value.fields == {"reason": "not_due"}
    monkeypatch.setattr(precheck, "today", lambda: START + dt.timedelta(days=1))
    services.confirm_funding(actor=community_director, task=task, amount_fen=task.funding_required_fen)
    with pytest.raises(ValidationFailed) as caught:  # paid in full
        services.lodge_refusal(actor=community_director, community=city.tongxia, data=data)
    assert caught.value.fields == {"reason": "funded"}


def test_funding_refusal_once_per_task(city, community_director, task, monkeypatch, dept_clerk):
    monkeypatch.setattr(precheck, "today", lambda: START + dt.timedelta(days=1))
    data = refusal("funding_missing", admitted_task=task, details="经费到期未到位")
    made = services.lodge_refusal(actor=community_director, community=city.tongxia, data=data)
    assert made.department == city.dept and made.title == task.title and made.task_request == task.request
    with pytest.raises(Conflict):
        services.lodge_refusal(actor=community_director, community=city.tongxia, data=data)
    assert Refusal.objects.count() == 1


def test_beyond_scope_refusal_is_about_the_communitys_own_active_task(
    city, community_director, outsider, task, authority_member
):
    with pytest.raises(ValidationFailed):
        services.lodge_refusal(actor=community_director, community=city.tongxia, data=refusal("beyond_scope"))
    other = AdmittedTask.objects.get(request=task.request, community=city.shizishan)
    with pytest.raises(ValidationFailed):
        services.lodge_refusal(
            actor=community_director,
            community=city.tongxia,
            data=refusal("beyond_scope", admitted_task=other),
        )
    made = services.lodge_refusal(
        actor=community_director,
        community=city.tongxia,
        data=refusal("beyond_scope", admitted_task=task, details="要求每日报送,超出准入的每月一次"),
    )
    assert made.reason == Refusal.Reason.BEYOND_SCOPE
    services.revoke_request(actor=authority_member, request=task.request, reason="收回")
    with pytest.raises(InvalidTransition):
        services.lodge_refusal(
            actor=community_director, community=city.tongxia, data=refusal("beyond_scope", admitted_task=task)
        )


def report_data(city, **kw: object) -> services.ReportData:
    values: dict[str, object] = {
        "department": city.dept,
        "title": "微信群要求三天内上报商铺信息",
        "details": "2月25日工作群通知",
        "demanded_on": dt.date(2026, 2, 25),
        "channel": InformalTaskReport.Channel.CHAT,
    }
    values.update(kw)
    return services.ReportData(**values)  # type: ignore[arg-type]


def test_report_goes_through_the_supervision_queue(
    city, community_director, approval_officer, authority_member, dept_clerk
):
    report = services.file_report(actor=community_director, community=city.tongxia, data=report_data(city))
    assert Notification.objects.filter(user=approval_officer, event="admissions.report.filed").exists()
    assert Notification.objects.filter(user=authority_member, event="admissions.report.filed").exists()
    assert not Notification.objects.filter(user=dept_clerk).exists()  # not before the outcome
    with pytest.raises(InvalidTransition):
        services.advance_report(actor=approval_officer, report=report, to="upheld", finding="x")
    services.advance_report(actor=approval_officer, report=report, to="acknowledged")
    services.advance_report(actor=approval_officer, report=report, to="investigating")
    with pytest.raises(ValidationFailed):
        services.advance_report(actor=approval_officer, report=report, to="dismissed")
    services.advance_report(
        actor=approval_officer, report=report, to="dismissed", finding="属部门依职责自行开展"
    )
    report.refresh_from_db()
    assert report.status == "dismissed" and report.concluded_at and report.handled_by == approval_officer
    assert Notification.objects.filter(user=dept_clerk, event="admissions.report.dismissed").exists()
    actions = list(
        AuditEntry.objects.filter(target_type="admissions.informaltaskreport").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "admissions.report.file",
        "admissions.report.acknowledge",
        "admissions.report.investigate",
        "admissions.report.dismiss",
    ]
    with pytest.raises(InvalidTransition):
        services.advance_report(actor=approval_officer, report=report, to="upheld", finding="x")


def test_report_rules(city, community_director, outsider, dept_clerk, approval_officer):
    with pytest.raises(ValidationFailed) as caught:
        services.file_report(
            actor=community_director, community=city.tongxia, data=report_data(city, demanded_on=START)
        )
    assert "demanded_on" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.file_report(
            actor=community_director, community=city.tongxia, data=report_data(city, title="")
        )
    with pytest.raises(ValidationFailed):  # only a government department can be reported
        services.file_report(
            actor=community_director,
            community=city.tongxia,
            data=report_data(city, department=city.committee),
        )
    for user in (outsider, dept_clerk):
        with pytest.raises(PermissionDenied):
            services.file_report(actor=user, community=city.tongxia, data=report_data(city))
    assert not InformalTaskReport.objects.exists()
    report = services.file_report(actor=community_director, community=city.tongxia, data=report_data(city))
    with pytest.raises(PermissionDenied):  # the community does not judge its own report
        services.advance_report(actor=community_director, report=report, to="acknowledged")


def test_a_handler_from_the_reported_department_is_excluded(city, community_director):
    from conftest import make_user
    from gongzhi.core.roles import Role
    from gongzhi.orgs import services as org_services

    insider = make_user("insider", city.office, Role.APPROVAL_OFFICER)
    org_services.grant_membership(actor=None, user=insider, organization=city.dept, role=Role.DEPT_CLERK)
    report = services.file_report(actor=community_director, community=city.tongxia, data=report_data(city))
    with pytest.raises(PermissionDenied):
        services.advance_report(actor=insider, report=report, to="acknowledged")
