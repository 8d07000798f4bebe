"""`gongzhi verify_ledger`: recompute every balance from the ledger's entries and check every entry's HMAC-SM3.

Exit 0 and print the counts when the ledger holds together; exit 1 and name each entry, account, transfer or
reservation that does not (an amount changed directly in the database no longer matches its MAC, its transfer and
its account's balance).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gongzhi.funds.queries import verify_ledger


class Command(BaseCommand):
    help = "校验经费账本 / Verify the funds ledger"

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_ledger()
        counts = (
            f"{report.accounts} accounts, {report.transfers} transfers, {report.entries} entries, "
            f"{report.reservations} reservations"
        )
        if report.ok:
            self.stdout.write(f"账本完整 / ledger intact: {counts}")
            return
        self.stderr.write(
            f"账本有 {len(report.problems)} 处问题 / ledger BROKEN ({len(report.problems)} problems):"
        )
        for problem in report.problems:
            self.stderr.write(f"  {problem.describe()}")
        self.stderr.write(f"checked {counts}")
        raise SystemExit(1)
