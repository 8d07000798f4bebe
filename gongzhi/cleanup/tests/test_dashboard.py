"""The burden dashboard (city, district, community, department): its numbers match the data, the xlsx export
carries them, the SVG charts render; and the public page of a community's admitted tasks."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import login
from gongzhi.admissions.models import AdmittedTask, FormFrequency, InformalTaskReport, Refusal, TaskRequest
from gongzhi.cleanup import queries, services
from gongzhi.cleanup.tests.conftest import task_campaign
from gongzhi.duties.models import ListEdition, ListItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def burden(city, approval_officer, community_director, lists):
    """Admitted tasks, refusals and reports at 铜霞 and 狮子山, plaques, and a decided task campaign."""
    item = ListItem.objects.filter(
        kind="assisting", edition__status=ListEdition.Status.PUBLISHED, edition__scope=city.city
    ).first()
    assert item is not None
    ListItem.objects.filter(pk=item.pk).update(funding_fen=500_000)
    request = TaskRequest.objects.create(
        department=city.dept,
        title="协助开展高龄津贴入户核查",
        description="入户核查",
        kind="ongoing",
        starts_on=date(2026, 3, 1),
        created_by=approval_officer,
    )
    now = timezone.now()

    def admit(community: Any, funding: int, forms: int, frequency: str, source: Any = request) -> Any:
        return AdmittedTask.objects.create(
            request=source,
            community=community,
            department=city.dept,
            list_item=item,
            title=request.title,
            kind="ongoing",
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 12, 31),
            forms_count=forms,
            forms_frequency=frequency,
            funding_required_fen=funding,
            funding_received_fen=funding // 2,
            requires_agreement=True,
            admitted_at=now,
        )

    admit(city.tongxia, 400_000, 3, FormFrequency.MONTHLY)  # 3 forms a month, 1,000 yuan under the standard
    admit(city.shizishan, 600_000, 4, FormFrequency.QUARTERLY)  # 4 a quarter = 1.33 a month
    other_request = TaskRequest.objects.create(
        department=city.dept,
        title="已退出",
        description="x",
        kind="one_off",
        starts_on=date(2026, 3, 1),
        created_by=approval_officer,
    )
    revoked = admit(city.tongxia, 100, 0, FormFrequency.NONE, other_request)
    AdmittedTask.objects.filter(pk=revoked.pk).update(status="revoked", title="已退出")
    Refusal.objects.create(
        community=city.tongxia,
        organization=city.committee,
        department=city.other_dept,
        reason="not_admitted",
        title="未经准入的报表",
        details="没有准入",
        created_by=community_director,
    )
    for status in ("upheld", "dismissed"):
        InformalTaskReport.objects.create(
            community=city.tongxia,
            organization=city.committee,
            department=city.other_dept,
            title=f"摊派 {status}",
            details="微信群布置",
            demanded_on=date(2026, 4, 1),
            status=status,
            created_by=community_director,
        )
    for name in ("居委会", "老年学校", "平安社区"):
        services.register_plaque(
            actor=None, community=city.tongxia, name=name, placement="outside", issuer=city.dept
        )
    services.register_plaque(actor=None, community=city.shizishan, name="居委会", placement="outside")
    campaign = task_campaign(approval_officer, city.district)
    add = services.add_carried_task
    add(
        actor=approval_officer,
        campaign=campaign,
        community=city.tongxia,
        title="调解民间纠纷",
        department=city.dept,
        forms_per_month=1,
    )
    add(
        actor=approval_officer,
        campaign=campaign,
        community=city.tongxia,
        title="为居民出具无犯罪记录证明",
        department=city.dept,
        forms_per_month=3,
    )
    add(
        actor=approval_officer,
        campaign=campaign,
        community=city.tongxia,
        title="开展文明社区评比排名",
        department=city.other_dept,
    )
    add(actor=approval_officer, campaign=campaign, community=city.shizishan, title="调解民间纠纷")
    services.move_campaign(actor=approval_officer, campaign=campaign, to="review")
    services.accept_task_suggestions(actor=approval_officer, campaign=campaign)
    for task in campaign.tasks.filter(decision=""):
        services.decide_task(actor=approval_officer, task=task, decision="cancel", note="取消")
    return campaign


def test_region_dashboards_match_the_data(city, approval_officer, burden):
    board = queries.region_dashboard(city.city)
    total = board.total
    assert total.admitted == 2  # the revoked one does not count
    assert total.funding_offered_fen == 1_000_000
    assert total.funding_standard_fen == 1_000_000
    assert total.funding_received_fen == 500_000
    assert total.forms_per_month_rounded == round(3 + 4 * 4 / 12, 1)
    assert total.plaques == 4
    assert total.refusals == 1
    assert total.upheld_reports == 1
    assert (total.tasks_before, total.tasks_after) == (4, 2)
    assert (total.task_forms_before, total.task_forms_after) == (4, 1)
    assert [r.label for r in board.rows] == ["铜官区"]
    district = queries.region_dashboard(city.district)
    rows = {r.label: r for r in district.rows}
    assert (rows["铜霞社区"].admitted, rows["铜霞社区"].plaques, rows["铜霞社区"].refusals) == (1, 3, 1)
    assert rows["铜霞社区"].funding_gap_fen == 100_000
    assert (rows["铜霞社区"].tasks_before, rows["铜霞社区"].tasks_after) == (3, 1)
    assert (rows["狮子山社区"].admitted, rows["狮子山社区"].plaques, rows["狮子山社区"].refusals) == (1, 1, 0)
    depts = {r.label: r for r in district.departments}
    assert depts["铜陵市民政局"].admitted == 2
    assert depts["铜陵市统计局"].upheld_reports == 1
    assert depts["铜陵市统计局"].refusals == 1
    community = queries.region_dashboard(city.tongxia)
    assert community.level == "community"
    assert {r.label for r in community.rows} >= {"铜陵市民政局", "铜陵市统计局"}
    api = login(approval_officer).get(f"/api/cleanup/dashboard/regions/{city.district.pk}").json()
    assert api["total"]["admitted"] == 2
    assert {r["name"]: r["refusals"] for r in api["rows"]} == {"铜霞社区": 1, "狮子山社区": 0}
    assert api["campaigns"][0]["before"] == 4 and api["campaigns"][0]["after"] == 2


def test_department_dashboard_counts_only_that_department(city, dept_clerk, burden):
    board = queries.department_dashboard(city.dept)
    assert board.total.admitted == 2
    assert board.total.refusals == 0
    assert board.total.plaques == 3
    assert (board.total.tasks_before, board.total.tasks_after) == (2, 1)
    other = queries.department_dashboard(city.other_dept)
    assert (other.total.refusals, other.total.upheld_reports, other.total.admitted) == (1, 1, 0)
    response = login(dept_clerk).get(reverse("cleanup:dashboard_department", args=[city.dept.pk]))
    assert response.status_code == 200
    assert (
        login(dept_clerk).get(reverse("cleanup:dashboard_department", args=[city.other_dept.pk])).status_code
        == 404
    )


def test_dashboard_page_has_tables_and_labelled_svg_charts(city, approval_officer, burden):
    response = login(approval_officer).get(reverse("cleanup:dashboard_region", args=[city.district.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 4
    assert (
        'role="img"' in html
        and 'aria-labelledby="dash-district-tasks-title dash-district-tasks-desc"' in html
    )
    assert "<title>铜霞社区 · 清理前: 3项</title>" in html
    assert "<script" not in html.split("<main", 1)[1]
    assert "style=" not in html


def test_xlsx_export_carries_the_same_numbers(city, approval_officer, dept_clerk, burden):
    response = login(approval_officer).get(reverse("cleanup:dashboard_region_xlsx", args=[city.district.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    assert header[1] == "准入事项"
    assert body["铜霞社区"][1] == 1
    assert body["铜霞社区"][header.index("拒绝")] == 1
    assert body["铜官区"][header.index("事项清理前")] == 4
    assert body["铜官区"][header.index("事项报表清理前(份/月)")] == 4
    assert body["铜官区"][header.index("事项报表清理后(份/月)")] == 1
    assert wb.sheetnames[1] == "部门"
    dept = login(dept_clerk).get(reverse("cleanup:dashboard_department_xlsx", args=[city.dept.pk]))
    assert dept.status_code == 200
    assert (
        login(dept_clerk).get(reverse("cleanup:dashboard_region_xlsx", args=[city.district.pk])).status_code
        == 404
    )


def test_public_page_lists_admitted_tasks_without_personal_data(city, burden, client):
    response = client.get(reverse("cleanup:public_community", args=[city.tongxia.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "协助开展高龄津贴入户核查" in html and "铜陵市民政局" in html and "4000.00" in html
    assert "已退出" not in html
    for secret in ("13800138000", "13700137000", "张三", "11010519491231002X", "民政经办"):
        assert secret not in html
    api = client.get(f"/api/cleanup/public/communities/{city.tongxia.pk}").json()
    assert [t["title"] for t in api["admitted_tasks"]] == ["协助开展高龄津贴入户核查"]
    assert api["admitted_tasks"][0]["funding_required_fen"] == 400_000
    assert api["tasks_before"] is None  # the campaign is not closed yet
    assert api["plaques_now"] == 3
    assert client.get(reverse("cleanup:public_community", args=[city.district.pk])).status_code == 404
    assert client.get("/api/cleanup/public/communities/999999").status_code == 404
