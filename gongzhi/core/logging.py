"""Logging helpers: the JSON-lines formatter (LG-2) and the filter that keeps survey invitation codes out of logs.

Invitation codes are bearer secrets. The answering pages keep them out of URLs (the QR link's code is swapped for a
signed cookie at once, docs/surveys.md), but the first request of a scanned slip still carries one in its path, and
so does any mistyped or stale link: Django's request logger writes the path of every 4xx ("Not Found: /s/…/"), and
runserver writes every request line. `MaskSurveyCodes` is the second line of defence: it replaces whatever follows
`/s/` in a logged message (and any `code=` query parameter) with `[code]`.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

MASK = "[code]"
_CODE_IN_PATH = re.compile(r"(/s/)(?!answer/)(?!\[code\])[^/?#\s\"'<>]+")
_CODE_PARAM = re.compile(r"([?&]code=)[^&#\s\"'<>]+", re.IGNORECASE)


def mask_codes(text: str) -> str:
    """`text` with the path segment after `/s/` (except the code-less `/s/answer/`) and `code=` values masked."""
    return _CODE_PARAM.sub(rf"\g<1>{MASK}", _CODE_IN_PATH.sub(rf"\g<1>{MASK}", text))


class MaskSurveyCodes(logging.Filter):
    """Masks survey codes in a record's message (formatted with its arguments); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record as it is for the handler to report
            return True
        masked = mask_codes(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
