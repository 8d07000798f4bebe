"""Password rules of 等保 2.0 (decision D-1): at least 8 characters with 3 of the 4 character classes; 64 allowed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with a message of our own: Django 5.2 changed the message id and its Chinese catalogue has
    not caught up, so the stock message comes out in English on a Chinese page."""

    def get_error_message(self) -> str:
        return _("密码太短,至少需要%(min_length)d个字符。") % {"min_length": self.min_length}


class CharacterClassValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < 3:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少三类。"), code="password_classes"
            )

    def get_help_text(self) -> str:
        return _("至少8位,包含大写字母、小写字母、数字、符号中的至少三类。")


class MaximumLengthValidator:
    max_length = 128

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(_("密码不能超过128个字符。"), code="password_too_long")

    def get_help_text(self) -> str:
        return _("密码不能超过128个字符。")
