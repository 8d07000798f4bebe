"""Daily: remind community staff of rating deadlines within a week (gongzhi.evaluations.services)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gongzhi.evaluations import services


class Command(BaseCommand):
    help = "提醒尚未完成部门评价的社区 / remind communities of rating deadlines"

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.send_due_reminders()
        self.stdout.write(f"reminders sent: {sent}")
