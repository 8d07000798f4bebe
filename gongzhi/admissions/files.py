"""Attachments: what may be uploaded and where the bytes live (security.md IN-4).

The type is decided by the file's content (magic bytes; for docx/xlsx the zip's own parts), and the name's
extension must agree with it: PDF, PNG, JPEG, WebP, docx, xlsx. At most MAX_BYTES each; Office files are opened
as zips with caps on the number of parts and the unzipped size (no zip bombs) and refused when they carry macros.
The bytes are stored under MEDIA_ROOT/admissions/<uuid hex>.<ext>, never under the name the user gave.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from gongzhi.core.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 200  # unzipped / zipped
SUBDIR = "admissions"

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {
    "pdf": {"pdf"},
    "png": {"png"},
    "jpg": {"jpg", "jpeg"},
    "webp": {"webp"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
}
ALLOWED_LABEL = "PDF、PNG、JPEG、WebP、docx、xlsx"


@dataclass(frozen=True)
class Checked:
    file_type: str
    content_type: str
    size: int
    sha256: str
    original_name: str
    data: bytes


def _fail(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": code})


def clean_name(name: str) -> str:
    """The display name: no directories, no control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".") or "file"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot else base[:200]
    return base


def _office_type(data: bytes) -> str | None:
    """'docx' or 'xlsx' for an OOXML package without macros; None for anything else. Raises on zip bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _fail("压缩包内文件过多 / too many parts in the file", "zip_bomb")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES or total > MAX_RATIO * max(len(data), 1):
            raise _fail("文件解压后过大 / the file expands too much when unzipped", "zip_bomb")
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names:
            return None
        try:
            types = archive.read("[Content_Types].xml")
        except (KeyError, zipfile.BadZipFile, RuntimeError, OSError):
            return None
        if (
            b"vbaProject" in types
            or b"macroEnabled" in types
            or any(n.lower().endswith(".bin") for n in names if "vba" in n.lower())
        ):
            raise _fail("不接受含宏的文件 / files with macros are not accepted", "macro")
        if "word/document.xml" in names and b"wordprocessingml.document.main" in types:
            return "docx"
        if "xl/workbook.xml" in names and b"spreadsheetml.sheet.main" in types:
            return "xlsx"
    return None


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return None


def check_upload(upload: UploadedFile) -> Checked:
    """Validate one upload; raises ValidationFailed (422) with a bilingual message."""
    size = upload.size or 0
    if size <= 0:
        raise _fail("文件为空 / the file is empty", "empty")
    if size > MAX_BYTES:
        raise _fail("每个附件不能超过10MB / each attachment must be at most 10 MB", "too_large")
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _fail("每个附件不能超过10MB / each attachment must be at most 10 MB", "too_large")
    return check_bytes(data, upload.name or "")


def check_bytes(data: bytes, name: str) -> Checked:
    if not data:
        raise _fail("文件为空 / the file is empty", "empty")
    if len(data) > MAX_BYTES:
        raise _fail("每个附件不能超过10MB / each attachment must be at most 10 MB", "too_large")
    found = sniff(data)
    if found is None:
        raise _fail(
            f"只接受 {ALLOWED_LABEL} 文件(按文件内容判断) / only {ALLOWED_LABEL} files are accepted "
            "(judged by content)",
            "type",
        )
    display = clean_name(name)
    ext = display.rpartition(".")[2].lower() if "." in display else ""
    if ext not in EXTENSIONS[found]:
        raise _fail(
            f"文件扩展名与内容不符(内容为 {found}) / the file name's extension does not match its content "
            f"({found})",
            "extension",
        )
    return Checked(
        file_type=found,
        content_type=CONTENT_TYPES[found],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=display,
        data=data,
    )


def storage_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / SUBDIR


def new_stored_name(file_type: str) -> str:
    return f"{uuid.uuid4().hex}.{file_type}"


def path_for(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored_name):
        raise ValueError("bad stored name")
    return storage_dir() / stored_name


def write(stored_name: str, data: bytes) -> None:
    directory = storage_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = path_for(stored_name)
    with open(path, "xb") as fh:  # never overwrite
        fh.write(data)
    path.chmod(0o600)


def remove(stored_name: str) -> None:
    path_for(stored_name).unlink(missing_ok=True)
