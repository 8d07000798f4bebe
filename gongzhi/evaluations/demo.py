"""Demo data (idempotent): the evaluation cycle of 铜陵市 for the year the demo's admitted tasks and agreement run
(gongzhi.agreements.demo.start_date's year: a community rates only the departments it dealt with in the period),
open, with its satisfaction surveys linked where the surveys demo made them, and demo-community's rating of 民政局
— so that the walk-through (resident answers, panel adjusts and signs off, results published) can run from here."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongzhi.agreements.demo import start_date
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.evaluations import services
from gongzhi.evaluations.models import Cycle, Direction, Indicator, Rating, Source
from gongzhi.orgs.models import Organization
from gongzhi.surveys.models import Survey


def load(*, actor: User | None) -> dict[str, int]:
    office_user = User.objects.filter(username="demo-office").first()
    community_user = User.objects.filter(username="demo-community").first()
    office = Organization.objects.filter(
        kind=OrgKind.APPROVAL_AUTHORITY, memberships__user=office_user, memberships__revoked_at__isnull=True
    ).first()
    if office_user is None or community_user is None or office is None:
        return {"cycles": Cycle.objects.count()}
    city = office.region
    year = start_date(timezone.localdate()).year
    cycle = Cycle.objects.filter(scope=city, year=year, period=Cycle.Period.YEAR).first()
    if cycle is None:
        cycle = services.create_cycle(
            actor=office_user,
            scope=city,
            year=year,
            period=Cycle.Period.YEAR,
            name=f"{year}年度政社互动双向评估",
            ratings_due=dt.date(year, 12, 31),
            is_sample=True,
        )
    if cycle.status == Cycle.Status.DRAFT:
        for key, respondents in (
            ("residents", Survey.Respondents.HOUSEHOLDS),
            ("units", Survey.Respondents.UNITS),
        ):
            indicator = Indicator.objects.get(cycle=cycle, direction=Direction.COMMUNITY, key=key)
            survey = (
                Survey.objects.filter(purpose=Survey.Purpose.SATISFACTION, respondents=respondents)
                .exclude(status=Survey.Status.DRAFT)
                .order_by("-pk")
                .first()
            )
            if survey is not None and indicator.survey_id is None:
                services.link_survey(actor=office_user, indicator=indicator, survey=survey)
        services.move_cycle(actor=office_user, cycle=cycle, to=Cycle.Status.OPEN)
    minzheng = Organization.objects.filter(kind=OrgKind.DEPARTMENT, name__contains="民政局").first()
    rater = services.rating_org(community_user, cycle)
    if (
        cycle.status == Cycle.Status.OPEN
        and minzheng is not None
        and rater is not None
        and services.worked_with(cycle, rater.region).filter(pk=minzheng.pk).exists()
    ):
        for key, score, note in (
            ("guidance", 88, "全年到社区业务培训2次、实地指导4次,按协议执行"),
            ("service", 85, "低保审核材料一次告知,线上流转,社区少跑腿"),
        ):
            indicator = Indicator.objects.get(
                cycle=cycle, direction=Direction.DEPARTMENT, key=key, source=Source.RATED
            )
            if not Rating.objects.filter(
                indicator=indicator, department=minzheng, rater=community_user
            ).exists():
                services.rate(
                    actor=community_user, indicator=indicator, score=score, evidence=note, department=minzheng
                )
    return {"cycles": Cycle.objects.count(), "ratings": Rating.objects.count()}
