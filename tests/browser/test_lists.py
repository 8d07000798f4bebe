"""The community work lists in a phone-width browser (gongzhi.duties).

A resident, not signed in, finds out whether something is their committee's job from the search box; the list
pages do not scroll sideways at 360 px; the approval officer exports the current edition, imports it back as a
draft, publishes it and lands on the diff.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FilePayload, Page

from tests.browser.conftest import DemoServer
from tests.browser.test_personas import horizontal_overflow, log_in

pytestmark = pytest.mark.browser


def test_resident_finds_out_from_a_phone_without_signing_in(page: Page) -> None:
    page.goto("/lists/")
    page.get_by_label("这件事是不是居委会的工作?").fill("开具无犯罪记录证明")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    verdict = page.locator("section.verdict")
    assert "不是居委会的工作" in verdict.inner_text()
    assert "无犯罪记录证明" in page.locator("main").inner_text()
    assert horizontal_overflow(page) <= 0


@pytest.mark.parametrize(
    "path",
    ["/lists/", "/lists/editions/", "/lists/search/?q=低保入户调查", "/lists/template.xlsx"],
)
def test_list_pages_fit_a_phone(page: Page, path: str) -> None:
    if path.endswith(".xlsx"):
        download = page.request.get(path)
        assert download.status == 200 and download.body()[:2] == b"PK"
        return
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways at 360 px"


def test_community_item_and_diff_pages_fit_a_phone(page: Page) -> None:
    page.goto("/lists/")
    with page.expect_navigation():
        page.get_by_role("button", name="查看").click()
    assert "的工作清单" in page.locator("h1").inner_text()
    assert horizontal_overflow(page) <= 0
    with page.expect_navigation():
        page.locator("ul.items a").first.click()
    assert "来源" in page.locator("main").inner_text()
    assert horizontal_overflow(page) <= 0
    page.goto("/lists/")
    with page.expect_navigation():
        page.get_by_role("link", name="与上一版比较").first.click()
    assert re.search(r"\d+ → \d+", page.locator(".big-number").inner_text())
    assert horizontal_overflow(page) <= 0


def test_officer_imports_publishes_and_sees_the_diff(page: Page, demo_server: DemoServer) -> None:
    log_in(page, "demo-office", demo_server.password)
    page.goto("/lists/")
    current = page.get_by_role("link", name=re.compile("铜陵市社区工作事项清单")).first.get_attribute("href")
    assert current is not None
    exported = page.request.get(current + "export.xlsx").body()
    page.goto("/lists/manage/")
    upload: FilePayload = {"name": "list.xlsx", "mimeType": "application/octet-stream", "buffer": exported}
    page.locator("#id_workbook").set_input_files(files=[upload])
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    assert "草稿" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="发布(替代现行版本)").click()
    assert "/diff/" in page.url
    assert "新增0项,删除0项,变更0项" in page.locator("main").inner_text()
    assert horizontal_overflow(page) <= 0
