"""Building, versioning, invitations and recording responses through the services."""

from __future__ import annotations

import importlib
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gongzhi.core import audit
from gongzhi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gongzhi.core.models import AuditEntry
from gongzhi.orgs.models import Household
from gongzhi.surveys import codes, services
from gongzhi.surveys.models import Answer, Invitation, Participation, Question, Response, Survey
from gongzhi.surveys.services import QuestionSpec
from gongzhi.surveys.tests.conftest import QUESTIONS, add_households, answers, code_for

# --- building -----------------------------------------------------------------------------------------------


def test_staff_build_a_survey_of_their_own_community_only(city, community_staff, outsider):
    s = services.create_survey(actor=community_staff, scope=city.tongxia, title="问卷", questions=QUESTIONS)
    assert s.owner == city.committee and s.questions.count() == 5 and s.status == Survey.Status.DRAFT
    assert [q.position for q in s.questions.all()] == [1, 2, 3, 4, 5]
    with pytest.raises(PermissionDenied):
        services.create_survey(actor=outsider, scope=city.tongxia, title="x")
    with pytest.raises(PermissionDenied):  # staff cannot run a city-wide survey
        services.create_survey(actor=community_staff, scope=city.city, title="x")
    assert AuditEntry.objects.filter(action="surveys.survey.create").count() == 1


def test_the_office_runs_city_wide_surveys(city, approval_officer, resident):
    s = services.create_survey(actor=approval_officer, scope=city.city, title="全市问卷")
    assert s.owner == city.office
    with pytest.raises(PermissionDenied):
        services.create_survey(actor=resident, scope=city.tongxia, title="x")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (QuestionSpec(kind="essay", text="x"), "kind"),
        (QuestionSpec(kind="scale", text="  "), "text"),
        (QuestionSpec(kind="scale", text="x" * 301), "text"),
        (QuestionSpec(kind="single", text="x", options=["只有一个"]), "options"),
        (QuestionSpec(kind="single", text="x", options=["a", "a"]), "options"),
        (QuestionSpec(kind="multiple", text="x", options=[str(i) for i in range(21)]), "options"),
        (QuestionSpec(kind="scale", text="x", options=["a", "b"]), "options"),
        (QuestionSpec(kind="scale", text="x", key="Not A Key"), "key"),
        (QuestionSpec(kind="text", text="bad\x00"), "text"),
    ],
)
def test_bad_questions_are_refused_and_nothing_is_written(draft, community_staff, spec, field):
    before = draft.questions.count()
    with pytest.raises(ValidationFailed) as exc:
        services.add_question(actor=community_staff, survey=draft, spec=spec)
    assert field in exc.value.fields
    assert draft.questions.count() == before


def test_question_keys_are_unique_within_a_survey(draft, community_staff):
    with pytest.raises(ValidationFailed) as exc:
        services.add_question(
            actor=community_staff, survey=draft, spec=QuestionSpec(kind="scale", text="again", key="overall")
        )
    assert exc.value.fields == {"key": "taken"}


def test_edit_and_delete_renumber_in_a_draft(draft, community_staff):
    q3 = services.add_question(actor=community_staff, survey=draft, spec=QuestionSpec(kind="text", text="三"))
    first = draft.questions.get(position=1)
    services.update_question(
        actor=community_staff,
        question=first,
        spec=QuestionSpec(kind="single", text="改", options=["是", "否"]),
    )
    first.refresh_from_db()
    assert first.kind == "single" and first.options == ["是", "否"]
    services.delete_question(actor=community_staff, question=first)
    assert list(draft.questions.values_list("position", "text")) == [(1, QUESTIONS[1].text), (2, "三")]
    q3.refresh_from_db()
    assert q3.position == 2


def test_an_opened_survey_is_frozen(survey, community_staff):
    q = survey.questions.first()
    assert q is not None
    for call in (
        lambda: services.add_question(actor=community_staff, survey=survey, spec=QuestionSpec("text", "x")),
        lambda: services.update_question(actor=community_staff, question=q, spec=QuestionSpec("text", "x")),
        lambda: services.delete_question(actor=community_staff, question=q),
        lambda: services.update_survey(actor=community_staff, survey=survey, title="新标题"),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "survey_frozen"
    q.refresh_from_db()
    assert q.text == QUESTIONS[0].text


def test_open_needs_questions_and_follows_the_transition_table(city, community_staff):
    empty = services.create_survey(actor=community_staff, scope=city.tongxia, title="空")
    with pytest.raises(ValidationFailed):
        services.open_survey(actor=community_staff, survey=empty)
    services.add_question(actor=community_staff, survey=empty, spec=QuestionSpec("scale", "满意吗"))
    services.open_survey(actor=community_staff, survey=empty)
    services.close_survey(actor=community_staff, survey=empty)
    with pytest.raises(Conflict) as exc:  # closed is final
        services.open_survey(actor=community_staff, survey=empty)
    assert exc.value.code == "invalid_transition"
    assert AuditEntry.objects.filter(action__in=["surveys.survey.open", "surveys.survey.closed"]).count() == 2


def test_a_new_version_replaces_an_open_survey_and_keeps_its_series(survey, community_staff, city):
    code = code_for(survey, city.household)
    services.submit_with_code(code=code, answers=answers(survey))
    v2 = services.new_version(actor=community_staff, survey=survey)
    assert (v2.series, v2.version, v2.status, v2.previous) == (survey.series, 2, "draft", survey)
    assert list(v2.questions.values_list("key", flat=True)) == list(
        survey.questions.values_list("key", flat=True)
    )
    services.add_question(
        actor=community_staff, survey=v2, spec=QuestionSpec("scale", "新增一题", required=False)
    )
    with pytest.raises(Conflict):  # one newer version at a time
        services.new_version(actor=community_staff, survey=survey)
    services.open_survey(actor=community_staff, survey=v2)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED
    # The same code now answers version 2, but the household has answered the series already.
    with pytest.raises(services.AlreadyAnswered):
        services.submit_with_code(code=code, answers=answers(v2))
    other = add_households(city.estate, 1)[0]
    receipt = services.submit_with_code(code=code_for(v2, other), answers=answers(v2))
    assert receipt.survey == v2
    assert Response.objects.filter(survey=v2).count() == 1


def test_a_draft_has_no_new_version(draft, community_staff):
    with pytest.raises(Conflict):
        services.new_version(actor=community_staff, survey=draft)


# --- invitations --------------------------------------------------------------------------------------------


def test_issue_one_invitation_per_household_idempotently(survey, community_staff, city):
    add_households(city.estate, 30)
    households = Household.objects.filter(community=city.tongxia).count()
    result = services.issue_invitations(
        actor=community_staff, survey=survey, community=city.tongxia, batch_size=7
    )
    assert (result.created, result.existing) == (households, 0)
    again = services.issue_invitations(actor=community_staff, survey=survey, community=city.tongxia)
    assert (again.created, again.existing) == (0, households)
    assert Invitation.objects.filter(series=survey.series).count() == households
    # batches of 7: one audit entry per batch, stating counts only
    entries = AuditEntry.objects.filter(action="surveys.invitation.issue")
    assert entries.count() == -(-households // 7)
    assert all(set(e.data) == {"created", "communities"} for e in entries)


def test_the_database_holds_no_code(survey, community_staff, city):
    add_households(city.estate, 5)
    services.issue_invitations(actor=community_staff, survey=survey, community=city.tongxia)
    slips = services.invitation_slips(actor=community_staff, survey=survey, community=city.tongxia)
    assert len(slips) == Household.objects.filter(community=city.tongxia).count()
    stored = " ".join(str(v) for row in Invitation.objects.values_list() for v in row) + " ".join(
        str(e.data) for e in AuditEntry.objects.all()
    )
    for slip in slips:
        assert slip.code not in stored and codes.pretty(slip.code) not in stored
        assert len(slip.code) == 10 and set(slip.code) <= set(codes.ALPHABET)
    assert len({s.code for s in slips}) == len(slips)


def test_only_the_communitys_own_staff_print_slips(
    city_survey, community_staff, approval_officer, outsider, city
):
    services.issue_invitations(actor=approval_officer, survey=city_survey)  # the whole city, no codes shown
    assert Invitation.objects.filter(series=city_survey.series).count() == Household.objects.count()
    with pytest.raises(PermissionDenied):
        services.invitation_slips(actor=approval_officer, survey=city_survey, community=city.tongxia)
    with pytest.raises(PermissionDenied):
        services.invitation_slips(actor=outsider, survey=city_survey, community=city.tongxia)
    assert (
        len(services.invitation_slips(actor=community_staff, survey=city_survey, community=city.tongxia)) == 1
    )
    assert AuditEntry.objects.filter(action="surveys.invitation.print").count() == 1


def test_staff_issue_for_their_own_community_only(city_survey, community_staff, city):
    services.issue_invitations(actor=community_staff, survey=city_survey, community=city.tongxia)
    with pytest.raises(PermissionDenied):
        services.issue_invitations(actor=community_staff, survey=city_survey, community=city.shizishan)
    with pytest.raises(PermissionDenied):
        services.issue_invitations(actor=community_staff, survey=city_survey)


def test_a_reissued_code_replaces_the_lost_one(survey, community_staff, city):
    old = code_for(survey, city.household)
    slip = services.reissue_invitation(actor=community_staff, survey=survey, respondent_id=city.household.pk)
    assert slip.code != old
    with pytest.raises(NotFound):
        services.submit_with_code(code=old, answers=answers(survey))
    services.submit_with_code(code=slip.code, answers=answers(survey))
    assert Participation.objects.count() == 1


def test_code_collisions_move_to_the_next_generation(survey, city, monkeypatch):
    """Force every first-generation code of this batch to clash with an existing one."""
    add_households(city.estate, 3)
    real = codes.code_hash
    clash = real(codes.derive_code(survey.series, survey.respondents, city.household.pk, 0))
    services.issue_invitations(actor=None, survey=survey, community=city.tongxia, batch_size=1)
    Invitation.objects.all().delete()
    Invitation.objects.create(
        series=survey.series, survey=survey, kind="households", respondent_key="x" * 64,
        community=city.tongxia, code_hash=clash, issued_on="2026-01-01",
    )  # fmt: skip
    services.issue_invitations(actor=None, survey=survey, community=city.tongxia)
    mine = Invitation.objects.get(
        respondent_key=codes.respondent_key(survey.series, survey.respondents, city.household.pk)
    )
    assert mine.generation == 1 and mine.code_hash != clash
    code = codes.derive_code(survey.series, survey.respondents, city.household.pk, 1)
    services.submit_with_code(code=codes.pretty(code).lower(), answers=answers(survey))


def test_the_deriver_gives_what_the_single_calls_give(survey):
    deriver = codes.Deriver(survey.series, survey.respondents)
    for respondent_id, generation in [(1, 0), (7, 3), (123456, 0), (600000, 12)]:
        code = codes.derive_code(survey.series, survey.respondents, respondent_id, generation)
        assert deriver.code(respondent_id, generation) == code
        assert deriver.code_hash(code) == codes.code_hash(code)
        assert deriver.respondent_key(respondent_id) == codes.respondent_key(
            survey.series, survey.respondents, respondent_id
        )
    other = codes.Deriver(uuid.uuid4(), survey.respondents)
    assert other.respondent_key(1) != deriver.respondent_key(1) and other.code(1, 0) != deriver.code(1, 0)


@pytest.mark.parametrize("seed", [b"\x00", b"\xff", b"gongzhi", b"\x5a\xa5"])
def test_a_code_is_the_top_50_bits_in_crockford_base32(seed):
    """Codes printed before the table look-up must read the same: compare with the digit-by-digit form."""
    digest = (seed * 32)[:32]
    number, digits = int.from_bytes(digest[:8], "big") >> 14, []
    for _ in range(10):
        number, digit = divmod(number, 32)
        digits.append(codes.ALPHABET[digit])
    assert codes._code_of(digest) == "".join(reversed(digits))


def test_stored_keys_are_128_bit_hmacs(survey, city):
    code_for(survey, city.household)
    invitation = Invitation.objects.get()
    assert len(invitation.code_hash) == len(invitation.respondent_key) == codes.KEY_HEX == 32
    assert int(invitation.code_hash, 16) >= 0 and int(invitation.respondent_key, 16) >= 0


def test_a_batch_drops_households_issued_meanwhile(survey, city):
    """What a rerun racing another issue sees: the unique constraint refuses the batch, the retry inserts only
    the households that still have no invitation."""
    first, second = add_households(city.estate, 2)
    services.issue_invitations(actor=None, survey=survey, community=city.tongxia)
    third = add_households(city.estate, 1, prefix="8")[0]
    deriver = codes.Deriver(survey.series, survey.respondents)
    rows = [
        services._Pending(deriver.respondent_key(h.pk), h.pk, city.tongxia.pk, 0, deriver.code_hash(deriver.code(h.pk, 0)))
        for h in (first, third, second)
    ]  # fmt: skip
    before = Invitation.objects.count()
    assert services._insert_invitations(survey, rows, deriver, date(2026, 11, 27)) == 1
    assert Invitation.objects.count() == before + 1
    assert Invitation.objects.filter(respondent_key=deriver.respondent_key(third.pk)).exists()


def test_the_migration_cuts_full_length_keys_to_what_the_codes_give(survey, city):
    """Invitations and participations stored before 0003 (64 hex digits) still work after it."""

    def full(message: str) -> str:  # the old, uncut form
        return codes._mac(message).hex()

    series, kind, household = survey.series, survey.respondents, city.household
    code = codes.derive_code(series, kind, household.pk, 0)
    Invitation.objects.create(
        series=series, survey=survey, kind=kind, community=city.tongxia, issued_on=date(2026, 1, 1),
        respondent_key=full(f"gongzhi-survey-respondent|{series}|{kind}|{household.pk}"),
        code_hash=full(f"gongzhi-survey-codehash|{code}"),
    )  # fmt: skip
    migration = importlib.import_module("gongzhi.surveys.migrations.0003_invitation_keys_128_bits")
    with connection.cursor() as cursor:
        for statement in migration.CUT:
            cursor.execute(statement)
    assert Invitation.objects.get().code_hash == codes.code_hash(code)
    services.submit_with_code(code=code, answers=answers(survey))
    services.issue_invitations(
        actor=None, survey=survey, community=city.tongxia
    )  # the household is not reissued
    assert (
        Invitation.objects.filter(community=city.tongxia).count()
        == Household.objects.filter(community=city.tongxia).count()
    )


# --- answering ----------------------------------------------------------------------------------------------


def test_answer_with_a_code_records_participation_and_an_anonymous_response(survey, city):
    code = code_for(survey, city.household)
    receipt = services.submit_with_code(
        code=code, answers=answers(survey, extra={str(survey.questions.get(position=4).pk): [0, 2]})
    )
    assert receipt == services.Receipt(survey=survey, replayed=False)
    p = Participation.objects.get()
    assert (p.channel, p.community, p.entered_by, p.survey) == ("code", city.tongxia, None, survey)
    response = Response.objects.get()
    assert response.community == city.tongxia
    values = sorted(
        (a.question.position, a.value)
        for a in Answer.objects.filter(response=response).select_related("question")
    )
    assert values == [(1, 4), (2, 3), (3, 0), (4, 0), (4, 2)]
    # no audit entry for an answer by code (D14): the participation, day only, is the record
    assert not AuditEntry.objects.filter(action="surveys.participate").exists()


def test_only_staff_assisted_answers_are_audited_and_closing_records_the_tally(
    survey, city, resident, community_staff
):
    code = code_for(survey, add_households(city.estate, 1)[0])
    before = AuditEntry.objects.count()
    services.submit_with_account(actor=resident, survey=survey, answers=answers(survey))
    services.submit_with_code(code=code, answers=answers(survey))
    assert AuditEntry.objects.count() == before  # nothing per answer
    other = add_households(city.estate, 1, prefix="8")[0]
    services.submit_assisted(
        actor=community_staff, survey=survey, respondent_id=other.pk, answers=answers(survey)
    )
    entry = AuditEntry.objects.get(action="surveys.participate")
    assert entry.actor == community_staff
    assert entry.data == {"community": city.tongxia.pk, "channel": "assisted"}  # not the household
    services.close_survey(actor=community_staff, survey=survey)
    tally = AuditEntry.objects.get(action="surveys.participation.tally")
    today = timezone.localdate().isoformat()
    assert tally.data == {
        "total": 3,
        "communities": {
            str(city.tongxia.pk): {"account": {today: 1}, "assisted": {today: 1}, "code": {today: 1}}
        },
    }
    assert audit.verify_chain()[1] is None


def test_answers_are_refused_after_the_closing_date(survey, city, resident, community_staff):
    today = timezone.localdate()
    Survey.objects.filter(pk=survey.pk).update(closes_on=today - timedelta(days=1))
    survey.refresh_from_db()
    code = code_for(survey, city.household)
    with pytest.raises(services.SurveyNotOpen) as exc:
        services.submit_with_code(code=code, answers=answers(survey))
    assert exc.value.status == 409 and "截止" in exc.value.message and "ended" in exc.value.message
    with pytest.raises(services.SurveyNotOpen):
        services.submit_with_account(actor=resident, survey=survey, answers=answers(survey))
    with pytest.raises(services.SurveyNotOpen):
        services.submit_assisted(
            actor=community_staff, survey=survey, respondent_id=city.household.pk, answers=answers(survey)
        )
    assert (Participation.objects.count(), Response.objects.count()) == (0, 0)
    assert services.past_deadline(survey) and not services.accepts_answers(survey)
    # the closing day itself is included (local date)
    Survey.objects.filter(pk=survey.pk).update(closes_on=today)
    survey.refresh_from_db()
    assert not services.past_deadline(survey) and services.accepts_answers(survey)
    services.submit_with_code(code=code, answers=answers(survey))
    assert Response.objects.count() == 1


def test_one_response_per_household_whatever_the_channel(survey, city, resident, community_staff):
    services.submit_with_account(actor=resident, survey=survey, answers=answers(survey))
    with pytest.raises(services.AlreadyAnswered) as exc:
        services.submit_with_code(code=code_for(survey, city.household), answers=answers(survey))
    assert exc.value.status == 409
    with pytest.raises(services.AlreadyAnswered):
        services.submit_assisted(
            actor=community_staff, survey=survey, respondent_id=city.household.pk, answers=answers(survey)
        )
    assert (Participation.objects.count(), Response.objects.count(), Answer.objects.count()) == (1, 1, 3)


def test_a_retry_with_the_same_token_is_the_same_submission(survey, city):
    code = code_for(survey, city.household)
    services.submit_with_code(code=code, answers=answers(survey), retry_token="tok-12345678")
    again = services.submit_with_code(code=code, answers=answers(survey), retry_token="tok-12345678")
    assert again.replayed
    with pytest.raises(services.AlreadyAnswered):
        services.submit_with_code(code=code, answers=answers(survey), retry_token="other-12345678")
    with pytest.raises(services.AlreadyAnswered):
        services.submit_with_code(code=code, answers=answers(survey))
    assert Response.objects.count() == 1


def test_staff_enter_answers_for_their_own_community_marked_assisted(survey, city, community_staff, outsider):
    services.submit_assisted(
        actor=community_staff, survey=survey, respondent_id=city.household.pk, answers=answers(survey)
    )
    p = Participation.objects.get()
    assert (p.channel, p.entered_by) == ("assisted", community_staff)
    other = add_households(city.other_estate, 1)[0]
    with pytest.raises(PermissionDenied):
        services.submit_assisted(actor=community_staff, survey=survey, respondent_id=other.pk, answers={})
    with pytest.raises(PermissionDenied):
        services.submit_assisted(actor=outsider, survey=survey, respondent_id=city.household.pk, answers={})


def test_a_resident_outside_the_scope_cannot_answer_with_their_account(survey, city):
    from conftest import make_user
    from gongzhi.orgs.models import Resident

    user = make_user("lisi")
    Resident.objects.filter(pk=city.other_resident_record.pk).update(user=user)
    with pytest.raises(PermissionDenied):
        services.submit_with_account(actor=user, survey=survey, answers=answers(survey))


@pytest.mark.parametrize(
    ("change", "field_pos"),
    [
        ({1: None}, 1),  # required missing
        ({1: 6}, 1),  # outside 1–5
        ({1: 0}, 1),
        ({1: "x"}, 1),
        ({1: True}, 1),
        ({3: 3}, 3),  # no such option
        ({3: [0, 1]}, 3),  # two picks for a single choice
        ({4: [0, 0]}, 4),  # the same option twice
        ({4: [5]}, 4),
        ({5: 12}, 5),  # text must be text
        ({5: "x" * 2001}, 5),
    ],
)
def test_bad_answers_are_refused_with_the_question_named(survey, city, change, field_pos):
    code = code_for(survey, city.household)
    raw = answers(survey)
    for position, value in change.items():
        qid = str(survey.questions.get(position=position).pk)
        if value is None:
            raw.pop(qid, None)
        else:
            raw[qid] = value
    with pytest.raises(ValidationFailed) as exc:
        services.submit_with_code(code=code, answers=raw)
    assert f"q{survey.questions.get(position=field_pos).pk}" in exc.value.fields
    assert (Participation.objects.count(), Response.objects.count()) == (0, 0)


def test_unknown_questions_and_codes_are_refused(survey, city, draft):
    code = code_for(survey, city.household)
    foreign = str(draft.questions.first().pk)  # a question of another survey
    with pytest.raises(ValidationFailed) as exc:
        services.submit_with_code(code=code, answers={**answers(survey), foreign: 3})
    assert foreign in exc.value.fields
    for bad in ("", "12345", "ABCDEFGHJK", "!!!!!-!!!!!"):
        with pytest.raises(NotFound):
            services.submit_with_code(code=bad, answers=answers(survey))


def test_no_answers_once_closed(survey, city, community_staff):
    code = code_for(survey, city.household)
    services.close_survey(actor=community_staff, survey=survey)
    with pytest.raises(services.SurveyNotOpen):
        services.submit_with_code(code=code, answers=answers(survey))
    with pytest.raises(services.SurveyNotOpen):
        services.issue_invitations(actor=community_staff, survey=survey, community=city.tongxia)


def test_no_answers_to_a_draft(draft, city, resident):
    with pytest.raises(services.SurveyNotOpen):
        services.submit_with_account(actor=resident, survey=draft, answers={})


def test_unit_surveys_take_units_not_households(city, community_staff):
    from conftest import make_user
    from gongzhi.core.roles import OrgKind, Role
    from gongzhi.orgs import services as org_services

    unit = org_services.create_organization(
        actor=None, name="铜陵有色", kind=OrgKind.UNIT, region=city.tongxia
    )
    contact = make_user("unit", unit, Role.UNIT_CONTACT)
    s = services.create_survey(
        actor=community_staff,
        scope=city.tongxia,
        title="共建单位满意度",
        respondents=Survey.Respondents.UNITS,
        questions=[QuestionSpec(kind=Question.Kind.SCALE, text="满意吗")],
    )
    services.open_survey(actor=community_staff, survey=s)
    assert services.issue_invitations(actor=community_staff, survey=s, community=city.tongxia).created == 1
    slips = services.invitation_slips(actor=community_staff, survey=s, community=city.tongxia)
    assert [x.label for x in slips] == ["铜陵有色"]
    q = str(s.questions.get().pk)
    services.submit_with_account(actor=contact, survey=s, answers={q: 5})
    with pytest.raises(services.AlreadyAnswered):
        services.submit_with_code(code=slips[0].code, answers={q: 1})
    assert Participation.objects.get().kind == "units"


def test_a_version_replaced_by_a_new_one_gets_its_tally_too(survey, city, community_staff):
    services.submit_with_code(code=code_for(survey, city.household), answers=answers(survey))
    copy = services.new_version(actor=community_staff, survey=survey)
    services.open_survey(actor=community_staff, survey=copy)
    tally = AuditEntry.objects.get(action="surveys.participation.tally")
    assert tally.target_id == str(survey.pk) and tally.data["total"] == 1
    assert not AuditEntry.objects.filter(action="surveys.participate").exists()
    assert audit.verify_chain()[1] is None
