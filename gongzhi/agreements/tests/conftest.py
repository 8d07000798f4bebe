"""Agreements fixtures: a department head (who signs for the department), admitted tasks of 民政局 for 铜霞社区 with
a list item's standard funding, a funded 2027 budget, and helpers that walk an agreement to a state.

Admitted tasks are set up as rows (what the admission mechanism leaves behind after an approval); the admission
workflow itself is tested in gongzhi.admissions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from conftest import City, make_user
from gongzhi.admissions import precheck
from gongzhi.admissions.models import AdmittedTask, TaskRequest
from gongzhi.agreements import queries, services
from gongzhi.agreements.models import Agreement, Version
from gongzhi.core.models import User
from gongzhi.core.roles import Role
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.funds import services as funds
from gongzhi.funds.models import Account

YEAR = 2027
TODAY = dt.date(2027, 2, 1)
STANDARD = 1_200_000  # 12,000.00 yuan: the list item's standard
MEETING = dt.date(2027, 1, 20)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "today", lambda: TODAY)
    monkeypatch.setattr(queries, "today", lambda: TODAY)
    monkeypatch.setattr(precheck, "today", lambda: TODAY)  # the admission refusal's clock


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def dept_head(city: City) -> User:
    return make_user("head", city.dept, Role.DEPT_HEAD, display_name="民政局长")


@pytest.fixture
def other_head(city: City) -> User:
    return make_user("otherhead", city.other_dept, Role.DEPT_HEAD)


@pytest.fixture
def other_finance(city: City) -> User:
    return make_user("otherfinance", city.other_dept, Role.DEPT_FINANCE)


@pytest.fixture
def list_item(city: City) -> ListItem:
    edition = ListEdition.objects.create(
        scope=city.city, title="测试清单", status=ListEdition.Status.PUBLISHED
    )
    return ListItem.objects.create(
        edition=edition,
        kind=ListItem.Kind.ASSISTING,
        code="XZ-01",
        title="协助开展社会救助入户调查",
        department=city.dept,
        funding_fen=STANDARD,
    )


def admit(
    city: City,
    creator: User,
    title: str,
    *,
    community: Any = None,
    department: Any = None,
    list_item: ListItem | None = None,
    funding: int = STANDARD,
    starts_on: dt.date = dt.date(YEAR, 3, 1),
    requires_agreement: bool = True,
) -> AdmittedTask:
    department = department or city.dept
    req = TaskRequest.objects.create(
        department=department,
        title=title,
        description=f"{title}:按要求入户核查并公示。",
        kind=TaskRequest.Kind.ONGOING,
        starts_on=starts_on,
        ends_on=dt.date(starts_on.year, 12, 31),
        funding_fen=funding,
        contact_name="王科长",
        contact_phone="0562-2800000",
        status=TaskRequest.Status.APPROVED,
        created_by=creator,
    )
    from django.utils import timezone

    return AdmittedTask.objects.create(
        request=req,
        community=community or city.tongxia,
        department=department,
        list_item=list_item,
        title=title,
        kind=req.kind,
        starts_on=starts_on,
        ends_on=req.ends_on,
        funding_required_fen=funding,
        funding_due=starts_on if funding else None,
        requires_agreement=requires_agreement,
        admitted_at=timezone.now(),
    )


@pytest.fixture
def tasks(city: City, dept_clerk: User, list_item: ListItem) -> list[AdmittedTask]:
    return [
        admit(city, dept_clerk, "低保家庭入户调查", list_item=list_item),
        admit(city, dept_clerk, "高龄津贴资格核查", funding=800_000),
    ]


def fund(city: City, amount: int, *, year: int = YEAR, org: Any = None) -> Account:
    budget = funds.ensure_account(
        actor=None, organization=org or city.dept, kind=Account.Kind.BUDGET, year=year
    )
    funds.fund_budget(actor=None, account=budget, amount=amount, memo="年度预算下达")
    return budget


@pytest.fixture
def budget(city: City) -> Account:
    return fund(city, 10_000_000)


@dataclass
class People:
    clerk: User
    head: User
    finance: User
    director: User


@pytest.fixture
def people(dept_clerk: User, dept_head: User, dept_finance: User, community_director: User) -> People:
    return People(dept_clerk, dept_head, dept_finance, community_director)


def draft(city: City, p: People) -> Agreement:
    return services.create_agreement(actor=p.clerk, department=city.dept, community=city.tongxia, year=YEAR)


def sent(city: City, p: People) -> Agreement:
    agreement = draft(city, p)
    services.send_agreement(actor=p.clerk, agreement=agreement)
    agreement.refresh_from_db()
    return agreement


def digest_of(agreement: Agreement) -> str:
    version = services.open_version(agreement)
    assert version is not None
    return version.digest


def signed_both(city: City, p: People) -> Agreement:
    agreement = sent(city, p)
    services.sign_for_department(actor=p.head, agreement=agreement, digest=digest_of(agreement))
    services.sign_for_party(
        actor=p.director,
        agreement=agreement,
        digest=digest_of(agreement),
        meeting_date=MEETING,
        minutes_no="居委会纪要〔2027〕1号",
    )
    agreement.refresh_from_db()
    return agreement


def active(city: City, p: People) -> Agreement:
    agreement = signed_both(city, p)
    services.reserve_funds(actor=p.finance, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.ACTIVE
    return agreement


def version_of(agreement: Agreement, number: int) -> Version:
    return Version.objects.get(agreement=agreement, number=number)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
