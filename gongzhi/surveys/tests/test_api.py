"""The surveys JSON API (/api/surveys/): answering with a code, an account or staff help; the builder; issuing
invitations; results, scores and comments in aggregate only. Each endpoint: what it allows and whom it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from conftest import login
from gongzhi.core.models import User
from gongzhi.orgs import services as org_services
from gongzhi.surveys import services
from gongzhi.surveys.models import Answer, Invitation, Participation, Question, Response, Survey
from gongzhi.surveys.tests.conftest import add_households, answers, code_for

API = "/api/surveys"


def post(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, body, content_type="application/json", headers=headers)


def written() -> tuple[int, int, int]:
    return Participation.objects.count(), Response.objects.count(), Answer.objects.count()


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


# --- answering with a code (public) -------------------------------------------------------------------------------


def test_answer_by_code_once_per_household_and_a_retry_is_a_replay(survey, city):
    household = add_households(city.estate, 1)[0]
    code = code_for(survey, household)
    client = Client()
    first = post(
        client,
        f"{API}/answer",
        {"code": code, "answers": answers(survey)},
        **{"Idempotency-Key": "retry-k1-0001"},
    )
    assert first.status_code == 201, first.content
    assert first.json() == {"survey_id": survey.pk, "replayed": False, "message": first.json()["message"]}
    before = written()
    # the phone lost the reply: the same key again is the first reply, nothing more is written
    again = post(
        client,
        f"{API}/answer",
        {"code": code, "answers": answers(survey)},
        **{"Idempotency-Key": "retry-k1-0001"},
    )
    assert again.status_code == 200 and again.json()["replayed"] is True
    # another submission for the same household: 409, nothing written
    other = post(client, f"{API}/answer", {"code": code, "answers": answers(survey, overall=1)})
    assert other.status_code == 409 and error_code(other) == "already_answered"
    assert written() == before
    assert Participation.objects.filter(series=survey.series).count() == 1
    # the questionnaire behind the code says it has been answered
    seen = post(client, f"{API}/questionnaire", {"code": code})
    assert seen.status_code == 200
    assert seen.json()["answered"] is True and seen.json()["open"] is True
    assert [q["position"] for q in seen.json()["questions"]] == [1, 2, 3, 4, 5]


def test_a_wrong_code_is_404_and_writes_nothing(survey, city):
    code_for(survey, add_households(city.estate, 1)[0])  # invitations exist
    before = written()
    response = post(Client(), f"{API}/answer", {"code": "ABCDE-FGH23", "answers": answers(survey)})
    assert response.status_code == 404
    assert post(Client(), f"{API}/questionnaire", {"code": "ABCDE-FGH23"}).status_code == 404
    assert written() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {}}, "code"),  # no code
        ({"code": "x", "answers": {}, "household": 1}, "household"),  # unknown field
        ({"code": "x", "answers": "5"}, "answers"),  # not an object
    ],
)
def test_malformed_bodies_are_422(survey, body, field):
    response = post(Client(), f"{API}/answer", body)
    assert response.status_code == 422
    assert response.json()["error"]["message"]
    assert written() == (0, 0, 0)


def test_bad_answers_are_422_with_the_questions_marked_and_nothing_written(survey, city):
    code = code_for(survey, add_households(city.estate, 1)[0])
    bad = answers(survey, overall=9)  # a 1–5 question answered 9
    response = post(Client(), f"{API}/answer", {"code": code, "answers": bad})
    assert response.status_code == 422
    body = response.json()["error"]
    overall = survey.questions.get(position=1)
    assert f"q{overall.pk}" in body["fields"] and body["message"]  # fields are named by question id
    assert written() == (0, 0, 0)
    # the household may still answer properly afterwards
    assert post(Client(), f"{API}/answer", {"code": code, "answers": answers(survey)}).status_code == 201


def test_a_malformed_idempotency_key_is_422_under_its_own_name(survey, city, resident):
    code = code_for(survey, add_households(city.estate, 1)[0])
    short = post(
        Client(), f"{API}/answer", {"code": code, "answers": answers(survey)}, **{"Idempotency-Key": "k1"}
    )
    assert short.status_code == 422
    assert short.json()["error"]["fields"] == {"Idempotency-Key": "invalid"}
    mine = post(
        login(resident), f"{API}/{survey.pk}/answer", {"answers": answers(survey)}, **{"Idempotency-Key": "é"}
    )
    assert mine.status_code == 422
    assert written() == (0, 0, 0)


def test_answering_needs_the_csrf_token(survey, city):
    code = code_for(survey, add_households(city.estate, 1)[0])
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, f"{API}/answer", {"code": code, "answers": answers(survey)})
    assert response.status_code == 403
    assert written() == (0, 0, 0)


@override_settings(SURVEY_RATE_LIMITS={"submit": (2, 600), "lookup": (2, 600)})
def test_public_endpoints_are_rate_limited(survey, city):
    client = Client()
    for _ in range(2):
        assert post(client, f"{API}/answer", {"code": "ABCDE-FGH23", "answers": {}}).status_code == 404
    throttled = post(client, f"{API}/answer", {"code": "ABCDE-FGH23", "answers": {}})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    for _ in range(2):
        assert post(client, f"{API}/questionnaire", {"code": "ABCDE-FGH23"}).status_code == 404
    assert post(client, f"{API}/questionnaire", {"code": "ABCDE-FGH23"}).status_code == 429
    # another address is not held back
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert post(other, f"{API}/questionnaire", {"code": "ABCDE-FGH23"}).status_code == 404


def test_a_closed_survey_refuses_answers_with_409(survey, city, community_staff):
    code = code_for(survey, add_households(city.estate, 1)[0])
    services.close_survey(actor=community_staff, survey=survey)
    response = post(Client(), f"{API}/answer", {"code": code, "answers": answers(survey)})
    assert response.status_code == 409
    assert written() == (0, 0, 0)


# --- answering signed in ----------------------------------------------------------------------------------------


def test_a_resident_answers_for_the_own_household_once(survey, resident):
    client = login(resident)
    first = post(client, f"{API}/{survey.pk}/answer", {"answers": answers(survey)})
    assert first.status_code == 201, first.content
    assert post(client, f"{API}/{survey.pk}/answer", {"answers": answers(survey)}).status_code == 409
    assert written()[:2] == (1, 1)


def test_account_answers_are_refused_to_people_outside_the_scope(survey, outsider, community_staff):
    for user in (outsider, community_staff):  # 狮子山's director; 铜霞's staff have no household
        response = post(login(user), f"{API}/{survey.pk}/answer", {"answers": answers(survey)})
        assert response.status_code == 404
    assert post(Client(), f"{API}/{survey.pk}/answer", {"answers": answers(survey)}).status_code == 401
    assert written() == (0, 0, 0)


def test_staff_enter_answers_for_a_household_of_their_own_community(survey, community_staff, city):
    household = add_households(city.estate, 1)[0]
    services.issue_invitations(actor=None, survey=survey, community=city.tongxia)
    client = login(community_staff)
    body = {"respondent_id": household.pk, "answers": answers(survey)}
    assert post(client, f"{API}/{survey.pk}/assisted", body).status_code == 201
    assert post(client, f"{API}/{survey.pk}/assisted", body).status_code == 409
    assert Participation.objects.get().channel == Participation.Channel.ASSISTED


def test_assisted_entry_is_refused_to_others(city_survey, survey, community_staff, outsider, resident, city):
    household = add_households(city.estate, 1)[0]
    services.issue_invitations(actor=None, survey=city_survey, community=city.tongxia)
    body = {"respondent_id": household.pk, "answers": answers(city_survey)}
    # 狮子山's director sees the city survey but may not enter for a 铜霞 household
    assert post(login(outsider), f"{API}/{city_survey.pk}/assisted", body).status_code == 403
    # a resident cannot see the survey as staff at all; 铜霞's survey is not visible to 狮子山
    assert post(login(resident), f"{API}/{city_survey.pk}/assisted", body).status_code == 404
    body = {"respondent_id": household.pk, "answers": answers(survey)}
    assert post(login(outsider), f"{API}/{survey.pk}/assisted", body).status_code == 404
    assert written() == (0, 0, 0)


# --- builder --------------------------------------------------------------------------------------------------------

NEW_SURVEY = {
    "title": "停车满意度",
    "questions": [{"kind": "scale", "text": "停车方便吗?", "key": "parking"}],
}


def test_staff_build_open_and_freeze_a_survey(community_staff, city):
    client = login(community_staff)
    created = post(
        client, f"{API}/", {**NEW_SURVEY, "scope_id": city.tongxia.pk}, **{"Idempotency-Key": "s1"}
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft" and len(created.json()["questions"]) == 1
    added = post(
        client, f"{API}/{pk}/questions", {"kind": "text", "text": "其他?"}, **{"Idempotency-Key": "q1"}
    )
    assert added.status_code == 201
    qid = added.json()["id"]
    changed = client.put(
        f"{API}/questions/{qid}", {"kind": "text", "text": "其他意见?"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["text"] == "其他意见?"
    assert post(client, f"{API}/{pk}/transitions", {"to": "open"}).status_code == 200
    # frozen once opened: 409 and nothing changes
    frozen = post(
        client, f"{API}/{pk}/questions", {"kind": "text", "text": "晚了"}, **{"Idempotency-Key": "q2"}
    )
    assert frozen.status_code == 409 and error_code(frozen) == "survey_frozen"
    put = client.put(
        f"{API}/questions/{qid}", {"kind": "text", "text": "改"}, content_type="application/json"
    )
    assert put.status_code == 409
    assert client.delete(f"{API}/questions/{qid}").status_code == 409
    assert Question.objects.filter(survey_id=pk).count() == 2
    assert Question.objects.get(pk=qid).text == "其他意见?"
    # a new version is the way to change it
    version = post(client, f"{API}/{pk}/versions", {}, **{"Idempotency-Key": "v1"})
    assert version.status_code == 201 and version.json()["version"] == 2


def test_bad_builder_input_is_422_and_writes_nothing(community_staff, city, draft):
    client = login(community_staff)
    surveys = Survey.objects.count()
    for body in (
        {**NEW_SURVEY, "scope_id": 999_999},  # unknown region
        {**NEW_SURVEY, "scope_id": city.tongxia.pk, "title": ""},  # empty title
        {**NEW_SURVEY, "scope_id": city.tongxia.pk, "purpose": "vote"},  # not a purpose
        {**NEW_SURVEY, "scope_id": city.tongxia.pk, "questions": [{"kind": "single", "text": "无选项?"}]},
    ):
        response = post(client, f"{API}/", body, **{"Idempotency-Key": f"bad-{len(str(body))}"})
        assert response.status_code == 422, (body, response.content)
        assert response.json()["error"]["message"]
    assert Survey.objects.count() == surveys
    questions = draft.questions.count()
    bad = post(
        client, f"{API}/{draft.pk}/questions", {"kind": "choice", "text": "?"}, **{"Idempotency-Key": "b"}
    )
    assert bad.status_code == 422
    assert draft.questions.count() == questions


@pytest.mark.parametrize("who", ["panel_member", "resident", "outsider"])
def test_builder_endpoints_are_refused_to_non_managers(request, who, draft, city):
    user: User = request.getfixturevalue(who)
    client = login(user)
    q = draft.questions.first()
    assert q is not None
    assert (
        post(
            client, f"{API}/{draft.pk}/questions", {"kind": "text", "text": "x"}, **{"Idempotency-Key": "x"}
        ).status_code
        == 404
    )
    assert (
        client.put(
            f"{API}/questions/{q.pk}", {"kind": "text", "text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(f"{API}/questions/{q.pk}").status_code == 404
    assert post(client, f"{API}/{draft.pk}/transitions", {"to": "open"}).status_code == 404
    assert post(client, f"{API}/{draft.pk}/versions", {}, **{"Idempotency-Key": "v"}).status_code == 404
    assert client.get(f"{API}/{draft.pk}").status_code == 404
    created = post(client, f"{API}/", {**NEW_SURVEY, "scope_id": city.tongxia.pk}, **{"Idempotency-Key": "c"})
    assert created.status_code in (403, 404)
    draft.refresh_from_db()
    assert draft.status == Survey.Status.DRAFT and draft.questions.count() == 2


# --- invitations ------------------------------------------------------------------------------------------------------


def test_invitations_are_issued_by_managers_and_staff_of_the_community(
    city_survey, approval_officer, community_staff, outsider, resident, panel_member, city
):
    staff = post(
        login(community_staff), f"{API}/{city_survey.pk}/invitations", {"community_id": city.tongxia.pk}
    )
    assert staff.status_code == 200, staff.content
    assert staff.json() == {"created": 1, "existing": 0, "communities": 1}
    whole = post(login(approval_officer), f"{API}/{city_survey.pk}/invitations", {})
    assert whole.status_code == 200
    assert whole.json() == {"created": 1, "existing": 1, "communities": 2}
    count = Invitation.objects.count()
    # 铜霞's staff may not issue for 狮子山, nor for the whole city; the panel oversees, it does not issue
    denied = post(
        login(community_staff), f"{API}/{city_survey.pk}/invitations", {"community_id": city.shizishan.pk}
    )
    assert denied.status_code == 403
    assert post(login(community_staff), f"{API}/{city_survey.pk}/invitations", {}).status_code == 403
    assert post(login(panel_member), f"{API}/{city_survey.pk}/invitations", {}).status_code == 403
    assert post(login(resident), f"{API}/{city_survey.pk}/invitations", {}).status_code == 404
    unknown = post(login(approval_officer), f"{API}/{city_survey.pk}/invitations", {"community_id": 999_999})
    assert unknown.status_code == 422
    assert Invitation.objects.count() == count


# --- results, scores, comments ---------------------------------------------------------------------------------------


def fill(survey: Survey, estate: Any, values: list[int], text: str | None = None) -> None:
    text_q = survey.questions.get(kind=Question.Kind.TEXT)
    for i, household in enumerate(add_households(estate, len(values), prefix=f"{estate.pk}{len(values)}")):
        extra = {str(text_q.pk): f"{text}{i}"} if text else {}
        services.submit_with_code(
            code=code_for(survey, household), answers=answers(survey, overall=values[i], extra=extra)
        )


def test_results_and_scores_are_suppressed_and_the_same_for_the_panel(
    city_survey, approval_officer, panel_member, community_staff, city
):
    fill(city_survey, city.estate, [5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3])
    fill(city_survey, city.other_estate, [2, 2, 2])
    officer = login(approval_officer).get(f"{API}/{city_survey.pk}/results")
    assert officer.status_code == 200
    data = officer.json()
    assert data["min_cell"] == 5 and data["overall"]["responses"] == 14
    # 狮子山 has 3 responses (withheld), so 铜霞 goes too: else it would be 14 − 11 = 3
    assert [(g["community_id"], g["responses"]) for g in data["communities"]] == [
        (city.tongxia.pk, None),
        (city.shizishan.pk, None),
    ]
    overall_q = next(q for q in data["overall"]["questions"] if q["position"] == 1)
    # 1: 0, 2: 3, 3: 1 withheld; with the mean and sd shown, the 1–5 distribution is withheld whole
    assert [o["count"] for o in overall_q["options"]] == [None] * 5
    assert overall_q["score"]["n"] == 14 and not overall_q["score"]["suppressed"]
    for g in data["communities"]:
        assert g["questions"] == []
    index = data["index"]
    assert all(c["score"]["suppressed"] and c["score"]["n"] is None for c in index["communities"])
    # the panel sees exactly what the office sees
    assert login(panel_member).get(f"{API}/{city_survey.pk}/results").json() == data
    # scores: by key or by id, the same withholding
    scores = login(panel_member).get(f"{API}/{city_survey.pk}/scores", {"question": "overall"}).json()
    assert scores["overall"]["n"] == 14
    assert all(c["score"]["suppressed"] for c in scores["communities"])
    by_id = city_survey.questions.get(key="overall").pk
    assert (
        login(panel_member).get(f"{API}/{city_survey.pk}/scores", {"question": str(by_id)}).json()["overall"]
        == (scores["overall"])
    )
    # 铜霞's staff see the total and their own community only
    own = login(community_staff).get(f"{API}/{city_survey.pk}/results").json()
    assert [g["community_id"] for g in own["communities"]] == [city.tongxia.pk]
    assert [c["community_id"] for c in own["index"]["communities"]] == [city.tongxia.pk]


def test_communities_of_the_same_name_keep_their_own_ids(city_survey, approval_officer, city):
    """Names are unique within a district only: the results used to find a community's id by its name."""
    other = org_services.create_region(
        actor=None, name="义安区", kind="district", code="340706", parent=city.city
    )
    twin = org_services.create_region(
        actor=None, name="铜霞社区", kind="community", code="340706001", parent=other
    )
    data = login(approval_officer).get(f"{API}/{city_survey.pk}/results").json()
    assert sorted(g["community_id"] for g in data["communities"]) == sorted(
        [city.tongxia.pk, city.shizishan.pk, twin.pk]
    )


def test_scores_of_an_unknown_question_are_422(survey, community_staff):
    client = login(community_staff)
    for question in ("no-such", str(survey.questions.get(kind=Question.Kind.TEXT).pk)):
        response = client.get(f"{API}/{survey.pk}/scores", {"question": question})
        assert response.status_code == 422 and response.json()["error"]["fields"] == {"question": "unknown"}


def test_results_of_a_draft_are_404_even_for_its_managers(draft, community_staff, panel_member, resident):
    for user in (community_staff, panel_member, resident):
        for tail in ("results", "scores"):
            assert login(user).get(f"{API}/{draft.pk}/{tail}").status_code == 404


def test_results_are_refused_outside_the_scope(survey, outsider, resident):
    for user in (outsider, resident):
        assert login(user).get(f"{API}/{survey.pk}/results").status_code == 404
        assert login(user).get(f"{API}/{survey.pk}/rates").status_code == 404
    assert Client().get(f"{API}/{survey.pk}/results").status_code == 401


def test_comments_only_for_the_managers_and_from_five(
    survey, city, community_staff, panel_member, approval_officer
):
    fill(survey, city.estate, [4, 4, 4, 4], text="意见")
    text_q = survey.questions.get(kind=Question.Kind.TEXT)
    url = f"{API}/questions/{text_q.pk}/comments"
    assert login(community_staff).get(url).json() == {"question_id": text_q.pk, "withheld": True, "texts": []}
    fill(survey, city.estate, [4], text="补充")
    shown = login(community_staff).get(url).json()
    assert (
        shown["withheld"] is False and len(shown["texts"]) == 5 and shown["texts"] == sorted(shown["texts"])
    )
    # the office over the scope manages it too; the panel (evaluators) never reads free text
    assert login(approval_officer).get(url).status_code == 200
    assert login(panel_member).get(url).status_code == 404
    # a question that is not a text question is not found either
    scale = survey.questions.get(key="overall")
    assert login(community_staff).get(f"{API}/questions/{scale.pk}/comments").status_code == 404


def test_rates_show_participation_counts_for_the_visible_communities(
    city_survey, community_staff, panel_member, city
):
    fill(city_survey, city.estate, [4, 4])
    own = login(community_staff).get(f"{API}/{city_survey.pk}/rates").json()
    assert [r["community_id"] for r in own["rows"]] == [city.tongxia.pk]
    assert own["rows"][0]["responded"] == 2 and own["total"]["responded"] == 2
    every = login(panel_member).get(f"{API}/{city_survey.pk}/rates").json()
    assert {r["community_id"] for r in every["rows"]} == {city.tongxia.pk, city.shizishan.pk}
