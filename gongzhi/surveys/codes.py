"""Invitation codes and respondent keys: derived under a key kept outside the database, never stored.

- A code is 10 characters of Crockford's base-32 alphabet (no I, L, O, U), 50 bits, printed as `ABCDE-FGH23`.
  Typing is forgiving: case, spaces and dashes are ignored, O reads as 0 and I/L as 1.
- `derive_code(series, kind, respondent_id, generation)` = the first 50 bits of HMAC-SM3 under the token key.
  The server can print a household's slip again at any time (for the community's own staff, audited) without
  keeping the code; a lost slip is replaced by bumping the generation (the old code stops working).
- The database keeps `code_hash(code)` (another HMAC) for the look-up, and `respondent_key(...)`, the HMAC that
  Participation is unique on. Neither can be turned back into a code or a household without the key. Both are cut
  to their first 128 bits (32 hex digits): ample for uniqueness (a clash among a city's 600,000 has a chance of
  about 2^-88) and half the index size, which is what issuing a city's invitations spends its time on
  (docs/decisions.md D13).
- `Deriver(series, kind)` computes the same three HMACs with the keyed message prefixes set up once, for issuing.

With 600,000 households in one series and 2^50 possible codes, a collision between two live codes has a chance
of about 1 in 6,000 per city-wide issue; issuing detects it (the unique code_hash) and moves the later household
to its next generation.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from functools import lru_cache

import segno

from gongzhi.core import crypto

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_BITS = 5 * LENGTH
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # 10 bits → two characters
_KEY_VERSION = 1  # fixed: codes printed on paper must keep working after the current token key rotates
KEY_HEX = 32  # stored look-up HMACs (code_hash, respondent_key): the first 128 bits, in hex


@lru_cache(maxsize=4)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod="sm3")


def _token_state() -> hmac.HMAC:
    return _keyed(crypto.provider().key("token", _KEY_VERSION))


def _mac(message: str) -> bytes:
    """HMAC-SM3 under the token key (a keyed state copied per call)."""
    state = _token_state().copy()
    state.update(message.encode())
    return state.digest()


def _code_of(digest: bytes) -> str:
    """The first 50 bits, 5 bits a character from the top, in Crockford's alphabet (two characters per table
    look-up: issuing a city runs this 600,000 times)."""
    n = int.from_bytes(digest[:8], "big") >> (64 - _BITS)
    pairs = _PAIRS
    return (
        pairs[n >> 40]
        + pairs[n >> 30 & 1023]
        + pairs[n >> 20 & 1023]
        + pairs[n >> 10 & 1023]
        + pairs[n & 1023]
    )


def _key_of(digest: bytes) -> str:
    return digest[: KEY_HEX // 2].hex()


def derive_code(series: uuid.UUID | str, kind: str, respondent_id: int, generation: int) -> str:
    return _code_of(_mac(f"gongzhi-survey-code|{series}|{kind}|{respondent_id}|{generation}"))


def normalize(typed: str) -> str | None:
    """The code a person typed, in canonical form, or None when it cannot be a code."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -_\t\r\n").translate(_TYPO)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def pretty(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def code_hash(code: str) -> str:
    return _key_of(_mac(f"gongzhi-survey-codehash|{code}"))


def respondent_key(series: uuid.UUID | str, kind: str, respondent_id: int) -> str:
    return _key_of(_mac(f"gongzhi-survey-respondent|{series}|{kind}|{respondent_id}"))


class Deriver:
    """derive_code, code_hash and respondent_key for one series and kind, each message's fixed prefix fed to the
    keyed state once (HMAC is streaming, so the results are the same): issuing a city runs 1.8 million of them."""

    def __init__(self, series: uuid.UUID | str, kind: str) -> None:
        base = _token_state()
        self._code = base.copy()
        self._code.update(f"gongzhi-survey-code|{series}|{kind}|".encode())
        self._respondent = base.copy()
        self._respondent.update(f"gongzhi-survey-respondent|{series}|{kind}|".encode())
        self._hash = base.copy()
        self._hash.update(b"gongzhi-survey-codehash|")

    def code(self, respondent_id: int, generation: int) -> str:
        state = self._code.copy()
        state.update(f"{respondent_id}|{generation}".encode())
        return _code_of(state.digest())

    def code_hash(self, code: str) -> str:
        state = self._hash.copy()
        state.update(code.encode())
        return _key_of(state.digest())

    def respondent_key(self, respondent_id: int) -> str:
        state = self._respondent.copy()
        state.update(str(respondent_id).encode())
        return _key_of(state.digest())


def retry_hash(series: uuid.UUID | str, respondent: str, token: str) -> str:
    """The HMAC of a client's retry token, bound to the respondent (never to the answers)."""
    return _mac(f"gongzhi-survey-retry|{series}|{respondent}|{token}").hex()


@dataclass(frozen=True)
class QrImage:
    """A QR code as one SVG path (dark modules) on a `size` × `size` grid that includes a 2-module margin. The
    template draws it, so no markup is marked safe and no style attribute is needed (strict CSP)."""

    size: int
    path: str


QR_BORDER = 2


def qr(url: str) -> QrImage:
    """The QR code (medium error correction) of a slip's link."""
    matrix = segno.make(url, error="m").matrix
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start + QR_BORDER} {y + QR_BORDER}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return QrImage(size=len(matrix) + 2 * QR_BORDER, path="".join(parts))
