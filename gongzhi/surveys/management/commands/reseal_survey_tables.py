"""`gongzhi reseal_survey_tables`: daily on PostgreSQL, so that stored participations and responses cannot be lined
up by transaction id or storage order (surveys.services.reseal_anonymous_tables, docs/surveys.md). On SQLite it
says there is nothing to do."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from gongzhi.surveys import services


class Command(BaseCommand):
    help = "重写问卷参与记录与答卷，消除写入顺序（PostgreSQL） / reseal the survey tables (PostgreSQL)"

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        result = services.reseal_anonymous_tables()
        if not result.needed:
            self.stdout.write(
                "nothing to do: SQLite keeps no transaction ids or arrival order in these tables"
            )
            return
        counts = ", ".join(f"{table} {n}" for table, n in result.rows.items())
        self.stdout.write(f"resealed {counts} in {time.perf_counter() - start:.1f} s")
