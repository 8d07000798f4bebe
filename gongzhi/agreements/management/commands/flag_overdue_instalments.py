"""`gongzhi flag_overdue_instalments [--on YYYY-MM-DD]`: tell both sides and the approval office about every
overdue or short instalment (once per instalment and amount paid). Run daily, e.g. from cron."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.agreements import services


class Command(BaseCommand):
    help = "提醒逾期或未足额的协议款项 / Flag overdue or short instalments"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", default=None, help="按该日期判断(默认今天) / the date to judge by")

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options["on"]:
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError as exc:
                raise CommandError("日期格式须为 YYYY-MM-DD / the date must be YYYY-MM-DD") from exc
        flagged = services.flag_overdue_instalments(actor=None, on=on)
        self.stdout.write(f"已提醒 {len(flagged)} 期 / flagged {len(flagged)} instalment(s)")
