"""Workbooks of the ledger: an account's statement, and the totals with every entry in the overseer's region."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from gongzhi.funds.models import Account, Entry
from gongzhi.funds.queries import Totals, counterparty

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _yuan(fen: int) -> float:
    """Spreadsheet cells hold yuan as numbers (two decimals); the ledger keeps integer fen."""
    return round(fen / 100, 2)


def _sheet(
    wb: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, first: bool
) -> None:
    ws = wb.active if first else wb.create_sheet()
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_safe(v) for v in row])
    ws.freeze_panes = "A2"


def _safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written as text (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _local(at: Any) -> str:
    return str(timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"))


def _entry_rows(entries: Iterable[Entry], *, with_account: bool) -> Iterable[list[Any]]:
    for e in entries:
        row: list[Any] = [e.account.name] if with_account else []
        row += [
            e.seq,
            _local(e.at),
            e.transfer.get_kind_display(),
            counterparty(e).name,
            _yuan(e.amount),
            _yuan(e.balance_after),
            e.transfer.ref,
            e.transfer.memo,
            e.transfer_id,
            e.mac,
        ]
        yield row


def _entry_header(*, with_account: bool) -> list[str]:
    head = [_("账户")] if with_account else []
    return [
        *head,
        _("序号"),
        _("时间"),
        _("类型"),
        _("对方账户"),
        _("金额(元)"),
        _("余额(元)"),
        _("业务编号"),
        _("摘要"),
        _("转账号"),
        _("校验码(HMAC-SM3)"),
    ]


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def statement(account: Account, entries: QuerySet[Entry]) -> bytes:
    wb = Workbook()
    summary = [
        (_("账户"), account.name),
        (_("类型"), account.get_kind_display()),
        (_("余额(元)"), _yuan(account.balance)),
        (_("已预留(元)"), _yuan(account.reserved)),
        (_("可用(元)"), _yuan(account.available)),
        (_("导出时间"), _local(timezone.now())),
    ]
    _sheet(wb, _("概况"), [_("项目"), _("内容")], summary, first=True)
    rows = _entry_rows(entries.select_related("account").order_by("seq"), with_account=False)
    _sheet(wb, _("明细"), _entry_header(with_account=False), rows, first=False)
    return _save(wb)


def ledger(totals: Totals, entries: QuerySet[Entry]) -> bytes:
    wb = Workbook()
    kinds = [
        (
            k.label,
            k.accounts,
            _yuan(k.balance),
            _yuan(k.reserved),
            _yuan(k.available),
            _yuan(k.money_in),
            _yuan(k.money_out),
        )
        for k in totals.kinds
    ]
    _sheet(
        wb,
        _("汇总"),
        [
            _("账户类型"),
            _("账户数"),
            _("余额(元)"),
            _("已预留(元)"),
            _("可用(元)"),
            _("收入(元)"),
            _("支出(元)"),
        ],
        kinds,
        first=True,
    )
    accounts = [
        (
            r.account.name,
            r.account.get_kind_display(),
            r.account.year or "",
            r.account.region.name,
            _yuan(r.account.balance),
            _yuan(r.account.reserved),
            _yuan(r.account.available),
            _yuan(r.money_in),
            _yuan(r.money_out),
        )
        for r in totals.rows
    ]
    _sheet(
        wb,
        _("账户"),
        [
            _("账户"),
            _("类型"),
            _("年度"),
            _("区域"),
            _("余额(元)"),
            _("已预留(元)"),
            _("可用(元)"),
            _("收入(元)"),
            _("支出(元)"),
        ],
        accounts,
        first=False,
    )
    rows = _entry_rows(
        entries.select_related(
            "account", "transfer", "transfer__from_account", "transfer__to_account"
        ).order_by("account_id", "seq"),
        with_account=True,
    )
    _sheet(wb, _("分录"), _entry_header(with_account=True), rows, first=False)
    return _save(wb)
