"""Admissions fixtures: the sample lists of the duties app on the test city, a fixed "today", and request
helpers. Task texts are from the duties development set (gongzhi/duties/data/devset.tsv) with their labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import City, make_user
from gongzhi.admissions import precheck, services
from gongzhi.admissions.models import TaskRequest
from gongzhi.core.models import User
from gongzhi.core.roles import Role
from gongzhi.duties import demo as duties_demo
from gongzhi.duties.models import ListEdition, ListItem

TODAY = dt.date(2026, 3, 2)  # a Monday
START = dt.date(2026, 6, 1)  # well over 30 working days later

ASSISTING = "请各社区协助开展今年低保家庭的入户调查,并在社区公示栏张榜公示。"
EXCLUDED = "请社区为居民出具亲属关系证明,用于办理继承手续。"
STATUTORY = "请各社区利用宪法宣传日开展普法宣传进小区活动。"
UNLISTED = "请各社区做好汛期防汛物资储备和值班值守工作。"
PLAQUE = "请各社区在服务大厅悬挂“职工服务站”牌子。"

TEXTS = {"assisting": ASSISTING, "excluded": EXCLUDED, "statutory": STATUTORY, "unlisted": UNLISTED}


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precheck, "today", lambda: TODAY)


@pytest.fixture
def lists(city: City) -> ListEdition:
    """The duties app's Tongling sample editions, loaded on the test city (codes 340700 / 340705)."""
    duties_demo.load(actor=None)
    return ListEdition.objects.get(scope=city.city, status=ListEdition.Status.PUBLISHED)


def standard_fen(text: str) -> int:
    result = precheck.check(precheck.Draft(title="", description=text, kind="ongoing", starts_on=START))
    assert result.item_id is not None
    return ListItem.objects.get(pk=result.item_id).funding_fen


def request_data(text: str = ASSISTING, **overrides: Any) -> services.RequestData:
    values: dict[str, Any] = {
        "title": text[:40],
        "description": text,
        "kind": TaskRequest.Kind.ONGOING,
        "starts_on": START,
        "ends_on": dt.date(2026, 12, 31),
        "legal_basis": "《社会救助暂行办法》",
        "hours_per_month": 6,
        "funding_fen": 5_000_000,
        "contact_name": "王科长",
        "contact_phone": "0562-2800000",
    }
    values.update(overrides)
    return services.RequestData(**values)


def new_request(clerk: User, city: City, text: str = ASSISTING, **overrides: Any) -> TaskRequest:
    return services.create_request(actor=clerk, department=city.dept, data=request_data(text, **overrides))


@pytest.fixture
def second_officer(city: City) -> User:
    return make_user("officer2", city.office, Role.APPROVAL_OFFICER)


@pytest.fixture
def second_member(city: City) -> User:
    return make_user("authority2", city.office, Role.AUTHORITY_MEMBER)


@pytest.fixture
def other_clerk(city: City) -> User:
    return make_user("otherclerk", city.other_dept, Role.DEPT_CLERK)
