"""The "Done when" walk-throughs of issues 4 (admissions), 5 (agreements and funds) and 6 (surveys and evaluations)
on the demo data: each test loads `gongzhi load_demo` into the test database and walks it with the demo accounts
through the real URLs — the pages (form posts, following the redirects, reading the page) and the JSON API."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from gongzhi.admissions.models import AdmittedTask, InformalTaskReport, Refusal, TaskRequest
from gongzhi.agreements import demo as agreements_demo
from gongzhi.agreements.models import Agreement, Payment
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Score, Source
from gongzhi.orgs.models import Organization, Region, Resident
from gongzhi.surveys import demo as surveys_demo
from gongzhi.surveys.models import Question, Response, Survey

# An unlisted task (no item of the published lists matches it): the pre-check says the authority must decide.
UNLISTED = "请各社区做好汛期防汛物资储备和值班值守工作。"
NEEDS_AUTHORITY = "须经审批办审查、审批机构决定"


class Demo:
    """The loaded demo: the demo accounts signed in, and the places the stories happen."""

    def __init__(self) -> None:
        self.users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
        self.minzheng = Organization.objects.get(name="铜陵市民政局", kind=OrgKind.DEPARTMENT)
        self.tongxia = Region.objects.get(name="铜霞社区", kind=Region.Kind.COMMUNITY)
        self.today = timezone.localdate()
        # the demo's tasks and agreement run from this date (far enough ahead for the admission lead time)
        self.starts_on = agreements_demo.start_date(self.today)
        self.year = self.starts_on.year

    def client(self, username: str) -> Client:
        return login(self.users[username])


@pytest.fixture
def demo(db: None, settings: Any, tmp_path: Any) -> Demo:
    settings.DATA_DIR = tmp_path
    settings.GONGZHI_DEMO_PASSWORD = "Demo-pass-2026"
    cache.clear()  # the public survey pages are rate limited per address (counted in the cache)
    call_command("load_demo", stdout=StringIO())
    return Demo()


def text(response: Any) -> str:
    return str(response.content.decode())


def page_ok(response: Any) -> str:
    """A followed form post or a GET that ended on a page: 200, and the page's text."""
    assert response.status_code == 200, (response.status_code, text(response)[:2000])
    return text(response)


def api(client: Client, url: str, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, body or {}, content_type="application/json", headers=headers)


def api_ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


# --- issue 4: admissions --------------------------------------------------------------------------------------


def _request_form(d: Demo, title: str) -> dict[str, Any]:
    return {
        "department": d.minzheng.pk,
        "title": title,
        "description": UNLISTED,
        "legal_basis": "《中华人民共和国防洪法》第三十八条",
        "kind": "ongoing",
        "target": "chosen",
        "target_communities": [d.tongxia.pk],
        "starts_on": d.starts_on.isoformat(),
        "ends_on": dt.date(d.year, 12, 31).isoformat(),
        "hours_per_month": "4",
        "forms_count": "0",
        "forms_frequency": "none",
        "plaques_count": "0",
        "funding_yuan": "5000.00",
        "contact_name": "王科长(示例)",
        "contact_phone": "0562-2800000",
    }


def test_issue4_admission_refusal_and_report_on_the_demo(demo: Demo) -> None:
    d = demo
    dept, office, authority = d.client("demo-dept"), d.client("demo-office"), d.client("demo-authority")
    community = d.client("demo-community")

    # --- once through the pages ---
    title = "汛期防汛物资储备(页面)"
    form = _request_form(d, title)
    assert NEEDS_AUTHORITY in page_ok(dept.post(reverse("admissions:request_precheck"), form))
    page = page_ok(dept.post(reverse("admissions:request_new"), form, follow=True))
    req = TaskRequest.objects.get(title=title)
    assert title in page and req.status == TaskRequest.Status.DRAFT and req.department == d.minzheng
    page_ok(dept.post(reverse("admissions:request_submit", args=[req.pk]), follow=True))
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.SUBMITTED and req.needs_authority
    assert title in page_ok(office.get(reverse("admissions:request_list")))
    page_ok(
        office.post(
            reverse("admissions:request_examine", args=[req.pk]),
            {"outcome": "recommend_approve", "comments": "确需社区协助,建议准入"},
            follow=True,
        )
    )
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.UNDER_REVIEW
    page_ok(
        authority.post(
            reverse("admissions:request_decide", args=[req.pk]),
            {"outcome": "approve", "meeting_ref": f"铜改办纪要〔{d.today.year}〕8号"},
            follow=True,
        )
    )
    req.refresh_from_db()
    assert req.status == TaskRequest.Status.APPROVED
    task = AdmittedTask.objects.get(request=req, community=d.tongxia)
    assert title in page_ok(community.get(reverse("admissions:inbox")))
    assert title in page_ok(community.get(reverse("admissions:task_detail", args=[task.pk])))

    never = "要求社区每周上报独居老人走访照片(页面)"
    page = page_ok(
        community.post(
            reverse("admissions:refusal_new"),
            {
                "community": d.tongxia.pk,
                "reason": "not_admitted",
                "department": d.minzheng.pk,
                "title": never,
                "details": "该工作未经准入,社区依法拒绝。",
                "demanded_on": d.today.isoformat(),
            },
            follow=True,
        )
    )
    refusal = Refusal.objects.get(title=never)
    assert never in page and refusal.department == d.minzheng
    assert never in page_ok(dept.get(reverse("admissions:refusal_list")))  # the department is told

    informal = "微信群要求社区三天内上报辖区全部商铺信息(页面)"
    page = page_ok(
        community.post(
            reverse("admissions:report_new"),
            {
                "community": d.tongxia.pk,
                "department": d.minzheng.pk,
                "title": informal,
                "details": "民政局工作群通知,未经准入。",
                "demanded_on": d.today.isoformat(),
                "channel": "chat",
            },
            follow=True,
        )
    )
    report = InformalTaskReport.objects.get(title=informal)
    assert informal in page
    advance = reverse("admissions:report_advance", args=[report.pk])
    for to in ("acknowledged", "investigating"):
        page_ok(office.post(advance, {"to": to}, follow=True))
    finding = "经核实属未经准入的摊派,责令民政局整改。"
    assert finding in page_ok(office.post(advance, {"to": "upheld", "finding": finding}, follow=True))
    report.refresh_from_db()
    assert report.status == InformalTaskReport.Status.UPHELD
    assert finding in page_ok(community.get(reverse("admissions:report_detail", args=[report.pk])))

    # --- once through the API ---
    title = "汛期防汛物资储备(接口)"
    check = api_ok(
        api(
            dept,
            "/api/admissions/precheck",
            {"title": title, "description": UNLISTED, "starts_on": d.starts_on.isoformat()},
        )
    )
    assert check["needs_authority"] and check["can_submit"]
    body = {
        "department_id": d.minzheng.pk,
        "title": title,
        "description": UNLISTED,
        "kind": "ongoing",
        "target": "chosen",
        "target_community_ids": [d.tongxia.pk],
        "starts_on": d.starts_on.isoformat(),
        "ends_on": dt.date(d.year, 12, 31).isoformat(),
        "hours_per_month": 4,
        "funding_fen": 500_000,
        "contact_name": "王科长(示例)",
    }
    created = api_ok(api(dept, "/api/admissions/requests", body, key="flow4-request"), 201)
    pk = created["id"]
    submitted = api_ok(api(dept, f"/api/admissions/requests/{pk}/submit"))
    assert submitted["status"] == "submitted" and submitted["needs_authority"] is True
    examined = api_ok(api(office, f"/api/admissions/requests/{pk}/examine", {"outcome": "recommend_approve"}))
    assert examined["status"] == "under_review"
    decided = api_ok(
        api(
            authority,
            f"/api/admissions/requests/{pk}/decide",
            {"outcome": "approve", "meeting_ref": f"铜改办纪要〔{d.today.year}〕9号"},
        )
    )
    assert decided["status"] == "approved"
    inbox = api_ok(community.get("/api/admissions/tasks?scope=inbox"))
    assert title in [t["title"] for t in inbox]

    never = "要求社区代收社保费(接口)"
    refusal_body = {
        "community_id": d.tongxia.pk,
        "reason": "not_admitted",
        "department_id": d.minzheng.pk,
        "title": never,
        "details": "未经准入,社区依法拒绝。",
        "demanded_on": d.today.isoformat(),
    }
    lodged = api_ok(api(community, "/api/admissions/refusals", refusal_body, key="flow4-refusal"), 201)
    assert lodged["id"] in [r["id"] for r in api_ok(dept.get("/api/admissions/refusals"))]

    informal = "电话要求社区统计辖区全部商铺(接口)"
    report_body = {
        "community_id": d.tongxia.pk,
        "department_id": d.minzheng.pk,
        "title": informal,
        "details": "电话布置,未经准入。",
        "demanded_on": d.today.isoformat(),
        "channel": "phone",
    }
    rid = api_ok(api(community, "/api/admissions/reports", report_body, key="flow4-report"), 201)["id"]
    for step in ("acknowledged", "investigating"):
        assert api_ok(api(office, f"/api/admissions/reports/{rid}/advance", {"to": step}))["status"] == step
    upheld = api_ok(
        api(office, f"/api/admissions/reports/{rid}/advance", {"to": "upheld", "finding": "查实"})
    )
    assert upheld["status"] == "upheld"
    assert api_ok(community.get(f"/api/admissions/reports/{rid}"))["status"] == "upheld"
    assert api_ok(dept.get(f"/api/admissions/reports/{rid}"))["finding"] == "查实"  # told the outcome


# --- issue 5: agreements and funds ------------------------------------------------------------------------------


def _digest(page: str) -> str:
    found = re.search(r'name="digest" value="([0-9a-f]+)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


def _sign_both(d: Demo, agreement: Agreement, minutes_no: str) -> None:
    url = reverse("agreements:sign", args=[agreement.pk])
    dept = d.client("demo-dept")  # also 民政局's department head in the demo
    digest = _digest(page_ok(dept.get(url)))
    page_ok(dept.post(url, {"digest": digest, "confirm": "on"}, follow=True))
    community = d.client("demo-community")
    digest = _digest(page_ok(community.get(url)))
    page_ok(
        community.post(
            url,
            {
                "digest": digest,
                "meeting_date": d.today.isoformat(),
                "minutes_no": minutes_no,
                "confirm": "on",
            },
            follow=True,
        )
    )


def test_issue5_agreement_signed_funded_paid_and_amended_on_the_demo(demo: Demo) -> None:
    d = demo
    dept, finance = d.client("demo-dept"), d.client("demo-finance")
    # the demo holds demo-dept's draft of the year's agreement with 铜霞社区, from the two admitted tasks
    agreement = Agreement.objects.get(department=d.minzheng, community=d.tongxia, year=d.year)
    assert agreement.status == Agreement.Status.DRAFT
    detail = reverse("agreements:detail", args=[agreement.pk])
    page = page_ok(dept.get(detail))
    for title, _ in agreements_demo.TASKS:
        assert title in page
    page_ok(dept.post(reverse("agreements:add_tasks", args=[agreement.pk]), follow=True))  # nothing left out
    page_ok(dept.post(reverse("agreements:send", args=[agreement.pk]), follow=True))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SENT

    _sign_both(d, agreement, f"铜霞居〔{d.today.year}〕5号")
    page = page_ok(finance.post(reverse("agreements:reserve", args=[agreement.pk]), follow=True))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE, page[:2000]
    assert agreement.number in page_ok(d.client("demo-community").get(reverse("agreements:party")))

    # demo-finance pays the first instalment through the API; the same Idempotency-Key replayed pays once
    first = agreement.instalments.get(seq=1)
    url = f"/api/agreements/{agreement.pk}/instalments/1/payments"
    body = {"amount_fen": first.amount_fen, "note": "第一期拨付(示例)"}
    paid = api_ok(api(finance, url, body, key="flow5-pay-1"), 201)
    again = api(finance, url, body, key="flow5-pay-1")
    assert again.status_code == 201 and again.json() == paid
    assert Payment.objects.filter(agreement=agreement).count() == 1
    assert paid["instalment"]["outstanding_fen"] == 0

    # the community's public finance page (no login) shows the money received
    public = page_ok(Client().get(reverse("agreements:public_community", args=[d.tongxia.pk])))
    yuan = f"{first.amount_fen // 100:,}.{first.amount_fen % 100:02d}"
    assert agreement.number in public and f'<td data-label="已到账(元)">{yuan}</td>' in public

    # the third task is admitted (the authority decides), and an amendment adds it to the agreement
    later = TaskRequest.objects.get(department=d.minzheng, title=agreements_demo.LATER_TASK[0])
    assert later.status == TaskRequest.Status.UNDER_REVIEW
    page_ok(
        d.client("demo-authority").post(
            reverse("admissions:request_decide", args=[later.pk]),
            {"outcome": "approve", "meeting_ref": f"铜改办纪要〔{d.today.year}〕10号"},
            follow=True,
        )
    )
    assert AdmittedTask.objects.filter(request=later, community=d.tongxia).exists()
    page_ok(
        dept.post(
            reverse("agreements:amend", args=[agreement.pk]),
            {"reason": "新增困境儿童摸底和关爱帮扶事项"},
            follow=True,
        )
    )
    page = page_ok(dept.post(reverse("agreements:add_tasks", args=[agreement.pk]), follow=True))
    assert agreements_demo.LATER_TASK[0] in page
    page_ok(dept.post(reverse("agreements:send", args=[agreement.pk]), follow=True))
    _sign_both(d, agreement, f"铜霞居〔{d.today.year}〕6号")
    page_ok(finance.post(reverse("agreements:reserve", args=[agreement.pk]), follow=True))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    in_force = agreement.versions.filter(status="effective").get()
    assert in_force.number == 2
    assert agreement.tasks.filter(title=agreements_demo.LATER_TASK[0]).exists()
    assert agreements_demo.LATER_TASK[0] in page_ok(d.client("demo-community").get(detail))


# --- issue 6: surveys and evaluations -------------------------------------------------------------------------


def _answers(survey: Survey) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in survey.questions.all():
        out[f"q{q.pk}"] = 4 if q.kind == Question.Kind.SCALE else "希望多办些老年人活动"
    return out


def test_issue6_survey_rating_review_and_public_results_on_the_demo(demo: Demo) -> None:
    d = demo
    office, panel = d.client("demo-office"), d.client("demo-panel")
    # the demo's cycle is open, its residents' satisfaction indicator reads the demo's open survey
    cycle = Cycle.objects.get(scope__name="铜陵市", year=d.year, period=Cycle.Period.YEAR)
    assert cycle.status == Cycle.Status.OPEN
    assert cycle.name in page_ok(office.get(reverse("evaluations:cycle", args=[cycle.pk])))
    residents = Indicator.objects.get(cycle=cycle, direction=Direction.COMMUNITY, key="residents")
    survey = residents.survey
    assert survey is not None
    assert survey.status == Survey.Status.OPEN and survey.purpose == Survey.Purpose.SATISFACTION

    # demo-resident answers with the household's code (printed by the demo) on the phone page
    code = surveys_demo.resident_code(survey)
    assert code
    household = Resident.objects.get(user=d.users["demo-resident"]).household
    phone = Client()
    assert 'name="code"' in page_ok(phone.get(reverse("surveys:enter")))
    entered = phone.post(reverse("surveys:enter"), {"code": f"{code[:5]}-{code[5:]}".lower()})
    # the code goes into a signed cookie, never into the URL
    assert entered.status_code == 302 and entered["Location"] == "/s/answer/"
    sheet = page_ok(phone.get("/s/answer/"))
    assert survey.title in sheet and code not in sheet
    retry = re.search(r'name="retry" value="([0-9a-f]+)"', sheet)
    assert retry is not None
    done = phone.post("/s/answer/", {**_answers(survey), "retry": retry.group(1)})
    assert "提交成功" in page_ok(done)
    assert Response.objects.filter(survey=survey, community=household.community).count() == 1
    # a second answer from the same household is refused: another phone scanning the slip, and the signed-in resident
    other_phone = Client()
    assert other_phone.get(f"/s/{code}/")["Location"] == "/s/answer/"
    other = other_phone.post("/s/answer/", {**_answers(survey), "retry": "b" * 32})
    assert other.status_code == 409
    assert (
        d.client("demo-resident").get(reverse("surveys:answer_account", args=[survey.pk])).status_code == 409
    )
    assert Response.objects.filter(survey=survey).count() == 1

    # demo-community rates 民政局 (it has admitted tasks from it in the cycle's year)
    community = d.client("demo-community")
    rate = reverse("evaluations:rate", args=[cycle.pk])
    assert d.minzheng.name in page_ok(community.get(rate))
    guidance = Indicator.objects.get(
        cycle=cycle, direction=Direction.DEPARTMENT, key="guidance", source=Source.RATED
    )
    rated = community.post(
        rate,
        {"indicator": guidance.pk, "subject": d.minzheng.pk, "score": 90, "evidence": "全年培训3次,指导到位"},
        follow=True,
    )
    assert "评分已保存" in page_ok(rated)

    # the office closes rating; the panel adjusts one score with a reason and signs off; the office publishes
    move = reverse("evaluations:cycle_move", args=[cycle.pk])
    page_ok(office.post(move, {"to": "reviewing"}, follow=True))
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.REVIEWING
    overview = page_ok(panel.get(reverse("evaluations:review", args=[cycle.pk]) + "?direction=department"))
    assert d.minzheng.name in overview
    detail = reverse("evaluations:review_subject", args=[cycle.pk, Direction.DEPARTMENT, d.minzheng.pk])
    assert f'href="{detail}"' in overview
    score = Score.objects.get(indicator=guidance, department=d.minzheng)
    assert reverse("evaluations:score_adjust", args=[score.pk]) in page_ok(panel.get(detail))
    assert score.value == 90
    reason = "走访核实:全年业务培训实为2次,按协议下调"
    adjusted = panel.post(
        reverse("evaluations:score_adjust", args=[score.pk]), {"value": 80, "reason": reason}, follow=True
    )
    assert reason in page_ok(adjusted)
    score.refresh_from_db()
    assert score.adjusted == 80
    page_ok(panel.post(move, {"to": "signed_off"}, follow=True))
    page_ok(office.post(move, {"to": "published"}, follow=True))
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.PUBLISHED

    # the public results page (no login): both rankings, each with its chart, and the panel's reason
    public = page_ok(Client().get(reverse("evaluations:public_results", args=[cycle.pk])))
    for label in Direction.labels:
        assert str(label) in public
    assert public.count("<svg") >= 2
    assert d.minzheng.name in public and d.tongxia.name in public and reason in public
