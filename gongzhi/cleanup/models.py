"""Burden reduction (减事务、减牌子): the plaques at each community, the city's allowed set of plaques, clean-up
campaigns, and what each campaign decides about each plaque and each task a community carries.

A campaign (`Campaign`) is either a plaque clean-up or a task clean-up over a region (the city or a district). It
moves draft → inventory (communities enter what they carry) → review (the approval office decides each item) →
execution (communities carry the decisions out; each plaque removal is confirmed with a photo) → closed, through
`core.states.move`. Before/after counts come from the rows: before = everything inventoried, after = what is kept.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.orgs.models import Organization, Region


def photo_path(instance: Any, filename: str) -> str:
    """Uploaded photos are stored under a random UUID; the client's file name is never used for the path."""
    suffix = PurePath(filename).suffix.lower()
    return f"cleanup/{uuid.uuid4().hex}{suffix if suffix in ('.jpg', '.png', '.webp') else ''}"


class Placement(models.TextChoices):
    OUTSIDE = "outside", _("室外(门口)")
    INSIDE = "inside", _("室内")


class AllowedPlaque(models.Model):
    """One entry of the allowed set a city configures: a plaque that may stay (`allowed`) or a board that may
    never go on the wall (`banned`). Entries match plaques by name or keyword."""

    class Kind(models.TextChoices):
        ALLOWED = "allowed", _("允许保留")
        BANNED = "banned", _("一律不准上墙")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="allowed_plaques", verbose_name=_("适用范围")
    )
    name = models.CharField(_("名称"), max_length=80)
    placement = models.CharField(_("位置"), max_length=10, choices=Placement.choices, blank=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.ALLOWED)
    keywords = models.CharField(_("关键词"), max_length=300, blank=True, help_text=_("用“、”分隔"))
    source = models.CharField(_("依据"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("region_id", "kind", "placement", "position", "id")
        verbose_name = _("允许保留的牌子")
        verbose_name_plural = _("允许保留的牌子")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["region", "name", "placement"], name="cleanup_allowed_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def terms(self) -> list[str]:
        words = [self.name, *(k.strip() for k in self.keywords.replace(",", "、").split("、"))]
        return [w for w in words if w]


class Plaque(models.Model):
    """A plaque (挂牌) at a community: who issued it, since when, where it hangs, on what basis."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在挂")
        REMOVED = "removed", _("已摘除")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.ACTIVE: {Status.REMOVED},
        Status.REMOVED: set(),
    }

    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="plaques", verbose_name=_("社区")
    )
    name = models.CharField(_("牌子名称"), max_length=100)
    issuer = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_plaques",
        verbose_name=_("挂牌部门"),
    )
    issuer_name = models.CharField(_("挂牌单位(系统外)"), max_length=100, blank=True)
    placed_on = models.DateField(_("挂牌日期"), null=True, blank=True)
    placement = models.CharField(_("位置"), max_length=10, choices=Placement.choices)
    basis = models.CharField(_("挂牌依据"), max_length=300, blank=True)
    # A new plaque is a task request of kind "plaque"; one hung after such a request was approved points to it.
    task_request = models.ForeignKey(
        "admissions.TaskRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plaques",
        verbose_name=_("准入申请"),
    )
    photo = models.FileField(_("照片"), upload_to=photo_path, blank=True, max_length=200)
    photo_type = models.CharField(max_length=40, blank=True, editable=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    removed_at = models.DateTimeField(_("摘除时间"), null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("community__code", "placement", "id")
        verbose_name = _("社区挂牌")
        verbose_name_plural = _("社区挂牌")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "removed"]), name="cleanup_plaque_status"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def issuer_label(self) -> str:
        return self.issuer.name if self.issuer is not None else self.issuer_name


class Campaign(models.Model):
    """A clean-up campaign over a region: plaques (减牌子) or tasks (减事务)."""

    class Kind(models.TextChoices):
        PLAQUES = "plaques", _("减牌子")
        TASKS = "tasks", _("减事务")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        INVENTORY = "inventory", _("盘点中")
        REVIEW = "review", _("审定中")
        EXECUTION = "execution", _("落实中")
        CLOSED = "closed", _("已完成")
        CANCELLED = "cancelled", _("已撤销")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.INVENTORY, Status.CANCELLED},
        Status.INVENTORY: {Status.REVIEW, Status.CANCELLED},
        Status.REVIEW: {Status.INVENTORY, Status.EXECUTION},
        Status.EXECUTION: {Status.CLOSED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
    }

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=120)
    scope = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("范围")
    )
    doc_number = models.CharField(_("文号"), max_length=80, blank=True)
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("完成期限"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("清理行动")
        verbose_name_plural = _("清理行动")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(kind__in=["plaques", "tasks"]), name="cleanup_campaign_kind"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "inventory", "review", "execution", "closed", "cancelled"]),
                name="cleanup_campaign_status",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="cleanup_campaign_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_plaques(self) -> bool:
        return self.kind == self.Kind.PLAQUES

    @property
    def is_tasks(self) -> bool:
        return self.kind == self.Kind.TASKS

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.CANCELLED)


class PlaqueReview(models.Model):
    """What a plaque campaign decides for one plaque: the suggestion from the allowed set, the office's
    decision, and the community's confirmation (with a photo) that a removed plaque is down."""

    class Decision(models.TextChoices):
        KEEP = "keep", _("保留")
        REMOVE = "remove", _("摘除")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="plaque_reviews")
    plaque = models.ForeignKey(Plaque, on_delete=models.PROTECT, related_name="reviews")
    suggestion = models.CharField(_("建议"), max_length=10, choices=Decision.choices)
    suggestion_reason = models.CharField(_("建议理由"), max_length=300, blank=True)
    matched = models.ForeignKey(
        AllowedPlaque,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("对应条目"),
    )
    decision = models.CharField(_("决定"), max_length=10, choices=Decision.choices, blank=True)
    reason = models.CharField(_("决定理由"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    removal_photo = models.FileField(_("摘牌照片"), upload_to=photo_path, blank=True, max_length=200)
    removal_photo_type = models.CharField(max_length=40, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认摘除时间"), null=True, blank=True)

    class Meta:
        ordering = ("campaign_id", "plaque__community__code", "plaque_id")
        verbose_name = _("牌子清理决定")
        verbose_name_plural = _("牌子清理决定")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["campaign", "plaque"], name="cleanup_review_once_per_campaign"),
            models.CheckConstraint(
                condition=Q(decision__in=["", "keep", "remove"]), name="cleanup_review_decision"
            ),
            # A removal is only confirmed for a plaque decided "remove".
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(decision="remove"),
                name="cleanup_confirm_only_removal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plaque} · {self.get_decision_display() or '—'}"

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    @property
    def awaiting_confirmation(self) -> bool:
        return self.decision == self.Decision.REMOVE and self.confirmed_at is None


class CarriedTask(models.Model):
    """One task a community carries today, as inventoried by a task campaign, with the matcher's verdict and the
    office's decision."""

    class Decision(models.TextChoices):
        KEEP_STATUTORY = "keep_statutory", _("保留:依法履职事项")
        KEEP_ASSISTING = "keep_assisting", _("保留:协助事项(须签委托协议)")
        RETURN = "return", _("退回部门")
        TO_CENTRE = "to_centre", _("转交社区服务中心")
        TO_SOCIAL_ORG = "to_social_org", _("转交社会组织")
        CANCEL = "cancel", _("取消")

    KEPT: ClassVar[frozenset[str]] = frozenset({Decision.KEEP_STATUTORY, Decision.KEEP_ASSISTING})
    TRANSFERS: ClassVar[frozenset[str]] = frozenset({Decision.TO_CENTRE, Decision.TO_SOCIAL_ORG})

    class Source(models.TextChoices):
        ENTERED = "entered", _("录入")
        IMPORTED = "imported", _("导入")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks")
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="carried_tasks", verbose_name=_("社区")
    )
    title = models.CharField(_("事项名称"), max_length=200)
    description = models.TextField(_("内容说明"), blank=True)
    department = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_tasks",
        verbose_name=_("交办部门"),
    )
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    forms_per_month = models.PositiveIntegerField(_("每月报表(份)"), default=0)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.ENTERED)
    # The list matcher's verdict at entry (gongzhi.duties.matcher.match).
    verdict = models.CharField(_("清单比对结果"), max_length=12, blank=True)
    flags = models.JSONField(_("标记"), default=list, blank=True)
    matched_code = models.CharField(_("对应清单事项编码"), max_length=32, blank=True)
    matched_title = models.CharField(_("对应清单事项"), max_length=200, blank=True)
    verdict_reason = models.CharField(_("比对说明"), max_length=300, blank=True)
    suggestion = models.CharField(_("建议"), max_length=16, choices=Decision.choices, blank=True)
    decision = models.CharField(_("决定"), max_length=16, choices=Decision.choices, blank=True)
    decision_note = models.CharField(_("决定说明"), max_length=300, blank=True)
    transfer_to = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transferred_tasks",
        verbose_name=_("承接机构"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("campaign_id", "community__code", "id")
        verbose_name = _("社区承担事项")
        verbose_name_plural = _("社区承担事项")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["campaign", "community", "title"], name="cleanup_task_unique_title"
            ),
            models.CheckConstraint(
                condition=Q(
                    decision__in=[
                        "",
                        "keep_statutory",
                        "keep_assisting",
                        "return",
                        "to_centre",
                        "to_social_org",
                        "cancel",
                    ]
                ),
                name="cleanup_task_decision",
            ),
            # A transfer names who takes the task over; nothing else does.
            models.CheckConstraint(
                condition=Q(transfer_to__isnull=True) | Q(decision__in=["to_centre", "to_social_org"]),
                name="cleanup_task_transfer_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_kept(self) -> bool:
        return self.decision in self.KEPT

    @property
    def needs_agreement(self) -> bool:
        return self.decision == self.Decision.KEEP_ASSISTING
