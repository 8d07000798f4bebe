"""Forms of the evaluation pages (labelled fields; the services do the validation that matters)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.evaluations.models import Cycle


class CycleForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=120)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    period = forms.ChoiceField(label=_("周期"), choices=Cycle.Period.choices)
    scope = forms.TypedChoiceField(label=_("范围"), coerce=int)
    ratings_due = forms.DateField(label=_("评分截止日期"), widget=forms.DateInput(attrs={"type": "date"}))


class RatingForm(forms.Form):
    indicator = forms.IntegerField(label=_("指标"))
    subject = forms.IntegerField(label=_("评价对象"))
    score = forms.IntegerField(label=_("评分(0–100)"), min_value=0, max_value=100)
    evidence = forms.CharField(label=_("依据与说明"), required=False, max_length=2000, widget=forms.Textarea)


class AdjustForm(forms.Form):
    value = forms.FloatField(label=_("调整后得分(0–100)"), min_value=0, max_value=100)
    reason = forms.CharField(label=_("调整理由(公开)"), max_length=2000, widget=forms.Textarea)
