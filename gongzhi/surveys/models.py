"""Surveys: questionnaires, invitation codes, participation and anonymous responses (security.md §8).

- `Survey` (+ `Question`): built as a draft, frozen once opened (draft → open → closed through core.states.move).
  To change an opened survey, make a new version (same `series`, version + 1); opening it closes the old one.
- `Invitation`: one per household (or co-building unit) and survey series. The code itself is never stored: it is
  derived from the series, the respondent and a generation number under a key kept outside the database
  (gongzhi.surveys.codes), and only its HMAC (`code_hash`) is kept for look-ups.
- `Participation`: that a household (or unit) took part, as an HMAC of (series, respondent): UNIQUE per series and
  inserted in the same transaction as the response (SV-1). Day only, random UUID key.
- `Response` + `Answer`: what was answered, with no column that leads back to a household, a code, a user or a
  participation; random UUID keys; no date at all (SV-2). On SQLite the three tables are WITHOUT ROWID tables, so
  their storage order is the order of the random keys, not the order of arrival (migration 0002).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.orgs.models import Organization, Region


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("收集中")
        CLOSED = "closed", _("已结束")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.OPEN},
        Status.OPEN: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    class Respondents(models.TextChoices):
        HOUSEHOLDS = "households", _("住户(每户一份)")
        UNITS = "units", _("共建单位(每单位一份)")

    class Purpose(models.TextChoices):
        GENERAL = "general", _("一般问卷")
        SATISFACTION = "satisfaction", _("满意度调查")
        PROPERTY = "property", _("物业服务考核")
        DELIBERATION = "deliberation", _("民主决策日")

    series = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    title = models.CharField(_("标题"), max_length=120)
    intro = models.TextField(_("说明"), blank=True)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices, default=Purpose.GENERAL)
    scope = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="surveys")
    respondents = models.CharField(
        _("答卷对象"), max_length=12, choices=Respondents.choices, default=Respondents.HOUSEHOLDS
    )
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="surveys")
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    closes_on = models.DateField(_("计划截止日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["series", "version"], name="survey_unique_version"),
            models.UniqueConstraint(
                fields=["series"], condition=Q(status="open"), name="survey_one_open_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def for_units(self) -> bool:
        return self.respondents == self.Respondents.UNITS


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        SCALE = "scale", _("1–5分评价")
        TEXT = "text", _("文字回答")

    CHOICE_KINDS: ClassVar[frozenset[str]] = frozenset({Kind.SINGLE, Kind.MULTIPLE})
    SCALE_MIN: ClassVar[int] = 1
    SCALE_MAX: ClassVar[int] = 5

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("序号"))
    key = models.SlugField(_("标识(跨版本不变,可空)"), max_length=40, blank=True)
    kind = models.CharField(_("题型"), max_length=8, choices=Kind.choices)
    text = models.CharField(_("题目"), max_length=300)
    help = models.CharField(_("提示"), max_length=300, blank=True)
    required = models.BooleanField(_("必答"), default=True)
    options = models.JSONField(_("选项"), default=list, blank=True)
    low_label = models.CharField(_("1分含义"), max_length=20, blank=True)
    high_label = models.CharField(_("5分含义"), max_length=20, blank=True)

    class Meta:
        ordering = ("survey_id", "position")
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_unique_position"),
            models.UniqueConstraint(
                fields=["survey", "key"], condition=~Q(key=""), name="question_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def is_choice(self) -> bool:
        return self.kind in self.CHOICE_KINDS

    @property
    def is_scale(self) -> bool:
        return self.kind == self.Kind.SCALE

    @property
    def is_text(self) -> bool:
        return self.kind == self.Kind.TEXT

    def scale_labels(self) -> tuple[str, str]:
        return (self.low_label or str(_("很不满意")), self.high_label or str(_("很满意")))


class Invitation(models.Model):
    """One household's (or unit's) invitation to a survey series. Holds no code and no household id: the code's
    HMAC for look-ups, and the respondent's HMAC, which is what Participation is unique on."""

    series = models.UUIDField()  # indexed first in both the unique constraint and (series, community)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    kind = models.CharField(max_length=12, choices=Survey.Respondents.choices)
    respondent_key = models.CharField(max_length=64)  # 32 hex digits (codes.KEY_HEX) since 0003
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)  # likewise
    generation = models.PositiveSmallIntegerField(default=0)
    issued_on = models.DateField()

    class Meta:
        verbose_name = _("邀请码")
        verbose_name_plural = _("邀请码")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["series", "respondent_key"], name="invitation_one_per_respondent"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["series", "community"])]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Participation(models.Model):
    """That one household (or unit) answered one survey series. Unique per (series, respondent); written in the
    same transaction as the anonymous Response. Day only; random key."""

    class Channel(models.TextChoices):
        CODE = "code", _("邀请码")
        ACCOUNT = "account", _("登录账号")
        ASSISTED = "assisted", _("社区代录")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    series = models.UUIDField()
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="participations")
    kind = models.CharField(max_length=12, choices=Survey.Respondents.choices)
    respondent_key = models.CharField(max_length=64)
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retry_hash = models.CharField(max_length=64, blank=True)
    on = models.DateField()

    class Meta:
        ordering = ("id",)
        verbose_name = _("参与记录")
        verbose_name_plural = _("参与记录")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["series", "respondent_key"], name="participation_one_per_respondent"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["survey", "community"])]

    def __str__(self) -> str:
        return f"participation {self.pk}"


class Response(models.Model):
    """One anonymous answer sheet: the survey version and the community only (for results per community)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("id",)
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        indexes: ClassVar = [models.Index(fields=["survey", "community"])]

    def __str__(self) -> str:
        return f"response {self.pk}"


class Answer(models.Model):
    """One answer: a scale value (1–5) or a chosen option's index (one row per option ticked), or a text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        indexes: ClassVar = [models.Index(fields=["question", "community", "value"])]

    def __str__(self) -> str:
        return f"answer {self.pk}"


# Tables stored WITHOUT ROWID on SQLite (migration 0002; tests/test_anonymity checks it stays so).
ANONYMOUS_TABLES: tuple[type[models.Model], ...] = (Participation, Response, Answer)
