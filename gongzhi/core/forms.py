"""Forms for signing in and changing one's password. They parse and check input; writes go through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import User


class SignInForm(AuthenticationForm):
    """Username or mainland mobile number, and password. `authenticate()` gets the request (django-axes needs it).

    One message for every refusal: a wrong password, an unknown name and an inactive account look the same."""

    username = forms.CharField(
        label=_("用户名或手机号"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("用户名(或手机号)或密码不正确。请注意,连续输错5次将锁定30分钟。"),
        "inactive": _("用户名(或手机号)或密码不正确。请注意,连续输错5次将锁定30分钟。"),
    }

    def credentials_tried(self) -> bool:
        """Whether the form got as far as asking the authentication backends (both fields were filled in)."""
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("username")) and bool(data.get("password"))


class PasswordChangeForm(forms.Form):
    """The current password, and the new one twice. The password rules are checked by the service."""

    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(str(t) for t in password_validators_help_texts())
        self.fields["new_password1"].widget.attrs["aria-describedby"] = "id_new_password1-help"

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError(_("当前密码不正确。"), code="password_incorrect")
        return old

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        if one and data.get("old_password") and one == data.get("old_password"):
            self.add_error("new_password1", _("新密码不能与当前密码相同。"))
        return data
