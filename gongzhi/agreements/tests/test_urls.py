"""Every URL of the agreements, pages and API: one user it serves and one it refuses (404 for what they may not
see, 403 for what they see but may not do, 401 anonymous). A last test checks that no URL of the app is missing
from the table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse

from conftest import make_user
from gongzhi.admissions.models import AdmittedTask
from gongzhi.agreements import services
from gongzhi.agreements.models import Agreement, AgreementTemplate, Completion, Kind
from gongzhi.agreements.tests.conftest import (
    MEETING,
    YEAR,
    People,
    admit,
    client_for,
    digest_of,
    fund,
)
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind, Role
from gongzhi.orgs import services as org_services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    a: Agreement  # active (tongxia, YEAR): an instalment part paid, one report waiting, one disputed
    b: Agreement  # active (shizishan, YEAR) with an amendment in draft
    c: Agreement  # active and paid in full (other department × tongxia, YEAR)
    d: Agreement  # draft (tongxia, YEAR+1) with an admitted task not yet in it
    e: Agreement  # sent (tongxia, YEAR+2)
    f: Agreement  # department-signed (tongxia, YEAR+3)
    s: Agreement  # service purchase in draft with one service (a social organization)
    reported: Completion
    disputed: Completion
    late: AdmittedTask
    template: AgreementTemplate


def _walk(
    agreement: Agreement, p: People, *, director: User, finance: User | None = None, to: str = "active"
) -> None:
    services.send_agreement(actor=p.clerk, agreement=agreement)
    if to == "sent":
        return
    services.sign_for_department(actor=p.head, agreement=agreement, digest=digest_of(agreement))
    if to == "dept_signed":
        return
    services.sign_for_party(
        actor=director,
        agreement=agreement,
        digest=digest_of(agreement),
        meeting_date=MEETING,
        minutes_no="1号",
    )
    services.reserve_funds(actor=finance or p.finance, agreement=agreement)


@pytest.fixture
def world(city, people, tasks, budget, outsider, approval_officer, other_head, other_finance) -> World:
    clerk = people.clerk
    # a: active, part paid, two reports
    a = services.create_agreement(actor=clerk, department=city.dept, community=city.tongxia, year=YEAR)
    _walk(a, people, director=people.director)
    first = a.instalments.get(seq=1)
    services.pay_instalment(actor=people.finance, instalment=first, amount_fen=100)
    t1, t2 = a.tasks.order_by("position")
    reported = services.report_completion(
        actor=people.director,
        agreement=a,
        task=t1,
        summary="入户完毕",
        upload=SimpleUploadedFile("证明.pdf", PDF),
    )
    disputed = services.report_completion(actor=people.director, agreement=a, task=t2, summary="已核查")
    services.review_completion(actor=clerk, completion=disputed, confirm=False, note="缺名单")
    # b: shizishan, active, amendment in draft
    admit(city, clerk, "狮子山的事项", community=city.shizishan)
    b = services.create_agreement(actor=clerk, department=city.dept, community=city.shizishan, year=YEAR)
    _walk(b, people, director=outsider)
    services.start_amendment(actor=clerk, agreement=b, reason="调整要求")
    # c: the other department's, paid in full
    other_clerk = make_user("otherclerk", city.other_dept, Role.DEPT_CLERK)
    admit(city, other_clerk, "统计调查协助", department=city.other_dept)
    fund(city, 5_000_000, org=city.other_dept)
    c = services.create_agreement(
        actor=other_clerk, department=city.other_dept, community=city.tongxia, year=YEAR
    )
    services.send_agreement(actor=other_clerk, agreement=c)
    services.sign_for_department(actor=other_head, agreement=c, digest=digest_of(c))
    services.sign_for_party(
        actor=people.director, agreement=c, digest=digest_of(c), meeting_date=MEETING, minutes_no="2号"
    )
    services.reserve_funds(actor=other_finance, agreement=c)
    *earlier, final = c.instalments.order_by("seq")
    for inst in earlier:
        services.pay_instalment(actor=other_finance, instalment=inst, amount_fen=inst.amount_fen)
    # the final instalment waits for the evaluation: settled in full
    services.settle_final_instalment(
        actor=other_finance, instalment=final, settled_fen=final.amount_fen, ref="evaluation:1"
    )
    # d, e, f: later years in draft, sent, department-signed
    drafts = []
    for offset in (1, 2, 3):
        admit(city, clerk, f"第{offset}年的事项", starts_on=dt.date(YEAR + offset, 3, 1))
        fund(city, 5_000_000, year=YEAR + offset)
        drafts.append(
            services.create_agreement(
                actor=clerk, department=city.dept, community=city.tongxia, year=YEAR + offset
            )
        )
    d, e, f = drafts
    admit(city, clerk, "第1年新准入的事项", starts_on=dt.date(YEAR + 1, 5, 1))
    _walk(e, people, director=people.director, to="sent")
    _walk(f, people, director=people.director, to="dept_signed")
    # s: a service purchase in draft
    social = org_services.create_organization(
        actor=None, name="阳光社工", kind=OrgKind.SOCIAL_ORG, region=city.tongxia
    )
    s = services.create_agreement(
        actor=clerk,
        department=city.dept,
        community=city.tongxia,
        year=YEAR,
        kind=Kind.SERVICE_PURCHASE,
        party=social,
    )
    services.add_service_item(
        actor=clerk,
        agreement=s,
        title="居家养老上门服务",
        requirements="每月两次",
        standards="满意率90%",
        amount_fen=500_000,
    )
    # a task that started without an agreement in force (admitted after a was drafted)
    late = admit(city, clerk, "开始后仍无协议的事项", starts_on=dt.date(YEAR, 1, 15))
    template = services.create_template(
        actor=approval_officer,
        region=city.city,
        year=YEAR,
        kind=Kind.ENTRUSTMENT,
        data=services.default_template_data(),
    )
    for x in (a, b, c, d, e, f, s):
        x.refresh_from_db()
    return World(a, b, c, d, e, f, s, reported, disputed, late, template)


def _terms(w: World) -> dict[str, Any]:
    return {
        "contact_name": "李科长",
        "contact_phone": "0562-1",
        "trainings_per_year": 2,
        "visits_per_year": 4,
        "guidance_notes": "",
        "evaluation_method": "年终评估",
        "liability_department": "按约支付",
        "liability_party": "按约完成",
        "starts_on": f"{YEAR + 1}-01-01",
        "ends_on": f"{YEAR + 1}-12-31",
        "schedule": [{"label": "一次付清", "percent": 100, "anchor": "signing", "days": 10}],
    }


def _template_body(w: World) -> dict[str, Any]:
    data = services.default_template_data()
    return {
        "title": data.title,
        "body": data.body,
        "schedule": data.schedule,
        "evaluation_method": data.evaluation_method,
        "liability_department": data.liability_department,
        "liability_party": data.liability_party,
    }


def _page_template_form(w: World) -> dict[str, Any]:
    data = services.default_template_data()
    return {
        "region": w.template.region_id,
        "year": YEAR + 1,
        "kind": "entrustment",
        "title": data.title,
        "body": data.body,
        "schedule": "预拨 | 50 | 生效 | 10\n结算 | 50 | 年末 | 30",
        "evaluation_method": data.evaluation_method,
        "liability_department": data.liability_department,
        "liability_party": data.liability_party,
        "trainings_per_year": 2,
        "visits_per_year": 4,
    }


# (url name, method, args(world), body(world) or None, allowed persona, status, denied persona[:how])
Case = tuple[str, str, Any, Any, str, int, str]

CASES: list[Case] = [
    ("agreements:department", "get", None, None, "dept_finance", 200, "community_director"),
    ("agreements:party", "get", None, None, "community_director", 200, "dept_clerk"),
    ("agreements:office", "get", None, None, "authority_member", 200, "dept_head"),
    ("agreements:create", "get", None, None, "dept_clerk", 200, "dept_finance"),
    ("agreements:export", "get", None, None, "approval_officer", 200, "resident"),
    ("agreements:detail", "get", lambda w: [w.a.pk], None, "community_director", 200, "outsider"),
    ("agreements:edit_terms", "get", lambda w: [w.d.pk], None, "dept_clerk", 200, "community_director"),
    ("agreements:add_tasks", "post", lambda w: [w.d.pk], lambda w: {}, "dept_head", 302, "dept_finance"),
    ("agreements:add_service", "get", lambda w: [w.s.pk], None, "dept_clerk", 200, "dept_finance"),
    (
        "agreements:edit_item",
        "get",
        lambda w: [w.d.pk, w.d.tasks.first().pk],
        None,
        "dept_clerk",
        200,
        "dept_finance",
    ),
    ("agreements:send", "post", lambda w: [w.s.pk], lambda w: {}, "dept_clerk", 302, "community_director"),
    (
        "agreements:reopen",
        "post",
        lambda w: [w.e.pk],
        lambda w: {"reason": "金额需调整"},
        "community_director",
        302,
        "dept_finance",
    ),
    ("agreements:sign", "get", lambda w: [w.e.pk], None, "dept_head", 200, "dept_clerk"),
    ("agreements:reserve", "post", lambda w: [w.f.pk], lambda w: {}, "dept_finance", 302, "dept_clerk"),
    ("agreements:amend", "get", lambda w: [w.a.pk], None, "dept_clerk", 200, "community_director"),
    ("agreements:withdraw", "get", lambda w: [w.b.pk], None, "dept_clerk", 200, "outsider"),
    ("agreements:terminate", "get", lambda w: [w.a.pk], None, "dept_head", 200, "dept_clerk"),
    ("agreements:complete", "post", lambda w: [w.c.pk], lambda w: {}, "other_head", 302, "dept_head"),
    ("agreements:pay", "get", lambda w: [w.a.pk, 1], None, "dept_finance", 200, "dept_head"),
    ("agreements:version", "get", lambda w: [w.a.pk, 1], None, "approval_officer", 200, "outsider"),
    ("agreements:print", "get", lambda w: [w.a.pk, 1], None, "community_director", 200, "outsider"),
    ("agreements:docx", "get", lambda w: [w.a.pk, 1], None, "dept_finance", 200, "outsider"),
    ("agreements:diff", "get", lambda w: [w.b.pk, 1, 2], None, "dept_clerk", 200, "outsider"),
    (
        "agreements:report",
        "get",
        lambda w: [w.c.pk, w.c.tasks.first().pk],
        None,
        "community_director",
        200,
        "dept_clerk",
    ),
    ("agreements:review", "get", lambda w: [w.reported.pk], None, "dept_clerk", 200, "community_director"),
    ("agreements:resolve", "get", lambda w: [w.disputed.pk], None, "approval_officer", 200, "dept_clerk"),
    ("agreements:evidence", "get", lambda w: [w.reported.pk], None, "dept_clerk", 200, "outsider"),
    ("agreements:refuse", "get", lambda w: [w.late.pk], None, "community_director", 200, "dept_clerk"),
    ("agreements:templates", "get", None, None, "approval_officer", 200, "dept_clerk"),
    ("agreements:template_create", "get", None, None, "approval_officer", 200, "authority_member"),
    (
        "agreements:template_edit",
        "get",
        lambda w: [w.template.pk],
        None,
        "approval_officer",
        200,
        "dept_head",
    ),
    (
        "agreements:public_community",
        "get",
        lambda w: [w.a.community_id],
        None,
        "anonymous",
        200,
        "anonymous:region",
    ),
    # API
    ("api:agreements_list", "get", None, None, "dept_clerk", 200, "resident:empty"),
    (
        "api:agreements_create",
        "post",
        None,
        lambda w: {"department_id": w.a.department_id, "community_id": w.a.community_id, "year": YEAR + 4},
        "dept_clerk",
        201,
        "community_director:403",
    ),
    ("api:agreements_summary", "get", None, None, "community_director", 200, "anonymous:401"),
    ("api:agreements_export", "get", None, None, "dept_clerk", 200, "resident:403"),
    ("api:agreements_get", "get", lambda w: [w.a.pk], None, "community_director", 200, "outsider"),
    ("api:agreements_terms", "put", lambda w: [w.d.pk], _terms, "dept_clerk", 200, "community_director"),
    (
        "api:agreements_item",
        "put",
        lambda w: [w.d.pk, w.d.tasks.first().pk],
        lambda w: {"requirements": "入户", "standards": "全覆盖", "amount_fen": 2_000_000},
        "dept_clerk",
        200,
        "dept_finance:403",
    ),
    (
        "api:agreements_add_tasks",
        "post",
        lambda w: [w.d.pk],
        lambda w: {},
        "dept_clerk",
        200,
        "dept_finance:403",
    ),
    (
        "api:agreements_add_service",
        "post",
        lambda w: [w.s.pk],
        lambda w: {
            "title": "助老服务",
            "requirements": "每月两次",
            "standards": "满意率90%",
            "amount_fen": 100,
        },
        "dept_clerk",
        201,
        "other_head",
    ),
    (
        "api:agreements_send",
        "post",
        lambda w: [w.s.pk],  # not d: d is kept with an uncovered admitted task, which send rightly refuses
        lambda w: {},
        "dept_clerk",
        200,
        "community_director",
    ),
    (
        "api:agreements_reopen",
        "post",
        lambda w: [w.e.pk],
        lambda w: {"reason": "请调整"},
        "community_director",
        200,
        "dept_finance:403",
    ),
    (
        "api:agreements_sign",
        "post",
        lambda w: [w.e.pk],
        lambda w: {"digest": w.e.versions.get().digest},
        "dept_head",
        200,
        "dept_clerk:403",
    ),
    (
        "api:agreements_reserve",
        "post",
        lambda w: [w.f.pk],
        lambda w: {},
        "dept_finance",
        200,
        "dept_clerk:403",
    ),
    (
        "api:agreements_amend",
        "post",
        lambda w: [w.a.pk],
        lambda w: {"reason": "新增"},
        "dept_clerk",
        201,
        "community_director:403",
    ),
    (
        "api:agreements_withdraw",
        "post",
        lambda w: [w.b.pk],
        lambda w: {"reason": "不改了"},
        "dept_clerk",
        200,
        "community_director",
    ),
    (
        "api:agreements_terminate",
        "post",
        lambda w: [w.a.pk],
        lambda w: {"reason": "事项退出", "settlement_fen": 100},
        "dept_head",
        200,
        "dept_clerk:403",
    ),
    ("api:agreements_complete", "post", lambda w: [w.c.pk], lambda w: {}, "other_head", 200, "dept_head"),
    ("api:agreements_versions", "get", lambda w: [w.a.pk], None, "dept_clerk", 200, "outsider"),
    ("api:agreements_version", "get", lambda w: [w.a.pk, 1], None, "community_director", 200, "outsider"),
    ("api:agreements_verify", "get", lambda w: [w.a.pk, 1], None, "community_director", 200, "outsider"),
    ("api:agreements_docx", "get", lambda w: [w.a.pk, 1], None, "approval_officer", 200, "outsider"),
    ("api:agreements_diff", "get", lambda w: [w.b.pk, 1, 2], None, "dept_clerk", 200, "community_director"),
    ("api:agreements_instalments", "get", lambda w: [w.a.pk], None, "dept_finance", 200, "outsider"),
    (
        "api:agreements_pay",
        "post",
        lambda w: [w.a.pk, 1],
        lambda w: {"amount_fen": 100},
        "dept_finance",
        201,
        "dept_head:403",
    ),
    ("api:agreements_payments", "get", lambda w: [w.a.pk], None, "community_director", 200, "outsider"),
    (
        "api:agreements_report",
        "post",
        lambda w: [w.c.pk, w.c.tasks.first().pk],
        lambda w: {"summary": "完成"},
        "community_director",
        201,
        "other_head:403",
    ),
    (
        "api:agreements_review",
        "post",
        lambda w: [w.reported.pk],
        lambda w: {"confirm": True},
        "dept_clerk",
        200,
        "community_director:403",
    ),
    (
        "api:agreements_resolve",
        "post",
        lambda w: [w.disputed.pk],
        lambda w: {"complete": True, "note": "名单已补"},
        "approval_officer",
        200,
        "dept_clerk:403",
    ),
    (
        "api:agreements_refuse",
        "post",
        lambda w: [w.late.pk],
        lambda w: {"details": "协议未生效"},
        "community_director",
        201,
        "dept_clerk:403",
    ),
    ("api:agreements_templates", "get", None, None, "approval_officer", 200, "dept_clerk:403"),
    (
        "api:agreements_template_create",
        "post",
        None,
        lambda w: {**_template_body(w), "region_id": w.template.region_id, "year": YEAR + 1},
        "approval_officer",
        201,
        "dept_clerk:403",
    ),
    (
        "api:agreements_template",
        "get",
        lambda w: [w.template.pk],
        None,
        "approval_officer",
        200,
        "dept_clerk",
    ),
    (
        "api:agreements_template_update",
        "put",
        lambda w: [w.template.pk],
        _template_body,
        "approval_officer",
        200,
        "authority_member",
    ),
    (
        "api:agreements_public_community",
        "get",
        lambda w: [w.a.community_id],
        None,
        "anonymous",
        200,
        "anonymous:region",
    ),
]


def _client(persona: str, request: pytest.FixtureRequest) -> Client:
    if persona == "anonymous":
        return Client()
    return client_for(request.getfixturevalue(persona))


def _request(client: Client, case: Case, world: World, args: list[Any] | None = None) -> Any:
    name, method, make_args, make_body, *_ = case
    url = reverse(name, args=args if args is not None else (make_args(world) if make_args else None))
    if method == "get":
        return client.get(url)
    body = make_body(world) if make_body else {}
    if name.startswith("api:"):
        return getattr(client, method)(
            url, body, content_type="application/json", headers={"Idempotency-Key": f"key-{name}"}
        )
    return getattr(client, method)(url, body)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_allowed(case, world, request):
    response = _request(_client(case[4], request), case, world)
    assert response.status_code == case[5], getattr(response, "content", b"")[:600]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_denied(case, world, city, request):
    persona, _sep, how = case[6].partition(":")
    client = _client(persona, request)
    if how == "region":  # a public page: only real communities have one
        assert _request(client, case, world, args=[city.district.pk]).status_code == 404
        return
    response = _request(client, case, world)
    if how == "empty":  # a list answers with nothing of anyone else's
        assert response.status_code == 200 and response.json()["count"] == 0
        return
    expected = {"403": 403, "401": 401}.get(how, 404)
    assert response.status_code == expected, getattr(response, "content", b"")[:600]


def test_anonymous_visitors_are_sent_to_sign_in(world):
    for case in CASES:
        if case[0].startswith("agreements:") and case[4] != "anonymous":
            response = _request(Client(), case, world)
            assert response.status_code == 302 and "/login/" in response["Location"], case[0]


def test_every_agreements_url_is_in_the_table():
    names = {c[0] for c in CASES}
    resolver = get_resolver()
    pages = {
        f"agreements:{n}" for n in resolver.namespace_dict["agreements"][1].reverse_dict if isinstance(n, str)
    }
    api = {
        f"api:{n}"
        for n in resolver.namespace_dict["api"][1].reverse_dict
        if isinstance(n, str) and n.startswith("agreements_")
    }
    assert pages | api <= names
    assert len(pages) == 32
    assert len(api) == 34
