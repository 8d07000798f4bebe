"""Forms of the clean-up pages. They only parse and check shapes; every rule lives in services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.admissions.models import TaskRequest
from gongzhi.cleanup.models import AllowedPlaque, Campaign, CarriedTask, Placement, PlaqueReview
from gongzhi.cleanup.queries import admitted_plaque_requests
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region


class CampaignForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Campaign.Kind.choices)
    title = forms.CharField(label=_("名称"), max_length=120)
    scope = forms.ModelChoiceField(label=_("范围"), queryset=Region.objects.none())
    doc_number = forms.CharField(label=_("文号"), max_length=80, required=False)
    basis = forms.CharField(label=_("依据"), max_length=300, required=False)
    starts_on = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("完成期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, scopes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope_field = self.fields["scope"]
        assert isinstance(scope_field, forms.ModelChoiceField)
        scope_field.queryset = scopes


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Campaign.Status.choices)
    reason = forms.CharField(label=_("理由"), max_length=300, required=False)


class PlaqueForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none())
    name = forms.CharField(label=_("牌子名称"), max_length=100)
    placement = forms.ChoiceField(label=_("位置"), choices=Placement.choices, widget=forms.RadioSelect)
    issuer = forms.ModelChoiceField(
        label=_("挂牌部门"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("(系统外单位,在下面填写)"),
    )
    issuer_name = forms.CharField(label=_("挂牌单位(系统外)"), max_length=100, required=False)
    placed_on = forms.DateField(
        label=_("挂牌日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    basis = forms.CharField(label=_("挂牌依据"), max_length=300, required=False)
    task_request = forms.ModelChoiceField(
        label=_("准入申请(经准入新挂的牌子)"),
        queryset=TaskRequest.objects.none(),
        required=False,
        empty_label=_("(无:清理前已有的牌子)"),
    )
    photo = forms.FileField(
        label=_("照片(JPEG/PNG/WebP,不超过10MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community_field = self.fields["community"]
        issuer_field = self.fields["issuer"]
        assert isinstance(community_field, forms.ModelChoiceField)
        assert isinstance(issuer_field, forms.ModelChoiceField)
        community_field.queryset = communities
        issuer_field.queryset = Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).order_by(
            "name"
        )
        request_field = self.fields["task_request"]
        assert isinstance(request_field, forms.ModelChoiceField)
        request_field.queryset = admitted_plaque_requests(communities)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("照片(JPEG/PNG/WebP,不超过10MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class PlaqueDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("决定"), choices=PlaqueReview.Decision.choices)
    reason = forms.CharField(label=_("理由"), max_length=300, required=False)


class TaskForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none())
    title = forms.CharField(label=_("事项名称"), max_length=200)
    department = forms.ModelChoiceField(
        label=_("交办部门"), queryset=Organization.objects.none(), required=False, empty_label=_("(不清楚)")
    )
    description = forms.CharField(
        label=_("内容说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    basis = forms.CharField(label=_("依据"), max_length=300, required=False)
    forms_per_month = forms.IntegerField(label=_("每月报表(份)"), min_value=0, max_value=1000, initial=0)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community_field = self.fields["community"]
        department_field = self.fields["department"]
        assert isinstance(community_field, forms.ModelChoiceField)
        assert isinstance(department_field, forms.ModelChoiceField)
        community_field.queryset = communities
        department_field.queryset = Organization.objects.filter(
            kind=OrgKind.DEPARTMENT, is_active=True
        ).order_by("name")


class ImportForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none())
    workbook = forms.FileField(
        label=_("xlsx 工作簿"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community_field = self.fields["community"]
        assert isinstance(community_field, forms.ModelChoiceField)
        community_field.queryset = communities


class TaskDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("处理方式"), choices=CarriedTask.Decision.choices)
    transfer_to = forms.ModelChoiceField(
        label=_("承接机构(转交时)"), queryset=Organization.objects.none(), required=False
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, task: CarriedTask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["transfer_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organization.objects.filter(is_active=True).filter(
            kind=OrgKind.SOCIAL_ORG
        ) | Organization.objects.filter(
            is_active=True, kind=OrgKind.SERVICE_CENTRE, region_id=task.community_id
        )


class AllowedPlaqueForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=80)
    placement = forms.ChoiceField(
        label=_("位置"), choices=[("", _("不限")), *Placement.choices], required=False
    )
    kind = forms.ChoiceField(label=_("类别"), choices=AllowedPlaque.Kind.choices)
    keywords = forms.CharField(label=_("关键词(用“、”分隔)"), max_length=300, required=False)
    source = forms.CharField(label=_("依据"), max_length=300, required=False)


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    assumed = forms.BooleanField(label=_("暂定(国务院办公厅通知尚未公布)"), required=False)
    source = forms.CharField(label=_("依据(通知文号)"), max_length=200, required=False)
    holidays = forms.CharField(
        label=_("放假的工作日(每行一天:日期 节日名,如 2027-01-01 元旦)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    workdays = forms.CharField(
        label=_("调休上班的周末(每行一天:日期 说明,如 2027-02-20 春节调休)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def _days(self, name: str) -> list[tuple[date, str]]:
        days: list[tuple[date, str]] = []
        for number, line in enumerate(str(self.cleaned_data.get(name) or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            text, _sep, label = line.partition(" ")
            try:
                day = date.fromisoformat(text.strip())
            except ValueError as exc:
                raise forms.ValidationError(
                    _("第%(n)d行的日期无法识别(应为 YYYY-MM-DD) / line %(n)d: date must be YYYY-MM-DD")
                    % {"n": number}
                ) from exc
            days.append((day, label.strip()[:40]))
        return days

    def clean_holidays(self) -> list[tuple[date, str]]:
        return self._days("holidays")

    def clean_workdays(self) -> list[tuple[date, str]]:
        return self._days("workdays")
