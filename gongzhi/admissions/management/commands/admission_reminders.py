"""`gongzhi admission_reminders`: due-date reminders, once per event (run daily).

- a request whose decision is due within REMIND_WORKDAYS working days, or overdue, and still undecided: the
  approval office (while it is submitted) or the authority members (while it is under review);
- an admitted task whose funding due date has passed with money still missing: the department and the community
  (which may then refuse it);
- an admitted task starting within REMIND_WORKDAYS working days: the community.
Each reminder carries a key, so running the command again the same day (or later) does not repeat it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from gongzhi.admissions import notices


class Command(BaseCommand):
    help = "发送准入审批期限、经费到位和事项开始提醒 / send admission due-date reminders"

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            counts = notices.due_reminders()
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
