"""The admission workflow and its rules, through the services (the pages and the API have their own tests)."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_user
from gongzhi.admissions import services
from gongzhi.admissions.models import AdmittedTask, Review, TaskRequest
from gongzhi.admissions.tests.conftest import (
    ASSISTING,
    EXCLUDED,
    PLAQUE,
    START,
    STATUTORY,
    UNLISTED,
    new_request,
    request_data,
    standard_fen,
)
from gongzhi.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry, User
from gongzhi.core.roles import Role
from gongzhi.duties.models import ListEdition, ListItem

pytestmark = pytest.mark.usefixtures("lists")


def _transitions(req: TaskRequest) -> list[str]:
    return [
        e.data["to"]
        for e in AuditEntry.objects.filter(
            target_type="admissions.taskrequest", target_id=str(req.pk)
        ).order_by("seq")
        if "to" in e.data
    ]


def _approve(
    req: TaskRequest, officer: User, member: User, ref: str = "铜改办纪要〔2026〕3号"
) -> TaskRequest:
    services.examine_request(actor=officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    services.decide_request(actor=member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref=ref)
    req.refresh_from_db()
    return req


def test_assisting_request_admitted_for_every_target_community(
    city, dept_clerk, approval_officer, authority_member
):
    standard = standard_fen(ASSISTING)
    assert standard > 0
    req = new_request(dept_clerk, city, funding_fen=standard)
    services.submit_request(actor=dept_clerk, request=req)
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.SUBMITTED
    assert req.verdict == "assisting"
    assert req.precheck["requires_agreement"] is True
    assert req.list_item is not None and req.list_item.kind == ListItem.Kind.ASSISTING
    assert req.decision_due is not None
    assert not AdmittedTask.objects.exists()

    req = _approve(req, approval_officer, authority_member)
    assert req.status == TaskRequest.Status.APPROVED
    assert req.meeting_ref == "铜改办纪要〔2026〕3号"
    tasks = AdmittedTask.objects.filter(request=req).order_by("community__code")
    assert [t.community for t in tasks] == [city.tongxia, city.shizishan]
    for task in tasks:
        assert task.funding_required_fen == standard
        assert task.funding_due == START
        assert task.requires_agreement
        assert task.list_item == req.list_item
        assert task.department == city.dept
    assert _transitions(req) == ["submitted", "under_review", "approved"]
    assert list(req.reviews.values_list("stage", "outcome")) == [
        ("examine", "recommend_approve"),
        ("decide", "approve"),
    ]


def test_excluded_work_cannot_be_submitted_and_the_message_names_the_item(city, dept_clerk):
    req = new_request(dept_clerk, city, EXCLUDED, kind=TaskRequest.Kind.CERTIFICATE)
    with pytest.raises(ValidationFailed) as caught:
        services.submit_request(actor=dept_clerk, request=req)
    assert "亲属关系证明" in caught.value.message
    assert caught.value.code == "precheck_failed"
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.DRAFT
    assert req.precheck == {} and req.submitted_at is None
    assert _transitions(req) == []


def test_statutory_work_ends_as_guidance_only(city, dept_clerk):
    req = new_request(dept_clerk, city, STATUTORY, funding_fen=0)
    services.submit_request(actor=dept_clerk, request=req)
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.GUIDANCE
    assert req.verdict == "statutory"
    assert req.list_item is not None and req.list_item.kind == ListItem.Kind.STATUTORY
    with pytest.raises(InvalidTransition):
        services.withdraw_request(actor=dept_clerk, request=req)


def test_assisting_work_below_the_standard_funding_is_refused(city, dept_clerk):
    standard = standard_fen(ASSISTING)
    req = new_request(dept_clerk, city, funding_fen=standard - 1)
    with pytest.raises(ValidationFailed) as caught:
        services.submit_request(actor=dept_clerk, request=req)
    assert "经费" in caught.value.message
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.DRAFT


def test_unlisted_and_plaque_work_needs_the_authority(city, dept_clerk):
    for text, kind in ((UNLISTED, TaskRequest.Kind.ONE_OFF), (PLAQUE, TaskRequest.Kind.PLAQUE)):
        req = new_request(dept_clerk, city, text, kind=kind, plaques_count=1 if kind == "plaque" else 0)
        services.submit_request(actor=dept_clerk, request=req)
        req.refresh_from_db()
        assert req.needs_authority, text
        assert req.precheck["route"] == "authority"
    assert "plaque" in req.precheck["flags"]


def test_approved_unlisted_task_becomes_a_draft_item_of_the_next_edition(
    city, dept_clerk, approval_officer, authority_member, lists
):
    req = new_request(dept_clerk, city, UNLISTED, funding_fen=300_000)
    services.submit_request(actor=dept_clerk, request=req)
    req = _approve(req, approval_officer, authority_member, ref="文号X")
    item = req.proposed_item
    assert item is not None
    assert item.edition.status == ListEdition.Status.DRAFT and item.edition.scope == city.city
    assert item.code == f"ZR-{req.pk}" and item.kind == ListItem.Kind.ASSISTING
    assert item.funding_fen == 300_000 and item.department == city.dept
    assert "文号X" in item.source
    # the published edition is untouched; the draft copies it plus the new item
    assert not lists.items.filter(code=item.code).exists()
    assert item.edition.items.count() == lists.items.count() + 1
    assert set(AdmittedTask.objects.filter(request=req).values_list("proposed_item", flat=True)) == {item.pk}
    assert AuditEntry.objects.filter(action="duties.item.propose", actor=authority_member).count() == 1


def test_nobody_reviews_their_own_departments_request(city, dept_clerk):
    # an officer of the approval office who also holds a role in the requesting department
    double = make_user("double", city.office, Role.APPROVAL_OFFICER)
    from gongzhi.orgs import services as org_services

    org_services.grant_membership(actor=None, user=double, organization=city.dept, role=Role.DEPT_FINANCE)
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    with pytest.raises(PermissionDenied):
        services.examine_request(actor=double, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.SUBMITTED
    assert not Review.objects.exists()


def test_nobody_decides_a_request_they_recommended(city, dept_clerk, authority_member):
    both = make_user("both", city.office, Role.APPROVAL_OFFICER)
    from gongzhi.orgs import services as org_services

    org_services.grant_membership(actor=None, user=both, organization=city.office, role=Role.AUTHORITY_MEMBER)
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    services.examine_request(actor=both, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    with pytest.raises(PermissionDenied):
        services.decide_request(actor=both, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="纪要1")
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.UNDER_REVIEW
    services.decide_request(
        actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="纪要1"
    )
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.APPROVED


def test_officers_cannot_decide_and_members_cannot_examine(
    city, dept_clerk, approval_officer, authority_member
):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    with pytest.raises(PermissionDenied):
        services.examine_request(
            actor=authority_member, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE
        )
    services.examine_request(actor=approval_officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    with pytest.raises(PermissionDenied):
        services.decide_request(
            actor=approval_officer, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="x"
        )


def test_decision_needs_the_meeting_reference_and_a_reason_to_reject(
    city, dept_clerk, approval_officer, authority_member
):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    services.examine_request(
        actor=approval_officer,
        request=req,
        outcome=Review.Outcome.RECOMMEND_REJECT,
        comments="部门可自行完成",
    )
    with pytest.raises(ValidationFailed) as caught:
        services.decide_request(
            actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref=" "
        )
    assert "meeting_ref" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.decide_request(
            actor=authority_member, request=req, outcome=Review.Outcome.REJECT, meeting_ref="纪要"
        )
    assert "comments" in caught.value.fields
    services.decide_request(
        actor=authority_member,
        request=req,
        outcome=Review.Outcome.REJECT,
        meeting_ref="纪要",
        comments="不属于社区",
    )
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.REJECTED and req.decided_at is not None
    assert not AdmittedTask.objects.exists()


def test_returned_request_goes_back_to_draft_when_edited_and_can_be_resubmitted(
    city, dept_clerk, approval_officer
):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    with pytest.raises(ValidationFailed):
        services.examine_request(actor=approval_officer, request=req, outcome=Review.Outcome.RETURN)
    services.examine_request(
        actor=approval_officer, request=req, outcome=Review.Outcome.RETURN, comments="补充依据"
    )
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.RETURNED
    services.update_request(
        actor=dept_clerk, request=req, data=request_data(legal_basis="《社会救助暂行办法》第十一条")
    )
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.DRAFT
    services.submit_request(actor=dept_clerk, request=req)
    req.refresh_from_db()
    assert _transitions(req) == ["submitted", "returned", "draft", "submitted"]


def test_withdraw_before_decision_only(city, dept_clerk, approval_officer, authority_member):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    services.withdraw_request(actor=dept_clerk, request=req, reason="任务取消")
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.WITHDRAWN
    other = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=other)
    _approve(other, approval_officer, authority_member)
    with pytest.raises(InvalidTransition):
        services.withdraw_request(actor=dept_clerk, request=other)


def test_wrong_state_is_a_conflict_not_a_permission_error(
    city, dept_clerk, authority_member, approval_officer
):
    req = new_request(dept_clerk, city)
    with pytest.raises(InvalidTransition):
        services.examine_request(
            actor=approval_officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE
        )
    services.submit_request(actor=dept_clerk, request=req)
    with pytest.raises(InvalidTransition):
        services.decide_request(
            actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="x"
        )
    with pytest.raises(InvalidTransition):
        services.submit_request(actor=dept_clerk, request=req)
    with pytest.raises(InvalidTransition):
        services.update_request(actor=dept_clerk, request=req, data=request_data())


def test_revocation_withdraws_every_admitted_task(city, dept_clerk, approval_officer, authority_member):
    req = new_request(dept_clerk, city)
    services.submit_request(actor=dept_clerk, request=req)
    _approve(req, approval_officer, authority_member)
    with pytest.raises(ValidationFailed):
        services.revoke_request(actor=authority_member, request=req, reason="")
    with pytest.raises(PermissionDenied):
        services.revoke_request(actor=approval_officer, request=req, reason="x")
    services.revoke_request(actor=authority_member, request=req, reason="工作已由部门收回")
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.REVOKED and req.revoke_reason == "工作已由部门收回"
    assert set(req.admitted_tasks.values_list("status", flat=True)) == {AdmittedTask.Status.REVOKED}
    assert AuditEntry.objects.filter(action="admissions.task.revoke").count() == 2


def test_other_departments_and_communities_cannot_file_or_edit(
    city, dept_clerk, other_clerk, community_director
):
    with pytest.raises(PermissionDenied):
        services.create_request(actor=other_clerk, department=city.dept, data=request_data())
    with pytest.raises(PermissionDenied):
        services.create_request(actor=community_director, department=city.dept, data=request_data())
    req = new_request(dept_clerk, city)
    with pytest.raises(PermissionDenied):
        services.update_request(actor=other_clerk, request=req, data=request_data())
    with pytest.raises(PermissionDenied):
        services.submit_request(actor=other_clerk, request=req)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"description": ""}, "description"),
        ({"kind": "whatever"}, "kind"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": dt.date(2026, 5, 1)}, "ends_on"),
        ({"funding_fen": -1}, "funding_fen"),
        ({"hours_per_month": 1000}, "hours_per_month"),
        ({"forms_count": 3}, "forms_frequency"),
        ({"forms_frequency": "monthly"}, "forms_count"),
        ({"target": "district"}, "target_district"),
        ({"target": "chosen"}, "target_communities"),
        ({"title": "长" * 201}, "title"),
    ],
)
def test_bad_input_is_refused_with_the_field(city, dept_clerk, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        services.create_request(actor=dept_clerk, department=city.dept, data=request_data(**overrides))
    assert field in caught.value.fields
    assert not TaskRequest.objects.exists()


def test_targets_one_district_or_chosen_communities(city, dept_clerk, approval_officer, authority_member):
    chosen = new_request(dept_clerk, city, target="chosen", target_communities=[city.shizishan])
    district = new_request(dept_clerk, city, target="district", target_district=city.district)
    for req in (chosen, district):
        services.submit_request(actor=dept_clerk, request=req)
        _approve(req, approval_officer, authority_member)
    assert list(chosen.admitted_tasks.values_list("community", flat=True)) == [city.shizishan.pk]
    assert set(district.admitted_tasks.values_list("community", flat=True)) == {
        city.tongxia.pk,
        city.shizishan.pk,
    }
    with pytest.raises(ValidationFailed):  # a district is not a community
        new_request(dept_clerk, city, target="chosen", target_communities=[city.district])
