"""Demo data (idempotent): the approval office's city-wide residents' satisfaction survey, open, with invitations
issued to the households of 铜霞社区 — so that `demo-resident` can answer it on the phone page (/s/<code>/) with
the code of its household, and the evaluations demo links it to the residents' satisfaction indicator.

The codes are stored only as HMACs; the code of demo-resident's household is derived here (as the community's
slips would print it) and shown in the load summary.
"""

from __future__ import annotations

from django.utils import timezone

from gongzhi.agreements.demo import start_date
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region, Resident
from gongzhi.surveys import codes, services
from gongzhi.surveys.models import Invitation, Question, Survey
from gongzhi.surveys.services import QuestionSpec

COMMUNITY = "铜霞社区"
QUESTIONS = (
    QuestionSpec(kind=Question.Kind.SCALE, text="您对本社区工作总体满意吗?", key="overall"),
    QuestionSpec(kind=Question.Kind.SCALE, text="到社区办事方便吗?", key="service"),
    QuestionSpec(kind=Question.Kind.TEXT, text="其他意见和建议", required=False),
)


def title() -> str:
    """Named for the year the evaluations demo's cycle rates (the year the demo's tasks and agreement run)."""
    return f"{start_date(timezone.localdate()).year}年度居民满意度调查(示例)"


def resident_code(survey: Survey) -> str:
    """The code on the slip of demo-resident's household ('' when it has none)."""
    record = Resident.objects.filter(user__username="demo-resident").first()
    if record is None:
        return ""
    key = codes.respondent_key(survey.series, survey.respondents, record.household_id)
    invitation = Invitation.objects.filter(series=survey.series, respondent_key=key).first()
    if invitation is None:
        return ""
    return codes.derive_code(survey.series, survey.respondents, record.household_id, invitation.generation)


def load(*, actor: User | None) -> dict[str, int | str]:
    office_user = User.objects.filter(username="demo-office").first()
    office = Organization.objects.filter(
        kind=OrgKind.APPROVAL_AUTHORITY, memberships__user=office_user, memberships__revoked_at__isnull=True
    ).first()
    community = Region.objects.filter(name=COMMUNITY, kind=Region.Kind.COMMUNITY).first()
    if office_user is None or office is None or community is None:
        return {"surveys": Survey.objects.count()}  # the Tongling demo is not loaded
    survey = Survey.objects.filter(scope=office.region, title=title()).order_by("-version").first()
    if survey is None:
        survey = services.create_survey(
            actor=office_user,
            scope=office.region,
            title=title(),
            intro="请您对所在社区过去一年的工作作出评价。本问卷匿名,每户一份(示例数据)。",
            purpose=Survey.Purpose.SATISFACTION,
            respondents=Survey.Respondents.HOUSEHOLDS,
            questions=QUESTIONS,
            is_sample=True,
        )
    if survey.status == Survey.Status.DRAFT:
        survey = services.open_survey(actor=office_user, survey=survey)
    if survey.status == Survey.Status.OPEN:
        services.issue_invitations(actor=office_user, survey=survey, community=community)
    return {"surveys": Survey.objects.count(), "demo-resident code": codes.pretty(resident_code(survey))}
