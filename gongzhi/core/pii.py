"""Personal information: validation (mainland mobile numbers, GB 11643 ID numbers) and masking for display."""

from __future__ import annotations

import re
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalize_phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.fullmatch(normalize_phone(value)))


def validate_mobile(value: str) -> None:
    if not is_mobile(value):
        raise ValidationError(
            _("请输入有效的11位中国大陆手机号码 / Enter a valid 11-digit mainland mobile number")
        )


def id_check_digit(first17: str) -> str:
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError("the check digit is computed over the first 17 digits")
    # sum(int(d) * w) over the digits, without a generator frame per digit (this runs for every resident).
    total = sum(map(mul, map(int, first17), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def normalize_id(value: str) -> str:
    return (value or "").strip().upper()


def is_id_number(value: str) -> bool:
    value = normalize_id(value)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    return id_check_digit(value[:17]) == value[17]


def validate_id_number(value: str) -> None:
    if not is_id_number(value):
        raise ValidationError(
            _(
                "身份证号码无效：须为18位且校验码正确(GB 11643) / Invalid ID number (18 characters, GB 11643 check digit)"
            )
        )


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"


def mask_id(value: str | None) -> str:
    if not value:
        return ""
    return "*" * (len(value) - 4) + value[-4:]
