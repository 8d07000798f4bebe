"""Workbooks: the inventory template, reading an inventory workbook (every row checked, errors by row and
column, nothing imported when any row is wrong), and writing tables (the dashboard export)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from gongzhi.core.errors import ValidationFailed

MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 2000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Inventory columns: (header, key, required, help)
COLUMNS: tuple[tuple[str, str, bool, str], ...] = (
    ("事项名称", "title", True, "社区现在承担的一项工作,如“每月报送独居老人走访台账”"),
    ("交办部门", "department", False, "交办该事项的部门全称或简称,须为平台中已有的部门;不清楚可留空"),
    ("内容说明", "description", False, "做什么、多久一次"),
    ("依据", "basis", False, "文件名称或文号"),
    ("每月报表(份)", "forms_per_month", False, "每月须填报的表格份数,整数,没有填0"),
)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportFailed(ValidationFailed):
    """A workbook with problems: nothing was imported. `errors` lists each problem by row and column."""

    code = "import_failed"

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        fields = {f"第{e.row}行 {e.column} / row {e.row} {e.column}": e.message for e in self.errors[:50]}
        super().__init__(
            f"工作簿有 {len(self.errors)} 处错误,未导入任何事项 / "
            f"{len(self.errors)} problem(s) in the workbook; nothing was imported",
            fields=fields,
        )

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["error"]["rows"] = [e.as_dict() for e in self.errors]
        return body


@dataclass(frozen=True)
class InventoryRow:
    row: int
    title: str
    department: str
    description: str
    basis: str
    forms_per_month: int


def template() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "事项清单"
    ws.append([c[0] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(["(示例)每月报送独居老人走访台账", "民政局", "每月走访并填写台账", "", 1])
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "必填", "说明"])
    for header, _key, required, help_text in COLUMNS:
        notes.append([header, "是" if required else "否", help_text])
    notes.append(["", "", "第2行是示例,导入前请删除或替换。整个工作簿有任何一处错误都不会导入。"])
    for sheet, widths in ((ws, (40, 24, 40, 30, 14)), (notes, (16, 8, 70))):
        for i, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _open(data: bytes) -> Any:
    if len(data) > MAX_WORKBOOK_BYTES:
        raise ImportFailed(
            [RowError(0, "文件 / file", "工作簿不能超过5MB / the workbook must be at most 5 MB")]
        )
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFailed([RowError(0, "文件 / file", "不是 xlsx 工作簿 / not an xlsx workbook")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise ImportFailed(
                    [RowError(0, "文件 / file", "工作簿解压后过大 / the workbook unpacks too large")]
                )
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFailed:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise ImportFailed(
            [RowError(0, "文件 / file", "无法读取该 xlsx 工作簿 / the workbook cannot be read")]
        ) from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_inventory(data: bytes) -> list[InventoryRow]:
    """Parse an inventory workbook. Raises ImportFailed listing every problem found (row numbers as in Excel)."""
    wb = _open(data)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_text(v) for v in next(rows, ())]
    errors: list[RowError] = []
    positions: dict[str, int] = {}
    for name, key, required, _help in COLUMNS:
        if name in header:
            positions[key] = header.index(name)
        elif required:
            errors.append(RowError(1, name, f"缺少“{name}”列 / missing column “{name}”"))
    if errors:
        raise ImportFailed(errors)
    parsed: list[InventoryRow] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(rows, start=2):
        cells = {key: _text(values[i]) if i < len(values) else "" for key, i in positions.items()}
        if not any(cells.values()):
            continue
        if len(parsed) >= MAX_ROWS:
            errors.append(RowError(number, "—", f"最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows"))
            break
        title = cells.get("title", "")
        if not title:
            errors.append(RowError(number, "事项名称", "必填 / required"))
        elif len(title) > 200:
            errors.append(RowError(number, "事项名称", "不能超过200字 / at most 200 characters"))
        elif title in seen:
            errors.append(
                RowError(number, "事项名称", f"与第{seen[title]}行重复 / same as row {seen[title]}")
            )
        else:
            seen[title] = number
        forms_text = cells.get("forms_per_month", "")
        forms = 0
        if forms_text:
            if not forms_text.isdigit() or int(forms_text) > 1000:
                errors.append(
                    RowError(number, "每月报表(份)", "须为0至1000的整数 / must be a whole number 0–1000")
                )
            else:
                forms = int(forms_text)
        for key, column, limit in (("department", "交办部门", 100), ("basis", "依据", 300)):
            if len(cells.get(key, "")) > limit:
                errors.append(RowError(number, column, f"不能超过{limit}字 / at most {limit} characters"))
        parsed.append(
            InventoryRow(
                row=number,
                title=title,
                department=cells.get("department", ""),
                description=cells.get("description", ""),
                basis=cells.get("basis", ""),
                forms_per_month=forms,
            )
        )
    wb.close()
    if errors:
        raise ImportFailed(errors)
    if not parsed:
        raise ImportFailed([RowError(2, "事项名称", "工作簿中没有事项 / the workbook has no rows")])
    return parsed


def _safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written as plain text (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_tables(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per (title, header, rows)."""
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
            ws.append([_safe_cell(v) for v in row])
        for i in range(len(header)):
            ws.column_dimensions[chr(ord("A") + i)].width = 18 if i else 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
