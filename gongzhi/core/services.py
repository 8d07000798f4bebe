"""Writes on core objects: users, passwords, API tokens. Each writes its audit entry in the same transaction."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from gongzhi.core import audit, crypto
from gongzhi.core.errors import Conflict, ValidationFailed
from gongzhi.core.models import CalendarDay, CalendarYear, User
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
    entry, created = CalendarYear.objects.get_or_create(year=year, defaults={"assumed": assumed, "source": source})
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
        data={"year": year, "assumed": assumed, "holidays": len(holidays), "workdays": len(workdays),
              "replaced": not created},
    )
    return entry
