"""`gongzhi issue_invitations`: the operator's way to issue a city-wide survey's invitations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gongzhi.core.models import AuditEntry
from gongzhi.orgs.models import Household
from gongzhi.surveys import services
from gongzhi.surveys.models import Invitation
from gongzhi.surveys.tests.conftest import add_households, answers, code_for


def run(*args: str) -> str:
    out = StringIO()
    call_command("issue_invitations", *args, stdout=out)
    return out.getvalue()


def test_issues_the_whole_scope_then_only_what_is_missing(city_survey, city):
    households = Household.objects.count()
    assert run(str(city_survey.pk)).startswith(f"issued {households}, already issued 0,")
    add_households(city.estate, 2, prefix="7")
    assert run(str(city_survey.pk)).startswith(f"issued 2, already issued {households},")
    assert Invitation.objects.filter(series=city_survey.series).count() == households + 2
    entry = AuditEntry.objects.filter(action="surveys.invitation.issue").latest("seq")
    assert entry.actor is None and entry.data["created"] == 2


def test_one_community_by_its_code(city_survey, city):
    run(str(city_survey.pk), f"--community={city.tongxia.code}")
    assert set(Invitation.objects.values_list("community", flat=True)) == {city.tongxia.pk}


def test_refusals_are_clear_and_write_nothing(city_survey, survey, city):
    with pytest.raises(CommandError, match="no survey 999999"):
        run("999999")
    with pytest.raises(CommandError, match="no community with code nope"):
        run(str(city_survey.pk), "--community=nope")
    with pytest.raises(CommandError, match="outside the survey"):  # 铜霞's own survey, another community
        run(str(survey.pk), f"--community={city.shizishan.code}")
    services.close_survey(actor=None, survey=survey)
    with pytest.raises(CommandError, match="closed"):
        run(str(survey.pk))
    assert not Invitation.objects.exists()
    assert not AuditEntry.objects.filter(action="surveys.invitation.issue").exists()


@pytest.mark.django_db(transaction=True)
def test_reseal_survey_tables_says_what_it_did(survey, city):
    services.submit_with_code(code=code_for(survey, city.household), answers=answers(survey))
    out = StringIO()
    call_command("reseal_survey_tables", stdout=out)
    if connection.vendor == "postgresql":
        assert out.getvalue().startswith(
            "resealed surveys_participation 1, surveys_response 1, surveys_answer "
        )
    else:
        assert out.getvalue().startswith("nothing to do")
