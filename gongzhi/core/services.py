"""Writes on core objects: users, passwords, API tokens. Each writes its audit entry in the same transaction."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from gongzhi.core import audit, crypto
from gongzhi.core.errors import Conflict, PermissionDenied, ValidationFailed
from gongzhi.core.models import ApiToken, CalendarDay, CalendarYear, NotificationPreference, User
from gongzhi.core.pii import is_mobile, normalize_phone


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), fields={"password": " ".join(exc.messages)}) from exc


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    validate: bool = True,
) -> User:
    """Create a sign-in account. `password=None` makes an account that cannot sign in until one is set."""
    username = username.strip()
    if not username:
        raise ValidationFailed("用户名不能为空 / Username is required", fields={"username": "required"})
    if User.objects.filter(username=username).exists():
        raise Conflict("用户名已被使用 / Username already taken", fields={"username": "taken"})
    user = User(username=username, display_name=display_name, is_staff=is_staff, is_superuser=is_superuser)
    if phone:
        phone = normalize_phone(phone)
        if not is_mobile(phone):
            raise ValidationFailed("手机号格式不正确 / Invalid mobile number", fields={"phone": "invalid"})
        index = crypto.blind_index(phone)
        if User.objects.filter(phone_index=index).exists():
            raise Conflict(
                "该手机号已绑定其他账号 / Phone already bound to another account", fields={"phone": "taken"}
            )
        user.phone, user.phone_index = phone, index
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            _check_password(password, user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
    user.save()
    audit.record("core.user.create", actor=actor, target=user, data={"staff": is_staff})
    return user


@transaction.atomic
def change_password(*, actor: User, user: User, new_password: str) -> User:
    _check_password(new_password, user)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    audit.record("core.user.password_change", actor=actor, target=user)
    return user


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> User:
    """Deactivating a user also ends every session they have (AU-3)."""
    from django.contrib.sessions.models import Session

    user.is_active = False
    user.save(update_fields=["is_active"])
    killed = 0
    for session in Session.objects.filter(expire_date__gte=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            killed += 1
    audit.record("core.user.deactivate", actor=actor, target=user, data={"sessions_ended": killed})
    return user


@transaction.atomic
def enter_calendar_year(
    *,
    actor: User | None,
    year: int,
    holidays: list[tuple[date, str]],
    workdays: list[tuple[date, str]],
    assumed: bool = False,
    source: str = "",
) -> CalendarYear:
    """Enter (or replace) a year's holiday schedule: weekday holidays and weekend make-up working days."""
    errors: dict[str, str] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = "年份须在2000至2100之间 / year must be 2000–2100"
    seen: set[date] = set()
    for label, days in (("holidays", holidays), ("workdays", workdays)):
        for day, _name in days:
            if day.year != year:
                errors[label] = f"{day} 不在 {year} 年内 / {day} is not in {year}"
            if day in seen:
                errors[label] = f"{day} 重复 / {day} listed twice"
            seen.add(day)
    if errors:
        raise ValidationFailed("节假日安排有误 / invalid holiday schedule", fields=errors)
    entry, created = CalendarYear.objects.get_or_create(
        year=year, defaults={"assumed": assumed, "source": source}
    )
    if not created:
        entry.assumed, entry.source = assumed, source
        entry.save(update_fields=["assumed", "source"])
        entry.days.all().delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(year=entry, date=d, kind=CalendarDay.Kind.HOLIDAY, name=n) for d, n in holidays]
        + [CalendarDay(year=entry, date=d, kind=CalendarDay.Kind.WORKDAY, name=n) for d, n in workdays]
    )
    audit.record(
        "core.calendar.enter",
        actor=actor,
        target=entry,
        data={
            "year": year,
            "assumed": assumed,
            "holidays": len(holidays),
            "workdays": len(workdays),
            "replaced": not created,
        },
    )
    return entry


# --- Personal API tokens ------------------------------------------------------------------------------------
# A token reads `gz_<prefix>_<secret>`. The prefix (8 hex digits) finds the row; only an HMAC-SM3 of the secret
# (crypto.mac("token", …)) is stored, so a database dump does not yield usable tokens.

TOKEN_PREFIX_BYTES = 4
TOKEN_SECRET_BYTES = 32
MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def create_api_token(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token for `user`. Returns the row and the plaintext, which is shown once only."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("令牌名称不能为空 / Token name is required", fields={"name": "required"})
    if len(name) > 80:
        raise ValidationFailed(
            "令牌名称不能超过80个字符 / Token name is at most 80 characters", fields={"name": "too_long"}
        )
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValidationFailed(
            "令牌名称不能含控制字符 / Token name may not contain control characters",
            fields={"name": "invalid"},
        )
    if actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied("只能为自己创建令牌 / You can only create tokens for yourself")
    if not user.is_active:
        raise ValidationFailed("账号已停用 / The account is deactivated", fields={"user": "inactive"})
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            f"有效令牌最多{MAX_ACTIVE_TOKENS}个,请先撤销不用的令牌 / "
            f"At most {MAX_ACTIVE_TOKENS} active tokens; revoke one first",
            fields={"name": "too_many"},
        )
    prefix = secrets.token_hex(TOKEN_PREFIX_BYTES)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(TOKEN_PREFIX_BYTES)
    secret = secrets.token_urlsafe(TOKEN_SECRET_BYTES)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, digest=crypto.mac("token", secret.encode())
    )
    audit.record("core.api_token.create", actor=actor, target=token, data={"user": user.pk, "prefix": prefix})
    return token, f"gz_{prefix}_{secret}"


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token; the next request that presents it is refused."""
    if actor.pk != token.user_id and not actor.is_superuser:
        raise PermissionDenied("只能撤销自己的令牌 / You can only revoke your own tokens")
    token = ApiToken.objects.select_for_update(of=("self",)).get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict("该令牌已撤销 / The token is already revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        "core.api_token.revoke",
        actor=actor,
        target=token,
        data={"user": token.user_id, "prefix": token.prefix},
    )
    return token


def record_api_token_use(*, token: ApiToken, min_interval_seconds: int = 60) -> None:
    """Note when a token was last used. Bookkeeping only (not audited: it would flood the chain), and written at
    most once a minute per token so that reads stay cheap."""
    now = timezone.now()
    if token.last_used_at is not None and (now - token.last_used_at).total_seconds() < min_interval_seconds:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


# --- Notifications (the mechanism is gongzhi.core.notify) ------------------------------------------------------


@transaction.atomic
def mark_notifications_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when `ids` is None). Bookkeeping, not audited."""
    from gongzhi.core.models import Notification

    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def set_notification_preference(*, actor: User, mail: str) -> NotificationPreference:
    """Immediate mail, a daily digest, or in-app only."""
    if mail not in NotificationPreference.Mail.values:
        raise ValidationFailed("请选择邮件提醒方式 / choose how to be mailed", fields={"mail": "invalid"})
    pref, _ = NotificationPreference.objects.select_for_update(of=("self",)).get_or_create(user=actor)
    if pref.mail != mail:
        old = pref.mail
        pref.mail = mail
        pref.save(update_fields=["mail"])
        audit.record(
            "core.notification.preference", actor=actor, target=actor, data={"from": old, "to": mail}
        )
    return pref
