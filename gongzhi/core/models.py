"""Core data: users, the append-only SM3-chained audit log, API tokens and idempotency records."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto


class EncryptedTextField(models.BinaryField):  # type: ignore[type-arg]
    """A text value stored SM4-GCM encrypted; Python code sees the plaintext (or None).

    Look-ups go through a separate blind-index column; this column can't be searched or ordered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(bytes(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None or value == "":
            return None
        return super().get_db_prep_value(crypto.encrypt(str(value)), connection, prepared)


class User(AbstractUser):
    """A person who signs in. Residents, clerks and evaluators are all users; what they may do comes from
    their memberships (orgs.Membership)."""

    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = EncryptedTextField(_("手机号"))
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    PI_FIELDS: ClassVar[tuple[str, ...]] = ("phone",)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class AuditEntry(models.Model):
    """One append-only audit row. `seq` runs 1, 2, 3 … without gaps; `hash` is HMAC-SM3 over the previous
    entry's hash and this row's canonical content. UPDATE and DELETE are refused by database triggers."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    result = models.CharField(max_length=16, default="ok")
    prev_hash = models.CharField(max_length=80)
    hash = models.CharField(max_length=80)

    class Meta:
        ordering = ("seq",)
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes: ClassVar = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The chain head: one row, locked by every audit write so that entries chain in commit order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=80, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class ApiToken(models.Model):
    """A personal API token for integrations. Only an HMAC of the secret is stored; revocation is immediate."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """A creating POST's Idempotency-Key: the request's hash and the stored response, per user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class CalendarYear(models.Model):
    """A year of the official working-day calendar entered by the approval office.

    chinese-calendar's data stops at 2026; the State Council publishes each next year's schedule in autumn.
    A year entered here overrides the package. `assumed` marks a year entered before the announcement.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    assumed = models.BooleanField(_("暂定(未正式公布)"), default=False)
    source = models.CharField(_("依据(国务院办公厅通知文号)"), max_length=200, blank=True)
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("year",)
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday rule: a holiday on a weekday, or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=40, blank=True)

    class Meta:
        ordering = ("date",)
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Notification(models.Model):
    """One in-app notification for one user (gongzhi.core.notify). Mail goes out after commit: at once for users
    who chose immediate mail, or in the daily digest (`gongzhi send_digests`)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(_("事件"), max_length=60)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # Set for events that must reach a user only once (a due-date reminder); unique per user.
    key = models.CharField(max_length=120, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key"),
        ]
        indexes: ClassVar = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How a user wants notifications mailed: at once, in a daily digest, or not at all (in-app only)."""

    class Mail(models.TextChoices):
        IMMEDIATE = "immediate", _("立即发送邮件")
        DIGEST = "digest", _("每日汇总一封邮件")
        NONE = "none", _("不发邮件,只在站内查看")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_preference")
    mail = models.CharField(_("邮件提醒"), max_length=10, choices=Mail.choices, default=Mail.IMMEDIATE)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return f"{self.user} · {self.mail}"
