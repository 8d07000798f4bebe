"""The published results as an xlsx workbook: one sheet per direction, plus the panel's adjustments."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from gongzhi.evaluations import queries
from gongzhi.evaluations.models import Cycle, Direction


def _safe(value: object) -> object:
    """No formulas from user text (CSV/xlsx injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _note(row: queries.Row) -> str:
    parts = []
    if row.withheld:
        parts.append(_("答卷少于5份,不公布") + ":" + "、".join(row.withheld))
    if not row.ranked and row.missing:
        parts.append(_("无数据") + ":" + "、".join(row.missing))
    return ";".join(parts)


def results_workbook(cycle: Cycle) -> bytes:
    wb = Workbook()
    first = True
    for direction, title in ((Direction.COMMUNITY, _("社区得分")), (Direction.DEPARTMENT, _("部门得分"))):
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = title
        inds = queries.indicators(cycle, direction)
        ws.append(
            [
                _("排名"),
                _("名称"),
                *[f"{i.name}({i.weight})" for i in inds],
                _("综合得分"),
                _("较上期"),
                _("说明"),
            ]
        )
        for row in queries.results(cycle, direction):
            ws.append(
                [
                    row.rank if row.ranked else _("未参评(数据不足)"),
                    _safe(row.name),
                    *[row.values.get(i.key) for i in inds],
                    row.total,
                    row.change,
                    _safe(_note(row)),
                ]
            )
    ws = wb.create_sheet(_("评估组调整"))
    ws.append([_("指标"), _("对象"), _("原得分"), _("调整后"), _("理由")])
    for s in queries.adjustments(cycle):
        subject = s.community or s.department
        ws.append([_safe(s.indicator.name), _safe(str(subject)), s.value, s.adjusted, _safe(s.adjust_reason)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
