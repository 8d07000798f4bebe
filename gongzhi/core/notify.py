"""Notifications: one shared mechanism for every app.

`send(users, event=…, title=…, body=…, url=…, key=…)` writes one in-app `Notification` per user inside the
caller's transaction (so a rolled-back change notifies nobody) and mails it only after commit
(`transaction.on_commit`): at once for users whose preference is immediate mail (the default), later in one daily
digest for those who chose it (`gongzhi send_digests`), never for those who chose in-app only or have no e-mail
address. `key` makes a notification reach each user at most once (due-date reminders run every day).

Mail uses Django's mail API (EMAIL_BACKEND: the console backend in the demo). A failed mail is logged and left
unsent (`emailed_at` stays empty); it never undoes the change that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from gongzhi.core.models import Notification, NotificationPreference, User

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[共治] "


def preference(user: User) -> str:
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref.mail if pref is not None else NotificationPreference.Mail.IMMEDIATE


def send(
    users: Iterable[User],
    *,
    event: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str | None = None,
    exclude: User | None = None,
) -> list[Notification]:
    """Notify each distinct active user once (skipping `exclude`, usually the actor). Returns the new rows."""
    seen: set[int] = set()
    created: list[Notification] = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        if exclude is not None and user.pk == exclude.pk:
            continue
        seen.add(user.pk)
        if key is not None and Notification.objects.filter(user=user, key=key).exists():
            continue
        created.append(
            Notification.objects.create(
                user=user, event=event[:60], title=title[:200], body=body, url=url[:300], key=key
            )
        )
    immediate = [
        n.pk for n in created if n.user.email and preference(n.user) == NotificationPreference.Mail.IMMEDIATE
    ]
    if immediate:
        transaction.on_commit(lambda: mail_now(immediate))
    return created


def _site_url(url: str) -> str:
    base = str(getattr(settings, "GONGZHI_SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url and base else url


def _text(n: Notification) -> str:
    parts = [n.title]
    if n.body:
        parts.append(n.body)
    if n.url:
        parts.append(_site_url(n.url))
    return "\n".join(parts)


def mail_now(ids: list[int]) -> int:
    """Mail the given notifications one by one (after the commit that created them). Returns how many went."""
    sent = 0
    for n in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("user"):
        try:
            send_mail(
                SUBJECT_PREFIX + n.title,
                _text(n),
                settings.DEFAULT_FROM_EMAIL,
                [n.user.email],
                fail_silently=False,
            )
        except Exception:  # a mail server being down must not break the request that caused the notification
            log.exception("notification mail failed", extra={"notification": n.pk})
            continue
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def send_digests(*, now: datetime | None = None) -> int:
    """One mail per digest user with everything not yet mailed. Returns the number of mails sent."""
    now = now or timezone.now()
    mails = 0
    prefs = NotificationPreference.objects.filter(mail=NotificationPreference.Mail.DIGEST).select_related(
        "user"
    )
    for pref in prefs:
        user = pref.user
        if not user.is_active or not user.email:
            continue
        pending = list(
            Notification.objects.filter(user=user, emailed_at__isnull=True, created_at__lte=now).order_by(
                "created_at"
            )
        )
        if not pending:
            continue
        body = "\n\n".join(f"· {_text(n)}" for n in pending)
        subject = f"{SUBJECT_PREFIX}每日通知汇总({len(pending)}条) / daily digest ({len(pending)})"
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
        except Exception:
            log.exception("digest mail failed", extra={"user": user.pk})
            continue
        with transaction.atomic():
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
            NotificationPreference.objects.filter(pk=pref.pk).update(last_digest_at=now)
        mails += 1
    return mails


def unread_count(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
