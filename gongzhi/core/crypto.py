"""国密 primitives: SM3 digests, HMAC-SM3 MACs and blind indexes, SM4-GCM encryption of personal fields.

Keys never live in the database. A key provider hands out versioned keys by purpose; the default reads a JSON file
outside the database (GONGZHI_KEY_FILE). A later HSM or cipher service replaces the provider, not the callers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.utils.module_loading import import_string

PURPOSES = ("pi", "blind_index", "audit", "ledger", "token")
_NONCE = 12
_TAG = 16


class KeyProvider(Protocol):
    def current_version(self, purpose: str) -> int: ...

    def key(self, purpose: str, version: int) -> bytes: ...


class DecryptionError(Exception):
    """The ciphertext does not verify under the key it names (wrong key or altered data)."""


class FileKeyProvider:
    """Keys in a JSON file: {"pi": {"1": "<hex>", ...}, "audit": {...}, ...}; the highest version is current.

    In development the file is created on first use with mode 0600. In production it must already exist.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._keys: dict[str, dict[int, bytes]] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            if getattr(settings, "PRODUCTION", False):
                raise RuntimeError(f"key file {self.path} is missing (see docs/deploy.md)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {p: {"1": secrets.token_hex(16 if p == "pi" else 32)} for p in PURPOSES}
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
        raw = json.loads(self.path.read_text())
        for purpose in PURPOSES:
            versions = raw.get(purpose)
            if not versions:
                raise RuntimeError(f"key file {self.path} has no key for {purpose!r}")
            self._keys[purpose] = {int(v): bytes.fromhex(k) for v, k in versions.items()}

    def current_version(self, purpose: str) -> int:
        return max(self._keys[purpose])

    def key(self, purpose: str, version: int) -> bytes:
        try:
            return self._keys[purpose][version]
        except KeyError as exc:
            raise DecryptionError(f"no {purpose} key version {version}") from exc


@lru_cache(maxsize=1)
def provider() -> KeyProvider:
    cls = import_string(settings.GONGZHI_KEY_PROVIDER)
    return cls(settings.GONGZHI_KEY_FILE)  # type: ignore[no-any-return]


def reset_provider() -> None:
    provider.cache_clear()
    _keyed_sm3.cache_clear()
    _sm4.cache_clear()


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


@lru_cache(maxsize=32)
def _keyed_sm3(key: bytes) -> hmac.HMAC:
    """HMAC-SM3 with the key already absorbed (inner and outer pads hashed once); copied for every message."""
    return hmac.new(key, digestmod="sm3")


@lru_cache(maxsize=32)
def _sm4(key: bytes) -> algorithms.SM4:
    return algorithms.SM4(key)


def hmac_sm3(key: bytes, data: bytes) -> str:
    state = _keyed_sm3(key).copy()
    state.update(data)
    return state.hexdigest()


def mac(purpose: str, data: bytes, version: int | None = None) -> str:
    """HMAC-SM3 under the purpose's key, prefixed by the key version: '1:abcd…'."""
    prov = provider()
    ver = version if version is not None else prov.current_version(purpose)
    return f"{ver}:{hmac_sm3(prov.key(purpose, ver), data)}"


def verify_mac(purpose: str, data: bytes, tagged: str) -> bool:
    ver_s, _, _ = tagged.partition(":")
    try:
        expected = mac(purpose, data, int(ver_s))
    except (ValueError, DecryptionError):
        return False
    return hmac.compare_digest(expected, tagged)


def blind_index(value: str) -> str:
    """Deterministic HMAC-SM3 of a normalized value, for equality look-ups of encrypted fields."""
    prov = provider()
    return hmac_sm3(prov.key("blind_index", 1), value.strip().upper().encode())


def _seal(algorithm: algorithms.SM4, prefix: bytes, aad: bytes, plaintext: str) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    enc = Cipher(algorithm, modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(plaintext.encode()) + enc.finalize()
    return prefix + nonce + body + enc.tag


def encrypt(plaintext: str, *, purpose: str = "pi") -> bytes:
    """SM4-GCM: version (1 byte) | nonce (12) | ciphertext | tag (16). The purpose is bound as associated data."""
    prov = provider()
    ver = prov.current_version(purpose)
    return _seal(_sm4(prov.key(purpose, ver)), bytes([ver]), purpose.encode(), plaintext)


def encrypt_many(plaintexts: Sequence[str], *, purpose: str = "pi") -> list[bytes]:
    """encrypt() of each value (same format, a fresh nonce each), with the key looked up once for all."""
    prov = provider()
    ver = prov.current_version(purpose)
    algorithm, prefix, aad = _sm4(prov.key(purpose, ver)), bytes([ver]), purpose.encode()
    return [_seal(algorithm, prefix, aad, p) for p in plaintexts]


def decrypt(blob: bytes, *, purpose: str = "pi") -> str:
    if len(blob) < 1 + _NONCE + _TAG:
        raise DecryptionError("ciphertext too short")
    ver, nonce, body, tag = blob[0], blob[1 : 1 + _NONCE], blob[1 + _NONCE : -_TAG], blob[-_TAG:]
    try:
        dec = Cipher(_sm4(provider().key(purpose, ver)), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(purpose.encode())
        return (dec.update(body) + dec.finalize()).decode()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("ciphertext does not verify") from exc
