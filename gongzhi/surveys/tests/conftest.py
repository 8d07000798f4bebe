"""Fixtures of the survey tests: a satisfaction questionnaire over 铜霞社区 (and one over the whole city), more
households, and helpers to answer."""

from __future__ import annotations

from typing import Any

import pytest

from gongzhi.orgs import services as org_services
from gongzhi.orgs.models import Household
from gongzhi.surveys import codes, services
from gongzhi.surveys.models import Invitation, Question, Survey
from gongzhi.surveys.services import QuestionSpec

QUESTIONS = [
    QuestionSpec(kind=Question.Kind.SCALE, text="您对社区工作总体满意吗?", key="overall"),
    QuestionSpec(kind=Question.Kind.SCALE, text="社区办事方便吗?", key="service"),
    QuestionSpec(kind=Question.Kind.SINGLE, text="您多久来一次社区?", options=["每周", "每月", "很少"]),
    QuestionSpec(
        kind=Question.Kind.MULTIPLE,
        text="最希望改进哪些方面?",
        options=["环境", "停车", "养老"],
        required=False,
    ),
    QuestionSpec(kind=Question.Kind.TEXT, text="其他意见", required=False),
]


def add_households(estate: Any, n: int, prefix: str = "9") -> list[Household]:
    return [
        org_services.create_household(actor=None, estate=estate, address=f"{prefix}-{i // 10 + 1}-{i:03d}")
        for i in range(n)
    ]


@pytest.fixture
def survey(city, community_staff) -> Survey:
    """An open community survey of 铜霞社区, made by its staff."""
    s = services.create_survey(
        actor=community_staff,
        scope=city.tongxia,
        title="2026年居民满意度调查",
        purpose=Survey.Purpose.SATISFACTION,
        questions=QUESTIONS,
    )
    return services.open_survey(actor=community_staff, survey=s)


@pytest.fixture
def draft(city, community_staff) -> Survey:
    return services.create_survey(
        actor=community_staff, scope=city.tongxia, title="草稿问卷", questions=QUESTIONS[:2]
    )


@pytest.fixture
def city_survey(city, approval_officer) -> Survey:
    """An open city-wide survey run by the approval office."""
    s = services.create_survey(
        actor=approval_officer, scope=city.city, title="全市居民满意度调查", questions=QUESTIONS
    )
    return services.open_survey(actor=approval_officer, survey=s)


def code_for(survey: Survey, household: Household) -> str:
    """The code printed on a household's slip (issues the invitation if needed)."""
    key = codes.respondent_key(survey.series, survey.respondents, household.pk)
    invitation = Invitation.objects.filter(series=survey.series, respondent_key=key).first()
    if invitation is None:
        services.issue_invitations(actor=None, survey=survey, community=household.community)
        invitation = Invitation.objects.get(series=survey.series, respondent_key=key)
    return codes.derive_code(survey.series, survey.respondents, household.pk, invitation.generation)


def answers(
    survey: Survey, overall: int = 4, service: int = 3, choice: int = 0, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    qs = {q.position: q for q in survey.questions.all()}
    out: dict[str, Any] = {
        str(qs[1].pk): overall,
        str(qs[2].pk): service,
        str(qs[3].pk): choice,
    }
    out.update(extra or {})
    return out


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """The rate limiter counts in the cache: every test starts with a clean slate."""
    from django.core.cache import cache

    cache.clear()
