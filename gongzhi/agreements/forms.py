"""Forms of the agreement pages. They parse and check shapes (money in yuan with two decimals → integer fen, the
schedule's lines); every rule lives in services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gongzhi.agreements.models import Anchor, Kind
from gongzhi.orgs.models import Organization, Region

MAX_YUAN = Decimal("10000000000.00")


def yuan_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=MAX_YUAN,
        max_digits=13,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_exact())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


_ANCHORS = {
    "signing": "signing",
    "生效": "signing",
    "签约": "signing",
    "year_end": "year_end",
    "年末": "year_end",
    "评估后": "year_end",
}


def parse_schedule(text: str) -> list[dict[str, Any]]:
    """One instalment per line: `名称 | 比例 | 起算(生效/年末) | 天数`, e.g. `协议生效后预拨 | 60 | 生效 | 15`."""
    rows: list[dict[str, Any]] = []
    for n, raw in enumerate(text.replace("｜", "|").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4:
            raise ValidationError(
                _(
                    "第%(n)s行须为“名称 | 比例 | 起算(生效/年末) | 天数” / line %(n)s: label | percent | anchor | days"
                )
                % {"n": n}
            )
        label, percent, anchor, days = parts
        if anchor not in _ANCHORS:
            raise ValidationError(
                _(
                    "第%(n)s行的起算点须为“生效”或“年末” / line %(n)s: the anchor is 生效 (signing) or 年末 (year end)"
                )
                % {"n": n}
            )
        try:
            pct, d = int(percent.rstrip("%")), int(days)
        except ValueError as exc:
            raise ValidationError(
                _("第%(n)s行的比例和天数须为整数 / line %(n)s: percent and days are whole numbers") % {"n": n}
            ) from exc
        rows.append({"label": label, "percent": pct, "anchor": _ANCHORS[anchor], "days": d})
    return rows


def format_schedule(schedule: list[dict[str, Any]]) -> str:
    words = {"signing": "生效", "year_end": "年末"}
    return "\n".join(
        f"{r['label']} | {r['percent']} | {words.get(str(r['anchor']), r['anchor'])} | {r['days']}"
        for r in schedule
    )


class ScheduleField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("支付安排(每行一期:名称 | 比例% | 起算:生效/年末 | 天数)"))
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[dict[str, Any]]:
        text = super().clean(value)
        return parse_schedule(text)


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class CreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("协议类型"), choices=Kind.choices)
    department = forms.ModelChoiceField(label=_("甲方(部门)"), queryset=Organization.objects.none())
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none())
    party = forms.ModelChoiceField(
        label=_("承接方(仅政府购买服务)"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("(委托协议:社区居委会)"),
    )
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, departments: Any, communities: Any, providers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, qs in (("department", departments), ("community", communities), ("party", providers)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = qs


class TermsForm(forms.Form):
    contact_name = forms.CharField(label=_("甲方联系人"), max_length=60)
    contact_phone = forms.CharField(label=_("联系电话(办公)"), max_length=30, required=False)
    trainings_per_year = forms.IntegerField(label=_("每年业务培训(次)"), min_value=0, max_value=366)
    visits_per_year = forms.IntegerField(label=_("每年实地指导(次)"), min_value=0, max_value=366)
    guidance_notes = forms.CharField(
        label=_("其他行政指导"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evaluation_method = forms.CharField(
        label=_("履约评估方式"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    liability_department = forms.CharField(
        label=_("甲方违约责任"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    liability_party = forms.CharField(
        label=_("乙方违约责任"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_on = forms.DateField(label=_("协议期限自"), widget=_date_widget())
    ends_on = forms.DateField(label=_("协议期限至"), widget=_date_widget())
    schedule = ScheduleField()


class ItemForm(forms.Form):
    requirements = forms.CharField(
        label=_("工作要求"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    standards = forms.CharField(
        label=_("工作标准"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    amount = yuan_field(_("经费(元)"))


class ServiceItemForm(ItemForm):
    title = forms.CharField(label=_("服务项目"), max_length=200)
    field_order = ("title", "requirements", "standards", "amount")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DepartmentSignForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirm = forms.BooleanField(label=_("我已阅读上述协议文本,代表甲方签署"))


class PartySignForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    meeting_date = forms.DateField(label=_("通过协议的会议日期"), widget=_date_widget())
    minutes_no = forms.CharField(label=_("会议纪要编号"), max_length=60)
    confirm = forms.BooleanField(label=_("协议已经会议讨论通过,我代表乙方签署"))


class PayForm(forms.Form):
    amount = yuan_field(_("支付金额(元)"))
    note = forms.CharField(label=_("摘要"), max_length=200, required=False)


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("终止理由"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    settlement = yuan_field(_("结算金额(元,含已支付)"))


class CompletionForm(forms.Form):
    summary = forms.CharField(label=_("完成情况"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("佐证材料(PDF、图片、docx、xlsx,不超过10MB,可选)"), required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("意见"),
        choices=(("confirm", _("确认完成")), ("dispute", _("有异议"))),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明(有异议时必填)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("认定"),
        choices=(("complete", _("已完成")), ("incomplete", _("未完成"))),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("认定意见"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class RefuseForm(forms.Form):
    details = forms.CharField(
        label=_("补充说明(可选)"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class TemplateForm(forms.Form):
    region = forms.ModelChoiceField(label=_("适用范围"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("协议类型"), choices=Kind.choices)
    title = forms.CharField(label=_("协议标题"), max_length=120)
    body = forms.CharField(
        label=_("协议正文(可用变量,如 {{tasks}})"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    schedule = ScheduleField()
    evaluation_method = forms.CharField(
        label=_("履约评估方式"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    liability_department = forms.CharField(
        label=_("甲方违约责任"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    liability_party = forms.CharField(
        label=_("乙方违约责任"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    trainings_per_year = forms.IntegerField(label=_("每年业务培训(次)"), min_value=0, max_value=366)
    visits_per_year = forms.IntegerField(label=_("每年实地指导(次)"), min_value=0, max_value=366)

    def __init__(self, *args: Any, regions: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions
        if editing:  # the region, year and kind of a template are fixed once it exists
            for name in ("region", "year", "kind"):
                del self.fields[name]


ANCHOR_LABELS = dict(Anchor.choices)
