"""Every admissions page through HTTP: an allowed and a denied request for each URL, bad input, and the database
afterwards."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

import pytest
from django.urls import reverse

from conftest import login
from gongzhi.admissions import services
from gongzhi.admissions.models import (
    AdmittedTask,
    Attachment,
    InformalTaskReport,
    Refusal,
    Review,
    TaskRequest,
)
from gongzhi.admissions.tests.conftest import ASSISTING, EXCLUDED, START, UNLISTED, new_request, standard_fen
from gongzhi.core.models import AuditEntry, Notification

pytestmark = pytest.mark.usefixtures("lists")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _form(text: str = ASSISTING, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": text[:30],
        "description": text,
        "kind": "ongoing",
        "target": "all",
        "starts_on": START.isoformat(),
        "ends_on": "2026-12-31",
        "hours_per_month": "6",
        "forms_count": "0",
        "forms_frequency": "none",
        "plaques_count": "0",
        "funding_yuan": "12000.00",
        "contact_name": "王科长",
        "contact_phone": "0562-2800000",
    }
    data.update(extra)
    return data


@pytest.fixture
def draft(city, dept_clerk):
    return new_request(dept_clerk, city, funding_fen=standard_fen(ASSISTING))


@pytest.fixture
def submitted(draft, dept_clerk):
    services.submit_request(actor=dept_clerk, request=draft)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def recommended(submitted, approval_officer):
    services.examine_request(
        actor=approval_officer, request=submitted, outcome=Review.Outcome.RECOMMEND_APPROVE
    )
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def approved(recommended, authority_member):
    services.decide_request(
        actor=authority_member,
        request=recommended,
        outcome=Review.Outcome.APPROVE,
        meeting_ref="纪要〔2026〕2号",
    )
    recommended.refresh_from_db()
    return recommended


@pytest.fixture
def tongxia_task(approved, city):
    return AdmittedTask.objects.get(request=approved, community=city.tongxia)


# --- requests --------------------------------------------------------------------------------------------------


def test_request_list(dept_clerk, other_clerk, resident, draft, client):
    page = login(dept_clerk).get(reverse("admissions:request_list"))
    assert page.status_code == 200 and draft.title in page.content.decode()
    other = login(other_clerk).get(reverse("admissions:request_list"))
    assert other.status_code == 200 and draft.title not in other.content.decode()
    assert login(resident).get(reverse("admissions:request_list")).status_code == 403
    assert client.get(reverse("admissions:request_list")).status_code == 302
    assert login(dept_clerk).get(reverse("admissions:request_list") + "?status=bogus").status_code == 400
    assert login(dept_clerk).get(reverse("admissions:request_list") + "?status=draft").status_code == 200


def test_office_and_authority_see_their_queues(
    city, dept_clerk, recommended, approval_officer, authority_member
):
    waiting = new_request(dept_clerk, city, UNLISTED, title="防汛物资储备")
    services.submit_request(actor=dept_clerk, request=waiting)
    office = login(approval_officer).get(reverse("admissions:request_list")).content.decode()
    queue = office[office.index('id="office-queue"') : office.index("全部申请")]
    assert "防汛物资储备" in queue and recommended.title not in queue
    page = login(authority_member).get(reverse("admissions:request_list")).content.decode()
    queue = page[page.index('id="decision-queue"') : page.index("全部申请")]
    assert recommended.title in queue and "防汛物资储备" not in queue


def test_new_request_page_and_create(city, dept_clerk, community_director):
    c = login(dept_clerk)
    page = c.get(reverse("admissions:request_new"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "django_htmx/htmx-2.min.js" in body and 'hx-post="/admissions/requests/precheck/"' in body
    assert "<script>" not in body and "style=" not in body
    response = c.post(reverse("admissions:request_new"), _form(department=city.dept.pk))
    assert response.status_code == 303
    req = TaskRequest.objects.get()
    assert (
        req.status == TaskRequest.Status.DRAFT
        and req.funding_fen == 1_200_000
        and req.created_by == dept_clerk
    )
    assert login(community_director).get(reverse("admissions:request_new")).status_code == 403
    assert login(community_director).post(reverse("admissions:request_new"), _form()).status_code == 403


def test_new_request_bad_input_writes_nothing(city, dept_clerk):
    c = login(dept_clerk)
    response = c.post(
        reverse("admissions:request_new"), _form(department=city.dept.pk, starts_on="", title="")
    )
    assert response.status_code == 422
    assert "未保存" in response.content.decode()
    bad_target = _form(department=city.dept.pk, target="chosen")
    assert c.post(reverse("admissions:request_new"), bad_target).status_code == 422
    negative = _form(department=city.dept.pk, funding_yuan="-1")
    assert c.post(reverse("admissions:request_new"), negative).status_code == 422
    assert not TaskRequest.objects.exists()


def test_no_javascript_precheck_button_shows_the_result_and_saves_nothing(city, dept_clerk):
    response = login(dept_clerk).post(
        reverse("admissions:request_new"), _form(EXCLUDED, department=city.dept.pk, precheck="1")
    )
    assert response.status_code == 200
    assert "亲属关系证明" in response.content.decode()
    assert not TaskRequest.objects.exists()


def test_live_precheck(dept_clerk, community_director):
    c = login(dept_clerk)
    response = c.post(reverse("admissions:request_precheck"), _form(UNLISTED, funding_yuan="0"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "清单外事项" in body and "须经审批办审查、审批机构决定" in body
    excluded = c.post(reverse("admissions:request_precheck"), _form(EXCLUDED)).content.decode()
    assert "不能提交" in excluded and "Z-01" in excluded
    assert c.get(reverse("admissions:request_precheck")).status_code == 405
    assert login(community_director).post(reverse("admissions:request_precheck"), _form()).status_code == 403
    assert (
        not TaskRequest.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="admissions").exists()
    )


def test_request_detail(draft, dept_clerk, other_clerk, approval_officer, community_director):
    url = reverse("admissions:request_detail", args=[draft.pk])
    page = login(dept_clerk).get(url)
    assert page.status_code == 200 and "提交准入申请" in page.content.decode()
    assert login(other_clerk).get(url).status_code == 404
    assert login(approval_officer).get(url).status_code == 404  # a draft is the department's own
    assert login(community_director).get(url).status_code == 404
    assert login(dept_clerk).get(reverse("admissions:request_detail", args=[99999])).status_code == 404


def test_request_edit(draft, dept_clerk, other_clerk, dept_finance, city):
    url = reverse("admissions:request_edit", args=[draft.pk])
    assert login(dept_clerk).get(url).status_code == 200
    response = login(dept_clerk).post(url, _form(department=city.dept.pk, title="低保入户调查(修订)"))
    assert response.status_code == 303
    draft.refresh_from_db()
    assert draft.title == "低保入户调查(修订)"
    assert login(other_clerk).get(url).status_code == 404
    assert login(dept_finance).get(url).status_code == 403  # sees it, may not change it
    assert login(dept_finance).post(url, _form(department=city.dept.pk)).status_code == 403


def test_submit(draft, dept_clerk, other_clerk, approval_officer):
    url = reverse("admissions:request_submit", args=[draft.pk])
    assert login(other_clerk).post(url).status_code == 404
    assert login(dept_clerk).get(url).status_code == 405
    assert login(dept_clerk).post(url).status_code == 303
    draft.refresh_from_db()
    assert draft.status == TaskRequest.Status.SUBMITTED
    assert login(dept_clerk).post(url).status_code == 409
    # the office is told
    assert (
        Notification.objects.filter(user=approval_officer, event="admissions.request.submitted").count() == 1
    )


def test_submit_excluded_work_is_refused_with_the_item_named(city, dept_clerk):
    req = new_request(dept_clerk, city, EXCLUDED, kind="certificate")
    response = login(dept_clerk).post(reverse("admissions:request_submit", args=[req.pk]))
    assert response.status_code == 422
    assert "Z-01 亲属关系证明" in response.content.decode()
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.DRAFT


def test_withdraw(submitted, dept_clerk, approval_officer):
    url = reverse("admissions:request_withdraw", args=[submitted.pk])
    assert login(approval_officer).post(url).status_code == 403
    assert login(dept_clerk).post(url, {"reason": "任务取消"}).status_code == 303
    submitted.refresh_from_db()
    assert submitted.status == TaskRequest.Status.WITHDRAWN


def test_examine(submitted, approval_officer, authority_member, dept_clerk, other_clerk):
    url = reverse("admissions:request_examine", args=[submitted.pk])
    assert login(other_clerk).post(url, {"outcome": "recommend_approve"}).status_code == 404
    assert login(dept_clerk).post(url, {"outcome": "recommend_approve"}).status_code == 403
    assert login(authority_member).post(url, {"outcome": "recommend_approve"}).status_code == 403
    missing = login(approval_officer).post(url, {"outcome": "return"})
    assert missing.status_code == 422 and "理由" in missing.content.decode()
    assert (
        login(approval_officer).post(url, {"outcome": "recommend_approve", "comments": "符合"}).status_code
        == 303
    )
    submitted.refresh_from_db()
    assert submitted.status == TaskRequest.Status.UNDER_REVIEW
    assert Review.objects.filter(request=submitted, stage="examine", actor=approval_officer).count() == 1
    assert Notification.objects.filter(user=authority_member, event="admissions.request.recommended").exists()


def test_decide(recommended, authority_member, approval_officer, city):
    url = reverse("admissions:request_decide", args=[recommended.pk])
    assert login(approval_officer).post(url, {"outcome": "approve", "meeting_ref": "x"}).status_code == 403
    missing = login(authority_member).post(url, {"outcome": "approve", "meeting_ref": ""})
    assert missing.status_code == 422 and "会议纪要" in missing.content.decode()
    assert not AdmittedTask.objects.exists()
    assert (
        login(authority_member)
        .post(url, {"outcome": "approve", "meeting_ref": "纪要〔2026〕2号"})
        .status_code
        == 303
    )
    recommended.refresh_from_db()
    assert recommended.status == TaskRequest.Status.APPROVED
    assert AdmittedTask.objects.filter(request=recommended).count() == 2


def test_revoke(approved, authority_member, dept_clerk):
    url = reverse("admissions:request_revoke", args=[approved.pk])
    assert login(dept_clerk).post(url, {"reason": "x"}).status_code == 403
    assert login(authority_member).post(url, {"reason": ""}).status_code == 422
    assert login(authority_member).post(url, {"reason": "部门已收回"}).status_code == 303
    assert set(AdmittedTask.objects.values_list("status", flat=True)) == {"revoked"}


# --- attachments ---------------------------------------------------------------------------------------------


def _upload(name: str, data: bytes) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def test_attach_and_download(draft, dept_clerk, other_clerk, approval_officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("admissions:request_attach", args=[draft.pk])
    assert login(other_clerk).post(url, {"file": _upload("a.pdf", PDF)}).status_code == 404
    response = login(dept_clerk).post(url, {"file": _upload("../../通知.pdf", PDF)})
    assert response.status_code == 303
    a = Attachment.objects.get()
    assert a.original_name == "通知.pdf" and a.file_type == "pdf" and a.stored_name.endswith(".pdf")
    assert (tmp_path / "admissions" / a.stored_name).read_bytes() == PDF
    download = reverse("admissions:attachment_download", args=[a.pk])
    got = login(dept_clerk).get(download)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert b"".join(cast(Any, got).streaming_content) == PDF
    assert login(other_clerk).get(download).status_code == 404
    assert login(approval_officer).get(download).status_code == 404  # not submitted yet


def test_attachment_type_is_judged_by_content(draft, dept_clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = login(dept_clerk)
    url = reverse("admissions:request_attach", args=[draft.pk])
    html = c.post(url, {"file": _upload("a.pdf", b"<html><script>alert(1)</script></html>")})
    assert html.status_code == 422
    php = c.post(url, {"file": _upload("shell.jpg", b"<?php system($_GET['c']); ?>")})
    assert php.status_code == 422
    svg = c.post(url, {"file": _upload("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')})
    assert svg.status_code == 422
    renamed = c.post(url, {"file": _upload("a.docx", PDF)})  # a PDF called .docx
    assert renamed.status_code == 422
    assert not Attachment.objects.exists()
    assert not (tmp_path / "admissions").exists() or not any((tmp_path / "admissions").iterdir())


def test_attachment_too_large(draft, dept_clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = login(dept_clerk).post(
        reverse("admissions:request_attach", args=[draft.pk]), {"file": _upload("big.pdf", big)}
    )
    assert response.status_code == 422
    assert not Attachment.objects.exists()


def test_attachment_remove(
    draft, dept_clerk, other_clerk, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    login(dept_clerk).post(
        reverse("admissions:request_attach", args=[draft.pk]), {"file": _upload("a.pdf", PDF)}
    )
    a = Attachment.objects.get()
    url = reverse("admissions:attachment_remove", args=[a.pk])
    assert login(other_clerk).post(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert login(dept_clerk).post(url).status_code == 303
    a.refresh_from_db()
    assert a.removed_at is not None
    assert not (tmp_path / "admissions" / a.stored_name).exists()
    assert login(dept_clerk).get(reverse("admissions:attachment_download", args=[a.pk])).status_code == 404


def test_community_downloads_the_documents_of_a_task_aimed_at_it(
    city, dept_clerk, approval_officer, authority_member, community_director, outsider, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    req = new_request(
        dept_clerk,
        city,
        funding_fen=standard_fen(ASSISTING),
        target="chosen",
        target_communities=[city.tongxia],
    )
    login(dept_clerk).post(
        reverse("admissions:request_attach", args=[req.pk]), {"file": _upload("a.pdf", PDF)}
    )
    services.submit_request(actor=dept_clerk, request=req)
    services.examine_request(actor=approval_officer, request=req, outcome=Review.Outcome.RECOMMEND_APPROVE)
    services.decide_request(
        actor=authority_member, request=req, outcome=Review.Outcome.APPROVE, meeting_ref="纪要"
    )
    download = reverse("admissions:attachment_download", args=[Attachment.objects.get().pk])
    assert login(community_director).get(download).status_code == 200
    assert login(outsider).get(download).status_code == 404
    assert login(outsider).get(reverse("admissions:request_detail", args=[req.pk])).status_code == 404


# --- the community's side ------------------------------------------------------------------------------------


def test_inbox(tongxia_task, community_director, outsider, dept_clerk, community_staff):
    page = login(community_director).get(reverse("admissions:inbox"))
    assert page.status_code == 200
    body = page.content.decode()
    assert tongxia_task.title in body and "12000.00" in body and "2026-06-01" in body
    assert login(community_staff).get(reverse("admissions:inbox")).status_code == 200
    other = login(outsider).get(reverse("admissions:inbox")).content.decode()
    assert "狮子山社区" in other and "铜霞社区" not in other
    assert login(dept_clerk).get(reverse("admissions:inbox")).status_code == 403


def test_task_list(tongxia_task, dept_clerk, community_director):
    assert login(dept_clerk).get(reverse("admissions:task_list")).status_code == 200
    assert login(community_director).get(reverse("admissions:task_list")).status_code == 403


def test_task_detail(tongxia_task, community_director, outsider, dept_clerk, other_clerk):
    url = reverse("admissions:task_detail", args=[tongxia_task.pk])
    assert login(community_director).get(url).status_code == 200
    assert login(dept_clerk).get(url).status_code == 200
    assert login(outsider).get(url).status_code == 404
    assert login(other_clerk).get(url).status_code == 404


def test_task_funding(tongxia_task, community_director, outsider, dept_clerk):
    url = reverse("admissions:task_funding", args=[tongxia_task.pk])
    assert login(outsider).post(url, {"amount_yuan": "100"}).status_code == 404
    assert login(dept_clerk).post(url, {"amount_yuan": "100"}).status_code == 403
    assert login(community_director).post(url, {"amount_yuan": "0"}).status_code == 422
    assert login(community_director).post(url, {"amount_yuan": "6000.50"}).status_code == 303
    tongxia_task.refresh_from_db()
    assert tongxia_task.funding_received_fen == 600_050


def test_refusal_pages(
    city, community_director, outsider, dept_clerk, other_clerk, approval_officer, resident
):
    c = login(community_director)
    assert c.get(reverse("admissions:refusal_new")).status_code == 200
    assert login(dept_clerk).get(reverse("admissions:refusal_new")).status_code == 403
    bad = c.post(
        reverse("admissions:refusal_new"),
        {"community": city.tongxia.pk, "reason": "not_admitted", "details": "x"},
    )
    assert bad.status_code == 422 and not Refusal.objects.exists()
    response = c.post(
        reverse("admissions:refusal_new"),
        {
            "community": city.tongxia.pk,
            "reason": "not_admitted",
            "department": city.dept.pk,
            "title": "要求社区每周上报独居老人走访照片",
            "details": "该工作未经准入,且要求每周上报。",
            "demanded_on": "2026-02-20",
        },
    )
    assert response.status_code == 303
    refusal = Refusal.objects.get()
    assert refusal.organization == city.committee and refusal.department == city.dept
    detail = reverse("admissions:refusal_detail", args=[refusal.pk])
    for user in (community_director, dept_clerk, approval_officer):
        assert login(user).get(detail).status_code == 200
    for user in (other_clerk, outsider, resident):
        assert login(user).get(detail).status_code == 404
    assert refusal.title in login(dept_clerk).get(reverse("admissions:refusal_list")).content.decode()
    assert refusal.title not in login(other_clerk).get(reverse("admissions:refusal_list")).content.decode()
    assert login(resident).get(reverse("admissions:refusal_list")).status_code == 403
    assert Notification.objects.filter(user=dept_clerk, event="admissions.refusal.lodged").exists()


def test_report_pages(
    city, community_director, outsider, dept_clerk, approval_officer, resident, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    c = login(community_director)
    assert c.get(reverse("admissions:report_new")).status_code == 200
    assert login(dept_clerk).get(reverse("admissions:report_new")).status_code == 403
    future = (START + dt.timedelta(days=1)).isoformat()
    data = {
        "community": city.tongxia.pk,
        "department": city.dept.pk,
        "title": "微信群要求社区三天内上报辖区全部商铺信息",
        "details": "2月25日民政局工作群通知,未经准入。",
        "demanded_on": future,
        "channel": "chat",
    }
    assert c.post(reverse("admissions:report_new"), data).status_code == 422
    data["demanded_on"] = "2026-02-25"
    assert c.post(reverse("admissions:report_new"), data).status_code == 303
    report = InformalTaskReport.objects.get()
    detail = reverse("admissions:report_detail", args=[report.pk])
    assert login(community_director).get(detail).status_code == 200
    assert login(approval_officer).get(detail).status_code == 200
    assert login(dept_clerk).get(detail).status_code == 404  # told only the outcome
    assert login(outsider).get(detail).status_code == 404
    assert login(resident).get(reverse("admissions:report_list")).status_code == 403

    evidence = reverse("admissions:report_evidence", args=[report.pk])
    assert login(approval_officer).post(evidence, {"file": _upload("a.pdf", PDF)}).status_code == 403
    assert (
        c.post(evidence, {"file": _upload("截图.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)}).status_code == 303
    )

    advance = reverse("admissions:report_advance", args=[report.pk])
    assert c.post(advance, {"to": "acknowledged"}).status_code == 403
    assert login(dept_clerk).post(advance, {"to": "acknowledged"}).status_code == 404
    officer = login(approval_officer)
    assert officer.post(advance, {"to": "upheld", "finding": "x"}).status_code == 409
    assert officer.post(advance, {"to": "acknowledged"}).status_code == 303
    assert officer.post(advance, {"to": "investigating"}).status_code == 303
    assert officer.post(advance, {"to": "upheld"}).status_code == 422
    assert officer.post(advance, {"to": "upheld", "finding": "经核实属摊派,责令整改。"}).status_code == 303
    report.refresh_from_db()
    assert report.status == InformalTaskReport.Status.UPHELD
    assert login(dept_clerk).get(detail).status_code == 200
    assert Notification.objects.filter(user=dept_clerk, event="admissions.report.upheld").exists()
    assert Notification.objects.filter(user=community_director, event="admissions.report.upheld").exists()
    assert report.title in login(dept_clerk).get(reverse("admissions:report_list")).content.decode()


# --- notifications -------------------------------------------------------------------------------------------


def test_notifications_page(approval_officer, submitted, dept_clerk, client):
    c = login(approval_officer)
    page = c.get(reverse("notifications:list"))
    assert page.status_code == 200 and submitted.title in page.content.decode()
    note = Notification.objects.get(user=approval_officer)
    # another user cannot mark it read
    login(dept_clerk).post(reverse("notifications:read"), {"ids": [note.pk]})
    note.refresh_from_db()
    assert note.read_at is None
    assert c.post(reverse("notifications:read"), {"ids": [note.pk]}).status_code == 303
    note.refresh_from_db()
    assert note.read_at is not None
    assert c.post(reverse("notifications:preference"), {"mail": "digest"}).status_code == 303
    assert approval_officer.notification_preference.mail == "digest"
    assert c.post(reverse("notifications:preference"), {"mail": "sms"}).status_code == 422
    assert client.get(reverse("notifications:list")).status_code == 302
    assert client.post(reverse("notifications:read")).status_code == 302
    assert client.post(reverse("notifications:preference"), {"mail": "none"}).status_code == 302
