"""Evidence files of completion reports. What may be uploaded is decided by the admission mechanism's checks
(gongzhi.admissions.files.check_upload: type by content, size and zip caps, no macros); the bytes are stored under
MEDIA_ROOT/agreements/<uuid hex>.<ext>, never under the name the user gave, and sent back only as a download."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404

from gongzhi.admissions.files import CONTENT_TYPES, Checked

SUBDIR = "agreements"
_NAME_RE = re.compile(r"[0-9a-f]{32}\.[a-z]{3,4}")


def storage_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / SUBDIR


def path_for(stored_name: str) -> Path:
    if not _NAME_RE.fullmatch(stored_name):
        raise ValueError("bad stored name")
    return storage_dir() / stored_name


def store(checked: Checked) -> str:
    """Write the checked bytes under a new random name (never overwriting); returns the name."""
    stored = f"{uuid.uuid4().hex}.{checked.file_type}"
    directory = storage_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = path_for(stored)
    with open(path, "xb") as fh:
        fh.write(checked.data)
    path.chmod(0o600)
    return stored


def remove(stored_name: str) -> None:
    path_for(stored_name).unlink(missing_ok=True)


def response(stored_name: str, file_type: str, download_name: str) -> FileResponse:
    """The stored file as an attachment with nosniff (404 when it is missing)."""
    try:
        path = path_for(stored_name)
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (ValueError, FileNotFoundError) as exc:
        raise Http404("没有佐证材料 / no evidence file") from exc
    resp = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name or f"evidence.{file_type}",
        content_type=CONTENT_TYPES.get(file_type, "application/octet-stream"),
    )
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "no-store"
    return resp
