"""xlsx export of agreements (one sheet of agreements with their money, one of instalments, one of payments)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gongzhi.agreements import queries
from gongzhi.agreements.models import Agreement, Instalment, Payment, yuan

AGREEMENT_HEADER = (
    "协议编号 / number",
    "年度 / year",
    "类型 / kind",
    "甲方部门 / department",
    "社区 / community",
    "乙方 / party",
    "状态 / status",
    "版本 / version",
    "协议金额(元) / agreed",
    "已预留未付(元) / reserved",
    "已支付(元) / paid",
    "未付(元) / outstanding",
    "逾期未付(元) / overdue",
    "待完成事项 / tasks to deliver",
)
INSTALMENT_HEADER = (
    "协议编号 / number",
    "期次 / seq",
    "支付节点 / label",
    "应付日期 / due",
    "应付(元) / amount",
    "已付(元) / paid",
    "未付(元) / outstanding",
)
PAYMENT_HEADER = ("协议编号 / number", "期次 / seq", "支付时间 / paid at", "金额(元) / amount", "摘要 / note")


def _safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is written as plain text (formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    wb = Workbook()
    first = True
    for title, header, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = title[:31]
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_safe(v) for v in row])
        for i in range(1, len(header) + 1):
            ws.column_dimensions[get_column_letter(i)].width = 24 if i == 1 else 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export(agreements: QuerySet[Agreement]) -> bytes:
    rows = queries.figures(agreements.order_by("-year", "number"))
    agreement_rows = [
        (
            f.agreement.number,
            f.agreement.year,
            f.agreement.get_kind_display(),
            f.agreement.department.name,
            f.agreement.community.name,
            f.agreement.party.name,
            f.agreement.get_status_display(),
            f.version,
            yuan(f.agreed),
            yuan(f.reserved),
            yuan(f.paid),
            yuan(f.outstanding),
            yuan(f.overdue),
            f.to_deliver,
        )
        for f in rows
    ]
    instalments = (
        Instalment.objects.filter(agreement__in=agreements)
        .select_related("agreement")
        .order_by("agreement__number", "seq")
    )
    instalment_rows = [
        (
            i.agreement.number,
            i.seq,
            i.label,
            i.due_on.isoformat(),
            yuan(i.amount_fen),
            yuan(i.paid_fen),
            yuan(i.outstanding_fen),
        )
        for i in instalments
    ]
    payments = (
        Payment.objects.filter(agreement__in=agreements)
        .select_related("agreement", "instalment")
        .order_by("agreement__number", "paid_at", "id")
    )
    payment_rows = [
        (
            p.agreement.number,
            p.instalment.seq,
            timezone.localtime(p.paid_at).strftime("%Y-%m-%d %H:%M"),
            yuan(p.amount_fen),
            p.note,
        )
        for p in payments
    ]
    return _workbook(
        [
            ("协议 agreements", AGREEMENT_HEADER, agreement_rows),
            ("分期 instalments", INSTALMENT_HEADER, instalment_rows),
            ("支付 payments", PAYMENT_HEADER, payment_rows),
        ]
    )
