"""`gongzhi verify_ledger`: intact ledger → exit 0 with counts; an amount, a transfer, a cached balance or a
reservation changed (or an entry deleted) directly in the database, past the append-only triggers → exit 1
naming what was changed."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from gongzhi.funds import services
from gongzhi.funds.models import Account, Entry, Transfer

pytestmark = pytest.mark.django_db


def raw(sql: str, params: Sequence[Any] = ()) -> None:
    """Run SQL straight on the database, past the append-only triggers (as someone with file access could)."""
    with connection.cursor() as cur:
        cur.execute("INSERT INTO gongzhi_audit_maintenance (reason) VALUES ('tamper test')")
        cur.execute(sql, params)
        cur.execute("DELETE FROM gongzhi_audit_maintenance")


def run() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def ledger(budget, dept_finance, community_account):
    r = services.reserve(actor=dept_finance, account=budget, amount=50_000, ref="agreement:1/v1")
    for i in range(3):
        services.pay_from_reservation(
            actor=dept_finance,
            reservation=r,
            to_account=community_account,
            amount=10_000,
            ref=f"agreement:1/i{i}",
        )
    return r


def test_intact_ledger_exits_0_with_counts(ledger):
    code, out, err = run()
    assert code == 0, err
    assert "ledger intact: 3 accounts, 4 transfers, 8 entries, 1 reservations" in out


def test_an_amount_edited_in_the_database_is_named(ledger, community_account):
    entry = Entry.objects.get(account=community_account, seq=2)
    raw("UPDATE funds_entry SET amount = %s WHERE id = %s", [99_999, entry.pk])
    code, _out, err = run()
    assert code == 1
    assert f"entry={entry.pk} account={community_account.pk}" in err
    assert "do not match the entry's MAC" in err
    assert f"account={community_account.pk}: balance is 30000, its entries sum to 119999" in err


def test_an_amount_and_balance_after_edited_together_are_still_caught(ledger, community_account):
    """A careful forger who fixes the running balance and the account's cache still cannot forge the MAC."""
    entry = Entry.objects.get(account=community_account, seq=3)
    raw("UPDATE funds_entry SET amount = 1, balance_after = 20001 WHERE id = %s", [entry.pk])
    raw("UPDATE funds_account SET balance = 20001 WHERE id = %s", [community_account.pk])
    code, _out, err = run()
    assert code == 1
    assert f"entry={entry.pk}" in err and "MAC" in err


def test_a_transfer_edited_in_the_database_is_named(ledger):
    transfer = Transfer.objects.filter(kind="payment").order_by("pk").first()
    assert transfer is not None
    raw("UPDATE funds_transfer SET amount = 1 WHERE id = %s", [transfer.pk])
    code, _out, err = run()
    assert code == 1
    for entry in transfer.entries.all():
        assert f"entry={entry.pk}" in err
    assert f"transfer={transfer.pk}: amount" in err


def test_a_deleted_entry_breaks_the_chain(ledger, community_account):
    entry = Entry.objects.get(account=community_account, seq=2)
    raw("DELETE FROM funds_entry WHERE id = %s", [entry.pk])
    code, _out, err = run()
    assert code == 1
    assert "sequence jumps from 1 to 3" in err
    assert "does not chain to the previous entry" in err
    assert f"transfer={entry.transfer_id}: has 1 entries" in err


def test_a_cached_balance_edited_is_named(ledger, budget):
    Account.objects.filter(pk=budget.pk).update(balance=10**12)
    code, _out, err = run()
    assert code == 1
    assert f"account={budget.pk}: balance is {10**12}" in err


def test_a_reservation_edited_is_named(ledger):
    raw("UPDATE funds_reservation SET paid = 0, remaining = 50000 WHERE id = %s", [ledger.pk])
    code, _out, err = run()
    assert code == 1
    assert f"reservation={ledger.pk}: paid is 0, its transfers sum to 30000" in err
    assert "reserved is 20000, its open reservations sum to 50000" in err
