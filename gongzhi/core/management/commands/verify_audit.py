"""`gongzhi verify_audit`: walk the SM3-chained audit log.

Exit 0 and print the number of entries when the chain is intact; exit 1 and name the first broken entry (its seq
and row id, and what is wrong) when a row was altered, removed or inserted out of order directly in the database.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gongzhi.core.audit import verify_chain


class Command(BaseCommand):
    help = "校验审计日志链 / Verify the audit log chain"

    def handle(self, *args: Any, **options: Any) -> None:
        count, problem = verify_chain()
        if problem is None:
            self.stdout.write(f"审计链完整 / audit chain intact: {count} entries")
            return
        row = f"id={problem.entry_id}" if problem.entry_id is not None else "chain head"
        self.stderr.write(
            f"审计链断裂 / audit chain BROKEN at entry seq={problem.seq} ({row}): {problem.problem}; "
            f"{count} entries before it verify"
        )
        raise SystemExit(1)
