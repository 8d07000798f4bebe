"""The permission matrix (security.md AC-2, AC-4): every persona × every object, on the pages and in the API,
against an oracle written out by hand. Departments see only their own requests; communities only the tasks
aimed at them; everyone else gets 404, and lists never show another tenant's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import login
from gongzhi.admissions import services
from gongzhi.admissions.models import AdmittedTask, Review
from gongzhi.admissions.tests.conftest import ASSISTING, UNLISTED, new_request, standard_fen

pytestmark = pytest.mark.usefixtures("lists")

PERSONAS = (
    "dept_clerk",
    "dept_finance",
    "other_clerk",
    "approval_officer",
    "authority_member",
    "community_director",
    "community_staff",
    "outsider",
    "resident",
    "panel_member",
)
DEPT = {"dept_clerk", "dept_finance"}
AUTHORITY = {"approval_officer", "authority_member"}
TONGXIA = {"community_director", "community_staff"}

# object → personas who may see it
ORACLE = {
    "draft": DEPT,
    "submitted": DEPT | AUTHORITY,
    "approved": DEPT | AUTHORITY | TONGXIA,
    "other_dept": {"other_clerk"} | AUTHORITY,
    "task": DEPT | AUTHORITY | TONGXIA,
    "refusal": DEPT | AUTHORITY | TONGXIA,
    "open_report": AUTHORITY | TONGXIA,
    "upheld_report": DEPT | AUTHORITY | TONGXIA,
}


@pytest.fixture
def world(request, city, dept_clerk, other_clerk, approval_officer, authority_member, community_director):
    users = {name: request.getfixturevalue(name) for name in PERSONAS}
    funding = standard_fen(ASSISTING)
    draft = new_request(dept_clerk, city, funding_fen=funding)
    submitted = new_request(dept_clerk, city, funding_fen=funding)
    services.submit_request(actor=dept_clerk, request=submitted)
    approved = new_request(
        dept_clerk, city, funding_fen=funding, target="chosen", target_communities=[city.tongxia]
    )
    services.submit_request(actor=dept_clerk, request=approved)
    services.examine_request(
        actor=approval_officer, request=approved, outcome=Review.Outcome.RECOMMEND_APPROVE
    )
    services.decide_request(
        actor=authority_member, request=approved, outcome=Review.Outcome.APPROVE, meeting_ref="纪要"
    )
    other = services.create_request(
        actor=other_clerk,
        department=city.other_dept,
        data=services.RequestData(
            title="人口抽样调查", description=UNLISTED, kind="one_off", starts_on=dt.date(2026, 6, 1)
        ),
    )
    services.submit_request(actor=other_clerk, request=other)
    task = AdmittedTask.objects.get(request=approved)
    refusal = services.lodge_refusal(
        actor=community_director,
        community=city.tongxia,
        data=services.RefusalData(
            reason="not_admitted", details="未经准入", title="代收费用", department=city.dept
        ),
    )

    def report(title: str) -> Any:
        return services.file_report(
            actor=community_director,
            community=city.tongxia,
            data=services.ReportData(
                department=city.dept, title=title, details="电话布置", demanded_on=dt.date(2026, 2, 2)
            ),
        )

    open_report, upheld = report("统计商铺"), report("上报照片")
    for step in ("acknowledged", "investigating"):
        services.advance_report(actor=approval_officer, report=upheld, to=step)
    services.advance_report(actor=approval_officer, report=upheld, to="upheld", finding="查实")
    objects = {
        "draft": draft,
        "submitted": submitted,
        "approved": approved,
        "other_dept": other,
        "task": task,
        "refusal": refusal,
        "open_report": open_report,
        "upheld_report": upheld,
    }
    return users, objects


PAGE = {
    "draft": "/admissions/requests/{}/",
    "submitted": "/admissions/requests/{}/",
    "approved": "/admissions/requests/{}/",
    "other_dept": "/admissions/requests/{}/",
    "task": "/admissions/tasks/{}/",
    "refusal": "/admissions/refusals/{}/",
    "open_report": "/admissions/reports/{}/",
    "upheld_report": "/admissions/reports/{}/",
}
API = {
    "draft": "/api/admissions/requests/{}",
    "submitted": "/api/admissions/requests/{}",
    "approved": "/api/admissions/requests/{}",
    "other_dept": "/api/admissions/requests/{}",
    "task": "/api/admissions/tasks/{}",
    "refusal": "/api/admissions/refusals/{}",
    "open_report": "/api/admissions/reports/{}",
    "upheld_report": "/api/admissions/reports/{}",
}


def test_every_persona_sees_exactly_what_the_oracle_allows(world):
    users, objects = world
    wrong = []
    for persona in PERSONAS:
        client = login(users[persona])
        for name, obj in objects.items():
            expected = 200 if persona in ORACLE[name] else 404
            for template in (PAGE[name], API[name]):
                got = client.get(template.format(obj.pk)).status_code
                if got != expected:
                    wrong.append((persona, name, template, got, expected))
    assert wrong == []


def test_lists_never_show_another_tenants_rows(world):
    users, objects = world
    kinds = {
        "/api/admissions/requests": ("draft", "submitted", "approved", "other_dept"),
        "/api/admissions/tasks": ("task",),
        "/api/admissions/refusals": ("refusal",),
        "/api/admissions/reports": ("open_report", "upheld_report"),
    }
    for persona in PERSONAS:
        client = login(users[persona])
        for url, names in kinds.items():
            response = client.get(url)
            if response.status_code == 403:  # no access to the list at all
                assert not any(persona in ORACLE[n] for n in names), (persona, url)
                continue
            data = response.json()
            rows = data["results"] if isinstance(data, dict) else data
            seen = {row["id"] for row in rows}
            expected = {objects[n].pk for n in names if persona in ORACLE[n]}
            assert seen == expected, (persona, url, seen, expected)


def test_the_inbox_shows_only_the_communitys_own_tasks(world, city):
    users, objects = world
    mine = login(users["community_director"]).get("/api/admissions/tasks?scope=inbox").json()
    assert [t["id"] for t in mine] == [objects["task"].pk]
    assert login(users["outsider"]).get("/api/admissions/tasks?scope=inbox").json() == []
    assert login(users["dept_clerk"]).get("/api/admissions/tasks?scope=inbox").json() == []
