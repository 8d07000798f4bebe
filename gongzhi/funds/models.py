"""The funds ledger (费随事转): accounts, double-entry transfers, entries and reservations, all in integer fen.

- `Account`: one per organization and kind — a department's budget for a year, a community's account (held by its
  residents' committee), the committee's property-subsidy escrow, a service centre's or social organization's
  account — plus one appropriation source per city (财政拨款来源), the other side of every funding transfer. The
  source is the only account whose balance goes below zero (it is minus what it has handed out), so the balances of
  all accounts always add up to zero.
- `Transfer`: moves `amount` fen from one account to another; it has exactly two `Entry` legs (−amount on the
  payer, +amount on the payee). Transfers and entries are append-only (database triggers refuse UPDATE and
  DELETE); a mistake is corrected by a reversing transfer that points at the one it corrects.
- `Account.balance` and `Account.reserved` are caches kept in the same transaction as the entries by conditional
  UPDATEs (`balance >= x`), so a budget cannot go below zero even under concurrent payments; `gongzhi
  verify_ledger` recomputes them from the entries. `available = balance − reserved` is never negative.
- `Entry.mac` is an HMAC-SM3 (key purpose "ledger") over the entry, its transfer and the previous entry's MAC of
  the same account: an amount changed directly in the database no longer verifies.
- `Reservation`: money of a budget committed to an agreement. Paying from it lowers `remaining` and the budget's
  `reserved` together with the balance; `amount = remaining + paid + released` always.

Every row carries the region id of its account (for a transfer: the community side's), so that a province-scale
deployment can shard by region.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region


def yuan(fen: int) -> str:
    """12345 → '123.45' (for display; amounts are stored and computed in integer fen)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


class Account(models.Model):
    class Kind(models.TextChoices):
        BUDGET = "budget", _("部门预算")
        COMMUNITY = "community", _("社区账户")
        ESCROW = "escrow", _("物业补贴监管账户")
        SERVICE = "service", _("服务机构账户")
        SOURCE = "source", _("财政拨款来源")

    # Which organization kinds may hold an account of each kind (the source belongs to no organization).
    OWNER_KINDS: ClassVar[dict[str, frozenset[str]]] = {
        "budget": frozenset({OrgKind.DEPARTMENT}),
        "community": frozenset({OrgKind.COMMITTEE}),
        "escrow": frozenset({OrgKind.COMMITTEE}),
        "service": frozenset({OrgKind.SERVICE_CENTRE, OrgKind.SOCIAL_ORG}),
        "source": frozenset(),
    }

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_accounts",
        verbose_name=_("所属机构"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="fund_accounts", verbose_name=_("区域")
    )
    kind = models.CharField(_("账户类型"), max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("预算年度"), null=True, blank=True)
    name = models.CharField(_("账户名称"), max_length=160)
    balance = models.BigIntegerField(_("余额(分)"), default=0)
    reserved = models.BigIntegerField(_("已预留(分)"), default=0)
    entry_count = models.PositiveIntegerField(_("分录数"), default=0)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(_("开立时间"), auto_now_add=True)

    class Meta:
        ordering = ("region__code", "kind", "name", "id")
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "kind", "year"],
                condition=Q(year__isnull=False),
                name="funds_account_one_per_year",
            ),
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=Q(year__isnull=True, organization__isnull=False),
                name="funds_account_one_per_kind",
            ),
            models.UniqueConstraint(
                fields=["region"], condition=Q(kind="source"), name="funds_account_one_source_per_region"
            ),
            # Only the appropriation source may go below zero; elsewhere 0 ≤ reserved ≤ balance.
            models.CheckConstraint(
                condition=Q(kind="source") | Q(reserved__gte=0, balance__gte=F("reserved")),
                name="funds_account_not_overdrawn",
            ),
            models.CheckConstraint(
                condition=Q(kind="budget") | Q(reserved=0), name="funds_reserve_budgets_only"
            ),
            models.CheckConstraint(
                condition=Q(kind="source", organization__isnull=True)
                | (~Q(kind="source") & Q(organization__isnull=False)),
                name="funds_account_owner",
            ),
            models.CheckConstraint(
                condition=Q(kind="budget", year__isnull=False) | (~Q(kind="budget") & Q(year__isnull=True)),
                name="funds_account_year_for_budgets",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    @property
    def is_source(self) -> bool:
        return self.kind == self.Kind.SOURCE

    @property
    def balance_yuan(self) -> str:
        return yuan(self.balance)

    @property
    def reserved_yuan(self) -> str:
        return yuan(self.reserved)

    @property
    def available_yuan(self) -> str:
        return yuan(self.available)


class Reservation(models.Model):
    """Money of a budget committed to an agreement (or another payment promise named by `ref`).

    `amount = remaining + paid + released`; the budget's `reserved` is the sum of its reservations' `remaining`.
    A reservation with nothing remaining is closed; a reversed payment reopens it.
    """

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("预算账户")
    )
    payee = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收款账户"),
        help_text=_("设定后只能向该账户支付"),
    )
    amount = models.BigIntegerField(_("预留金额(分)"))
    remaining = models.BigIntegerField(_("尚余(分)"))
    paid = models.BigIntegerField(_("已支付(分)"), default=0)
    released = models.BigIntegerField(_("已释放(分)"), default=0)
    ref = models.CharField(_("业务编号"), max_length=200)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("预留时间"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("经费预留")
        verbose_name_plural = _("经费预留")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_reservation_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0, paid__gte=0, released__gte=0), name="funds_reservation_parts"
            ),
            models.CheckConstraint(
                condition=Q(amount=F("remaining") + F("paid") + F("released")), name="funds_reservation_sum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} ({yuan(self.amount)})"

    @property
    def closed(self) -> bool:
        return self.remaining == 0

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount)

    @property
    def remaining_yuan(self) -> str:
        return yuan(self.remaining)

    @property
    def paid_yuan(self) -> str:
        return yuan(self.paid)


class Transfer(models.Model):
    """One movement of money between two accounts (append-only). Its two legs are `entries`."""

    class Kind(models.TextChoices):
        FUNDING = "funding", _("预算下达")
        PAYMENT = "payment", _("支付")
        REVERSAL = "reversal", _("冲正")

    from_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="outgoing", verbose_name=_("付款账户")
    )
    to_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="incoming", verbose_name=_("收款账户")
    )
    amount = models.BigIntegerField(_("金额(分)"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    ref = models.CharField(_("业务编号"), max_length=200, blank=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("转账")
        verbose_name_plural = _("转账")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(from_account=F("to_account")), name="funds_transfer_two_sides"
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="funds_transfer_reversal_target",
            ),
            # A business reference pays once (an instalment, a form submission): a second try is refused.
            models.UniqueConstraint(fields=["ref"], condition=~Q(ref=""), name="funds_transfer_unique_ref"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {yuan(self.amount)}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount)


class Entry(models.Model):
    """One leg of a transfer on one account (append-only): `amount` is signed (+ in, − out)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveIntegerField(_("序号"))
    amount = models.BigIntegerField(_("金额(分)"))
    balance_after = models.BigIntegerField(_("余额(分)"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    prev_mac = models.CharField(max_length=80)
    mac = models.CharField(max_length=80)

    class Meta:
        ordering = ("account_id", "seq")
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["account", "seq"], name="funds_entry_seq"),
            models.UniqueConstraint(fields=["transfer", "account"], name="funds_entry_one_leg_per_account"),
            models.CheckConstraint(condition=~Q(amount=0), name="funds_entry_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.seq} {yuan(self.amount)}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount)

    @property
    def balance_after_yuan(self) -> str:
        return yuan(self.balance_after)


GENESIS_MAC = ""


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_canonical(entry: Entry, transfer: Transfer) -> bytes:
    """The bytes an entry's MAC covers: the entry, the whole transfer it belongs to and the previous MAC."""
    body: dict[str, Any] = {
        "account": entry.account_id,
        "seq": entry.seq,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "region": entry.region_id,
        "at": _utc(entry.at),
        "prev": entry.prev_mac,
        "transfer": {
            "id": transfer.pk,
            "kind": transfer.kind,
            "from": transfer.from_account_id,
            "to": transfer.to_account_id,
            "amount": transfer.amount,
            "ref": transfer.ref,
            "memo": transfer.memo,
            "reservation": transfer.reservation_id,
            "reverses": transfer.reverses_id,
            "region": transfer.region_id,
            "by": transfer.created_by_id,
            "at": _utc(transfer.at),
        },
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
