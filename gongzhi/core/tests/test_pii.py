import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core import pii


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_valid_mobiles_accepted(number):
    assert pii.is_mobile(number)
    pii.validate_mobile(number)


@given(st.text(max_size=15))
def test_mobile_validator_never_crashes_and_agrees_with_regex(text):
    expected = bool(pii.MOBILE_RE.fullmatch(pii.normalize_phone(text)))
    assert pii.is_mobile(text) is expected


@pytest.mark.parametrize("bad", ["12800138000", "1380013800", "138001380000", "abc", "", "23800138000"])
def test_bad_mobiles_refused(bad):
    with pytest.raises(ValidationError):
        pii.validate_mobile(bad)


@given(st.from_regex(r"[1-6]\d{16}", fullmatch=True))
def test_id_check_digit_roundtrip(first17):
    full = first17 + pii.id_check_digit(first17)
    assert pii.is_id_number(full)
    wrong = "0" if full[-1] != "0" else "1"
    assert not pii.is_id_number(full[:-1] + wrong)


def test_known_id_numbers():
    assert pii.is_id_number("11010519491231002X")
    assert pii.is_id_number("11010519491231002x")  # normalized
    assert not pii.is_id_number("110105194912310021")
    with pytest.raises(ValidationError):
        pii.validate_id_number("12345")


def test_masking():
    assert pii.mask_phone("13800138000") == "138****8000"
    assert pii.mask_id("11010519491231002X") == "**************002X"
    assert pii.mask_phone(None) == ""
    assert pii.mask_id("") == ""
