"""Forms of the survey pages. They only parse; every rule is checked again in gongzhi.surveys.services. Answer sheets
are parsed straight from the POST data by `answers_from_post` (the questions decide the fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from gongzhi.orgs.models import Region
from gongzhi.surveys.models import Question, Survey
from gongzhi.surveys.services import QuestionSpec


class DateInput(forms.DateInput):
    input_type = "date"


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    intro = forms.CharField(
        label=_("说明(答卷人会看到)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    purpose = forms.ChoiceField(label=_("用途"), choices=Survey.Purpose.choices)
    closes_on = forms.DateField(label=_("计划截止日期"), required=False, widget=DateInput)


class SurveyCreateForm(SurveyForm):
    scope = forms.ModelChoiceField(label=_("调查范围"), queryset=Region.objects.none(), empty_label=None)
    respondents = forms.ChoiceField(label=_("答卷对象"), choices=Survey.Respondents.choices)

    def __init__(self, *args: Any, scopes: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = scopes  # type: ignore[attr-defined]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("题型"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("题目"), max_length=300)
    help = forms.CharField(label=_("提示(可空)"), max_length=300, required=False)
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)
    options = forms.CharField(
        label=_("选项(选择题用,每行一个)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    low_label = forms.CharField(label=_("1分含义(可空,默认“很不满意”)"), max_length=20, required=False)
    high_label = forms.CharField(label=_("5分含义(可空,默认“很满意”)"), max_length=20, required=False)
    key = forms.SlugField(
        label=_("标识(可空;跨版本不变,供评估引用,如 overall)"), max_length=40, required=False
    )

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        return QuestionSpec(
            kind=data["kind"],
            text=data["text"],
            help=data["help"],
            required=data["required"],
            options=[line.strip() for line in data["options"].splitlines() if line.strip()],
            low_label=data["low_label"],
            high_label=data["high_label"],
            key=data["key"],
        )

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        return {
            "kind": question.kind,
            "text": question.text,
            "help": question.help,
            "required": question.required,
            "options": "\n".join(question.options),
            "low_label": question.low_label,
            "high_label": question.high_label,
            "key": question.key,
        }


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("邀请码(10位,印在入户发放的邀请单上)"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
            }
        ),
    )


class IssueForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("社区"), queryset=Region.objects.none(), required=False, empty_label=_("范围内全部社区")
    )

    def __init__(self, *args: Any, communities: QuerySet[Region], allow_all: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        field.queryset = communities  # type: ignore[attr-defined]
        if not allow_all:
            field.required = True
            field.empty_label = None  # type: ignore[attr-defined]


class CommunityForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none(), empty_label=None)

    def __init__(self, *args: Any, communities: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]


def answers_from_post(survey: Survey, data: QueryDict) -> dict[str, Any]:
    """{question id: value} from an answer form: q<id> fields; several values for a multiple-choice question."""
    raw: dict[str, Any] = {}
    for q in survey.questions.all():
        name = f"q{q.pk}"
        if q.kind == Question.Kind.MULTIPLE:
            values = data.getlist(name)
            if values:
                raw[str(q.pk)] = values
        elif name in data:
            raw[str(q.pk)] = data.get(name, "")
    return raw
