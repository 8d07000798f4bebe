import io
import zipfile
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from conftest import login
from gongzhi.core.models import AuditEntry
from gongzhi.duties import demo, services, workbook
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.duties.tests.helpers import edition, item

ITEM_FIELDS = ("code", "kind", "category", "title", "description", "legal_basis", "department_id", "funding_fen",
               "keywords", "source", "position")  # fmt: skip


@pytest.fixture
def current(city):
    demo.load(actor=None)
    return ListEdition.objects.get(scope=city.city, status="published")


def snapshot(ed: ListEdition) -> Any:
    fields = {name: getattr(ed, name) for name in ListEdition.EDITABLE_FIELDS}
    return fields, ed.scope_id, list(ed.items.order_by("position").values_list(*ITEM_FIELDS))


def upload(data: bytes, name: str = "list.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=workbook.CONTENT_TYPE)


def edit(data: bytes, sheet: str, changes: dict[tuple[int, int], Any]) -> bytes:
    """Set cells of a workbook: {(row, column): value}."""
    wb = load_workbook(io.BytesIO(data))
    for (row, col), value in changes.items():
        wb[sheet].cell(row=row, column=col).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_round_trip_gives_the_same_edition(current, approval_officer):
    exported = login(approval_officer).get(f"/lists/editions/{current.pk}/export.xlsx")
    assert exported.status_code == 200
    assert (
        exported["Content-Type"] == workbook.CONTENT_TYPE and "attachment" in exported["Content-Disposition"]
    )
    copy = services.import_workbook(actor=approval_officer, data=exported.content)
    assert copy.pk != current.pk and copy.status == "draft"
    assert snapshot(copy) == snapshot(current)
    # and again: export of the copy imports to the same again
    again = services.import_workbook(actor=None, data=workbook.export(copy))
    assert snapshot(again) == snapshot(current)


def test_round_trip_through_the_page(current, approval_officer):
    officer = login(approval_officer)
    data = officer.get(f"/lists/editions/{current.pk}/export.xlsx").content
    response = officer.post("/lists/manage/import/", {"workbook": upload(data)})
    assert response.status_code == 302
    imported = ListEdition.objects.get(status="draft")
    assert snapshot(imported) == snapshot(current)
    assert AuditEntry.objects.filter(action="duties.edition.fill", data__via="workbook").count() == 1


def test_funding_department_and_dates_survive(city):
    ed = edition(
        city.city,
        [item("A-01", kind="assisting", department=city.dept, funding_fen=123456, keywords="低保、救助"),
         item("P-01", kind="power", department=city.other_dept), item("S-01", legal_basis="第三条\n第(一)项")],
        approved_on=date(2025, 12, 1), effective_to=date(2026, 12, 31), doc_number="测〔2025〕9号", note="说明",
    )  # fmt: skip
    copy = services.import_workbook(actor=None, data=workbook.export(ed))
    assert snapshot(copy) == snapshot(ed)


def test_template_downloads_and_has_every_column(db):
    response = Client().get("/lists/template.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [workbook.SHEET_HELP, workbook.SHEET_INFO, workbook.SHEET_ITEMS]
    headers = [c.value for c in wb[workbook.SHEET_ITEMS][1]]
    assert headers == [label for _, label in workbook.ITEM_COLUMNS]
    assert Client().post("/lists/template.xlsx").status_code == 405
    # the empty template itself is not an edition
    problems = workbook.parse(response.content).problems
    assert any("没有任何事项" in p.message for p in problems)


def test_a_bad_workbook_reports_every_row_and_imports_nothing(current, approval_officer):
    data = workbook.export(current)
    cols = {name: n for n, (name, _) in enumerate(workbook.ITEM_COLUMNS, start=1)}
    bad = edit(
        data,
        workbook.SHEET_ITEMS,
        {
            (2, cols["kind"]): "魔法事项",  # unknown kind
            (3, cols["title"]): None,  # missing title
            (4, cols["code"]): "S-01",  # duplicate of row 2
            (5, cols["funding"]): "12.345",  # three decimals
            (6, cols["department"]): "不存在的局",  # unknown department
            (7, cols["source"]): None,  # missing source
            (8, cols["funding"]): 100,  # funding on a statutory item
        },
    )
    bad = edit(bad, workbook.SHEET_INFO, {(7, 2): "明年"})  # effective_from is not a date
    before = (ListEdition.objects.count(), ListItem.objects.count(), AuditEntry.objects.count())
    with pytest.raises(services.WorkbookInvalid) as info:
        services.import_workbook(actor=approval_officer, data=bad)
    found = {(p.sheet, p.row, p.column) for p in info.value.problems}
    assert {
        (workbook.SHEET_ITEMS, 2, "类别"),
        (workbook.SHEET_ITEMS, 3, "事项名称"),
        (workbook.SHEET_ITEMS, 4, "编码"),
        (workbook.SHEET_ITEMS, 5, "年度经费标准(元/社区)"),
        (workbook.SHEET_ITEMS, 6, "责任部门"),
        (workbook.SHEET_ITEMS, 7, "来源"),
        (workbook.SHEET_ITEMS, 8, "年度经费标准(元/社区)"),
        (workbook.SHEET_INFO, 7, "生效日期"),
    } <= found
    assert all(" / " in p.message for p in info.value.problems)
    assert (ListEdition.objects.count(), ListItem.objects.count(), AuditEntry.objects.count()) == before
    # through the page: 422 with a row table, nothing changed
    response = login(approval_officer).post("/lists/manage/import/", {"workbook": upload(bad)})
    assert response.status_code == 422
    html = response.content.decode()
    assert "魔法事项" in html and "不存在的局" in html and "<td data-label" in html
    assert (ListEdition.objects.count(), ListItem.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "为空"),
        (b"not a zip at all", "不是xlsx"),
        (b"PK\x03\x04broken", "不是xlsx"),
    ],
)
def test_files_that_are_not_workbooks(db, data, message):
    problems = workbook.parse(data).problems
    assert len(problems) == 1 and message in problems[0].message and problems[0].row == 0


def test_macros_zip_bombs_and_missing_sheets_are_refused(current):
    data = workbook.export(current)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"\0" * 10)
    assert "宏" in workbook.parse(buf.getvalue()).problems[0].message
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * (workbook.MAX_UNZIPPED + 1))
    assert len(bomb.getvalue()) < workbook.MAX_BYTES
    assert "过大" in workbook.parse(bomb.getvalue()).problems[0].message
    wb = load_workbook(io.BytesIO(data))
    del wb[workbook.SHEET_ITEMS]
    out = io.BytesIO()
    wb.save(out)
    assert workbook.parse(out.getvalue()).problems[0].sheet == workbook.SHEET_ITEMS


def test_missing_required_column(current):
    data = edit(workbook.export(current), workbook.SHEET_ITEMS, {(1, 1): "编号"})
    problems = workbook.parse(data).problems
    assert problems[0].row == 1 and "编码" in problems[0].column


def test_import_into_a_draft_replaces_it_and_checks_the_scope(city, current, approval_officer):
    draft = edition(city.city, [item("OLD-1")])
    services.import_workbook_into(actor=approval_officer, edition=draft, data=workbook.export(current))
    draft.refresh_from_db()
    assert snapshot(draft)[2] == snapshot(current)[2]
    district = ListEdition.objects.get(scope=city.district)
    with pytest.raises(services.WorkbookInvalid) as info:
        services.import_workbook_into(actor=approval_officer, edition=draft, data=workbook.export(district))
    assert "适用范围" in info.value.problems[0].column
    with pytest.raises(services.WorkbookInvalid):
        services.import_workbook(actor=approval_officer, data=edit(workbook.export(current), workbook.SHEET_INFO,
                                                                   {(2, 2): "999999"}))  # fmt: skip
    # a published edition cannot be replaced
    from gongzhi.core.errors import Conflict

    with pytest.raises(Conflict):
        services.import_workbook_into(actor=approval_officer, edition=current, data=workbook.export(current))


def test_import_into_a_draft_through_the_page(city, current, approval_officer, dept_clerk):
    draft = edition(city.city, [item("OLD-1")])
    data = workbook.export(current)
    assert (
        login(dept_clerk).post(f"/lists/editions/{draft.pk}/import/", {"workbook": upload(data)}).status_code
        == 403
    )
    assert list(draft.items.values_list("code", flat=True)) == ["OLD-1"]
    officer = login(approval_officer)
    assert (
        officer.post(
            f"/lists/editions/{draft.pk}/import/", {"workbook": upload(b"x", "list.csv")}
        ).status_code
        == 400
    )
    assert officer.post(f"/lists/editions/{draft.pk}/import/", {"workbook": upload(data)}).status_code == 302
    assert draft.items.count() == current.items.count()


def test_importing_a_scope_one_may_not_edit_is_refused(city, current):
    from conftest import make_user
    from gongzhi.core.errors import PermissionDenied
    from gongzhi.core.roles import OrgKind, Role
    from gongzhi.orgs import services as org_services

    office = org_services.create_organization(
        actor=None, name="铜官区深改办", kind=OrgKind.APPROVAL_AUTHORITY, region=city.district
    )
    officer = make_user("district-officer", office, Role.APPROVAL_OFFICER)
    before = ListEdition.objects.count()
    with pytest.raises(PermissionDenied):
        services.import_workbook(actor=officer, data=workbook.export(current))
    assert ListEdition.objects.count() == before
