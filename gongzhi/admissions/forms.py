"""Page forms. They only parse and convert (yuan → fen, ids → objects); every rule lives in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.admissions import queries, services
from gongzhi.admissions.models import (
    AdmittedTask,
    FormFrequency,
    InformalTaskReport,
    Refusal,
    Review,
    TaskRequest,
)
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region


def yuan_to_fen(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class RequestForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("申请部门"), queryset=Organization.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("事项名称"), max_length=200)
    description = forms.CharField(
        label=_("工作内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=8000,
        help_text=_("写明要求社区做什么、怎么做;预审会据此对照社区工作清单。"),
    )
    legal_basis = forms.CharField(
        label=_("法律政策依据"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False
    )
    kind = forms.ChoiceField(label=_("事项类型"), choices=TaskRequest.Kind.choices)
    target = forms.ChoiceField(label=_("实施范围"), choices=TaskRequest.Target.choices, initial="all")
    target_district = forms.ModelChoiceField(
        label=_("区(县)"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("实施范围为某区(县)时填写"),
    )
    target_communities = forms.ModelMultipleChoiceField(
        label=_("指定社区"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("实施范围为指定社区时勾选"),
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput(), required=False)
    hours_per_month = forms.IntegerField(
        label=_("预计每个社区每月工时(小时)"), min_value=0, max_value=744, initial=0
    )
    forms_count = forms.IntegerField(label=_("要求填报的表格数"), min_value=0, max_value=1000, initial=0)
    forms_frequency = forms.ChoiceField(label=_("填报频次"), choices=FormFrequency.choices, initial="none")
    plaques_count = forms.IntegerField(label=_("要求悬挂的牌子数"), min_value=0, max_value=50, initial=0)
    funding_yuan = forms.DecimalField(
        label=_("每个社区每年经费(元)"), min_value=Decimal(0), max_digits=12, decimal_places=2, initial=0
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)

    def __init__(self, *args: Any, departments: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dept_field: Any = self.fields["department"]
        dept_field.queryset = Organization.objects.filter(pk__in=[d.pk for d in departments])
        if len(departments) == 1:
            dept_field.initial = departments[0].pk
        scope: set[int] = set()
        for d in departments:
            scope |= queries.subtree_ids(d.region)
        district_field: Any = self.fields["target_district"]
        district_field.queryset = Region.objects.filter(
            pk__in=scope, kind__in=queries.DISTRICT_KINDS
        ).order_by("code")
        communities_field: Any = self.fields["target_communities"]
        communities_field.queryset = Region.objects.filter(
            pk__in=scope, kind__in=queries.GRASSROOTS
        ).order_by("code")

    def to_data(self) -> services.RequestData:
        d = self.cleaned_data
        return services.RequestData(
            title=d["title"],
            description=d["description"],
            kind=d["kind"],
            starts_on=d["starts_on"],
            ends_on=d.get("ends_on"),
            legal_basis=d.get("legal_basis", ""),
            target=d["target"],
            target_district=d.get("target_district"),
            target_communities=list(d.get("target_communities") or []),
            hours_per_month=d.get("hours_per_month") or 0,
            forms_count=d.get("forms_count") or 0,
            forms_frequency=d["forms_frequency"],
            plaques_count=d.get("plaques_count") or 0,
            funding_fen=yuan_to_fen(d.get("funding_yuan")),
            contact_name=d.get("contact_name", ""),
            contact_phone=d.get("contact_phone", ""),
        )

    @staticmethod
    def initial_for(req: TaskRequest) -> dict[str, Any]:
        return {
            "department": req.department_id,
            "title": req.title,
            "description": req.description,
            "legal_basis": req.legal_basis,
            "kind": req.kind,
            "target": req.target,
            "target_district": req.target_district_id,
            "target_communities": list(req.target_communities.values_list("pk", flat=True)),
            "starts_on": req.starts_on,
            "ends_on": req.ends_on,
            "hours_per_month": req.hours_per_month,
            "forms_count": req.forms_count,
            "forms_frequency": req.forms_frequency,
            "plaques_count": req.plaques_count,
            "funding_yuan": Decimal(req.funding_fen) / 100,
            "contact_name": req.contact_name,
            "contact_phone": req.contact_phone,
        }


class ExamineForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("审查意见"),
        choices=[
            (o.value, o.label) for o in Review.Outcome if o in Review.OUTCOMES_BY_STAGE[Review.Stage.EXAMINE]
        ],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("意见说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("决定"),
        choices=[
            (o.value, o.label) for o in Review.Outcome if o in Review.OUTCOMES_BY_STAGE[Review.Stage.DECIDE]
        ],
        widget=forms.RadioSelect,
    )
    meeting_ref = forms.CharField(
        label=_("会议纪要/文号"), max_length=120, required=False, help_text=_("准入或不予准入时必填")
    )
    comments = forms.CharField(
        label=_("决定说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("附件"), help_text=_("PDF、图片(PNG/JPEG/WebP)、docx、xlsx,每个不超过10MB")
    )


class FundingForm(forms.Form):
    amount_yuan = forms.DecimalField(
        label=_("本次到位金额(元)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )


class RefusalForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none(), empty_label=None)
    reason = forms.ChoiceField(label=_("拒绝理由"), choices=Refusal.Reason.choices, widget=forms.RadioSelect)
    admitted_task = forms.ModelChoiceField(
        label=_("准入事项"),
        queryset=AdmittedTask.objects.none(),
        required=False,
        help_text=_("以“经费未按期到位”或“超出准入范围”拒绝时选择"),
    )
    department = forms.ModelChoiceField(
        label=_("提出要求的部门"),
        queryset=Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True),
        required=False,
        help_text=_("以“未经准入”拒绝时选择"),
    )
    title = forms.CharField(label=_("被拒绝的工作"), max_length=200, required=False)
    details = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    demanded_on = forms.DateField(label=_("部门提出要求的日期"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, tasks: Any, communities: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["admitted_task"]
        field.queryset = tasks
        _limit_communities(self, communities)

    def to_data(self) -> services.RefusalData:
        d = self.cleaned_data
        return services.RefusalData(
            reason=d["reason"],
            details=d["details"],
            title=d.get("title", ""),
            department=d.get("department"),
            admitted_task=d.get("admitted_task"),
            demanded_on=d.get("demanded_on"),
        )


class ReportForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none(), empty_label=None)
    department = forms.ModelChoiceField(
        label=_("布置工作的部门"),
        queryset=Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True),
    )
    title = forms.CharField(label=_("摊派的工作"), max_length=200)
    details = forms.CharField(
        label=_("具体情况"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=8000,
        help_text=_("谁、何时、以什么方式要求社区做什么;证据可在提交后上传。"),
    )
    demanded_on = forms.DateField(label=_("布置日期"), widget=DateInput())
    channel = forms.ChoiceField(label=_("布置方式"), choices=InformalTaskReport.Channel.choices)

    def __init__(self, *args: Any, communities: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_communities(self, communities)

    def to_data(self) -> services.ReportData:
        d = self.cleaned_data
        return services.ReportData(
            department=d["department"],
            title=d["title"],
            details=d["details"],
            demanded_on=d["demanded_on"],
            channel=d["channel"],
        )


class AdvanceReportForm(forms.Form):
    to = forms.ChoiceField(
        label=_("处理"),
        choices=[
            (s.value, s.label) for s in InformalTaskReport.Status if s != InformalTaskReport.Status.SUBMITTED
        ],
    )
    finding = forms.CharField(
        label=_("调查结论"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=8000,
        required=False,
        help_text=_("查实或不予认定时必填,将告知社区和部门"),
    )


def _limit_communities(form: forms.Form, communities: set[int]) -> None:
    field: Any = form.fields["community"]
    field.queryset = Region.objects.filter(pk__in=communities).order_by("code")
    if len(communities) == 1:
        field.initial = next(iter(communities))
