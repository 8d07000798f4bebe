"""The lists (确权勘界): versioned editions of a region's community work lists and their items.

An edition belongs to a scope (the city, or a district that adds to the city's list). It moves
draft → published → superseded through `core.states.move`; at most one edition per scope is published at a
time (a database constraint). Only drafts can be edited; a published edition is frozen, which is what lets the
matcher cache its index by edition id and publication time.
"""

from __future__ import annotations

import re
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.orgs.models import Organization, Region

_KEYWORD_SPLIT = re.compile(r"[、,，;；\n\r]+")


class ListEdition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("现行")
        SUPERSEDED = "superseded", _("已被替代")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.PUBLISHED},
        Status.PUBLISHED: {Status.SUPERSEDED},
        Status.SUPERSEDED: set(),
    }

    scope = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="list_editions", verbose_name=_("适用范围")
    )
    title = models.CharField(_("标题"), max_length=120)
    doc_number = models.CharField(_("文号"), max_length=80, blank=True)
    issuing_body = models.CharField(_("发布机关"), max_length=120, blank=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(_("说明"), blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    # Bumped by every write to the edition or its items, so a draft's matcher index is never stale.
    revision = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_at = models.DateTimeField(_("被替代时间"), null=True, blank=True)

    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "title",
        "doc_number",
        "issuing_body",
        "approved_on",
        "effective_from",
        "effective_to",
        "note",
        "is_sample",
    )

    class Meta:
        ordering = ("scope__code", "-effective_from", "-id")
        verbose_name = _("清单版本")
        verbose_name_plural = _("清单版本")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["scope"],
                condition=Q(status="published"),
                name="duties_one_published_edition_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="duties_edition_effective_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "superseded"]),
                name="duties_edition_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}({self.doc_number})" if self.doc_number else self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT


class ListItem(models.Model):
    class Kind(models.TextChoices):
        STATUTORY = "statutory", _("依法履行职责事项")
        ASSISTING = "assisting", _("协助政府工作事项")
        CERTIFICATE = "certificate", _("可出具的证明事项")
        EXCLUDED = "excluded", _("不应由社区承担事项")
        POWER = "power", _("部门权力清单事项")

    # Kinds whose items name a responsible department.
    DEPARTMENT_KINDS: ClassVar[frozenset[str]] = frozenset({Kind.ASSISTING, Kind.POWER})
    # Work the community does (its own duties, assisted work, certificates it may issue).
    COMMUNITY_WORK_KINDS: ClassVar[frozenset[str]] = frozenset(
        {Kind.STATUTORY, Kind.ASSISTING, Kind.CERTIFICATE}
    )

    edition = models.ForeignKey(ListEdition, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    code = models.CharField(_("编码"), max_length=32)
    category = models.CharField(_("分类"), max_length=40, blank=True)
    title = models.CharField(_("事项名称"), max_length=200)
    description = models.TextField(_("内容说明"), blank=True)
    legal_basis = models.TextField(_("法律依据"), blank=True)
    department = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="list_items",
        verbose_name=_("责任部门"),
    )
    funding_fen = models.BigIntegerField(_("每个社区年度经费标准(分)"), default=0)
    keywords = models.TextField(_("同义词/关键词"), blank=True, help_text=_("用“、”或换行分隔"))
    source = models.TextField(_("来源"), blank=True)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("edition_id", "position", "id")
        verbose_name = _("清单事项")
        verbose_name_plural = _("清单事项")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["edition", "code"], name="duties_item_code_unique_in_edition"),
            models.CheckConstraint(condition=Q(funding_fen__gte=0), name="duties_item_funding_non_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["statutory", "assisting", "certificate", "excluded", "power"]),
                name="duties_item_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)

    @property
    def funding_yuan(self) -> str:
        return fen_to_yuan(self.funding_fen)


def split_keywords(text: str) -> list[str]:
    """Keywords are separated by 、 , ， ; ； or new lines; blanks and duplicates are dropped, order kept."""
    seen: dict[str, None] = {}
    for part in _KEYWORD_SPLIT.split(text or ""):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def fen_to_yuan(fen: int) -> str:
    """12345 → "123.45"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
