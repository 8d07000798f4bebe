"""Forms of the funds pages. Amounts are typed in yuan with at most two decimals and turned into integer fen here;
a hidden one-time token makes a double-submitted form fund only once (it becomes the transfer's unique ref)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from gongzhi.funds.services import MAX_AMOUNT, MAX_YEAR, MIN_YEAR
from gongzhi.orgs.models import Organization


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class YuanField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=13,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=Decimal(MAX_AMOUNT) / 100,
            **kwargs,
        )
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class FundForm(forms.Form):
    amount = YuanField(label=_("金额(元)"), help_text=_("下达到本预算的金额,最多两位小数"))
    memo = forms.CharField(label=_("摘要"), max_length=200, help_text=_("如预算批复文号"))
    token = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$")],
        error_messages={"required": _("表单已失效,请重新打开页面")},
    )

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(16)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=150, help_text=_("如“重复支付”“金额录错”"))


class OpenBudgetForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=_("部门"), empty_label=None
    )
    year = forms.IntegerField(label=_("预算年度"), min_value=MIN_YEAR, max_value=MAX_YEAR)

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class TotalsFilter(forms.Form):
    year = forms.IntegerField(label=_("预算年度"), min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)
