"""The funds pages and API through HTTP, then the database: funding by form and by API (a double submit and an
Idempotency-Key replay fund once), bad input refused with nothing written, the statement's figures, the transfer
page's MAC check, reversal, the totals and the xlsx exports."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from conftest import login
from gongzhi.core.models import AuditEntry
from gongzhi.funds import services
from gongzhi.funds.models import Account, Entry, Transfer
from gongzhi.funds.tests.conftest import FUNDED, fresh

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"


def fund_form(client: Any, account: Account, **data: Any) -> Any:
    body = {"amount": "1234.56", "memo": "追加预算", "token": TOKEN, **data}
    return client.post(reverse("funds:fund", args=[account.pk]), body)


def api_fund(client: Any, account: Account, body: Any, key: str | None = "k1") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        reverse("api:funds_fund_budget", args=[account.pk]),
        body,
        content_type="application/json",
        headers=headers,
    )


# --- pages --------------------------------------------------------------------------------------------------


def test_the_fund_form_converts_yuan_to_fen_and_funds_once(budget, dept_finance):
    client = login(dept_finance)
    page = client.get(reverse("funds:fund", args=[budget.pk]))
    assert re.search(rb'name="token" value="[0-9a-f]{32}"', page.content)
    first = fund_form(client, budget)
    assert first.status_code == 302 and first["Location"] == reverse("funds:account", args=[budget.pk])
    again = fund_form(client, budget)  # the same form sent twice (a double click, a reload)
    assert again.status_code == 302
    assert fresh(budget).balance == FUNDED + 123_456
    assert Transfer.objects.filter(ref=f"form:{TOKEN}").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "0"},
        {"amount": "-5"},
        {"amount": "1.234"},
        {"amount": "abc"},
        {"amount": "200000000000"},
        {"memo": ""},
        {"memo": "x" * 201},
        {"token": ""},
        {"token": "../../etc"},
    ],
)
def test_bad_fund_form_input_writes_nothing(budget, dept_finance, data):
    response = fund_form(login(dept_finance), budget, **data)
    assert response.status_code == 422
    assert Transfer.objects.count() == 1 and fresh(budget).balance == FUNDED


def test_the_statement_shows_balance_reserved_and_available(budget, dept_finance, community_account):
    r = services.reserve(
        actor=dept_finance, account=budget, amount=300_000, ref="agreement:9/v1", memo="铜霞协议"
    )
    services.pay_from_reservation(
        actor=dept_finance, reservation=r, to_account=community_account, amount=100_000, ref="agreement:9/i1"
    )
    html = login(dept_finance).get(reverse("funds:account", args=[budget.pk])).content.decode()
    assert "999,000.00" in html  # balance
    assert "2,000.00" in html  # still reserved
    assert "997,000.00" in html  # available
    assert "agreement:9/v1" in html and "铜霞社区居委会 社区账户" in html
    bad_page = login(dept_finance).get(reverse("funds:account", args=[budget.pk]) + "?page=x")
    assert bad_page.status_code == 200  # a bad page number falls back to the first page


def test_the_transfer_page_checks_each_entrys_mac(budget, dept_finance):
    transfer = Transfer.objects.get()
    client = login(dept_finance)
    assert "不符" not in client.get(reverse("funds:transfer", args=[transfer.pk])).content.decode()
    with connection.cursor() as cur:
        cur.execute("INSERT INTO gongzhi_audit_maintenance (reason) VALUES ('tamper test')")
        cur.execute("UPDATE funds_entry SET amount = amount + 1 WHERE account_id = %s", [budget.pk])
        cur.execute("DELETE FROM gongzhi_audit_maintenance")
    assert "不符:记录被改动" in client.get(reverse("funds:transfer", args=[transfer.pk])).content.decode()


def test_reverse_by_page(budget, dept_finance, community_account):
    t = services.pay(
        actor=dept_finance, from_account=budget, to_account=community_account, amount=500, ref="p"
    )
    client = login(dept_finance)
    url = reverse("funds:reverse", args=[t.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "错付"}).status_code == 302
    assert Transfer.objects.filter(reverses=t).count() == 1
    again = client.post(url, {"reason": "错付"})  # already reversed: the page says so, nothing more happens
    assert again.status_code == 409
    assert Transfer.objects.filter(kind="reversal").count() == 1
    assert fresh(budget).balance == FUNDED


def test_open_budget_page(city, dept_finance):
    client = login(dept_finance)
    response = client.post(reverse("funds:open_budget"), {"department": city.dept.pk, "year": 2027})
    account = Account.objects.get(kind="budget", year=2027)
    assert response.status_code == 302 and response["Location"] == reverse("funds:account", args=[account.pk])
    # another department is not offered; a year out of range is refused
    assert (
        client.post(
            reverse("funds:open_budget"), {"department": city.other_dept.pk, "year": 2027}
        ).status_code
        == 422
    )
    assert (
        client.post(reverse("funds:open_budget"), {"department": city.dept.pk, "year": 1999}).status_code
        == 422
    )
    assert Account.objects.filter(kind="budget").count() == 1


def test_totals_page_and_year_filter(
    budget, approval_officer, community_account, other_community_account, dept_finance
):
    services.pay(
        actor=dept_finance, from_account=budget, to_account=community_account, amount=70_000, ref="p"
    )
    client = login(approval_officer)
    html = client.get(reverse("funds:totals") + "?year=2026").content.decode()
    assert "铜陵市民政局 2026年度预算" in html and "999,300.00" in html and "700.00" in html
    # an account that never moved money is counted, listed only in the export
    assert "狮子山社区居委会 社区账户" not in html and "另有 1 个账户尚无收支" in html
    assert "铜陵市财政拨款" not in html  # the source is not an account anyone holds
    assert client.get(reverse("funds:totals") + "?year=abc").status_code == 400
    assert client.get(reverse("funds:totals_xlsx") + "?year=1").status_code == 400


def test_the_community_sees_what_arrived(budget, dept_finance, community_account, community_staff):
    services.pay(
        actor=dept_finance, from_account=budget, to_account=community_account, amount=88_800, ref="p"
    )
    client = login(community_staff)
    home = client.get(reverse("funds:home")).content.decode()
    assert "铜霞社区居委会 社区账户" in home and "888.00" in home
    assert "2026年度预算" not in home


# --- exports ------------------------------------------------------------------------------------------------


def _workbook(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def test_statement_xlsx(budget, dept_finance, community_account):
    services.pay(
        actor=dept_finance, from_account=budget, to_account=community_account, amount=250, ref="=HYPERLINK(1)"
    )
    wb = _workbook(login(dept_finance).get(reverse("funds:account_xlsx", args=[budget.pk])))
    rows = list(wb["明细"].iter_rows(values_only=True))
    assert rows[0][:6] == ("序号", "时间", "类型", "对方账户", "金额(元)", "余额(元)")
    assert [r[0] for r in rows[1:]] == [1, 2]
    assert rows[2][4] == -2.5 and rows[2][5] == 999_997.5
    assert rows[2][6] == "'=HYPERLINK(1)"  # never a live formula
    assert ("可用(元)", 999_997.5) in list(wb["概况"].iter_rows(values_only=True))


def test_ledger_xlsx_has_every_entry_in_the_region(budget, approval_officer, dept_finance, community_account):
    services.pay(actor=dept_finance, from_account=budget, to_account=community_account, amount=250, ref="p")
    wb = _workbook(login(approval_officer).get(reverse("funds:totals_xlsx")))
    assert wb.sheetnames == ["汇总", "账户", "分录"]
    entries = list(wb["分录"].iter_rows(values_only=True))[1:]
    assert len(entries) == Entry.objects.exclude(account__kind="source").count() == 3
    assert all(str(r[-1]).startswith("1:") for r in entries)  # each with its MAC


# --- API ----------------------------------------------------------------------------------------------------


def test_api_fund_replayed_with_the_same_key_funds_once(budget, dept_finance):
    client = login(dept_finance)
    body = {"amount_fen": 5_000, "memo": "追加"}
    first = api_fund(client, budget, body)
    second = api_fund(client, budget, body)
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert first.json()["amount_fen"] == 5_000 and first.json()["kind"] == "funding"
    assert fresh(budget).balance == FUNDED + 5_000
    assert AuditEntry.objects.filter(action="funds.fund").count() == 2  # the fixture's and this one
    other = api_fund(client, budget, {"amount_fen": 6_000, "memo": "追加"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    missing = api_fund(client, budget, body, key=None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "idempotency_key_required"
    assert fresh(budget).balance == FUNDED + 5_000


@pytest.mark.parametrize(
    "body",
    [
        {"amount_fen": 0, "memo": "x"},
        {"amount_fen": -100, "memo": "x"},
        {"amount_fen": 1.5, "memo": "x"},
        {"amount_fen": 10**13 + 1, "memo": "x"},
        {"amount_fen": 100, "memo": ""},
        {"amount_fen": 100},
        {"amount_fen": 100, "memo": "x", "account_id": 1},  # no mass assignment
        {"amount_fen": 100, "memo": "x", "balance_fen": 1},
    ],
)
def test_api_bad_fund_input_is_422_and_writes_nothing(budget, dept_finance, body):
    response = api_fund(login(dept_finance), budget, body)
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert " / " in response.json()["error"]["message"]
    assert fresh(budget).balance == FUNDED


def test_api_reverse_and_its_conflicts(budget, dept_finance, community_account):
    t = services.pay(
        actor=dept_finance, from_account=budget, to_account=community_account, amount=900, ref="p"
    )
    client = login(dept_finance)
    url = reverse("api:funds_reverse_transfer", args=[t.pk])
    ok = client.post(
        url, {"reason": "错付"}, content_type="application/json", headers={"Idempotency-Key": "r1"}
    )
    assert ok.status_code == 201 and ok.json()["reverses_id"] == t.pk
    again = client.post(
        url, {"reason": "错付"}, content_type="application/json", headers={"Idempotency-Key": "r2"}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reversed"
    got = client.get(reverse("api:funds_get_transfer", args=[t.pk])).json()
    assert got["reversed_by_id"] == ok.json()["id"]


def test_api_insufficient_funds_is_409(city, dept_finance):
    empty = services.ensure_account(actor=dept_finance, organization=city.dept, kind="budget", year=2030)
    community = services.ensure_account(actor=None, organization=city.committee, kind="community")
    services.fund_budget(actor=dept_finance, account=empty, amount=100, memo="少量")
    with pytest.raises(services.InsufficientFunds):
        services.pay(actor=dept_finance, from_account=empty, to_account=community, amount=101, ref="p")
    # the same refusal through the API of another operation: reversing a funding already spent
    services.pay(actor=dept_finance, from_account=empty, to_account=community, amount=100, ref="p")
    funding = Transfer.objects.get(to_account=empty, kind="funding")
    response = login(dept_finance).post(
        reverse("api:funds_reverse_transfer", args=[funding.pk]),
        {"reason": "录错"},
        content_type="application/json",
        headers={"Idempotency-Key": "r"},
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "insufficient_funds"


def test_api_entries_and_reservations(budget, dept_finance, community_account):
    services.reserve(
        actor=dept_finance, account=budget, amount=1_000, ref="agreement:1/v1", payee=community_account
    )
    client = login(dept_finance)
    page = client.get(reverse("api:funds_list_entries", args=[budget.pk]) + "?page_size=1").json()
    assert page["count"] == 1 and page["results"][0]["amount_fen"] == FUNDED
    assert page["results"][0]["counterparty"]["name"] == "铜陵市财政拨款"
    reservations = client.get(reverse("api:funds_list_reservations", args=[budget.pk])).json()
    assert reservations[0]["remaining_fen"] == 1_000 and reservations[0]["payee_id"] == community_account.pk
    account = client.get(reverse("api:funds_get_account", args=[budget.pk])).json()
    assert (account["balance_fen"], account["reserved_fen"], account["available_fen"]) == (
        FUNDED,
        1_000,
        FUNDED - 1_000,
    )


def test_api_totals(budget, approval_officer):
    client = login(approval_officer)
    totals = client.get(reverse("api:funds_totals") + "?year=2026").json()
    budgets = next(k for k in totals["kinds"] if k["kind"] == "budget")
    assert budgets["accounts"] == 1 and budgets["balance_fen"] == FUNDED and budgets["in_fen"] == FUNDED
    assert client.get(reverse("api:funds_totals") + "?year=abc").status_code == 422
    assert client.get(reverse("api:funds_totals") + "?year=3000").status_code == 422


def test_api_open_budget_refuses_a_non_department(city, dept_finance):
    response = login(dept_finance).post(
        reverse("api:funds_open_budget"),
        {"organization_id": city.committee.pk, "year": 2027},
        content_type="application/json",
        headers={"Idempotency-Key": "b"},
    )
    assert response.status_code == 404
    assert not Account.objects.filter(kind="budget").exists()
