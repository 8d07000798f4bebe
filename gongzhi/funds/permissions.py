"""Who may see and move which money. Deny by default; accessors answer 404 (NotFound) for what a user may not see.

- A department's budget: its finance (Cap.PAY_INSTALMENTS) funds, pays and reverses; finance and those who sign
  agreements for the department (Cap.SIGN_AGREEMENTS, the department head) read it and reserve from it.
- A community's accounts (community, escrow): the community's staff (Cap.MANAGE_COMMUNITY) read them; its director
  (Cap.SIGN_AGREEMENTS in the committee) pays out of them.
- A service centre's or social organization's account: its people (Cap.TAKE_SERVICES) read it and pay from it.
- The approval office and the authority (Cap.EXAMINE_REQUESTS / DECIDE_REQUESTS at the approval authority) read
  every account in their region and below, and the city totals.
Platform administrators get no access to the money by that role alone (separation of duties).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.core.errors import NotFound
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.funds.models import Account, Reservation, Transfer
from gongzhi.orgs.models import Organization, Region
from gongzhi.orgs.permissions import active_memberships, communities_with_cap, is_platform_admin


def orgs_with_cap(user: Any, cap: str) -> set[int]:
    """Organizations where the user holds `cap` (read fresh: a revoked role stops at once)."""
    return {
        m.organization_id for m in active_memberships(user) if cap in CAPS_BY_ROLE.get(m.role, frozenset())
    }


def subtree_ids(region_ids: set[int]) -> set[int]:
    """The given regions and every region below them."""
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def overseen_region_ids(user: Any) -> set[int]:
    """Regions under the approval authority where the user examines or decides requests."""
    roots = {
        m.organization.region_id
        for m in active_memberships(user)
        if m.organization.kind == OrgKind.APPROVAL_AUTHORITY
        and CAPS_BY_ROLE.get(m.role, frozenset()) & {Cap.EXAMINE_REQUESTS, Cap.DECIDE_REQUESTS}
    }
    return subtree_ids(roots) if roots else set()


def _visible_q(user: Any) -> Q:
    finance = orgs_with_cap(user, Cap.PAY_INSTALMENTS)
    signers = orgs_with_cap(user, Cap.SIGN_AGREEMENTS)
    services = orgs_with_cap(user, Cap.TAKE_SERVICES)
    staff = communities_with_cap(user, Cap.MANAGE_COMMUNITY)
    return (
        # the department's finance and signers: its budgets
        Q(kind=Account.Kind.BUDGET, organization_id__in=finance | signers)
        # community staff: their committee's accounts
        | Q(
            kind__in=(Account.Kind.COMMUNITY, Account.Kind.ESCROW),
            organization__kind=OrgKind.COMMITTEE,
            organization__region_id__in=staff,
        )
        # a service centre's or social organization's own people
        | Q(kind=Account.Kind.SERVICE, organization_id__in=services)
        # the approval office and the authority: everything in their region and below
        | Q(region_id__in=overseen_region_ids(user))
    )


def accounts_for_user(user: Any) -> QuerySet[Account]:
    if not getattr(user, "is_authenticated", False):
        return Account.objects.none()
    return Account.objects.filter(_visible_q(user)).select_related("organization", "region")


def can_view_account(user: Any, account: Account) -> bool:
    return accounts_for_user(user).filter(pk=account.pk).exists()


def get_account_for_user(user: Any, pk: int) -> Account:
    account = accounts_for_user(user).filter(pk=pk).first()
    if account is None:
        raise NotFound("未找到该账户 / account not found")
    return account


def can_fund(user: Any, account: Account) -> bool:
    # a budget, by its department's finance
    return account.kind == Account.Kind.BUDGET and account.organization_id in orgs_with_cap(
        user, Cap.PAY_INSTALMENTS
    )


def can_reserve(user: Any, account: Account) -> bool:
    # only budgets hold reservations
    if account.kind != Account.Kind.BUDGET:
        return False
    # the department's finance, or whoever signs agreements for the department
    return account.organization_id in orgs_with_cap(user, Cap.PAY_INSTALMENTS) | orgs_with_cap(
        user, Cap.SIGN_AGREEMENTS
    )


def can_pay_from(user: Any, account: Account) -> bool:
    # a budget: the department's finance
    if account.kind == Account.Kind.BUDGET:
        return account.organization_id in orgs_with_cap(user, Cap.PAY_INSTALMENTS)
    # a committee's accounts: its director (who signs for the committee)
    if account.kind in (Account.Kind.COMMUNITY, Account.Kind.ESCROW):
        return account.organization_id in orgs_with_cap(user, Cap.SIGN_AGREEMENTS)
    # a service account: the organization's own people
    if account.kind == Account.Kind.SERVICE:
        return account.organization_id in orgs_with_cap(user, Cap.TAKE_SERVICES)
    # nobody pays out of the appropriation source directly
    return False


def can_pay_from_reservation(user: Any, reservation: Reservation) -> bool:
    # the budget's finance
    return reservation.account.organization_id in orgs_with_cap(user, Cap.PAY_INSTALMENTS)


def controlling_account(transfer: Transfer) -> Account:
    """The account whose holder is answerable for a transfer: the payer, or for a funding the funded budget."""
    if transfer.from_account.kind == Account.Kind.SOURCE:
        return transfer.to_account
    return transfer.from_account


def can_reverse(user: Any, transfer: Transfer) -> bool:
    # a reversal is not reversed again (a new transfer corrects it)
    if transfer.kind == Transfer.Kind.REVERSAL:
        return False
    # whoever could have made the transfer: the budget's finance, the paying organization
    account = controlling_account(transfer)
    return can_fund(user, account) if account.kind == Account.Kind.BUDGET else can_pay_from(user, account)


def can_open_account(user: Any, organization: Organization, kind: str) -> bool:
    # platform administrators set up accounts
    if is_platform_admin(user):
        return True
    finance = orgs_with_cap(user, Cap.PAY_INSTALMENTS)
    # a department's finance opens its own budget
    if kind == Account.Kind.BUDGET:
        return organization.pk in finance
    # a department's finance opens the account of a payee
    if kind in (Account.Kind.COMMUNITY, Account.Kind.ESCROW, Account.Kind.SERVICE) and finance:
        return True
    # community staff open their committee's accounts
    if kind in (Account.Kind.COMMUNITY, Account.Kind.ESCROW):
        return organization.region_id in communities_with_cap(user, Cap.MANAGE_COMMUNITY)
    # a service organization opens its own account
    return kind == Account.Kind.SERVICE and organization.pk in orgs_with_cap(user, Cap.TAKE_SERVICES)


def transfers_for_account(account: Account) -> QuerySet[Transfer]:
    return Transfer.objects.filter(Q(from_account=account) | Q(to_account=account))


def get_transfer_for_user(user: Any, pk: int) -> Transfer:
    """A transfer is visible to whoever may see either of its accounts."""
    transfer = (
        Transfer.objects.select_related(
            "from_account", "to_account", "from_account__organization", "to_account__organization", "reverses"
        )
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise NotFound("未找到该转账 / transfer not found")
    visible = accounts_for_user(user).filter(pk__in=(transfer.from_account_id, transfer.to_account_id))
    if not visible.exists():
        raise NotFound("未找到该转账 / transfer not found")
    return transfer


def can_view_totals(user: Any) -> bool:
    # the approval office and the authority
    return bool(overseen_region_ids(user))


def can_use_funds(user: Any) -> bool:
    """Whether the funds home page has anything for the user: an account to look at, a budget to open, or the
    totals (its menu entries are shown to these capabilities)."""
    return bool(
        can_view_totals(user)
        or orgs_with_cap(user, Cap.PAY_INSTALMENTS)
        or orgs_with_cap(user, Cap.TAKE_SERVICES)
        or communities_with_cap(user, Cap.MANAGE_COMMUNITY)
        or accounts_for_user(user).exists()
    )
