"""The ledger's services: funding, reservations, payments, reversals and accounts — balances, entries, guards,
audit entries and the append-only tables."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import Sum

from conftest import make_user
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.core.roles import Role
from gongzhi.funds import services
from gongzhi.funds.models import Account, Entry, Reservation, Transfer
from gongzhi.funds.queries import verify_ledger
from gongzhi.funds.tests.conftest import FUNDED, fresh

pytestmark = pytest.mark.django_db


def entries_sum(account: Account) -> int:
    return int(Entry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0)


def test_funding_books_both_sides_and_audits(budget, dept_finance):
    assert budget.balance == FUNDED == entries_sum(budget)
    source = Account.objects.get(kind="source")
    assert source.balance == -FUNDED == entries_sum(source)
    assert source.region.kind == "city" and source.organization_id is None
    transfer = Transfer.objects.get(kind="funding")
    assert [(e.account_id, e.amount) for e in transfer.entries.order_by("amount")] == [
        (source.pk, -FUNDED),
        (budget.pk, FUNDED),
    ]
    assert transfer.created_by == dept_finance
    entry = transfer.entries.get(account=budget)
    assert entry.mac.startswith("1:") and entry.seq == 1 and entry.balance_after == FUNDED
    assert (
        AuditEntry.objects.filter(action="funds.fund", actor=dept_finance, target_id=str(transfer.pk)).count()
        == 1
    )
    assert verify_ledger().ok


@pytest.mark.parametrize("amount", [0, -1, True, "100", 1.5, 10**13 + 1])
def test_bad_amounts_are_refused(budget, dept_finance, amount):
    with pytest.raises(ValidationFailed) as info:
        services.fund_budget(actor=dept_finance, account=budget, amount=amount, memo="x")
    assert info.value.fields == {"amount": "invalid"}
    assert fresh(budget).balance == FUNDED


def test_memo_is_required_and_plain(budget, dept_finance):
    for memo in ("", "   ", "a\x00b", "x" * 201):
        with pytest.raises(ValidationFailed):
            services.fund_budget(actor=dept_finance, account=budget, amount=1, memo=memo)
    assert Transfer.objects.count() == 1


def test_only_the_departments_finance_funds_its_budget(city, budget, dept_clerk, community_director):
    other_finance = make_user("other-finance", city.other_dept, Role.DEPT_FINANCE)
    for actor in (dept_clerk, community_director, other_finance):
        with pytest.raises(PermissionDenied):
            services.fund_budget(actor=actor, account=budget, amount=100, memo="x")
    assert fresh(budget).balance == FUNDED


def test_only_budgets_are_funded(dept_finance, community_account):
    with pytest.raises(ValidationFailed):
        services.fund_budget(actor=dept_finance, account=community_account, amount=100, memo="x")


def test_a_funding_ref_funds_once(budget, dept_finance):
    services.fund_budget(actor=dept_finance, account=budget, amount=100, memo="x", ref="form:abc")
    with pytest.raises(services.DuplicateRef):
        services.fund_budget(actor=dept_finance, account=budget, amount=100, memo="x", ref="form:abc")
    assert fresh(budget).balance == FUNDED + 100


def test_reserve_and_pay_an_instalment(budget, dept_finance, community_account):
    r = services.reserve(
        actor=dept_finance, account=budget, amount=30_000, ref="agreement:1/v1", payee=community_account
    )
    budget = fresh(budget)
    assert (budget.balance, budget.reserved, budget.available) == (FUNDED, 30_000, FUNDED - 30_000)
    t = services.pay_from_reservation(
        actor=dept_finance,
        reservation=r,
        to_account=community_account,
        amount=10_000,
        ref="agreement:1/instalment:1",
    )
    assert (r.remaining, r.paid, r.released) == (20_000, 10_000, 0)
    budget, community = fresh(budget), fresh(community_account)
    assert (budget.balance, budget.reserved) == (FUNDED - 10_000, 20_000)
    assert community.balance == 10_000 == entries_sum(community)
    assert t.reservation_id == r.pk and t.kind == "payment"
    assert AuditEntry.objects.filter(action="funds.pay", target_id=str(t.pk)).count() == 1
    # the same instalment again: refused, nothing moves
    with pytest.raises(services.DuplicateRef):
        services.pay_from_reservation(
            actor=dept_finance,
            reservation=r,
            to_account=community_account,
            amount=10_000,
            ref="agreement:1/instalment:1",
        )
    # more than remains
    with pytest.raises(services.InsufficientFunds):
        services.pay_from_reservation(
            actor=dept_finance,
            reservation=r,
            to_account=community_account,
            amount=20_001,
            ref="agreement:1/instalment:2",
        )
    services.pay_from_reservation(
        actor=dept_finance,
        reservation=r,
        to_account=community_account,
        amount=20_000,
        ref="agreement:1/instalment:2",
    )
    r.refresh_from_db()
    assert r.closed and r.paid == 30_000
    assert fresh(budget).reserved == 0
    assert verify_ledger().ok


def test_a_reservation_pays_only_its_payee(budget, dept_finance, community_account, other_community_account):
    r = services.reserve(
        actor=dept_finance, account=budget, amount=500, ref="agreement:2/v1", payee=community_account
    )
    with pytest.raises(ValidationFailed):
        services.pay_from_reservation(
            actor=dept_finance, reservation=r, to_account=other_community_account, amount=100, ref="p1"
        )
    with pytest.raises(ValidationFailed):  # nor back into the budget itself
        services.pay_from_reservation(
            actor=dept_finance, reservation=r, to_account=budget, amount=100, ref="p2"
        )


def test_reserving_more_than_available_is_refused(budget, dept_finance):
    services.reserve(actor=dept_finance, account=budget, amount=FUNDED - 5, ref="a")
    with pytest.raises(services.InsufficientFunds):
        services.reserve(actor=dept_finance, account=budget, amount=6, ref="b")
    assert Reservation.objects.count() == 1
    assert fresh(budget).reserved == FUNDED - 5


def test_the_department_head_may_reserve_not_pay(city, budget, community_account):
    head = make_user("head", city.dept, Role.DEPT_HEAD)
    r = services.reserve(actor=head, account=budget, amount=100, ref="agreement:3/v1")
    with pytest.raises(PermissionDenied):
        services.pay_from_reservation(
            actor=head, reservation=r, to_account=community_account, amount=100, ref="x"
        )
    with pytest.raises(PermissionDenied):
        services.pay(actor=head, from_account=budget, to_account=community_account, amount=100, ref="y")


def test_direct_payments_cannot_touch_reserved_money(budget, dept_finance, community_account):
    services.reserve(actor=dept_finance, account=budget, amount=FUNDED - 1_000, ref="agreement:4/v1")
    with pytest.raises(services.InsufficientFunds):
        services.pay(
            actor=dept_finance, from_account=budget, to_account=community_account, amount=1_001, ref="p"
        )
    services.pay(actor=dept_finance, from_account=budget, to_account=community_account, amount=1_000, ref="p")
    budget = fresh(budget)
    assert budget.available == 0 and budget.balance == budget.reserved


def test_release_gives_money_back(budget, dept_finance):
    r = services.reserve(actor=dept_finance, account=budget, amount=900, ref="agreement:5/v1")
    services.release(actor=dept_finance, reservation=r, amount=400, reason="协议变更")
    assert (r.remaining, r.released) == (500, 400)
    assert fresh(budget).reserved == 500
    with pytest.raises(services.InsufficientFunds):
        services.release(actor=dept_finance, reservation=r, amount=501, reason="x")
    services.release(actor=dept_finance, reservation=r, reason="协议终止")
    r.refresh_from_db()
    assert r.closed and r.released == 900 and fresh(budget).reserved == 0
    with pytest.raises(Conflict):
        services.release(actor=dept_finance, reservation=r, reason="again")
    with pytest.raises(ValidationFailed):
        services.release(actor=dept_finance, reservation=r, reason=" ")
    assert AuditEntry.objects.filter(action="funds.release").count() == 2


def test_reversing_a_payment_puts_it_back_into_its_reservation(budget, dept_finance, community_account):
    r = services.reserve(actor=dept_finance, account=budget, amount=1_000, ref="agreement:6/v1")
    t = services.pay_from_reservation(
        actor=dept_finance, reservation=r, to_account=community_account, amount=1_000, ref="agreement:6/i1"
    )
    rev = services.reverse_transfer(actor=dept_finance, transfer=t, reason="重复支付")
    assert rev.kind == "reversal" and rev.reverses_id == t.pk and rev.amount == 1_000
    assert (rev.from_account_id, rev.to_account_id) == (community_account.pk, budget.pk)
    r.refresh_from_db()
    assert (r.remaining, r.paid) == (1_000, 0)
    budget = fresh(budget)
    assert (budget.balance, budget.reserved) == (FUNDED, 1_000)
    assert fresh(community_account).balance == 0
    # the original entries stay: 2 transfers, 4 entries (plus the funding)
    assert Entry.objects.filter(transfer__in=[t, rev]).count() == 4
    with pytest.raises(Conflict) as again:
        services.reverse_transfer(actor=dept_finance, transfer=t, reason="x")
    assert again.value.code == "already_reversed"
    with pytest.raises(Conflict) as of_reversal:
        services.reverse_transfer(actor=dept_finance, transfer=rev, reason="x")
    assert of_reversal.value.code == "is_reversal"
    # the instalment can be paid again under a new reference
    services.pay_from_reservation(
        actor=dept_finance,
        reservation=r,
        to_account=community_account,
        amount=1_000,
        ref="agreement:6/i1-again",
    )
    assert verify_ledger().ok


def test_a_reversal_needs_the_money_still_there(budget, dept_finance, community_account, community_director):
    t = services.pay(
        actor=dept_finance, from_account=budget, to_account=community_account, amount=700, ref="p"
    )
    escrow = services.ensure_account(actor=None, organization=community_account.organization, kind="escrow")
    services.pay(
        actor=community_director, from_account=community_account, to_account=escrow, amount=300, ref="q"
    )
    with pytest.raises(services.InsufficientFunds):
        services.reverse_transfer(actor=dept_finance, transfer=t, reason="错付")
    assert not Transfer.objects.filter(kind="reversal").exists()
    assert fresh(community_account).balance == 400


def test_reversing_a_funding(budget, dept_finance, dept_clerk):
    t = Transfer.objects.get(kind="funding")
    with pytest.raises(PermissionDenied):
        services.reverse_transfer(actor=dept_clerk, transfer=t, reason="录错")
    services.reverse_transfer(actor=dept_finance, transfer=t, reason="录错")
    assert fresh(budget).balance == 0
    assert Account.objects.get(kind="source").balance == 0
    assert AuditEntry.objects.filter(action="funds.reverse").count() == 1


def test_ensure_account(city, dept_finance, community_staff, outsider, resident):
    a = services.ensure_account(actor=community_staff, organization=city.committee, kind="community")
    assert (
        services.ensure_account(actor=resident, organization=city.committee, kind="community") == a
    )  # exists
    assert a.region == city.tongxia and a.name == "铜霞社区居委会 社区账户"
    with pytest.raises(PermissionDenied):
        services.ensure_account(actor=outsider, organization=city.committee, kind="escrow")
    with pytest.raises(PermissionDenied):
        services.ensure_account(actor=community_staff, organization=city.dept, kind="budget", year=2027)
    with pytest.raises(ValidationFailed):
        services.ensure_account(actor=None, organization=city.dept, kind="community")
    with pytest.raises(ValidationFailed):
        services.ensure_account(actor=None, organization=city.dept, kind="budget")
    with pytest.raises(ValidationFailed):
        services.ensure_account(actor=None, organization=city.committee, kind="community", year=2026)
    with pytest.raises(ValidationFailed):
        services.ensure_account(actor=None, organization=city.dept, kind="source")
    b = services.ensure_account(actor=dept_finance, organization=city.dept, kind="budget", year=2027)
    assert b.name == "铜陵市民政局 2027年度预算" and b.region == city.city
    # finance may open a payee's account
    services.ensure_account(actor=dept_finance, organization=city.other_committee, kind="community")
    assert AuditEntry.objects.filter(action="funds.account.open").count() == 3


def test_entries_and_transfers_are_append_only(budget):
    entry = Entry.objects.filter(account=budget).get()
    transfer = entry.transfer
    with pytest.raises((DatabaseError, IntegrityError, OperationalError)), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises((DatabaseError, IntegrityError, OperationalError)), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises((DatabaseError, IntegrityError, OperationalError)), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(memo="changed")
    entry.refresh_from_db()
    assert entry.amount == FUNDED


def test_the_database_refuses_an_overdrawn_account(budget):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=budget.pk).update(reserved=FUNDED + 1)
