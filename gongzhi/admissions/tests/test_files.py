"""Attachment checks (security.md IN-4): type by content, extension must agree, Office files opened as zips with
caps (no zip bombs) and no macros, names cleaned, bytes stored under a UUID."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from openpyxl import Workbook

from gongzhi.admissions import files
from gongzhi.core.errors import ValidationFailed

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
WEBP = b"RIFF\x24\0\0\0WEBPVP8 " + b"\0" * 32


def real_docx() -> bytes:
    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("关于开展低保入户调查的通知")
    document.save(out)
    return out.getvalue()


def real_xlsx() -> bytes:
    out = io.BytesIO()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["社区", "户数"])
    wb.save(out)
    return out.getvalue()


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"%PDF-1.7\n", "通知.pdf", "pdf"),
        (PNG, "现场.png", "png"),
        (JPEG, "现场.JPG", "jpg"),
        (JPEG, "现场.jpeg", "jpg"),
        (WEBP, "a.webp", "webp"),
    ],
)
def test_accepted_types(data, name, kind):
    checked = files.check_bytes(data, name)
    assert checked.file_type == kind and checked.content_type == files.CONTENT_TYPES[kind]


def test_real_office_files_are_recognized():
    assert files.check_bytes(real_docx(), "通知.docx").file_type == "docx"
    assert files.check_bytes(real_xlsx(), "台账.xlsx").file_type == "xlsx"


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "a.pdf", "type"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "a.svg", "type"),
        (b"<?php echo 1; ?>", "a.jpg", "type"),
        (b"MZ\x90\x00", "a.exe", "type"),
        (b"%PDF-1.4", "a.png", "extension"),
        (PNG, "a.pdf", "extension"),
        (PNG, "noextension", "extension"),
        (zipped({"a.txt": b"hello"}), "a.docx", "type"),  # a zip that is not an Office document
        (b"", "a.pdf", "empty"),
    ],
)
def test_refused(data, name, code):
    with pytest.raises(ValidationFailed) as caught:
        files.check_bytes(data, name)
    assert caught.value.fields == {"file": code}
    assert " / " in caught.value.message


def test_macro_documents_are_refused():
    data = zipped(
        {
            "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            "word/document.xml": b"<w/>",
            "word/vbaProject.bin": b"\0" * 10,
        }
    )
    with pytest.raises(ValidationFailed) as caught:
        files.check_bytes(data, "a.docx")
    assert caught.value.fields == {"file": "macro"}


def test_zip_bomb_is_refused():
    bomb = zipped(
        {
            "[Content_Types].xml": b"wordprocessingml.document.main",
            "word/document.xml": b"0" * (files.MAX_UNZIPPED_BYTES + 1),
        }
    )
    assert len(bomb) < files.MAX_BYTES  # small on disk
    with pytest.raises(ValidationFailed) as caught:
        files.check_bytes(bomb, "a.docx")
    assert caught.value.fields == {"file": "zip_bomb"}


def test_too_large():
    with pytest.raises(ValidationFailed) as caught:
        files.check_bytes(b"%PDF-" + b"0" * files.MAX_BYTES, "a.pdf")
    assert caught.value.fields == {"file": "too_large"}


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\通知.pdf", "通知.pdf"),
        ("a\x00b\n.pdf", "ab.pdf"),
        (".hidden.pdf", "hidden.pdf"),
    ],
)
def test_names_are_cleaned(given, shown):
    assert files.clean_name(given) == shown


def test_stored_names_are_uuids(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = files.new_stored_name("pdf")
    files.write(name, b"%PDF-")
    assert (tmp_path / "admissions" / name).read_bytes() == b"%PDF-"
    with pytest.raises(ValueError):
        files.path_for("../../x.pdf")
    with pytest.raises(FileExistsError):
        files.write(name, b"again")
