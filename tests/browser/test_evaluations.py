"""Evaluations at phone width (360 px): the office's cycle page, the panel's review pages, and the public results.

The demo's cycle stays open (rating in progress), so its results are not public: the office's cycle page and the
panel's review page are tested on it, and its public results URL must answer 404. For the public results page the
module adds a second, empty cycle of the same city (the first half-year, "浏览器测试") and takes it through review,
sign-off and publication with the services — leaving the demo's own cycle untouched for other tests.
Each page: no sideways scrolling, every form control labelled, the main action reachable with Tab and worked with
Enter.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.checks import assert_all_labelled, assert_fits_phone, focused, tab_to
from tests.browser.conftest import DemoServer
from tests.browser.test_personas import log_in

pytestmark = pytest.mark.browser

CYCLES_SCRIPT = """
import datetime as dt, json
from gongzhi.core.models import User
from gongzhi.evaluations import services
from gongzhi.evaluations.models import Cycle
demo = Cycle.objects.filter(is_sample=True, period=Cycle.Period.YEAR).order_by("pk").first()
office = User.objects.get(username="demo-office")
panel = User.objects.get(username="demo-panel")
published = Cycle.objects.filter(scope=demo.scope, year=demo.year, period=Cycle.Period.H1).first()
if published is None:
    published = services.create_cycle(
        actor=office, scope=demo.scope, year=demo.year, period=Cycle.Period.H1,
        name=f"{demo.year}年上半年政社互动双向评估(浏览器测试)", ratings_due=dt.date(demo.year, 6, 30), is_sample=True,
    )
for to, actor in (("open", office), ("reviewing", office), ("signed_off", panel), ("published", office)):
    if published.status != Cycle.Status.PUBLISHED:
        published = services.move_cycle(actor=actor, cycle=published, to=to)
print(json.dumps({
    "demo": {"pk": demo.pk, "name": demo.name, "status": demo.status},
    "published": {"pk": published.pk, "name": published.name},
}))
"""


@pytest.fixture(scope="module")
def cycles(demo_server: DemoServer) -> dict[str, Any]:
    done = demo_server.manage("shell", "-c", CYCLES_SCRIPT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _link(text: str) -> Any:
    return lambda f: f["inMain"] and f["tag"] == "a" and f["text"] == text


def test_office_cycle_page_on_a_phone(page: Page, demo_server: DemoServer, cycles: dict[str, Any]) -> None:
    demo = cycles["demo"]
    assert demo["status"] == "open"
    log_in(page, "demo-office", demo_server.password)
    page.goto("/evaluations/")
    assert_fits_phone(page)
    tab_to(page, _link(demo["name"]), "the demo cycle")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("main h1").inner_text() == demo["name"]
    assert "评分与调查进行中" in page.locator("main dl").inner_text()
    assert_fits_phone(page)
    assert_all_labelled(page)
    # The stage form (move on to review) is reachable from the keyboard; it is not pressed, the cycle stays open.
    tab_to(
        page, lambda f: f["inMain"] and f["tag"] == "button" and f["value"] == "reviewing", "the move button"
    )
    page.goto(f"/evaluations/cycles/{demo['pk']}/")

    # The office's own main action on an open cycle: rating the communities.
    tab_to(page, _link("评分"), "the rating link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/evaluations/cycles/{demo['pk']}/rate/")
    assert_fits_phone(page)
    assert_all_labelled(page)


def test_panel_review_pages_on_a_phone(page: Page, demo_server: DemoServer, cycles: dict[str, Any]) -> None:
    log_in(page, "demo-panel", demo_server.password)
    # The demo's open cycle: nothing computed yet, but the page and its direction tabs work.
    page.goto(f"/evaluations/cycles/{cycles['demo']['pk']}/review/")
    assert page.locator("main h1").inner_text() == "指标与依据"
    assert_fits_phone(page)
    assert_all_labelled(page)
    tab_to(page, _link("社区评部门"), "the departments tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("main nav a[aria-current=page]").inner_text() == "社区评部门"
    assert_fits_phone(page)

    # The published cycle has computed rows: find a department by name from the keyboard, open its detail.
    page.goto(f"/evaluations/cycles/{cycles['published']['pk']}/review/?direction=department")
    assert_fits_phone(page)
    assert_all_labelled(page)
    tab_to(page, lambda f: f["inMain"] and f["name"] == "q", "the name search")
    page.keyboard.type("民政")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("main tbody tr")
    assert rows.count() == 1 and "民政局" in rows.inner_text()
    assert_fits_phone(page)
    tab_to(page, lambda f: f["inMain"] and f["tag"] == "a" and "民政局" in f["text"], "the department link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "民政局" in page.locator("main").inner_text()
    assert_fits_phone(page)
    assert_all_labelled(page)


def test_public_results_on_a_phone_without_signing_in(page: Page, cycles: dict[str, Any]) -> None:
    # The demo's cycle is still open: its results are not public.
    response = page.goto(f"/evaluations/results/{cycles['demo']['pk']}/")
    assert response is not None and response.status == 404

    published = cycles["published"]
    page.goto("/evaluations/results/")
    assert_fits_phone(page)
    tab_to(page, _link(published["name"]), "the published cycle")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/evaluations/results/{published['pk']}/")
    assert page.locator("main h1").inner_text() == published["name"]
    main = page.locator("main").inner_text()
    assert "政府评社区" in main and "社区评部门" in main and "铜陵市民政局" in main
    assert page.locator("main svg").count() >= 1
    assert_fits_phone(page)
    assert_all_labelled(page)

    tab_to(page, _link("下载 xlsx"), "the download link")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert focused(page)["text"] == "下载 xlsx"

    tab_to(page, _link("打印版报告"), "the report link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert published["name"] in page.locator("h1").first.inner_text()
    assert_fits_phone(page)
