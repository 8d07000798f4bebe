"""Surveys at phone width (360 px): a household answers the demo's satisfaction survey with the code from its slip,
from the keyboard alone, and a second answer from the same household is refused; community staff see the response
rates. Each page: no sideways scrolling, every form control labelled, the main action reachable with Tab and worked
with Enter.

Written against what the user sees (type the code on /s/, press the button, get the questionnaire), not against
URLs that carry the code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.checks import assert_all_labelled, assert_fits_phone, focused, tab_to
from tests.browser.conftest import PHONE, DemoServer
from tests.browser.test_personas import log_in

pytestmark = pytest.mark.browser

# The demo's open satisfaction survey and the code on demo-resident's household's slip (gongzhi.surveys.demo).
SURVEY_SCRIPT = """
import json
from gongzhi.surveys import codes, demo
from gongzhi.surveys.models import Survey
survey = Survey.objects.filter(title=demo.title()).order_by("-version").first()
print(json.dumps({"pk": survey.pk, "title": survey.title, "code": codes.pretty(demo.resident_code(survey))}))
"""


@pytest.fixture(scope="module")
def demo_survey(demo_server: DemoServer) -> dict[str, Any]:
    done = demo_server.manage("shell", "-c", SURVEY_SCRIPT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    survey: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert survey["code"], "load_demo issued no code to demo-resident's household"
    return survey


def _is_code_field(f: dict[str, Any]) -> bool:
    return bool(f["inMain"] and f["tag"] == "input" and f["name"] == "code")


def _is_submit(text: str) -> Any:
    return lambda f: f["inMain"] and f["tag"] == "button" and f["text"] == text


def enter_code_by_keyboard(page: Page, code: str) -> None:
    """On /s/: Tab to the code field, type the code as a resident might (lower case), Tab to the button, Enter."""
    page.goto("/s/")
    tab_to(page, _is_code_field, "the code field")
    page.keyboard.type(code.lower())
    page.keyboard.press("Tab")
    assert _is_submit("开始填写")(focused(page)), f"Tab from the code field went to {focused(page)}"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_household_answers_from_the_keyboard_and_cannot_answer_twice(
    page: Page, browser: Browser, demo_server: DemoServer, demo_survey: dict[str, Any]
) -> None:
    page.goto("/s/")
    assert page.locator("main h1").inner_text() == "填写问卷"
    assert_fits_phone(page)
    assert_all_labelled(page)
    assert page.get_by_label("邀请码", exact=False).count() == 1

    enter_code_by_keyboard(page, demo_survey["code"])
    assert page.locator("main h1").inner_text() == demo_survey["title"]
    assert_fits_phone(page)
    assert_all_labelled(page)
    groups = page.locator("main form fieldset")
    assert groups.count() >= 2

    # Answer every question from the keyboard: Tab into each radio group (one Tab stop per group), Space picks the
    # first choice and arrow keys move it (to 4 of 5); the comment box takes typing; Tab on to the submit button.
    answered_groups: set[str] = set()
    for _ in range(60):
        now = focused(page)
        if _is_submit("提交问卷")(now):
            break
        if now["inMain"] and now["type"] == "radio" and now["name"] not in answered_groups:
            page.keyboard.press("Space")
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            answered_groups.add(now["name"])
        elif now["inMain"] and now["tag"] == "textarea":
            page.keyboard.type("希望多办些老年人活动")
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached the submit button; answered {answered_groups}")
    scales = page.locator("main .scale")
    assert len(answered_groups) == scales.count() >= 2
    assert page.locator("main input[type=radio][value='4']:checked").count() == scales.count()

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "提交成功" in page.locator("main h1").inner_text()
    assert demo_survey["title"] in page.locator("main").inner_text()
    assert_fits_phone(page)

    # Another phone with the same slip: the code is accepted but the household has answered, so no questionnaire.
    context = browser.new_context(base_url=demo_server.url, viewport=PHONE, locale="zh-CN")
    try:
        other = context.new_page()
        enter_code_by_keyboard(other, demo_survey["code"])
        body = other.locator("main").inner_text()
        assert "已提交过" in body, body[:500]
        assert other.locator("main input[type=radio], main textarea").count() == 0
        assert_fits_phone(other)
    finally:
        context.close()


def test_a_wrong_code_is_refused_with_a_labelled_message(page: Page) -> None:
    enter_code_by_keyboard(page, "AAAAA-AAAAA")
    assert page.locator("main h1").inner_text() == "填写问卷"
    assert "邀请码无效" in page.locator("main").inner_text()
    assert page.locator("main input[name='code']").count() == 1
    assert_fits_phone(page)
    assert_all_labelled(page)


def test_community_staff_see_response_rates_on_a_phone(
    page: Page, demo_server: DemoServer, demo_survey: dict[str, Any]
) -> None:
    log_in(page, "demo-community", demo_server.password)
    page.goto("/surveys/")
    assert_fits_phone(page)
    assert_all_labelled(page)
    tab_to(
        page, lambda f: f["inMain"] and f["tag"] == "a" and f["text"] == demo_survey["title"], "the survey"
    )
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("main h1").inner_text().startswith(demo_survey["title"])
    rates = page.locator("main table.rates")
    assert rates.count() == 1
    assert "铜霞社区" in rates.inner_text()
    assert "参与率" in rates.inner_text()
    assert_fits_phone(page)
    assert_all_labelled(page)

    tab_to(page, lambda f: f["inMain"] and f["tag"] == "a" and f["text"] == "汇总结果", "the results link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("main table.rates").count() == 1
    assert_fits_phone(page)
    assert_all_labelled(page)

    # The invitations page (issue codes, print the community's slips, the same rates): fits, and its print
    # button is reachable with Tab. Its labels: the test below.
    page.goto(f"/surveys/{demo_survey['pk']}/invitations/")
    assert "铜霞社区" in page.locator("main table.rates").inner_text()
    assert_fits_phone(page)
    tab_to(page, _is_submit("打印本社区邀请单"), "the print button")


def test_community_invitations_page_labels_every_control(
    page: Page, demo_server: DemoServer, demo_survey: dict[str, Any]
) -> None:
    log_in(page, "demo-community", demo_server.password)
    page.goto(f"/surveys/{demo_survey['pk']}/invitations/")
    assert page.locator("main select").count() == 2
    assert_all_labelled(page)
