"""Forms for the list pages. They only parse input; the services validate again and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.core.roles import OrgKind
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.duties.services import EditionData, ItemData
from gongzhi.duties.workbook import MAX_BYTES
from gongzhi.orgs.models import Organization, Region


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class EditionForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    doc_number = forms.CharField(label=_("文号"), max_length=80, required=False)
    issuing_body = forms.CharField(label=_("发布机关"), max_length=120, required=False)
    approved_on = forms.DateField(label=_("批准日期"), required=False, widget=DateInput())
    effective_from = forms.DateField(
        label=_("生效日期"), required=False, widget=DateInput(), help_text=_("发布前必须填写")
    )
    effective_to = forms.DateField(label=_("失效日期"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("说明"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_sample = forms.BooleanField(label=_("示例数据"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", _("失效日期不能早于生效日期"))
        return data

    def edition_data(self) -> EditionData:
        d = self.cleaned_data
        return EditionData(
            title=d["title"],
            doc_number=d["doc_number"],
            issuing_body=d["issuing_body"],
            approved_on=d["approved_on"],
            effective_from=d["effective_from"],
            effective_to=d["effective_to"],
            note=d["note"],
            is_sample=d["is_sample"],
        )

    @classmethod
    def initial_for(cls, edition: ListEdition) -> dict[str, Any]:
        return {name: getattr(edition, name) for name in ListEdition.EDITABLE_FIELDS}


class NewEditionForm(EditionForm):
    scope = forms.ModelChoiceField(label=_("适用范围"), queryset=Region.objects.none(), empty_label=None)
    field_order = ["scope"]

    def __init__(self, *args: Any, scopes: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["scope"]
        field.queryset = Region.objects.filter(pk__in=[r.pk for r in scopes]).order_by("code")


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=ListItem.Kind.choices)
    code = forms.CharField(label=_("编码"), max_length=32, help_text=_("字母、数字、点、横线,本版内不重复"))
    title = forms.CharField(label=_("事项名称"), max_length=200)
    category = forms.CharField(label=_("分类"), max_length=40, required=False)
    description = forms.CharField(
        label=_("内容说明"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.CharField(
        label=_("法律依据"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    department = forms.ModelChoiceField(
        label=_("责任部门"),
        queryset=Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).order_by("name"),
        required=False,
        help_text=_("只用于协助政府工作事项和部门权力清单事项"),
    )
    funding_yuan = forms.DecimalField(
        label=_("每个社区年度经费标准(元)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text=_("只用于协助政府工作事项(费随事转)"),
    )
    keywords = forms.CharField(
        label=_("同义词/关键词"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("用“、”分隔,帮助搜索和任务比对"),
    )
    source = forms.CharField(label=_("来源"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def item_data(self) -> ItemData:
        d = self.cleaned_data
        yuan: Decimal | None = d.get("funding_yuan")
        return ItemData(
            kind=d["kind"],
            code=d["code"].strip(),
            title=d["title"],
            category=d["category"],
            description=d["description"],
            legal_basis=d["legal_basis"],
            department=d["department"],
            funding_fen=int(yuan * 100) if yuan else 0,
            keywords=d["keywords"],
            source=d["source"],
        )

    @classmethod
    def initial_for(cls, item: ListItem) -> dict[str, Any]:
        return {
            "kind": item.kind,
            "code": item.code,
            "title": item.title,
            "category": item.category,
            "description": item.description,
            "legal_basis": item.legal_basis,
            "department": item.department_id,
            "funding_yuan": Decimal(item.funding_fen) / 100 if item.funding_fen else None,
            "keywords": item.keywords,
            "source": item.source,
        }


class WorkbookForm(forms.Form):
    workbook = forms.FileField(label=_("清单工作簿(.xlsx)"), help_text=_("先下载模板填写;最大5MB"))

    def clean_workbook(self) -> bytes:
        upload = self.cleaned_data["workbook"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("只接受 .xlsx 工作簿"))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("文件超过5MB"))
        data: bytes = upload.read()
        return data


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("这件事是不是居委会的工作?"),
        max_length=200,
        required=False,
        help_text=_("输入事项或任务,例如“开具无犯罪记录证明”“低保入户调查”"),
    )
    community = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput())
