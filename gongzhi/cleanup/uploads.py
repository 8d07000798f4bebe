"""Photo uploads (plaques and removal confirmations): the type is decided by the file's content, never by its name
or the browser's claim; at most 10 MB; stored under a random UUID (models.photo_path)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from gongzhi.core.errors import ValidationFailed

MAX_PHOTO_BYTES = 10 * 1024 * 1024

# (magic test, MIME type, extension)
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", ".png"),
)


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of a JPEG, PNG or WebP image from its first bytes, or None."""
    for magic, offset, mime, ext in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime, ext
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_photo(upload: UploadedFile, *, field: str = "photo") -> tuple[str, str]:
    """Validate an uploaded photo; returns (MIME type, extension) or raises ValidationFailed (422)."""
    size = upload.size or 0
    if size <= 0:
        raise ValidationFailed("照片是空文件 / the photo is empty", fields={field: "empty"})
    if size > MAX_PHOTO_BYTES:
        raise ValidationFailed(
            "照片不能超过10MB / the photo must be at most 10 MB", fields={field: "too_large"}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff_image(head)
    if found is None:
        raise ValidationFailed(
            "照片须为 JPEG、PNG 或 WebP 图片 / the photo must be a JPEG, PNG or WebP image",
            fields={field: "type"},
        )
    return found


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def photo_response(file: FieldFile, content_type: str, stem: str) -> FileResponse:
    """Send a stored photo as a download (attachment, nosniff, not cached); 404 when there is none."""
    if not file:
        raise Http404("没有照片 / no photo")
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("没有照片 / no photo") from exc
    name = stem + EXTENSIONS.get(content_type, "")
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type=content_type or "application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response
