"""Admission (准入) of new community work, the community's right to refuse (拒绝权) and reports of informal
tasks (摊派举报).

A department files a `TaskRequest`; its pre-check (list matcher + rules, `admissions.precheck`) is stored at
submission. The approval office examines it and recommends (`Review`, stage examine), an authority member decides
(stage decide, with the meeting reference). Approval creates one `AdmittedTask` per target community. A community
may lodge a `Refusal` and report an `InformalTaskReport`, which the approval authority handles through its own
status table. Attachments (`Attachment`) belong to a request or a report and are stored under a UUID name.

Every status column has its `Status` choices and a `TRANSITIONS` table next to it; only `core.states.move`
changes a status.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.duties.models import ListItem, fen_to_yuan
from gongzhi.orgs.models import Organization, Region


class FormFrequency(models.TextChoices):
    NONE = "none", _("无")
    ONCE = "once", _("一次性")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


# How many times a year each frequency asks for a form (for burden figures: forms per month = count × this / 12).
FORMS_PER_YEAR: dict[str, int] = {
    FormFrequency.NONE: 0,
    FormFrequency.ONCE: 1,
    FormFrequency.WEEKLY: 52,
    FormFrequency.MONTHLY: 12,
    FormFrequency.QUARTERLY: 4,
    FormFrequency.YEARLY: 1,
}


class TaskRequest(models.Model):
    """准入申请: a department asks to hand a new piece of work to communities."""

    class Kind(models.TextChoices):
        ONGOING = "ongoing", _("常态化工作")
        ONE_OFF = "one_off", _("临时性任务")
        REPORT_FORM = "report_form", _("报表台账")
        PLAQUE = "plaque", _("挂牌")
        INSPECTION = "inspection", _("检查评比考核")
        CERTIFICATE = "certificate", _("出具证明")

    class Target(models.TextChoices):
        ALL = "all", _("全部社区")
        DISTRICT = "district", _("某区(县)全部社区")
        CHOSEN = "chosen", _("指定社区")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        UNDER_REVIEW = "under_review", _("待决定")
        APPROVED = "approved", _("已准入")
        REJECTED = "rejected", _("不予准入")
        RETURNED = "returned", _("退回修改")
        WITHDRAWN = "withdrawn", _("已撤回")
        REVOKED = "revoked", _("已退出")
        GUIDANCE = "guidance", _("仅作工作指导")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.SUBMITTED, Status.GUIDANCE, Status.WITHDRAWN},
        Status.SUBMITTED: {Status.UNDER_REVIEW, Status.RETURNED, Status.WITHDRAWN},
        Status.UNDER_REVIEW: {Status.APPROVED, Status.REJECTED, Status.RETURNED, Status.WITHDRAWN},
        Status.RETURNED: {Status.DRAFT, Status.SUBMITTED, Status.GUIDANCE, Status.WITHDRAWN},
        Status.APPROVED: {Status.REVOKED},
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
        Status.REVOKED: set(),
        Status.GUIDANCE: set(),
    }
    # The department may edit the request in these states.
    EDITABLE: ClassVar[frozenset[str]] = frozenset({Status.DRAFT, Status.RETURNED})
    # A decision has not been taken yet: the department may still withdraw.
    OPEN: ClassVar[frozenset[str]] = frozenset(
        {Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.RETURNED}
    )

    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="task_requests", verbose_name=_("申请部门")
    )
    title = models.CharField(_("事项名称"), max_length=200)
    description = models.TextField(_("工作内容"))
    legal_basis = models.TextField(_("法律政策依据"), blank=True)
    kind = models.CharField(_("事项类型"), max_length=16, choices=Kind.choices)
    target = models.CharField(_("实施范围"), max_length=10, choices=Target.choices, default=Target.ALL)
    target_district = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("区(县)")
    )
    target_communities = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("指定社区")
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    hours_per_month = models.PositiveIntegerField(_("预计每个社区每月工时(小时)"), default=0)
    forms_count = models.PositiveSmallIntegerField(_("要求填报的表格数"), default=0)
    forms_frequency = models.CharField(
        _("填报频次"), max_length=10, choices=FormFrequency.choices, default=FormFrequency.NONE
    )
    plaques_count = models.PositiveSmallIntegerField(_("要求悬挂的牌子数"), default=0)
    funding_fen = models.BigIntegerField(_("每个社区每年经费(分)"), default=0)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.DRAFT)
    # The pre-check stored at submission (admissions.precheck.Precheck.as_dict()).
    precheck = models.JSONField(_("预审结果"), default=dict, blank=True)
    verdict = models.CharField(_("清单判定"), max_length=12, blank=True)
    needs_authority = models.BooleanField(_("须审批机构决定"), default=False)
    list_item = models.ForeignKey(
        ListItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="task_requests",
        verbose_name=_("对应清单事项"),
    )
    proposed_item = models.ForeignKey(
        ListItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_by_requests",
        verbose_name=_("拟列入下一版清单的事项"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decision_due = models.DateField(_("应作出决定日期"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    meeting_ref = models.CharField(_("会议纪要/文号"), max_length=120, blank=True)
    revoked_at = models.DateTimeField(_("退出时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("退出理由"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("准入申请")
        verbose_name_plural = _("准入申请")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(funding_fen__gte=0), name="admissions_request_funding_nonneg"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="admissions_request_period",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "submitted",
                        "under_review",
                        "approved",
                        "rejected",
                        "returned",
                        "withdrawn",
                        "revoked",
                        "guidance",
                    ]
                ),
                name="admissions_request_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(target="district") | Q(target_district__isnull=False),
                name="admissions_request_district_target",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "department"])]

    def __str__(self) -> str:
        return self.title

    @property
    def funding_yuan(self) -> str:
        return fen_to_yuan(self.funding_fen)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def forms_per_month(self) -> float:
        return self.forms_count * FORMS_PER_YEAR.get(self.forms_frequency, 0) / 12


class Review(models.Model):
    """One reviewing step: the office's examination (with its recommendation or a return) or the authority's
    decision (with the meeting reference)."""

    class Stage(models.TextChoices):
        EXAMINE = "examine", _("审批办审查")
        DECIDE = "decide", _("审批机构决定")

    class Outcome(models.TextChoices):
        RECOMMEND_APPROVE = "recommend_approve", _("建议准入")
        RECOMMEND_REJECT = "recommend_reject", _("建议不予准入")
        RETURN = "return", _("退回修改")
        APPROVE = "approve", _("准入")
        REJECT = "reject", _("不予准入")

    OUTCOMES_BY_STAGE: ClassVar[dict[str, frozenset[str]]] = {
        Stage.EXAMINE: frozenset({Outcome.RECOMMEND_APPROVE, Outcome.RECOMMEND_REJECT, Outcome.RETURN}),
        Stage.DECIDE: frozenset({Outcome.APPROVE, Outcome.REJECT, Outcome.RETURN}),
    }

    request = models.ForeignKey(TaskRequest, on_delete=models.PROTECT, related_name="reviews")
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices)
    outcome = models.CharField(_("意见"), max_length=20, choices=Outcome.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    comments = models.TextField(_("审查意见"), blank=True)
    meeting_ref = models.CharField(_("会议纪要/文号"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("request_id", "created_at", "id")
        verbose_name = _("审查记录")
        verbose_name_plural = _("审查记录")

    def __str__(self) -> str:
        return f"{self.request_id} {self.get_stage_display()} {self.get_outcome_display()}"


class AdmittedTask(models.Model):
    """准入事项: one approved request as it applies to one community, with the funding that must follow it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已退出")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.ACTIVE: {Status.REVOKED},
        Status.REVOKED: set(),
    }

    request = models.ForeignKey(TaskRequest, on_delete=models.PROTECT, related_name="admitted_tasks")
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="admitted_tasks", verbose_name=_("社区")
    )
    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="admitted_tasks", verbose_name=_("部门")
    )
    list_item = models.ForeignKey(
        ListItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="admitted_tasks"
    )
    proposed_item = models.ForeignKey(
        ListItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("事项名称"), max_length=200)
    kind = models.CharField(_("事项类型"), max_length=16, choices=TaskRequest.Kind.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    hours_per_month = models.PositiveIntegerField(_("预计每月工时(小时)"), default=0)
    forms_count = models.PositiveSmallIntegerField(_("表格数"), default=0)
    forms_frequency = models.CharField(
        _("填报频次"), max_length=10, choices=FormFrequency.choices, default=FormFrequency.NONE
    )
    plaques_count = models.PositiveSmallIntegerField(_("牌子数"), default=0)
    funding_required_fen = models.BigIntegerField(_("应拨付经费(分/年)"), default=0)
    funding_due = models.DateField(_("经费到位期限"), null=True, blank=True)
    funding_received_fen = models.BigIntegerField(_("已到位经费(分)"), default=0)
    requires_agreement = models.BooleanField(_("须签订委托协议"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    admitted_at = models.DateTimeField(_("准入时间"))
    revoked_at = models.DateTimeField(_("退出时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("退出理由"), blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("community__code", "starts_on", "id")
        verbose_name = _("准入事项")
        verbose_name_plural = _("准入事项")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["request", "community"], name="admissions_task_once_per_community"
            ),
            models.CheckConstraint(
                condition=Q(funding_required_fen__gte=0) & Q(funding_received_fen__gte=0),
                name="admissions_task_funding_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "revoked"]), name="admissions_task_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.community_id}"

    @property
    def funding_required_yuan(self) -> str:
        return fen_to_yuan(self.funding_required_fen)

    @property
    def funding_received_yuan(self) -> str:
        return fen_to_yuan(self.funding_received_fen)

    @property
    def funding_outstanding_fen(self) -> int:
        return max(0, self.funding_required_fen - self.funding_received_fen)

    @property
    def forms_per_month(self) -> float:
        return self.forms_count * FORMS_PER_YEAR.get(self.forms_frequency, 0) / 12


class Refusal(models.Model):
    """拒绝: the community refuses work that was not admitted, whose funding did not arrive, or that goes beyond
    the admitted scope. Seen by the community, the department and the approval authority; counts in evaluation."""

    class Reason(models.TextChoices):
        NOT_ADMITTED = "not_admitted", _("未经准入")
        FUNDING_MISSING = "funding_missing", _("经费未按期到位")
        BEYOND_SCOPE = "beyond_scope", _("超出准入范围")

    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="refusals", verbose_name=_("社区")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="refusals_made", verbose_name=_("拒绝单位")
    )
    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="refusals_received", verbose_name=_("部门")
    )
    reason = models.CharField(_("拒绝理由"), max_length=16, choices=Reason.choices)
    admitted_task = models.ForeignKey(
        AdmittedTask, null=True, blank=True, on_delete=models.PROTECT, related_name="refusals"
    )
    task_request = models.ForeignKey(
        TaskRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="refusals"
    )
    title = models.CharField(_("被拒绝的工作"), max_length=200)
    details = models.TextField(_("说明"))
    demanded_on = models.DateField(_("部门提出要求的日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("拒绝记录")
        verbose_name_plural = _("拒绝记录")
        constraints: ClassVar = [
            # Funding and scope refusals are about an admitted task; a not-admitted refusal is not.
            models.CheckConstraint(
                condition=(Q(reason="not_admitted") & Q(admitted_task__isnull=True))
                | (Q(reason__in=["funding_missing", "beyond_scope"]) & Q(admitted_task__isnull=False)),
                name="admissions_refusal_reason_matches_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}:{self.title}"


class InformalTaskReport(models.Model):
    """摊派举报: a task a department demanded outside admission, in the authority's supervision queue."""

    class Channel(models.TextChoices):
        DOCUMENT = "document", _("发文/通知")
        PHONE = "phone", _("电话")
        CHAT = "chat", _("微信群/工作群")
        IN_PERSON = "in_person", _("当面/会议口头布置")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已举报")
        ACKNOWLEDGED = "acknowledged", _("已受理")
        INVESTIGATING = "investigating", _("调查中")
        UPHELD = "upheld", _("查实")
        DISMISSED = "dismissed", _("不予认定")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.SUBMITTED: {Status.ACKNOWLEDGED},
        Status.ACKNOWLEDGED: {Status.INVESTIGATING},
        Status.INVESTIGATING: {Status.UPHELD, Status.DISMISSED},
        Status.UPHELD: set(),
        Status.DISMISSED: set(),
    }
    CONCLUDED: ClassVar[frozenset[str]] = frozenset({Status.UPHELD, Status.DISMISSED})

    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="informal_reports", verbose_name=_("社区")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="informal_reports_made",
        verbose_name=_("举报单位"),
    )
    department = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="informal_reports", verbose_name=_("被举报部门")
    )
    title = models.CharField(_("摊派的工作"), max_length=200)
    details = models.TextField(_("具体情况"))
    demanded_on = models.DateField(_("布置日期"))
    channel = models.CharField(_("布置方式"), max_length=10, choices=Channel.choices, default=Channel.OTHER)
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.SUBMITTED)
    finding = models.TextField(_("调查结论"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("摊派举报")
        verbose_name_plural = _("摊派举报")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "acknowledged", "investigating", "upheld", "dismissed"]),
                name="admissions_report_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_concluded(self) -> bool:
        return self.status in self.CONCLUDED


class Attachment(models.Model):
    """A file attached to a request or a report. The bytes live under MEDIA_ROOT/admissions/<uuid>.<ext>; the
    name the user gave is kept only for display and the download's file name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        TaskRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    report = models.ForeignKey(
        InformalTaskReport, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    original_name = models.CharField(_("文件名"), max_length=200)
    file_type = models.CharField(_("类型"), max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小(字节)"))
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=60, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("uploaded_at", "id")
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(request__isnull=False) & Q(report__isnull=True))
                | (Q(request__isnull=True) & Q(report__isnull=False)),
                name="admissions_attachment_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name
