"""Two-way evaluation (双向评估): a cycle with indicator sets for both directions, people's ratings, the stored
scores the panel reviews (with adjustments and their reasons), and the cycle's status table."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.orgs.models import Organization, Region


class Direction(models.TextChoices):
    COMMUNITY = "community", _("政府评社区")
    DEPARTMENT = "department", _("社区评部门")


class Source(models.TextChoices):
    COMPUTED = "computed", _("平台数据计算")
    RATED = "rated", _("人工评分")
    SURVEY = "survey", _("满意度调查")


class Cycle(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("评分与调查进行中")
        REVIEWING = "reviewing", _("第三方审阅中")
        SIGNED_OFF = "signed_off", _("评估组已签署")
        PUBLISHED = "published", _("已公布")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.OPEN},
        Status.OPEN: {Status.REVIEWING},
        Status.REVIEWING: {Status.OPEN, Status.SIGNED_OFF},
        Status.SIGNED_OFF: {Status.PUBLISHED},
        Status.PUBLISHED: set(),
    }
    FINAL: ClassVar[frozenset[str]] = frozenset({Status.SIGNED_OFF, Status.PUBLISHED})

    class Period(models.TextChoices):
        YEAR = "year", _("全年")
        H1 = "h1", _("上半年")
        H2 = "h2", _("下半年")

    name = models.CharField(_("名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    period = models.CharField(_("周期"), max_length=4, choices=Period.choices, default=Period.YEAR)
    scope = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="evaluation_cycles")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    ratings_due = models.DateField(_("评分截止日期"))
    # Settlement of the final agreement instalment from the community's total: at or above `full` the whole
    # final instalment, below `floor` none of it, linear in between.
    settle_full = models.PositiveSmallIntegerField(_("全额结算分数线"), default=90)
    settle_floor = models.PositiveSmallIntegerField(_("不予结算分数线"), default=60)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("签署时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("-year", "period", "id")
        verbose_name = _("评估周期")
        verbose_name_plural = _("评估周期")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["scope", "year", "period"], name="evaluation_cycle_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(settle_floor__lte=models.F("settle_full")), name="cycle_settle"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    def dates(self) -> tuple[int, int, int, int]:
        """(start month, start day, end month, end day) of the period within `year`."""
        if self.period == self.Period.H1:
            return (1, 1, 6, 30)
        if self.period == self.Period.H2:
            return (7, 1, 12, 31)
        return (1, 1, 12, 31)


class Indicator(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="indicators")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    key = models.SlugField(_("标识"), max_length=40)
    name = models.CharField(_("指标"), max_length=80)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    weight = models.PositiveSmallIntegerField(_("权重"))
    # Survey indicators: which survey (by id in gongzhi.surveys); computed indicators: their parameters.
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    penalty = models.PositiveSmallIntegerField(_("每起扣分(干预类)"), default=10)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("cycle_id", "direction", "position", "id")
        verbose_name = _("评估指标")
        verbose_name_plural = _("评估指标")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["cycle", "direction", "key"], name="indicator_unique_key"),
            models.CheckConstraint(condition=Q(weight__lte=100), name="indicator_weight_le_100"),
        ]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """A person's score (0–100) for one rated indicator of one subject, on behalf of their organization."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="ratings")
    rater_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("评分"))
    evidence = models.TextField(_("依据与说明"), blank=True)
    rated_at = models.DateTimeField(_("评分时间"))
    late = models.BooleanField(_("逾期"), default=False)

    class Meta:
        ordering = ("indicator_id", "id")
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["indicator", "rater_org", "community"],
                condition=Q(community__isnull=False),
                name="rating_one_per_rater_community",
            ),
            models.UniqueConstraint(
                fields=["indicator", "rater_org", "department"],
                condition=Q(department__isnull=False),
                name="rating_one_per_rater_department",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="rating_score_le_100"),
            models.CheckConstraint(
                condition=Q(community__isnull=True) ^ Q(department__isnull=True), name="rating_one_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.score}"


class Score(models.Model):
    """One indicator's value for one subject, computed when the cycle goes to review; the panel may adjust it."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    community = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    value = models.FloatField(_("计算得分"), null=True, blank=True)  # None: no data (or suppressed survey)
    evidence = models.JSONField(_("依据"), default=dict)
    adjusted = models.FloatField(_("调整后得分"), null=True, blank=True)
    adjust_reason = models.TextField(_("调整理由"), blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjusted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("indicator_id", "id")
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["indicator", "community"],
                condition=Q(community__isnull=False),
                name="score_one_community",
            ),
            models.UniqueConstraint(
                fields=["indicator", "department"],
                condition=Q(department__isnull=False),
                name="score_one_department",
            ),
            models.CheckConstraint(
                condition=Q(community__isnull=True) ^ Q(department__isnull=True), name="score_one_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.final}"

    @property
    def final(self) -> float | None:
        return self.adjusted if self.adjusted is not None else self.value
