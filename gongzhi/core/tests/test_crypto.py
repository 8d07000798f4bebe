import hashlib
import json

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.db import connection

from gongzhi.core import crypto
from gongzhi.core.crypto import DecryptionError, FileKeyProvider


def test_sm3_known_answer():
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm4_known_answer_gbt32907():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (enc.update(key) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_encrypt_roundtrip_and_tamper_detected():
    blob = crypto.encrypt("13800138000")
    assert b"13800138000" not in blob
    assert crypto.decrypt(blob) == "13800138000"
    assert crypto.encrypt("13800138000") != blob  # fresh nonce every time
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError):
        crypto.decrypt(tampered)
    with pytest.raises(DecryptionError):
        crypto.decrypt(blob, purpose="ledger")  # purpose is bound as associated data


def test_wrong_key_fails_the_tag(tmp_path):
    from django.test import override_settings

    blob = crypto.encrypt("secret")
    try:
        with override_settings(GONGZHI_KEY_FILE=str(tmp_path / "keys.json")):
            crypto.reset_provider()
            with pytest.raises(DecryptionError):
                crypto.decrypt(blob)
    finally:
        crypto.reset_provider()
    assert crypto.decrypt(blob) == "secret"


def test_key_versions_and_rotation(tmp_path):
    path = tmp_path / "k.json"
    keys = {p: {"1": "11" * 16} for p in crypto.PURPOSES}
    keys["pi"]["2"] = "22" * 16
    path.write_text(json.dumps(keys))
    prov = FileKeyProvider(path)
    assert prov.current_version("pi") == 2
    assert prov.key("pi", 1) == bytes.fromhex("11" * 16)
    with pytest.raises(DecryptionError):
        prov.key("pi", 9)


def test_missing_purpose_in_key_file_is_an_error(tmp_path):
    path = tmp_path / "k.json"
    path.write_text(json.dumps({"pi": {"1": "00" * 16}}))
    with pytest.raises(RuntimeError, match="no key"):
        FileKeyProvider(path)


def test_mac_and_blind_index():
    tagged = crypto.mac("audit", b"row")
    assert tagged.startswith("1:")
    assert crypto.verify_mac("audit", b"row", tagged)
    assert not crypto.verify_mac("audit", b"row2", tagged)
    assert not crypto.verify_mac("audit", b"row", "x:abc")
    assert crypto.blind_index(" 11010519491231002x ") == crypto.blind_index("11010519491231002X")
    assert crypto.blind_index("13800138000") != hashlib.new("sm3", b"13800138000").hexdigest()


def test_database_stores_no_plaintext_phone(city):
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM orgs_resident")
        raw = [bytes(r[0]) for r in cur.fetchall() if r[0] is not None]
    assert raw
    assert all(b"13800138000" not in blob and b"13900139000" not in blob for blob in raw)
