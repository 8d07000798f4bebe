"""Task clean-up (减事务): the campaign's stages, inventory entered and imported from xlsx (all or nothing, errors by
row and column), classification by the list matcher, decisions, and before/after counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import login
from gongzhi.cleanup import queries, services
from gongzhi.cleanup.models import Campaign, CarriedTask
from gongzhi.cleanup.tests.conftest import task_campaign, workbook
from gongzhi.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

Decision = CarriedTask.Decision


def test_campaign_walks_its_stages_and_each_move_is_audited_once(city, approval_officer):
    campaign = services.create_campaign(
        actor=approval_officer, kind="tasks", title="2026年减事务", scope=city.district
    )
    before = AuditEntry.objects.count()
    for to in ("inventory", "review", "execution", "closed"):
        services.move_campaign(actor=approval_officer, campaign=campaign, to=to)
        campaign.refresh_from_db()
        assert campaign.status == to
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[before:])
    assert actions == [
        "cleanup.campaign.inventory",
        "cleanup.campaign.review",
        "cleanup.campaign.execution",
        "cleanup.campaign.closed",
    ]
    assert campaign.closed_at is not None


@pytest.mark.parametrize(
    ("path", "illegal"),
    [([], "review"), ([], "closed"), (["inventory"], "execution"), (["inventory", "cancelled"], "inventory")],
)
def test_illegal_transition_is_409_and_changes_nothing(city, approval_officer, path, illegal):
    campaign = services.create_campaign(actor=approval_officer, kind="tasks", title="t", scope=city.district)
    for to in path:
        services.move_campaign(actor=approval_officer, campaign=campaign, to=to, reason="理由")
    status = Campaign.objects.get(pk=campaign.pk).status
    entries = AuditEntry.objects.count()
    client = login(approval_officer)
    response = client.post(
        f"/api/cleanup/campaigns/{campaign.pk}/transitions", {"to": illegal}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    page = client.post(reverse("cleanup:campaign_move", args=[campaign.pk]), {"to": illegal})
    assert page.status_code == 409
    assert Campaign.objects.get(pk=campaign.pk).status == status
    assert AuditEntry.objects.count() == entries
    with pytest.raises(InvalidTransition):
        services.move_campaign(actor=approval_officer, campaign=campaign, to=illegal)


def test_cancelling_needs_a_reason(city, approval_officer):
    campaign = services.create_campaign(actor=approval_officer, kind="tasks", title="t", scope=city.district)
    with pytest.raises(ValidationFailed):
        services.move_campaign(actor=approval_officer, campaign=campaign, to="cancelled")
    services.move_campaign(actor=approval_officer, campaign=campaign, to="cancelled", reason="合并到全市行动")
    assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"


def test_only_the_office_over_the_scope_starts_or_moves_a_campaign(
    city, approval_officer, dept_clerk, community_director
):
    for user in (dept_clerk, community_director):
        with pytest.raises(PermissionDenied):
            services.create_campaign(actor=user, kind="tasks", title="t", scope=city.district)
    campaign = services.create_campaign(actor=approval_officer, kind="tasks", title="t", scope=city.district)
    with pytest.raises(PermissionDenied):
        services.move_campaign(actor=community_director, campaign=campaign, to="inventory")


def test_execution_needs_every_task_decided(city, approval_officer, lists):
    campaign = task_campaign(approval_officer, city.district)
    services.add_carried_task(
        actor=approval_officer, campaign=campaign, community=city.tongxia, title="调解民间纠纷"
    )
    services.move_campaign(actor=approval_officer, campaign=campaign, to="review")
    with pytest.raises(Conflict) as caught:
        services.move_campaign(actor=approval_officer, campaign=campaign, to="execution")
    assert caught.value.status == 409
    assert Campaign.objects.get(pk=campaign.pk).status == "review"
    services.accept_task_suggestions(actor=approval_officer, campaign=campaign)
    services.move_campaign(actor=approval_officer, campaign=campaign, to="execution")


def test_entered_tasks_are_classified_by_the_matcher(city, approval_officer, community_director, lists):
    campaign = task_campaign(approval_officer, city.district)
    client = login(community_director)
    cases = {
        "调解邻里之间的民间纠纷": ("statutory", Decision.KEEP_STATUTORY),
        "协助做好社区矫正对象日常管理": ("assisting", Decision.KEEP_ASSISTING),
        "为居民出具无犯罪记录证明": ("excluded", Decision.RETURN),
    }
    for title in cases:
        response = client.post(
            reverse("cleanup:task_add", args=[campaign.pk]),
            {"community": city.tongxia.pk, "title": title, "department": city.dept.pk, "forms_per_month": 0},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    for title, (verdict, suggestion) in cases.items():
        task = CarriedTask.objects.get(title=title)
        assert (task.verdict, task.suggestion) == (verdict, suggestion)
        assert task.entered_by == community_director
        assert task.community == city.tongxia
    assert CarriedTask.objects.get(title="为居民出具无犯罪记录证明").matched_title


def test_staff_enter_only_their_own_community(city, approval_officer, community_director, lists):
    campaign = task_campaign(approval_officer, city.district)
    client = login(community_director)
    response = client.post(
        reverse("cleanup:task_add", args=[campaign.pk]),
        {"community": city.shizishan.pk, "title": "别的社区的事", "forms_per_month": 0},
    )
    assert response.status_code == 422
    assert not CarriedTask.objects.exists()
    with pytest.raises(PermissionDenied):
        services.add_carried_task(
            actor=community_director, campaign=campaign, community=city.shizishan, title="x"
        )


def test_inventory_only_while_the_inventory_is_open(city, approval_officer, lists):
    campaign = task_campaign(approval_officer, city.district, to=Campaign.Status.DRAFT)
    with pytest.raises(Conflict):
        services.add_carried_task(
            actor=approval_officer, campaign=campaign, community=city.tongxia, title="x"
        )
    response = login(approval_officer).post(
        f"/api/cleanup/campaigns/{campaign.pk}/tasks",
        {"community_id": city.tongxia.pk, "title": "x"},
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 409
    assert not CarriedTask.objects.exists()


def test_import_creates_every_row(city, approval_officer, community_director, lists):
    campaign = task_campaign(approval_officer, city.district)
    data = workbook(
        [
            ["调解民间纠纷", "民政局", "邻里纠纷调解", "", 0],
            ["每月报送低保对象动态管理台账", "铜陵市民政局", "", "民政发〔2020〕1号", 2],
            ["为居民出具婚姻状况证明", "", "", "", ""],
        ]
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(community_director).post(
        reverse("cleanup:task_import", args=[campaign.pk]),
        {"community": city.tongxia.pk, "workbook": SimpleUploadedFile("t.xlsx", data)},
    )
    assert response.status_code == 302
    tasks = {t.title: t for t in CarriedTask.objects.all()}
    assert len(tasks) == 3
    assert tasks["每月报送低保对象动态管理台账"].department == city.dept
    assert tasks["每月报送低保对象动态管理台账"].forms_per_month == 2
    assert tasks["每月报送低保对象动态管理台账"].source == "imported"
    assert tasks["为居民出具婚姻状况证明"].department is None
    assert tasks["为居民出具婚姻状况证明"].verdict == "excluded"
    assert AuditEntry.objects.filter(action="cleanup.task.import", data__rows=3).count() == 1


def test_import_with_errors_imports_nothing_and_names_row_and_column(
    city, approval_officer, community_director, lists
):
    campaign = task_campaign(approval_officer, city.district)
    services.add_carried_task(
        actor=approval_officer, campaign=campaign, community=city.tongxia, title="已登记的事"
    )
    data = workbook(
        [
            ["调解民间纠纷", "民政局", "", "", 0],  # fine
            ["", "民政局", "没写名称", "", 0],  # row 3: title missing
            ["某事", "不存在的局", "", "", 0],  # row 4: unknown department
            ["另一件事", "", "", "", "三份"],  # row 5: not a number
            ["调解民间纠纷", "", "", "", 0],  # row 6: duplicate of row 2
            ["已登记的事", "", "", "", 0],  # row 7: already entered
        ]
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(community_director).post(
        reverse("cleanup:task_import", args=[campaign.pk]),
        {"community": city.tongxia.pk, "workbook": SimpleUploadedFile("t.xlsx", data)},
    )
    assert response.status_code == 422
    errors = {(e.row, e.column) for e in response.context["errors"]}
    # Format and duplicate problems are found first; all of them are reported together.
    assert {(3, "事项名称"), (5, "每月报表(份)"), (6, "事项名称")} <= errors
    assert CarriedTask.objects.count() == 1
    # Once those are fixed, the rows that need the database are checked: unknown department, already entered.
    data = workbook(
        [["调解民间纠纷", "", "", "", 0], ["某事", "不存在的局", "", "", 0], ["已登记的事", "", "", "", 0]]
    )
    api = login(community_director).post(
        f"/api/cleanup/campaigns/{campaign.pk}/tasks/import",
        {"community_id": city.tongxia.pk, "workbook": SimpleUploadedFile("t.xlsx", data)},
    )
    assert api.status_code == 422
    rows = api.json()["error"]["rows"]
    assert {(r["row"], r["column"]) for r in rows} == {(3, "交办部门"), (4, "事项名称")}
    assert all(" / " in r["message"] for r in rows)
    assert CarriedTask.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not a workbook at all", "xlsx"),
        (b"PK\x03\x04broken zip", "xlsx"),
    ],
)
def test_import_refuses_what_is_not_a_workbook(city, approval_officer, lists, payload, message):
    campaign = task_campaign(approval_officer, city.district)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(approval_officer).post(
        f"/api/cleanup/campaigns/{campaign.pk}/tasks/import",
        {"community_id": city.tongxia.pk, "workbook": SimpleUploadedFile("t.xlsx", payload)},
    )
    assert response.status_code == 422
    assert message in response.json()["error"]["rows"][0]["message"]
    assert not CarriedTask.objects.exists()


def test_import_refuses_a_missing_column(city, approval_officer, lists):
    campaign = task_campaign(approval_officer, city.district)
    from gongzhi.cleanup.xlsx import ImportFailed

    with pytest.raises(ImportFailed) as caught:
        services.import_carried_tasks(
            actor=approval_officer,
            campaign=campaign,
            community=city.tongxia,
            data=workbook([["x"]], header=["名称"]),
        )
    assert caught.value.errors[0].row == 1
    assert caught.value.errors[0].column == "事项名称"


def test_template_round_trips(city, approval_officer, lists):
    campaign = task_campaign(approval_officer, city.district)
    response = login(approval_officer).get(reverse("cleanup:task_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    tasks = services.import_carried_tasks(
        actor=approval_officer, campaign=campaign, community=city.tongxia, data=response.content
    )
    assert [t.title for t in tasks] == ["(示例)每月报送独居老人走访台账"]


def _decided_campaign(city: Any, approval_officer: Any, centre: Any) -> Campaign:
    campaign = task_campaign(approval_officer, city.district)
    add = services.add_carried_task
    t = city.tongxia
    add(actor=approval_officer, campaign=campaign, community=t, title="调解民间纠纷", department=city.dept)
    add(
        actor=approval_officer, campaign=campaign, community=t, title="协助做好社区矫正", department=city.dept
    )
    add(
        actor=approval_officer,
        campaign=campaign,
        community=t,
        title="为居民出具无犯罪记录证明",
        department=city.dept,
    )
    add(
        actor=approval_officer,
        campaign=campaign,
        community=t,
        title="统计局的月报",
        department=city.other_dept,
    )
    add(actor=approval_officer, campaign=campaign, community=t, title="高龄津贴年审", department=city.dept)
    add(actor=approval_officer, campaign=campaign, community=city.shizishan, title="调解民间纠纷")
    services.move_campaign(actor=approval_officer, campaign=campaign, to="review")
    return campaign


def test_decisions_and_before_after_counts(city, approval_officer, centre, lists):
    campaign = _decided_campaign(city, approval_officer, centre)
    tasks = {(t.community_id, t.title): t for t in campaign.tasks.all()}
    client = login(approval_officer)
    monthly = tasks[(city.tongxia.pk, "统计局的月报")]
    # Cancelling against the suggestion needs a reason.
    response = client.post(reverse("cleanup:task_decide", args=[monthly.pk]), {"decision": "cancel"})
    expected = 422 if monthly.suggestion and monthly.suggestion != "cancel" else 302
    assert response.status_code == expected
    client.post(reverse("cleanup:task_decide", args=[monthly.pk]), {"decision": "cancel", "note": "报表合并"})
    # A transfer needs the community's own service centre.
    elderly = tasks[(city.tongxia.pk, "高龄津贴年审")]
    bad = client.post(
        f"/api/cleanup/tasks/{elderly.pk}/decision",
        {"decision": "to_centre", "note": "n"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"transfer_to": "required"}
    ok = client.post(
        f"/api/cleanup/tasks/{elderly.pk}/decision",
        {"decision": "to_centre", "note": "服务中心承接", "transfer_to_id": centre.pk},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["transfer_to"]["id"] == centre.pk
    services.accept_task_suggestions(actor=approval_officer, campaign=campaign)
    decisions = dict(campaign.tasks.filter(community=city.tongxia).values_list("title", "decision"))
    assert decisions["调解民间纠纷"] == Decision.KEEP_STATUTORY
    assert decisions["协助做好社区矫正"] == Decision.KEEP_ASSISTING
    assert decisions["为居民出具无犯罪记录证明"] == Decision.RETURN
    assert decisions["统计局的月报"] == Decision.CANCEL
    assert decisions["高龄津贴年审"] == Decision.TO_CENTRE
    assert CarriedTask.objects.get(title="协助做好社区矫正").needs_agreement

    counts = queries.campaign_counts(campaign)
    by_community = {r.key: (r.before, r.after) for r in counts.communities}
    assert by_community == {city.tongxia.pk: (5, 2), city.shizishan.pk: (1, 1)}
    by_department = {r.key: (r.before, r.after) for r in counts.departments}
    assert by_department == {city.dept.pk: (4, 2), city.other_dept.pk: (1, 0), 0: (1, 1)}
    assert (counts.total.before, counts.total.after) == (6, 3)
    api = client.get(f"/api/cleanup/campaigns/{campaign.pk}").json()
    assert api["counts"]["total"]["before"] == 6
    assert api["counts"]["total"]["after"] == 3
    assert api["counts"]["progress_percent"] == 100
    page = client.get(reverse("cleanup:campaign_detail", args=[campaign.pk]))
    assert page.status_code == 200
    assert f"campaign-{campaign.pk}-communities" in page.content.decode()


def test_excluded_work_cannot_be_kept_as_a_duty(city, approval_officer, lists):
    campaign = task_campaign(approval_officer, city.district)
    task = services.add_carried_task(
        actor=approval_officer, campaign=campaign, community=city.tongxia, title="为居民出具无犯罪记录证明"
    )
    services.move_campaign(actor=approval_officer, campaign=campaign, to="review")
    with pytest.raises(ValidationFailed):
        services.decide_task(actor=approval_officer, task=task, decision="keep_statutory", note="想保留")
    # Returning needs a department to return it to.
    with pytest.raises(ValidationFailed):
        services.decide_task(actor=approval_officer, task=task, decision="return", note="退回")


def test_departments_see_only_the_tasks_attributed_to_them(
    city, approval_officer, dept_clerk, dept_head_other, lists
):
    campaign = task_campaign(approval_officer, city.district)
    add = services.add_carried_task
    add(
        actor=approval_officer,
        campaign=campaign,
        community=city.tongxia,
        title="民政的事",
        department=city.dept,
    )
    add(
        actor=approval_officer,
        campaign=campaign,
        community=city.tongxia,
        title="统计的事",
        department=city.other_dept,
    )
    mine = login(dept_clerk).get(f"/api/cleanup/campaigns/{campaign.pk}/tasks").json()
    assert [t["title"] for t in mine] == ["民政的事"]
    theirs = login(dept_head_other).get(f"/api/cleanup/campaigns/{campaign.pk}/tasks").json()
    assert [t["title"] for t in theirs] == ["统计的事"]
    page = login(dept_clerk).get(reverse("cleanup:campaign_detail", args=[campaign.pk])).content.decode()
    assert "民政的事" in page and "统计的事" not in page
    # A department member may not decide.
    other = CarriedTask.objects.get(title="民政的事")
    services.move_campaign(actor=approval_officer, campaign=campaign, to="review")
    assert (
        login(dept_clerk)
        .post(reverse("cleanup:task_decide", args=[other.pk]), {"decision": "cancel"})
        .status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.decide_task(actor=dept_clerk, task=other, decision="cancel", note="x")


def test_withdraw_during_inventory(city, approval_officer, community_director, outsider, lists):
    campaign = task_campaign(approval_officer, city.district)
    task = services.add_carried_task(
        actor=community_director, campaign=campaign, community=city.tongxia, title="错登的事"
    )
    assert login(outsider).post(reverse("cleanup:task_withdraw", args=[task.pk])).status_code == 404
    assert CarriedTask.objects.filter(pk=task.pk).exists()
    assert login(community_director).post(reverse("cleanup:task_withdraw", args=[task.pk])).status_code == 302
    assert not CarriedTask.objects.filter(pk=task.pk).exists()
    assert AuditEntry.objects.filter(action="cleanup.task.withdraw").count() == 1
