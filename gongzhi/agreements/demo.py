"""Demo of the agreements: the story of issue 5 ready to walk (all sample data, labelled as such).

- The approval office's template for the coming year (the platform's default text, marked as a sample).
- 民政局 has two assisting tasks admitted for 铜霞社区 for that year, filed, examined and decided through the
  admission services (低保家庭入户调查, 高龄津贴申请受理和发放对象核实), and a third (困境儿童摸底和关爱帮扶)
  examined and waiting for the approval authority's decision: once `demo-authority` approves it, it is added to the
  agreement by amendment.
- `demo-dept`'s draft of the year's entrustment agreement with 铜霞社区 covers the two admitted tasks.
  `demo-dept` also holds 民政局's department-head role, so one login drafts, sends and signs for the department;
  `demo-community` signs with the committee meeting's date and minutes number; `demo-finance` reserves the budget
  (funded here, once, if it would not cover the agreement) and pays an instalment, which shows on 铜霞社区's
  public finance page.

Idempotent: each step looks for what it would create (by department, title, year) and skips what exists.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongzhi.admissions import precheck
from gongzhi.admissions import services as admission_services
from gongzhi.admissions.models import AdmittedTask, Review, TaskRequest
from gongzhi.agreements import services
from gongzhi.agreements.models import Agreement, AgreementTemplate, Kind
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind, Role
from gongzhi.funds import services as funds
from gongzhi.funds.models import Account, Transfer
from gongzhi.orgs import services as org_services
from gongzhi.orgs.models import Membership, Organization, Region

DEPARTMENT = "铜陵市民政局"
COMMUNITY = "铜霞社区"
TASKS = (
    ("协助开展低保家庭入户调查(示例)", "请各社区协助开展今年低保家庭的入户调查,并在社区公示栏张榜公示。"),
    ("协助做好高龄津贴申请受理和发放对象核实(示例)", "请各社区协助做好高龄津贴的申请受理和发放对象核实。"),
)
LATER_TASK = (
    "协助做好困境儿童摸底和关爱帮扶(示例)",
    "请各社区协助做好辖区留守儿童、困境儿童的摸底和关爱帮扶。",
)
MIN_FUNDING_FEN = 1_000_000  # 10,000 yuan a year per community at least
BUDGET_FEN = 50_000_000  # 500,000 yuan


def start_date(today: dt.date) -> dt.date:
    """The first of a month at least 70 days ahead: far enough for the 30-working-day admission lead."""
    ahead = today + dt.timedelta(days=70)
    return dt.date(ahead.year + (ahead.month == 12), ahead.month % 12 + 1, 1)


def _users() -> dict[str, User]:
    names = ("demo-dept", "demo-finance", "demo-community", "demo-office", "demo-authority")
    return {u.username: u for u in User.objects.filter(username__in=names)}


def _request(
    users: dict[str, User],
    department: Organization,
    community: Region,
    title: str,
    text: str,
    starts_on: dt.date,
) -> TaskRequest:
    existing = TaskRequest.objects.filter(department=department, title=title).order_by("-id").first()
    if existing is not None:
        return existing
    check = precheck.check(precheck.Draft(title=title, description=text, kind="ongoing", starts_on=starts_on))
    funding = max(check.standard_funding_fen or 0, MIN_FUNDING_FEN)
    data = admission_services.RequestData(
        title=title,
        description=text,
        kind=TaskRequest.Kind.ONGOING,
        starts_on=starts_on,
        ends_on=dt.date(starts_on.year, 12, 31),
        legal_basis="《中华人民共和国城市居民委员会组织法》第三条;本市社区工作事项准入办法(示例)",
        target=TaskRequest.Target.CHOSEN,
        target_communities=[community],
        hours_per_month=8,
        funding_fen=funding,
        contact_name="王科长(示例)",
        contact_phone="0562-2800000",
    )
    req = admission_services.create_request(
        actor=users["demo-dept"], department=department, data=data, is_sample=True
    )
    admission_services.submit_request(actor=users["demo-dept"], request=req)
    admission_services.examine_request(
        actor=users["demo-office"], request=req, outcome=Review.Outcome.RECOMMEND_APPROVE
    )
    req.refresh_from_db()
    return req


def _approve(users: dict[str, User], req: TaskRequest) -> None:
    if req.status == TaskRequest.Status.UNDER_REVIEW:
        admission_services.decide_request(
            actor=users["demo-authority"],
            request=req,
            outcome=Review.Outcome.APPROVE,
            meeting_ref=f"铜改办纪要〔{timezone.localdate().year}〕示例号",
        )


def load(*, actor: User | None) -> dict[str, int]:
    users = _users()
    department = Organization.objects.filter(name=DEPARTMENT, kind=OrgKind.DEPARTMENT).first()
    community = Region.objects.filter(name=COMMUNITY, kind=Region.Kind.COMMUNITY).first()
    if len(users) < 5 or department is None or community is None:
        return {"agreements": Agreement.objects.count()}  # the Tongling demo is not loaded

    # demo-dept also signs for 民政局 (one login walks the department's side)
    if not Membership.objects.filter(
        user=users["demo-dept"], organization=department, role=Role.DEPT_HEAD, revoked_at__isnull=True
    ).exists():
        org_services.grant_membership(
            actor=actor, user=users["demo-dept"], organization=department, role=Role.DEPT_HEAD
        )

    starts_on = start_date(timezone.localdate())
    year = starts_on.year
    office = Organization.objects.filter(kind=OrgKind.APPROVAL_AUTHORITY, region=department.region).first()
    region = office.region if office is not None else department.region
    for kind in (Kind.ENTRUSTMENT, Kind.SERVICE_PURCHASE):
        if not AgreementTemplate.objects.filter(region=region, year=year, kind=kind).exists():
            services.create_template(
                actor=None,
                region=region,
                year=year,
                kind=kind,
                data=services.default_template_data(kind),
                is_sample=True,
            )

    if not Agreement.objects.filter(department=department, community=community, year=year).exists():
        for title, text in TASKS:
            _approve(users, _request(users, department, community, title, text, starts_on))
        admitted = AdmittedTask.objects.filter(
            department=department, community=community, title__in=[t for t, _ in TASKS]
        )
        need = sum(services.standard_for(t) for t in admitted) * 2
        budget = funds.ensure_account(
            actor=None, organization=department, kind=Account.Kind.BUDGET, year=year, is_sample=True
        )
        ref = f"demo-agreements:budget:{department.pk}:{year}"
        if budget.available < need and not Transfer.objects.filter(ref=ref).exists():
            funds.fund_budget(
                actor=None,
                account=budget,
                amount=max(BUDGET_FEN, need),
                memo=f"{year}年度预算下达(示例)",
                ref=ref,
            )
        services.create_agreement(
            actor=users["demo-dept"], department=department, community=community, year=year, is_sample=True
        )
        # the third task: examined, waiting for the authority (approving it starts the amendment story)
        _request(users, department, community, LATER_TASK[0], LATER_TASK[1], starts_on)
    return {
        "templates": AgreementTemplate.objects.count(),
        "agreements": Agreement.objects.count(),
    }
