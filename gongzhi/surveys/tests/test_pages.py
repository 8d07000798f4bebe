"""Survey pages through HTTP: each URL allowed for the right person and refused (404, or the sign-in redirect) for
the wrong one; answering by code on a phone-width page; bad input; rate limits."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from conftest import login
from gongzhi.core.models import AuditEntry
from gongzhi.surveys import codes, services, views
from gongzhi.surveys.models import Answer, Invitation, Participation, Question, Response, Survey
from gongzhi.surveys.tests.conftest import add_households, answers, code_for


def post_answers(survey: Survey, **changes: object) -> dict[str, object]:
    """The form fields of an answer sheet (q<id> names)."""
    data: dict[str, object] = {f"q{k}": v for k, v in answers(survey).items()}
    data.update(changes)
    return data


class _Page(HTMLParser):
    """The links inside the page's <main> element and the options of each <select> (by id), with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_main = 0
        self.main_links: list[str] = []
        self.main_text: list[str] = []
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._select: str | None = None
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "main":
            self.in_main += 1
        elif tag == "a" and self.in_main and a.get("href"):
            self.main_links.append(a["href"] or "")
        elif tag == "select":
            self._select = a.get("id") or a.get("name") or ""
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self._option = a.get("value") or ""
            self.options[self._select].append((self._option, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main -= 1
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None

    def handle_data(self, data: str) -> None:
        if self.in_main:
            self.main_text.append(data)
        if self._select is not None and self._option is not None:
            value, text = self.options[self._select][-1]
            self.options[self._select][-1] = (value, text + data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    assert page.main_text or page.main_links, "no <main> element"
    return page


# --- answering by code (public) -------------------------------------------------------------------------------

PHONE = "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36"


def scan(client: Client, code: str) -> None:
    """What a phone does with a slip's QR link: the code is taken once and the browser sent on without it."""
    response = client.get(f"/s/{code}/")
    assert response.status_code == 302 and response["Location"] == "/s/answer/"
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    cookie = response.cookies["survey"]
    assert code not in cookie.value and cookie["httponly"] and cookie["path"] == "/s/"


def test_anyone_types_a_code_and_answers_on_a_phone_page(survey, city):
    code = code_for(survey, city.household)
    client = Client(HTTP_USER_AGENT=PHONE)
    page = client.get("/s/")
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    typed = codes.pretty(code).lower().replace("0", "o")  # case, dash and O-for-0 are forgiven
    response = client.post("/s/", {"code": typed})
    # the code stays out of the URL: a signed cookie (holding the code's HMAC, not the code) carries it
    assert response.status_code == 302 and response["Location"] == "/s/answer/"
    assert code not in response.cookies["survey"].value
    sheet = client.get("/s/answer/")
    html = sheet.content.decode()
    assert sheet.status_code == 200 and survey.title in html and code not in html
    assert 'name="viewport"' in html and "<script" not in html and "style=" not in html
    assert 'action="/s/answer/"' in html
    for q in survey.questions.all():
        assert f'name="q{q.pk}"' in html
    retry = re.search(r'name="retry" value="([0-9a-f]+)"', html)
    assert retry is not None
    data = post_answers(survey, retry=retry.group(1))
    done = client.post("/s/answer/", data)
    assert done.status_code == 200 and "提交成功" in done.content.decode()
    assert (Participation.objects.count(), Response.objects.count()) == (1, 1)
    # the same form sent again (a double tap): same outcome, nothing new
    again = client.post("/s/answer/", data)
    assert again.status_code == 200 and "此前已经收到" in again.content.decode()
    # a different form (another member of the household): refused, and the cookie is dropped
    other = client.post("/s/answer/", post_answers(survey, retry="b" * 32))
    assert other.status_code == 409 and other.cookies["survey"].value == ""
    scan(client, code)
    assert client.get("/s/answer/").status_code == 409  # the page says it was answered
    assert Response.objects.count() == 1


def test_the_qr_link_takes_the_code_once_and_redirects_to_the_code_less_sheet(survey, city):
    code = code_for(survey, city.household)
    phone = Client(HTTP_USER_AGENT=PHONE)
    scan(phone, code)
    sheet = phone.get("/s/answer/")
    assert sheet.status_code == 200 and survey.title in sheet.content.decode()
    assert sheet["Cache-Control"] == "no-store"
    assert phone.post("/s/answer/", post_answers(survey)).status_code == 200
    assert Response.objects.count() == 1
    # the QR link is for opening only: answers are never sent to a URL with the code
    assert Client().post(f"/s/{code}/", post_answers(survey)).status_code == 405


def test_the_sheet_needs_the_signed_cookie(survey, city, monkeypatch):
    code = code_for(survey, city.household)
    assert Client().get("/s/answer/")["Location"] == "/s/"  # no code yet: type it first
    # a forged cookie (the right HMAC, not signed by the server) and an expired one are refused
    forged = Client()
    forged.cookies["survey"] = codes.code_hash(code)
    assert forged.get("/s/answer/")["Location"] == "/s/"
    late = forged.post("/s/answer/", post_answers(survey))
    assert late.status_code == 400 and "答卷未提交" in late.content.decode()
    phone = Client()
    scan(phone, code)
    monkeypatch.setattr(views, "SHEET_MAX_AGE", -1)  # two hours later
    assert phone.post("/s/answer/", post_answers(survey)).status_code == 400
    assert Participation.objects.count() == 0


def test_a_wrong_code_is_refused(survey, city):
    client = Client()
    response = client.post("/s/", {"code": "ABCDE-FGHJK"})
    assert response.status_code == 422 and "邀请码无效" in response.content.decode()
    assert "survey" not in response.cookies
    assert client.post("/s/", {"code": ""}).status_code == 422
    assert client.get("/s/ABCDEFGHJK/").status_code == 404
    assert client.get("/s/not-a-code/").status_code == 404
    assert client.post("/s/ABCDEFGHJK/", post_answers(survey)).status_code == 405
    assert client.post("/s/answer/", post_answers(survey)).status_code == 400
    assert Participation.objects.count() == 0


def test_bad_answers_show_the_sheet_again_with_the_question_marked(survey, city):
    code = code_for(survey, city.household)
    q1 = survey.questions.get(position=1)
    client = Client()
    scan(client, code)
    response = client.post("/s/answer/", post_answers(survey, **{f"q{q1.pk}": "9"}))
    assert response.status_code == 422
    html = response.content.decode()
    assert "请选1到5分" in html and f'id="e-q{q1.pk}"' in html
    assert Participation.objects.count() == 0
    # the cookie is kept: the corrected sheet goes through
    assert client.post("/s/answer/", post_answers(survey)).status_code == 200


def test_closed_survey_refuses_answers(survey, city, community_staff):
    code = code_for(survey, city.household)
    client = Client()
    scan(client, code)
    services.close_survey(actor=community_staff, survey=survey)
    assert client.post("/s/answer/", post_answers(survey)).status_code == 409
    scan(client, code)
    page = client.get("/s/answer/")
    assert page.status_code == 409 and "问卷已结束" in page.content.decode()
    assert Response.objects.count() == 0


def test_after_the_closing_date_the_page_says_the_survey_has_ended(survey, city, resident):
    code = code_for(survey, city.household)
    client = Client()
    scan(client, code)
    yesterday = timezone.localdate() - timedelta(days=1)
    Survey.objects.filter(pk=survey.pk).update(closes_on=yesterday)
    page = client.post("/s/answer/", post_answers(survey))
    assert page.status_code == 409 and "截止" in page.content.decode()
    scan(client, code)
    page = client.get("/s/answer/")
    html = page.content.decode()
    assert (
        page.status_code == 409 and f"已于{yesterday.year}年{yesterday.month}月{yesterday.day}日截止" in html
    )
    signed_in = login(resident)
    assert signed_in.get(f"/surveys/{survey.pk}/answer/").status_code == 409
    assert "已截止" in signed_in.get("/surveys/mine/").content.decode()
    assert signed_in.post(f"/surveys/{survey.pk}/answer/", post_answers(survey)).status_code == 409
    assert (Participation.objects.count(), Response.objects.count()) == (0, 0)
    # the closing day itself still counts
    Survey.objects.filter(pk=survey.pk).update(closes_on=timezone.localdate())
    scan(client, code)
    assert client.get("/s/answer/").status_code == 200
    assert client.post("/s/answer/", post_answers(survey)).status_code == 200


@override_settings(SURVEY_RATE_LIMITS={"submit": (3, 600), "lookup": (2, 600)})
def test_public_endpoints_are_rate_limited_per_address(survey, city):
    client = Client()
    for _ in range(2):
        assert client.post("/s/", {"code": "ABCDE-FGHJK"}).status_code == 422
    blocked = client.post("/s/", {"code": codes.pretty(code_for(survey, city.household))})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert client.get("/s/ABCDEFGHJK/").status_code == 429
    other_address = Client(REMOTE_ADDR="10.0.0.2")
    code = code_for(survey, city.household)
    scan(other_address, code)
    for _ in range(3):
        assert other_address.post("/s/answer/", {}).status_code == 422
    assert other_address.post("/s/answer/", post_answers(survey)).status_code == 429
    assert Response.objects.count() == 0


# --- answering with an account ----------------------------------------------------------------------------------


def test_a_signed_in_resident_answers_for_the_household_without_a_code(survey, resident, city):
    client = login(resident)
    mine = client.get("/surveys/mine/")
    assert mine.status_code == 200 and f"/surveys/{survey.pk}/answer/" in mine.content.decode()
    assert client.get(f"/surveys/{survey.pk}/answer/").status_code == 200
    assert client.post(f"/surveys/{survey.pk}/answer/", post_answers(survey)).status_code == 200
    p = Participation.objects.get()
    assert p.channel == "account" and p.entered_by is None
    assert client.get(f"/surveys/{survey.pk}/answer/").status_code == 409
    assert "本户已提交" in client.get("/surveys/mine/").content.decode()
    # and the household's code no longer works
    phone = Client()
    scan(phone, code_for(survey, city.household))
    assert phone.post("/s/answer/", post_answers(survey)).status_code == 409


def test_account_answering_is_refused_outside_the_household_scope(survey, outsider, community_staff):
    for user in (outsider, community_staff):  # neither lives in a household of 铜霞
        client = login(user)
        assert client.get(f"/surveys/{survey.pk}/answer/").status_code == 404
        assert client.post(f"/surveys/{survey.pk}/answer/", post_answers(survey)).status_code == 404
        mine = client.get("/surveys/mine/")
        assert mine.status_code == 200
        main = parse(mine.content.decode())
        assert not [href for href in main.main_links if re.search(r"/surveys/\d+/answer/", href)]
        assert survey.title not in "".join(main.main_text)
    assert Client().get("/surveys/mine/").status_code == 302
    assert Response.objects.count() == 0


# --- staff-assisted entry ----------------------------------------------------------------------------------------


def test_staff_enter_answers_for_a_household_of_their_community(survey, community_staff, city):
    more = add_households(city.estate, 2)
    client = login(community_staff)
    page = client.get(f"/surveys/{survey.pk}/assist/")
    assert page.status_code == 200 and "9-1-000" in page.content.decode()
    sheet = client.get(f"/surveys/{survey.pk}/assist/?respondent={more[0].pk}")
    assert sheet.status_code == 200 and "社区代录" in sheet.content.decode()
    response = client.post(f"/surveys/{survey.pk}/assist/", post_answers(survey, respondent=str(more[0].pk)))
    assert response.status_code == 302
    p = Participation.objects.get()
    assert (p.channel, p.entered_by) == ("assisted", community_staff)
    after = client.get(f"/surveys/{survey.pk}/assist/")
    assert (
        after.status_code == 200 and "已代录" in after.content.decode()
    )  # the confirmation names the household
    left = [label for _, label in parse(after.content.decode()).options["respondent"]]
    assert not [label for label in left if "9-1-000" in label]  # answered: off the list
    assert [label for label in left if "9-1-001" in label]  # the other one still waits
    bad = client.post(f"/surveys/{survey.pk}/assist/", post_answers(survey, respondent="x"))
    assert bad.status_code == 404


def test_assisted_entry_is_refused_to_others(survey, outsider, panel_member, resident, city):
    foreign = add_households(city.other_estate, 1)[0]
    for user in (outsider, panel_member, resident):
        client = login(user)
        assert client.get(f"/surveys/{survey.pk}/assist/").status_code == 404
        assert (
            client.post(
                f"/surveys/{survey.pk}/assist/", post_answers(survey, respondent=str(city.household.pk))
            ).status_code
            == 404
        )
    staff = login(
        __import__("conftest").make_user("staff2", city.committee, "community_staff")
    )  # staff of 铜霞: not for a household of 狮子山
    assert staff.get(f"/surveys/{survey.pk}/assist/?respondent={foreign.pk}").status_code == 404
    assert Participation.objects.count() == 0


# --- building and running -------------------------------------------------------------------------------------


def test_staff_build_open_and_version_a_survey_through_the_pages(community_staff, city):
    client = login(community_staff)
    assert client.get("/surveys/").status_code == 200
    assert client.get("/surveys/new/").status_code == 200
    response = client.post(
        "/surveys/new/",
        {
            "title": "楼道照明问卷",
            "intro": "",
            "purpose": "general",
            "scope": city.tongxia.pk,
            "respondents": "households",
        },
    )
    assert response.status_code == 302
    survey = Survey.objects.get(title="楼道照明问卷")
    base = f"/surveys/{survey.pk}"
    assert client.get(f"{base}/").status_code == 200
    assert client.get(f"{base}/edit/").status_code == 200
    assert (
        client.post(f"{base}/edit/", {"title": "楼道照明满意度", "purpose": "satisfaction"}).status_code
        == 302
    )
    assert client.get(f"{base}/questions/new/").status_code == 200
    new_q = {"kind": "single", "text": "灯亮吗", "required": "on", "options": "亮\n不亮"}
    assert client.post(f"{base}/questions/new/", new_q).status_code == 302
    q = survey.questions.get()
    assert q.options == ["亮", "不亮"]
    assert client.get(f"/surveys/questions/{q.pk}/edit/").status_code == 200
    assert client.post(f"/surveys/questions/{q.pk}/edit/", {**new_q, "text": "楼道灯亮吗"}).status_code == 302
    assert client.post(f"{base}/questions/new/", {"kind": "scale", "text": "满意吗"}).status_code == 302
    extra = survey.questions.get(position=2)
    assert client.post(f"/surveys/questions/{extra.pk}/delete/").status_code == 302
    assert client.post(f"{base}/move/", {"to": "open"}).status_code == 302
    survey.refresh_from_db()
    assert survey.status == "open" and survey.title == "楼道照明满意度"
    # frozen: editing now conflicts
    assert client.post(f"/surveys/questions/{q.pk}/edit/", new_q).status_code == 409
    assert client.post(f"/surveys/questions/{q.pk}/delete/").status_code == 409
    assert client.post(f"{base}/move/", {"to": "open"}).status_code == 409
    assert client.post(f"{base}/move/", {"to": "sideways"}).status_code == 422
    response = client.post(f"{base}/new-version/")
    assert response.status_code == 302
    v2 = Survey.objects.get(series=survey.series, version=2)
    assert response["Location"] == f"/surveys/{v2.pk}/"
    assert client.post(f"{base}/new-version/").status_code == 409
    assert client.post(f"{base}/move/", {"to": "closed"}).status_code == 302


def test_bad_builder_input(draft, community_staff, city):
    client = login(community_staff)
    assert client.post("/surveys/new/", {"title": "", "scope": city.tongxia.pk}).status_code == 422
    assert (
        client.post(
            "/surveys/new/",
            {"title": "x", "purpose": "general", "respondents": "households", "scope": city.shizishan.pk},
        ).status_code
        == 422
    )
    response = client.post(
        f"/surveys/{draft.pk}/questions/new/", {"kind": "single", "text": "x", "options": "只有一个"}
    )
    assert response.status_code == 422 and "2到20个选项" in response.content.decode()
    assert (
        client.post(f"/surveys/{draft.pk}/questions/new/", {"kind": "essay", "text": "x"}).status_code == 422
    )
    assert client.post(f"/surveys/{draft.pk}/move/", {"to": "closed"}).status_code == 409
    assert draft.questions.count() == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/surveys/{pk}/edit/"),
        ("post", "/surveys/{pk}/edit/"),
        ("get", "/surveys/{pk}/questions/new/"),
        ("post", "/surveys/{pk}/questions/new/"),
        ("get", "/surveys/questions/{q}/edit/"),
        ("post", "/surveys/questions/{q}/edit/"),
        ("post", "/surveys/questions/{q}/delete/"),
        ("post", "/surveys/{pk}/move/"),
        ("post", "/surveys/{pk}/new-version/"),
    ],
)
def test_builder_pages_are_refused_to_everyone_but_managers(
    draft, outsider, panel_member, resident, approval_officer, method, path
):
    """The office over the city may manage a community survey too; others get 404 and nothing changes."""
    q = draft.questions.first()
    url = path.format(pk=draft.pk, q=q.pk)
    before = AuditEntry.objects.count()
    for user in (outsider, panel_member, resident):
        assert (
            getattr(login(user), method)(
                url, {"to": "open", "title": "x", "kind": "text", "text": "x"}
            ).status_code
            == 404
        )
    assert getattr(Client(), method)(url).status_code == 302
    assert AuditEntry.objects.count() == before
    assert login(approval_officer).get(f"/surveys/{draft.pk}/").status_code == 200


def test_draft_is_hidden_from_overseers_until_opened(draft, panel_member, community_staff):
    client = login(panel_member)
    assert client.get(f"/surveys/{draft.pk}/").status_code == 404
    assert client.get("/surveys/").status_code == 200
    services.open_survey(actor=community_staff, survey=draft)
    assert client.get(f"/surveys/{draft.pk}/").status_code == 200
    assert draft.title in client.get("/surveys/").content.decode()


def test_index_is_refused_to_residents(resident):
    assert login(resident).get("/surveys/").status_code == 404
    assert Client().get("/surveys/").status_code == 302
    assert login(resident).get("/surveys/new/").status_code == 404


# --- invitations and slips -------------------------------------------------------------------------------------


def test_staff_issue_and_print_slips_with_qr_codes(survey, community_staff, city):
    add_households(city.estate, 3)
    client = login(community_staff)
    html = client.get(f"/surveys/{survey.pk}/invitations/").content.decode()
    # the issue form and the print form each have their own labelled community field (ids must not clash)
    for field_id in ("id_community", "id_print_community"):
        assert html.count(f'id="{field_id}"') == 1 and f'for="{field_id}"' in html
    assert (
        client.post(f"/surveys/{survey.pk}/invitations/", {"community": city.tongxia.pk}).status_code == 302
    )
    assert Invitation.objects.filter(series=survey.series).count() == 4
    page = client.post(f"/surveys/{survey.pk}/slips/", {"community": city.tongxia.pk})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store, private"
    html = page.content.decode()
    printed = re.findall(r'class="slip-code">([0-9A-Z]{5}-[0-9A-Z]{5})<', html)
    assert len(printed) == 4 and html.count("<svg") >= 4 and '<path d="M' in html
    # every printed code opens its questionnaire (the QR link still carries the code; it is taken once)
    for code in printed:
        phone = Client()
        scan(phone, code.replace("-", ""))
        assert phone.get("/s/answer/").status_code == 200
    assert AuditEntry.objects.filter(action="surveys.invitation.print").count() == 1
    # a lost slip: reissue (the old code stops working)
    old = code_for(survey, city.household)
    reissued = client.post(f"/surveys/{survey.pk}/reissue/", {"respondent": city.household.pk})
    assert reissued.status_code == 200
    new = re.findall(r'class="slip-code">([0-9A-Z]{5}-[0-9A-Z]{5})<', reissued.content.decode())
    assert len(new) == 1 and new[0].replace("-", "") != old
    assert Client().get(f"/s/{old}/").status_code == 404


def test_slips_are_refused_to_the_office_and_other_communities(
    city_survey, approval_officer, outsider, community_staff, city, panel_member
):
    office = login(approval_officer)
    assert (
        office.post(f"/surveys/{city_survey.pk}/invitations/", {}).status_code == 302
    )  # the whole city: counts only
    assert office.post(f"/surveys/{city_survey.pk}/slips/", {"community": city.tongxia.pk}).status_code == 404
    assert (
        office.post(f"/surveys/{city_survey.pk}/reissue/", {"respondent": city.household.pk}).status_code
        == 404
    )
    other = login(outsider)
    assert other.post(f"/surveys/{city_survey.pk}/slips/", {"community": city.tongxia.pk}).status_code == 404
    assert (
        other.post(f"/surveys/{city_survey.pk}/reissue/", {"respondent": city.household.pk}).status_code
        == 404
    )
    assert (
        other.post(f"/surveys/{city_survey.pk}/invitations/", {"community": city.tongxia.pk}).status_code
        == 422
    )
    panel = login(panel_member)
    assert panel.get(f"/surveys/{city_survey.pk}/invitations/").status_code == 404
    assert panel.post(f"/surveys/{city_survey.pk}/slips/", {"community": city.tongxia.pk}).status_code == 404
    assert AuditEntry.objects.filter(action="surveys.invitation.print").count() == 0
    mine = login(community_staff).post(f"/surveys/{city_survey.pk}/slips/", {"community": city.tongxia.pk})
    assert mine.status_code == 200


# --- results --------------------------------------------------------------------------------------------------


@pytest.fixture
def answered(survey, city):
    households = add_households(city.estate, 6)
    text_q = survey.questions.get(kind=Question.Kind.TEXT)
    for i, h in enumerate(households):
        services.submit_with_code(
            code=code_for(survey, h),
            answers=answers(survey, overall=5 - i % 2, extra={str(text_q.pk): f"建议{i}"}),
        )
    return survey


def test_results_show_aggregates_with_margins_and_withheld_cells(
    answered, community_staff, panel_member, approval_officer
):
    for user in (community_staff, panel_member, approval_officer):
        page = login(user).get(f"/surveys/{answered.pk}/results/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "4.50" in html and "±" in html and "&lt;5" in html
        assert "建议0" not in html  # no answer text on the results page


def test_text_answers_only_for_the_survey_managers(
    answered, community_staff, panel_member, approval_officer, outsider
):
    q = answered.questions.get(kind=Question.Kind.TEXT)
    page = login(community_staff).get(f"/surveys/questions/{q.pk}/comments/")
    assert page.status_code == 200 and "建议0" in page.content.decode()
    for user in (panel_member, outsider):  # the evaluators see aggregates only
        assert login(user).get(f"/surveys/questions/{q.pk}/comments/").status_code == 404
    assert Client().get(f"/surveys/questions/{q.pk}/comments/").status_code == 302


def test_results_are_refused_outside_the_scope_and_for_drafts(
    answered, draft, outsider, resident, community_staff
):
    for user in (outsider, resident):
        assert login(user).get(f"/surveys/{answered.pk}/results/").status_code == 404
    assert login(community_staff).get(f"/surveys/{draft.pk}/results/").status_code == 404
    assert Client().get(f"/surveys/{answered.pk}/results/").status_code == 302


def test_get_requests_write_nothing(answered, community_staff):
    client = login(community_staff)
    counts = (AuditEntry.objects.count(), Answer.objects.count(), Invitation.objects.count())
    for url in (
        f"/surveys/{answered.pk}/",
        f"/surveys/{answered.pk}/results/",
        f"/surveys/{answered.pk}/invitations/",
        f"/surveys/{answered.pk}/assist/",
    ):
        assert client.get(url).status_code == 200
    assert client.get(f"/surveys/{answered.pk}/slips/").status_code == 405
    assert (AuditEntry.objects.count(), Answer.objects.count(), Invitation.objects.count()) == counts
