"""Entrustment agreements (委托协议书) and government service purchase (政府购买服务): the contract that every
admitted assisting task is done under, and the money that backs it (费随事转).

- `AgreementTemplate`: the approval office's yearly template (a text with {{variables}} and a payment schedule).
- `Agreement`: one per department × community × year (entrustment) or department × provider × year (service
  purchase), a database constraint. Its status runs draft → sent → dept_signed → community_signed → active →
  completed | terminated through `core.states.move`.
- `Version`: the terms (tasks, guidance, schedule, evaluation, liability, term) and the canonical text with its SM3
  digest. Version 1 is the agreement itself; an amendment is a further version with its own signatures; earlier
  versions stay readable. Only a draft version's terms can change; the text is frozen when it is sent.
- `AgreementTask` is a task's identity across versions; `VersionItem` its terms in one version.
- `Signature`: who signed which version for which side, when, and the digest of the text they signed; the
  community's carries the reference of the committee meeting that approved it.
- `Instalment` and `Payment`: the payment schedule and what was paid (through the funds ledger).
- `Completion`: the community reports a task done with evidence; the department confirms or disputes; the
  approval office resolves disputes.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.admissions.models import AdmittedTask
from gongzhi.funds.models import Reservation, Transfer
from gongzhi.orgs.models import Organization, Region


def yuan(fen: int) -> str:
    """12345 → '123.45' (display only; amounts are integer fen)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


class Kind(models.TextChoices):
    ENTRUSTMENT = "entrustment", _("委托协议(协助政府管理事项)")
    SERVICE_PURCHASE = "service_purchase", _("政府购买服务协议")


class Anchor(models.TextChoices):
    """What an instalment's due date counts from."""

    SIGNING = "signing", _("协议生效之日")
    YEAR_END = "year_end", _("协议年度结束(评估后)")


class AgreementTemplate(models.Model):
    """The approval office's template for one year and kind: canonical text with {{variables}} and the default
    payment schedule, evaluation method and liability clauses."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="agreement_templates", verbose_name=_("适用范围")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("协议类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("协议标题"), max_length=120)
    body = models.TextField(_("协议正文(含变量)"))
    # [{"label": str, "percent": int, "anchor": "signing" | "year_end", "days": int}, …]; percents add up to 100
    schedule = models.JSONField(_("支付安排"), default=list)
    evaluation_method = models.TextField(_("履约评估方式"))
    liability_department = models.TextField(_("甲方违约责任"))
    liability_party = models.TextField(_("乙方违约责任"))
    trainings_per_year = models.PositiveSmallIntegerField(_("每年业务培训(次)"), default=2)
    visits_per_year = models.PositiveSmallIntegerField(_("每年实地指导(次)"), default=4)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-year", "region__code", "kind")
        verbose_name = _("协议范本")
        verbose_name_plural = _("协议范本")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["region", "year", "kind"], name="agreements_template_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["entrustment", "service_purchase"]), name="agreements_template_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


class Agreement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已送达对方")
        DEPT_SIGNED = "dept_signed", _("部门已签署")
        COMMUNITY_SIGNED = "community_signed", _("双方已签署")
        ACTIVE = "active", _("生效")
        COMPLETED = "completed", _("已履行完毕")
        TERMINATED = "terminated", _("已终止")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.SENT, Status.TERMINATED},
        Status.SENT: {Status.DRAFT, Status.DEPT_SIGNED, Status.TERMINATED},
        Status.DEPT_SIGNED: {Status.DRAFT, Status.COMMUNITY_SIGNED, Status.TERMINATED},
        Status.COMMUNITY_SIGNED: {Status.ACTIVE, Status.TERMINATED},
        Status.ACTIVE: {Status.COMPLETED, Status.TERMINATED},
        Status.COMPLETED: set(),
        Status.TERMINATED: set(),
    }
    # Signed by both sides (the public finance page shows these).
    SIGNED: ClassVar[frozenset[str]] = frozenset(
        {Status.COMMUNITY_SIGNED, Status.ACTIVE, Status.COMPLETED, Status.TERMINATED}
    )
    # Instalments may be paid in these states (a terminated agreement's settlement is still paid).
    PAYABLE: ClassVar[frozenset[str]] = frozenset({Status.ACTIVE, Status.TERMINATED})
    FINAL: ClassVar[frozenset[str]] = frozenset({Status.COMPLETED, Status.TERMINATED})

    kind = models.CharField(_("协议类型"), max_length=20, choices=Kind.choices, default=Kind.ENTRUSTMENT)
    number = models.CharField(_("协议编号"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("甲方(部门)")
    )
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("社区")
    )
    party = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="agreements_as_party",
        verbose_name=_("乙方(受托方/承接方)"),
    )
    template = models.ForeignKey(
        AgreementTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements"
    )
    status = models.CharField(_("状态"), max_length=18, choices=Status.choices, default=Status.DRAFT)
    first_sent_at = models.DateTimeField(_("首次送达时间"), null=True, blank=True)
    activated_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("履行完毕时间"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    termination_reason = models.TextField(_("终止理由"), blank=True)
    settlement_fen = models.BigIntegerField(_("终止结算金额(分)"), null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-year", "number")
        verbose_name = _("委托协议")
        verbose_name_plural = _("委托协议")
        constraints: ClassVar = [
            # One agreement per department × community × year covers all the admitted tasks between them.
            models.UniqueConstraint(
                fields=["department", "community", "year"],
                condition=Q(kind="entrustment"),
                name="agreements_one_entrustment_per_year",
            ),
            models.UniqueConstraint(
                fields=["department", "party", "community", "year"],
                condition=Q(kind="service_purchase"),
                name="agreements_one_purchase_per_year",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["entrustment", "service_purchase"]), name="agreements_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "sent",
                        "dept_signed",
                        "community_signed",
                        "active",
                        "completed",
                        "terminated",
                    ]
                ),
                name="agreements_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(settlement_fen__isnull=True) | Q(settlement_fen__gte=0),
                name="agreements_settlement_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class Version(models.Model):
    """One version of an agreement's terms and text. Version 1 is the original; each amendment is the next."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已送达对方")
        DEPT_SIGNED = "dept_signed", _("部门已签署")
        COMMUNITY_SIGNED = "community_signed", _("双方已签署")
        EFFECTIVE = "effective", _("现行")
        SUPERSEDED = "superseded", _("已被修订")
        WITHDRAWN = "withdrawn", _("已撤回")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.SENT, Status.WITHDRAWN},
        Status.SENT: {Status.DRAFT, Status.DEPT_SIGNED, Status.WITHDRAWN},
        Status.DEPT_SIGNED: {Status.DRAFT, Status.COMMUNITY_SIGNED, Status.WITHDRAWN},
        Status.COMMUNITY_SIGNED: {Status.EFFECTIVE, Status.WITHDRAWN},
        Status.EFFECTIVE: {Status.SUPERSEDED},
        Status.SUPERSEDED: set(),
        Status.WITHDRAWN: set(),
    }
    OPEN: ClassVar[frozenset[str]] = frozenset(
        {Status.DRAFT, Status.SENT, Status.DEPT_SIGNED, Status.COMMUNITY_SIGNED}
    )
    # The text is frozen (and signed or about to be) in these states.
    FROZEN: ClassVar[frozenset[str]] = frozenset(set(Status) - {Status.DRAFT})

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=18, choices=Status.choices, default=Status.DRAFT)
    reason = models.TextField(_("修订理由"), blank=True)
    # terms
    contact_name = models.CharField(_("甲方联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话(办公)"), max_length=30, blank=True)
    trainings_per_year = models.PositiveSmallIntegerField(_("每年业务培训(次)"), default=0)
    visits_per_year = models.PositiveSmallIntegerField(_("每年实地指导(次)"), default=0)
    guidance_notes = models.TextField(_("其他行政指导"), blank=True)
    evaluation_method = models.TextField(_("履约评估方式"), blank=True)
    liability_department = models.TextField(_("甲方违约责任"), blank=True)
    liability_party = models.TextField(_("乙方违约责任"), blank=True)
    starts_on = models.DateField(_("协议期限自"))
    ends_on = models.DateField(_("协议期限至"))
    schedule = models.JSONField(_("支付安排"), default=list)
    # the canonical text, its SM3 digest and the total, fixed when the version is sent
    text = models.TextField(_("协议文本"), blank=True)
    digest = models.CharField(_("SM3摘要"), max_length=64, blank=True)
    total_fen = models.BigIntegerField(_("协议金额(分)"), default=0)
    reservation = models.OneToOneField(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="agreement_version"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    effective_at = models.DateTimeField(_("生效时间"), null=True, blank=True)

    class Meta:
        ordering = ("agreement_id", "number")
        verbose_name = _("协议版本")
        verbose_name_plural = _("协议版本")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreements_version_number"),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status__in=["draft", "sent", "dept_signed", "community_signed"]),
                name="agreements_one_open_version",
            ),
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(status="effective"), name="agreements_one_effective_version"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="agreements_version_term"),
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="agreements_version_total_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.number} v{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_amendment(self) -> bool:
        return self.number > 1

    @property
    def total_yuan(self) -> str:
        return yuan(self.total_fen)


class AgreementTask(models.Model):
    """A task of the agreement, the same across versions (completion reports refer to it)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="tasks")
    admitted_task = models.ForeignKey(
        AdmittedTask,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreement_tasks",
        verbose_name=_("准入事项"),
    )
    title = models.CharField(_("事项"), max_length=200)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    added_in = models.PositiveSmallIntegerField(_("加入版本"), default=1)

    class Meta:
        ordering = ("agreement_id", "position", "id")
        verbose_name = _("协议事项")
        verbose_name_plural = _("协议事项")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["agreement", "admitted_task"],
                condition=Q(admitted_task__isnull=False),
                name="agreements_task_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VersionItem(models.Model):
    """A task's terms in one version: requirements, standards and the amount (at least the standard)."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="items")
    task = models.ForeignKey(AgreementTask, on_delete=models.PROTECT, related_name="items")
    requirements = models.TextField(_("工作要求"))
    standards = models.TextField(_("工作标准"))
    amount_fen = models.BigIntegerField(_("经费(分)"))
    standard_fen = models.BigIntegerField(_("经费标准(分)"), default=0)

    class Meta:
        ordering = ("version_id", "task__position", "task_id")
        verbose_name = _("版本事项条款")
        verbose_name_plural = _("版本事项条款")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "task"], name="agreements_item_once_per_version"),
            # 费随事转: never less than the list item's standard funding
            models.CheckConstraint(
                condition=Q(amount_fen__gte=F("standard_fen")) & Q(standard_fen__gte=0),
                name="agreements_item_at_least_standard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.task.title}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)

    @property
    def standard_yuan(self) -> str:
        return yuan(self.standard_fen)


class Side(models.TextChoices):
    DEPARTMENT = "department", _("甲方(部门)")
    PARTY = "party", _("乙方(社区/承接方)")


class Signature(models.Model):
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(_("签署方"), max_length=12, choices=Side.choices)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("签署人"), max_length=150)
    signed_at = models.DateTimeField(_("签署时间"))
    digest = models.CharField(_("所签文本的SM3摘要"), max_length=64)
    meeting_date = models.DateField(_("会议日期"), null=True, blank=True)
    minutes_no = models.CharField(_("会议纪要编号"), max_length=60, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        ordering = ("version_id", "signed_at", "id")
        verbose_name = _("签署")
        verbose_name_plural = _("签署")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["version", "side"], condition=Q(voided_at__isnull=True), name="agreements_sign_once"
            ),
            # The community signs only with the reference of the committee meeting that approved it.
            models.CheckConstraint(
                condition=Q(side="department") | (Q(meeting_date__isnull=False) & ~Q(minutes_no="")),
                name="agreements_party_signature_has_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.get_side_display()} {self.signer_name}"


class Instalment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="instalments")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="instalments")
    seq = models.PositiveSmallIntegerField(_("期次"))
    label = models.CharField(_("支付节点"), max_length=60)
    due_on = models.DateField(_("应付日期"))
    amount_fen = models.BigIntegerField(_("应付金额(分)"))
    paid_fen = models.BigIntegerField(_("已付金额(分)"), default=0)
    flagged_on = models.DateField(_("最近逾期提醒"), null=True, blank=True)
    flagged_paid_fen = models.BigIntegerField(_("提醒时已付(分)"), null=True, blank=True)
    # The final instalment is settled once from the year's evaluation (services.settle_final_instalment): its
    # amount becomes what the community's score settled it at; the amount before, who, when and which cycle
    # ("evaluation:<cycle id>") are kept here.
    settled_from_fen = models.BigIntegerField(_("结算前应付金额(分)"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_ref = models.CharField(_("结算依据"), max_length=60, blank=True)

    class Meta:
        ordering = ("agreement_id", "seq")
        verbose_name = _("分期付款")
        verbose_name_plural = _("分期付款")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["agreement", "seq"], name="agreements_instalment_seq"),
            models.CheckConstraint(
                condition=Q(paid_fen__gte=0) & Q(paid_fen__lte=F("amount_fen")),
                name="agreements_instalment_paid_le_amount",
            ),
            models.CheckConstraint(
                condition=Q(settled_at__isnull=True, settled_from_fen__isnull=True)
                | Q(settled_at__isnull=False, settled_from_fen__gte=F("amount_fen")),
                name="agreements_instalment_settled_le_before",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.number} #{self.seq} {self.label}"

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen

    @property
    def is_settled(self) -> bool:
        return self.settled_at is not None

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)

    @property
    def paid_yuan(self) -> str:
        return yuan(self.paid_fen)

    @property
    def outstanding_yuan(self) -> str:
        return yuan(self.outstanding_fen)


class Payment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="payments")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="payments")
    amount_fen = models.BigIntegerField(_("金额(分)"))
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="agreement_payment")
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(_("支付时间"))
    note = models.CharField(_("摘要"), max_length=200, blank=True)

    class Meta:
        ordering = ("agreement_id", "paid_at", "id")
        verbose_name = _("支付记录")
        verbose_name_plural = _("支付记录")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="agreements_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.instalment} {yuan(self.amount_fen)}"

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)


class Completion(models.Model):
    """The community reports a task done (with evidence); the department confirms or disputes; the approval office
    resolves a dispute. These are what the evaluation scores."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("已报告完成")
        CONFIRMED = "confirmed", _("部门已确认")
        DISPUTED = "disputed", _("部门有异议")
        UPHELD = "upheld", _("审批办认定已完成")
        REJECTED = "rejected", _("审批办认定未完成")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.REPORTED: {Status.CONFIRMED, Status.DISPUTED},
        Status.DISPUTED: {Status.UPHELD, Status.REJECTED},
        Status.CONFIRMED: set(),
        Status.UPHELD: set(),
        Status.REJECTED: set(),
    }
    DONE: ClassVar[frozenset[str]] = frozenset({Status.CONFIRMED, Status.UPHELD})

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="completions")
    task = models.ForeignKey(AgreementTask, on_delete=models.PROTECT, related_name="completions")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REPORTED)
    summary = models.TextField(_("完成情况"))
    evidence_name = models.CharField(_("佐证材料"), max_length=200, blank=True)
    evidence_type = models.CharField(max_length=8, blank=True)
    evidence_size = models.PositiveIntegerField(default=0)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_stored = models.CharField(max_length=60, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("报告时间"))
    review_note = models.TextField(_("部门意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("确认/异议时间"), null=True, blank=True)
    resolution_note = models.TextField(_("审批办意见"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        ordering = ("agreement_id", "task_id", "reported_at", "id")
        verbose_name = _("完成报告")
        verbose_name_plural = _("完成报告")
        constraints: ClassVar = [
            # One live report per task: a new one only after the office found the last one not complete.
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status__in=["reported", "confirmed", "disputed", "upheld"]),
                name="agreements_one_live_completion",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["reported", "confirmed", "disputed", "upheld", "rejected"]),
                name="agreements_completion_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task.title} · {self.get_status_display()}"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE
