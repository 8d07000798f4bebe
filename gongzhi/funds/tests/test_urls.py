"""Every URL of the funds ledger, pages and API: one user it serves and one it refuses (404 for what they may not
see or do, 403 where the API lets them see the object but not move its money). A last test checks that no URL of
the app is missing from the table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import get_resolver, reverse

from conftest import login
from gongzhi.funds import services
from gongzhi.funds.models import Account, Transfer

pytestmark = pytest.mark.django_db


@dataclass
class World:
    budget: Account
    community: Account
    payment: Transfer


@pytest.fixture
def world(budget, community_account, dept_finance) -> World:
    r = services.reserve(actor=dept_finance, account=budget, amount=50_000, ref="agreement:1/v1")
    payment = services.pay_from_reservation(
        actor=dept_finance, reservation=r, to_account=community_account, amount=20_000, ref="agreement:1/i1"
    )
    return World(budget, community_account, payment)


# (url name, method, args, body, allowed persona, expected status, denied persona[:how])
Case = tuple[str, str, Any, Any, str, int, str]

CASES: list[Case] = [
    ("funds:home", "get", None, None, "dept_finance", 200, "resident"),
    ("funds:open_budget", "get", None, None, "dept_finance", 200, "dept_clerk"),
    ("funds:account", "get", lambda w: [w.budget.pk], None, "dept_finance", 200, "community_director"),
    ("funds:fund", "get", lambda w: [w.budget.pk], None, "dept_finance", 200, "approval_officer"),
    ("funds:account_xlsx", "get", lambda w: [w.community.pk], None, "community_staff", 200, "outsider"),
    ("funds:transfer", "get", lambda w: [w.payment.pk], None, "community_director", 200, "outsider"),
    (
        "funds:reverse",
        "post",
        lambda w: [w.payment.pk],
        {"reason": "错付"},
        "dept_finance",
        302,
        "community_director",
    ),
    ("funds:totals", "get", None, None, "authority_member", 200, "dept_finance"),
    ("funds:totals_xlsx", "get", None, None, "approval_officer", 200, "community_director"),
    # API (django-ninja names each operation after its function)
    ("api:funds_list_accounts", "get", None, None, "dept_finance", 200, "resident:empty"),
    ("api:funds_get_account", "get", lambda w: [w.budget.pk], None, "dept_finance", 200, "dept_clerk"),
    ("api:funds_list_entries", "get", lambda w: [w.community.pk], None, "community_staff", 200, "outsider"),
    (
        "api:funds_list_reservations",
        "get",
        lambda w: [w.budget.pk],
        None,
        "dept_finance",
        200,
        "community_director",
    ),
    (
        "api:funds_fund_budget",
        "post",
        lambda w: [w.budget.pk],
        "fund",
        "dept_finance",
        201,
        "approval_officer:403",
    ),
    ("api:funds_open_budget", "post", None, "budget", "dept_finance", 201, "dept_clerk:403"),
    ("api:funds_get_transfer", "get", lambda w: [w.payment.pk], None, "community_director", 200, "outsider"),
    (
        "api:funds_reverse_transfer",
        "post",
        lambda w: [w.payment.pk],
        "reverse",
        "dept_finance",
        201,
        "community_director:403",
    ),
    ("api:funds_totals", "get", None, None, "approval_officer", 200, "dept_finance"),
]


def _request(client: Any, case: Case, world: World, city: Any) -> Any:
    name, method, make_args, body, *_rest = case
    url = reverse(name, args=make_args(world) if make_args else None)
    if method == "get":
        return client.get(url)
    if not name.startswith("api:"):
        return client.post(url, body or {})
    json_bodies = {
        "fund": {"amount_fen": 12_345, "memo": "追加预算"},
        "budget": {"organization_id": city.dept.pk, "year": 2027},
        "reverse": {"reason": "错付"},
    }
    return client.post(
        url, json_bodies[body], content_type="application/json", headers={"Idempotency-Key": body}
    )


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_allowed(case, world, city, request):
    user = request.getfixturevalue(case[4])
    response = _request(login(user), case, world, city)
    assert response.status_code == case[5], getattr(response, "content", b"")[:500]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_denied(case, world, city, request):
    persona, _sep, how = case[6].partition(":")
    user = request.getfixturevalue(persona)
    before = (Transfer.objects.count(), Account.objects.count())
    response = _request(login(user), case, world, city)
    if how == "empty":  # a list answers with nothing of anyone else's
        assert response.status_code == 200
        assert response.json() == []
        return
    assert response.status_code == (403 if how == "403" else 404), getattr(response, "content", b"")[:500]
    assert (Transfer.objects.count(), Account.objects.count()) == before


def test_anonymous_is_sent_to_sign_in(world):
    from django.test import Client

    response = Client().get(reverse("funds:account", args=[world.budget.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get(reverse("api:funds_list_accounts")).status_code == 401


def test_every_funds_url_is_in_the_table():
    names = {c[0] for c in CASES}
    resolver = get_resolver()
    pages = {f"funds:{n}" for n in resolver.namespace_dict["funds"][1].reverse_dict if isinstance(n, str)}
    api = {
        f"api:{n}"
        for n in resolver.namespace_dict["api"][1].reverse_dict
        if isinstance(n, str) and n.startswith("funds_")
    }
    assert pages | api <= names
    assert len(pages) == 9
    assert len(api) == 9
