"""The list workbook (xlsx): the template, export of an edition, and parsing an uploaded workbook.

A workbook has three sheets: 填写说明 (how to fill it in), 清单信息 (the edition: one field per row, the value in
column B) and 清单事项 (the items: a header row, then one item per row; columns are found by their header, so
they may be reordered). Parsing checks every row and returns every problem with its sheet, row, column and a
bilingual message; the services import nothing unless there is none.

Reading is defensive: size and unzipped-size caps, a row cap, `read_only` loading, formulas read as their cached
values, and only the three known sheets are looked at.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gongzhi.core.roles import OrgKind
from gongzhi.duties.models import ListEdition, ListItem, fen_to_yuan
from gongzhi.duties.services import EditionData, ItemData, edition_problems, item_problems
from gongzhi.orgs.models import Organization

MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED = 60 * 1024 * 1024
MAX_ROWS = 5000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SHEET_HELP = "填写说明"
SHEET_INFO = "清单信息"
SHEET_ITEMS = "清单事项"

# (field, label) of the edition sheet, one row each.
INFO_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "标题"),
    ("scope_code", "适用范围区划代码"),
    ("scope_name", "适用范围名称(仅供核对)"),
    ("doc_number", "文号"),
    ("issuing_body", "发布机关"),
    ("approved_on", "批准日期"),
    ("effective_from", "生效日期"),
    ("effective_to", "失效日期"),
    ("is_sample", "示例数据(是/否)"),
    ("note", "说明"),
)
SCOPE_ROW = 1 + [name for name, _ in INFO_FIELDS].index("scope_code")
# (field, header) of the items sheet.
ITEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "编码"),
    ("kind", "类别"),
    ("category", "分类"),
    ("title", "事项名称"),
    ("description", "内容说明"),
    ("legal_basis", "法律依据"),
    ("department", "责任部门"),
    ("funding", "年度经费标准(元/社区)"),
    ("keywords", "同义词/关键词"),
    ("source", "来源"),
)
REQUIRED_COLUMNS = ("code", "kind", "title", "source")
WIDTHS = {"code": 10, "kind": 18, "category": 10, "title": 40, "description": 40, "legal_basis": 30,
          "department": 22, "funding": 14, "keywords": 40, "source": 50}  # fmt: skip

KIND_BY_TEXT: dict[str, str] = {}
for _value, _label in ListItem.Kind.choices:
    KIND_BY_TEXT[_value] = _value
    KIND_BY_TEXT[str(_label)] = _value
KIND_BY_TEXT.update({"依法履职": "statutory", "协助": "assisting", "证明": "certificate", "负面": "excluded",
                     "不应由社区承担": "excluded", "权力清单": "power"})  # fmt: skip
YES = {"是", "yes", "true", "1", "y"}
NO = {"否", "no", "false", "0", "n", ""}

HELP_LINES = (
    "社区工作清单导入模板 / Community work list template",
    "",
    "1. “清单信息”表:在B列填写本版清单的标题、适用范围区划代码(市或区县)、文号、发布机关和日期。",
    "2. “清单事项”表:第1行为表头(可调整列的顺序,不要改表头文字),从第2行起每行一个事项。",
    "3. 必填:编码、类别、事项名称、来源。编码在本版内不能重复,只用字母、数字、点、横线。",
    "4. 类别填写:依法履行职责事项 / 协助政府工作事项 / 可出具的证明事项 / 不应由社区承担事项 / 部门权力清单事项。",
    "5. 责任部门只填协助政府工作事项和部门权力清单事项,须与平台上的部门名称完全一致。",
    "6. 年度经费标准以元为单位,最多两位小数,只适用于协助政府工作事项(费随事转)。",
    "7. 同义词/关键词用“、”分隔,帮助居民搜索和任务比对。",
    "8. 日期写作 2026-01-01。导入时逐行检查,只要有一处错误就不导入任何内容,并列出每处错误的行、列和原因。",
    "",
    "Fill in the edition on sheet 清单信息 and one item per row on sheet 清单事项. Required: code, kind, title,",
    "source. Funding is in yuan per community per year (assisting items only). A workbook with any error imports",
    "nothing; every problem is listed with its row and column.",
)


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int  # 1-based; 0 for the file as a whole
    column: str  # the header or field label; "" for the file or a whole row
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class Parsed:
    edition: EditionData | None = None
    scope_code: str = ""
    items: list[ItemData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- writing ----------------------------------------------------------------------------------------------------

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="FFE8EEF4")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _new_workbook() -> tuple[Workbook, Any, Any]:
    wb = Workbook()
    help_ws: Any = wb.active
    help_ws.title = SHEET_HELP
    for n, line in enumerate(HELP_LINES, start=1):
        help_ws.cell(row=n, column=1, value=line)
    help_ws.column_dimensions["A"].width = 110
    info = wb.create_sheet(SHEET_INFO)
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 70
    items = wb.create_sheet(SHEET_ITEMS)
    for col, (name, header) in enumerate(ITEM_COLUMNS, start=1):
        cell = items.cell(row=1, column=col, value=header)
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
        items.column_dimensions[get_column_letter(col)].width = WIDTHS[name]
    items.freeze_panes = "A2"
    kind_col = get_column_letter([n for n, _ in ITEM_COLUMNS].index("kind") + 1)
    labels = ",".join(str(label) for _, label in ListItem.Kind.choices)
    validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=False)
    validation.error = "请从列表中选择类别 / choose a kind from the list"
    items.add_data_validation(validation)
    validation.add(f"{kind_col}2:{kind_col}{MAX_ROWS + 1}")
    return wb, info, items


def _info_rows(info: Any, values: dict[str, Any]) -> None:
    for n, (name, label) in enumerate(INFO_FIELDS, start=1):
        info.cell(row=n, column=1, value=label).font = _HEAD_FONT
        cell = info.cell(row=n, column=2, value=values.get(name))
        if isinstance(values.get(name), date):
            cell.number_format = "yyyy-mm-dd"
        cell.alignment = _WRAP


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template() -> bytes:
    wb, info, _items = _new_workbook()
    _info_rows(info, {"is_sample": "否"})
    return _save(wb)


def export(edition: ListEdition) -> bytes:
    wb, info, sheet = _new_workbook()
    _info_rows(
        info,
        {
            "title": edition.title,
            "scope_code": edition.scope.code,
            "scope_name": edition.scope.name,
            "doc_number": edition.doc_number,
            "issuing_body": edition.issuing_body,
            "approved_on": edition.approved_on,
            "effective_from": edition.effective_from,
            "effective_to": edition.effective_to,
            "is_sample": "是" if edition.is_sample else "否",
            "note": edition.note,
        },
    )
    items = edition.items.select_related("department").order_by("position", "id")
    for row, item in enumerate(items, start=2):
        values = {
            "code": item.code,
            "kind": str(ListItem.Kind(item.kind).label),
            "category": item.category,
            "title": item.title,
            "description": item.description,
            "legal_basis": item.legal_basis,
            "department": item.department.name if item.department else "",
            "funding": Decimal(fen_to_yuan(item.funding_fen)) if item.funding_fen else None,
            "keywords": item.keywords,
            "source": item.source,
        }
        for col, (name, _header) in enumerate(ITEM_COLUMNS, start=1):
            cell = sheet.cell(row=row, column=col, value=values[name] if values[name] != "" else None)
            if name == "funding":
                cell.number_format = "0.00"
            cell.alignment = _WRAP
    return _save(wb)


# --- reading ----------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _date(value: Any) -> date | None:
    """None for an empty cell; raises ValueError for anything that is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DATE_RE.match(str(value).strip())
    if not m:
        raise ValueError(str(value))
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _fen(value: Any) -> int:
    """Yuan (a number or text, at most 2 decimals) → fen. Raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        raise ValueError(str(value))
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation as exc:
        raise ValueError(str(value)) from exc
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(str(value))
    return int(amount * 100)


def _check_container(data: bytes) -> str | None:
    """A reason to refuse the file before openpyxl sees it, or None."""
    if not data:
        return "文件为空 / the file is empty"
    if len(data) > MAX_BYTES:
        return f"文件超过{MAX_BYTES // (1024 * 1024)}MB / the file is larger than {MAX_BYTES // (1024 * 1024)} MB"
    if not data.startswith(b"PK\x03\x04"):
        return "不是xlsx工作簿 / not an xlsx workbook"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                return "不是xlsx工作簿 / not an xlsx workbook"
            if any(n.startswith("xl/vbaProject") for n in names):
                return "不接受含宏的工作簿 / workbooks with macros are refused"
            if sum(i.file_size for i in zf.infolist()) > MAX_UNZIPPED:
                return "工作簿解压后过大 / the workbook is too large when unpacked"
    except zipfile.BadZipFile:
        return "不是xlsx工作簿 / not an xlsx workbook"
    return None


def departments_by_name() -> dict[str, list[Organization]]:
    found: dict[str, list[Organization]] = {}
    for org in Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True):
        found.setdefault(org.name, []).append(org)
    return found


def parse(data: bytes) -> Parsed:
    parsed = Parsed()
    refusal = _check_container(data)
    if refusal:
        parsed.problems.append(Problem("", 0, "", refusal))
        return parsed
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any failure to read is the user's file, reported as such
        parsed.problems.append(Problem("", 0, "", "工作簿无法读取 / the workbook cannot be read"))
        return parsed
    try:
        for name in (SHEET_INFO, SHEET_ITEMS):
            if name not in wb.sheetnames:
                parsed.problems.append(
                    Problem(name, 0, "", f"缺少工作表“{name}” / the sheet {name} is missing")
                )
        if parsed.problems:
            return parsed
        _parse_info(wb[SHEET_INFO], parsed)
        _parse_items(wb[SHEET_ITEMS], parsed)
    finally:
        wb.close()
    return parsed


def _parse_info(ws: Any, parsed: Parsed) -> None:
    labels = {label: name for name, label in INFO_FIELDS}
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for n, row in enumerate(ws.iter_rows(min_row=1, max_row=60, max_col=2, values_only=True), start=1):
        label = _text(row[0]) if row else ""
        if label in labels:
            values[labels[label]] = row[1] if len(row) > 1 else None
            rows[labels[label]] = n
    problems = parsed.problems

    def problem(name: str, message: str) -> None:
        label = dict(INFO_FIELDS)[name]
        problems.append(Problem(SHEET_INFO, rows.get(name, 0), label, message))

    dates: dict[str, date | None] = {}
    for name in ("approved_on", "effective_from", "effective_to"):
        try:
            dates[name] = _date(values.get(name))
        except ValueError:
            dates[name] = None
            problem(name, "日期格式应为 2026-01-01 / a date such as 2026-01-01")
    title = _text(values.get("title"))
    if not title:
        problem("title", "标题不能为空 / the title is required")
    sample = _text(values.get("is_sample")).lower()
    if sample not in YES | NO:
        problem("is_sample", "请填写“是”或“否” / write 是 or 否")
    parsed.scope_code = _text(values.get("scope_code"))
    if not parsed.scope_code:
        problem("scope_code", "请填写适用范围的区划代码 / the scope's region code is required")
    edition = EditionData(
        title=title,
        doc_number=_text(values.get("doc_number")),
        issuing_body=_text(values.get("issuing_body")),
        approved_on=dates["approved_on"],
        effective_from=dates["effective_from"],
        effective_to=dates["effective_to"],
        note=_text(values.get("note")),
        is_sample=sample in YES,
    )
    for name, message in edition_problems(edition).items():
        if name != "title" or title:
            problem(name, message)
    parsed.edition = edition


def _parse_items(ws: Any, parsed: Parsed) -> None:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    by_header = {label: name for name, label in ITEM_COLUMNS}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header or ()):
        name = by_header.get(_text(cell))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [dict(ITEM_COLUMNS)[c] for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        parsed.problems.append(
            Problem(SHEET_ITEMS, 1, "、".join(missing), "缺少必需的列 / a required column is missing")
        )
        return
    labels = dict(ITEM_COLUMNS)
    departments = departments_by_name()
    first_row: dict[str, int] = {}
    count = 0
    for n, row in enumerate(rows, start=2):
        cells = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            parsed.problems.append(
                Problem(SHEET_ITEMS, n, "", f"最多{MAX_ROWS}个事项 / at most {MAX_ROWS} items")
            )
            return
        row_problems: list[tuple[str, str]] = []
        kind_text = _text(cells.get("kind"))
        kind = KIND_BY_TEXT.get(kind_text, kind_text)
        if not kind_text:
            row_problems.append(("kind", "类别不能为空 / the kind is required"))
        elif kind_text not in KIND_BY_TEXT:
            row_problems.append(("kind", f"未知的类别“{kind_text}” / unknown kind"))
        try:
            fen = _fen(cells.get("funding"))
        except ValueError:
            fen = 0
            row_problems.append(
                ("funding", "经费须为不小于0、最多两位小数的金额(元) / yuan, ≥ 0, 2 decimals")
            )
        department = None
        department_name = _text(cells.get("department"))
        if department_name:
            candidates = departments.get(department_name, [])
            if len(candidates) == 1:
                department = candidates[0]
            elif not candidates:
                row_problems.append(
                    ("department", f"找不到部门“{department_name}” / no active department of that name")
                )
            else:
                row_problems.append(("department", "部门名称不唯一 / more than one department has that name"))
        data = ItemData(
            kind=kind,
            code=_text(cells.get("code")),
            title=_text(cells.get("title")),
            category=_text(cells.get("category")),
            description=_text(cells.get("description")),
            legal_basis=_text(cells.get("legal_basis")),
            department=department,
            funding_fen=fen,
            keywords=_text(cells.get("keywords")),
            source=_text(cells.get("source")),
        )
        reported = {name for name, _ in row_problems}
        for name, message in item_problems(data).items():
            column = "funding" if name == "funding_fen" else name
            if column not in reported and not (column == "kind" and "kind" in reported):
                row_problems.append((column, message))
        if data.code:
            if data.code in first_row:
                row_problems.append(
                    (
                        "code",
                        f"编码与第{first_row[data.code]}行重复 / duplicates the code in row {first_row[data.code]}",
                    )
                )
            else:
                first_row[data.code] = n
        for name, message in row_problems:
            parsed.problems.append(Problem(SHEET_ITEMS, n, labels.get(name, name), message))
        parsed.items.append(data)
    if count == 0:
        parsed.problems.append(Problem(SHEET_ITEMS, 2, "", "没有任何事项 / the sheet has no items"))
