"""`gongzhi send_digests`: mail each user who chose the daily digest one message with their unmailed
notifications (run once a day, e.g. from cron or a systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gongzhi.core import notify


class Command(BaseCommand):
    help = "发送每日通知汇总邮件 / mail the daily notification digests"

    def handle(self, *args: Any, **options: Any) -> None:
        sent = notify.send_digests()
        self.stdout.write(f"digests sent: {sent}")
