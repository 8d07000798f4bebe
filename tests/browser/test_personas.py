"""Each demo persona logs in through the real login form and sees its home page in Chinese, at phone width.

Also: no horizontal scrolling at 360 px, the login form works from the keyboard alone, a wrong password does not
sign anyone in, and `-k screenshot` writes one PNG per persona's home page (to $GONGZHI_SCREENSHOTS, e.g.
docs/screenshots through `make screenshots`).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import DEMO_USERS, PHONE, DemoServer

pytestmark = pytest.mark.browser

# What the issue fixes about the demo accounts' organizations, on top of what the database says.
EXPECTED_ORG_TEXT = {
    "demo-dept": "民政局",
    "demo-finance": "民政局",
    "demo-community": "铜霞社区居委会",
    "demo-resident": "铜霞",
}

FOCUSED = """() => {
  const e = document.activeElement;
  const labels = e && e.labels ? Array.from(e.labels).map((l) => l.textContent.trim()).filter(Boolean) : [];
  return {
    tag: e ? e.tagName.toLowerCase() : "",
    name: (e && e.getAttribute("name")) || "",
    type: (e && e.getAttribute("type")) || "",
    cls: (e && e.getAttribute("class")) || "",
    href: (e && e.getAttribute("href")) || "",
    inLoginForm: !!(e && e.form && e.form.querySelector("input[name=password]")),
    labels: labels,
  };
}"""


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    with page.expect_navigation():
        form.locator("[type='submit']").click()


def html_lang(page: Page) -> str:
    lang: str = page.evaluate("document.documentElement.lang")
    return lang.lower()


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    overflow: int = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )
    return overflow


def signed_in(page: Page) -> bool:
    return page.locator("details.user-menu").count() > 0


@pytest.mark.parametrize("username", DEMO_USERS)
def test_persona_logs_in_and_sees_home_in_chinese(page: Page, demo_server: DemoServer, username: str) -> None:
    log_in(page, username, demo_server.password)

    assert page.url == demo_server.url + "/"
    assert html_lang(page) == "zh-hans"
    assert signed_in(page)
    body = page.locator("main").inner_text()
    org_names = demo_server.memberships.get(username)
    assert org_names, f"load_demo gave {username} no active membership"
    for name in org_names:
        assert name in body, f"{username}'s home page does not name {name}"
    if username in EXPECTED_ORG_TEXT:
        assert EXPECTED_ORG_TEXT[username] in body
    # Chinese page text, not English fallbacks: the greeting and the organization cards are there.
    assert "您好" in body
    assert page.locator("main section.card h2").count() >= len(set(org_names))


@pytest.mark.parametrize("username", DEMO_USERS)
def test_home_has_no_horizontal_scroll_at_360px(page: Page, demo_server: DemoServer, username: str) -> None:
    log_in(page, username, demo_server.password)
    assert page.viewport_size == PHONE
    assert horizontal_overflow(page) <= 0, f"{username}'s home page scrolls sideways at 360 px"


@pytest.mark.parametrize("path", ["/", "/login/", "/directory/"])
def test_public_pages_have_no_horizontal_scroll_at_360px(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    assert html_lang(page) == "zh-hans"
    assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways at 360 px"


def test_login_works_from_the_keyboard_alone(page: Page, demo_server: DemoServer) -> None:
    # On an ordinary page the first Tab stop is the skip link to the main content.
    page.goto("/")
    page.keyboard.press("Tab")
    first: dict[str, Any] = page.evaluate(FOCUSED)
    assert (first["tag"], first["href"]) == ("a", "#main")

    page.goto("/login/")
    seen: list[dict[str, Any]] = []
    for _ in range(60):
        focused: dict[str, Any] = page.evaluate(FOCUSED)  # the login page may autofocus the username field
        seen.append(focused)
        if focused["inLoginForm"] and focused["name"] == "username":
            page.keyboard.type("demo-dept")
        elif focused["inLoginForm"] and focused["name"] == "password":
            page.keyboard.type(demo_server.password)
        elif focused["inLoginForm"] and focused["type"] == "submit":
            break
        page.keyboard.press("Tab")
    in_form = [f for f in seen if f["inLoginForm"]]
    kinds = [f["name"] or f["type"] for f in in_form]
    assert "username" in kinds, f"Tab never reached the username field: {seen}"
    assert "password" in kinds, f"Tab never reached the password field: {seen}"
    assert kinds[-1] == "submit", f"Tab never reached the submit button: {seen}"
    assert kinds.index("username") < kinds.index("password") < len(kinds) - 1
    for field in in_form:
        if field["name"] in ("username", "password"):
            assert field["labels"], f"the {field['name']} field has no label"

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == demo_server.url + "/"
    assert signed_in(page)
    assert "民政局" in page.locator("main").inner_text()


def test_wrong_password_signs_nobody_in(page: Page, demo_server: DemoServer) -> None:
    log_in(page, "demo-dept", demo_server.password + "x")
    assert page.url.startswith(demo_server.url + "/login/")
    assert html_lang(page) == "zh-hans"
    assert page.locator("form input[name='password']").count() == 1
    assert not signed_in(page)
    page.goto("/")
    assert not signed_in(page)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("username", DEMO_USERS)
def test_screenshot_of_home(page: Page, demo_server: DemoServer, username: str, tmp_path: Path) -> None:
    """`make screenshots` sets GONGZHI_SCREENSHOTS=docs/screenshots; otherwise the PNG goes to a temporary dir."""
    out_dir = Path(os.environ.get("GONGZHI_SCREENSHOTS") or tmp_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    log_in(page, username, demo_server.password)
    assert signed_in(page)
    page.evaluate("document.fonts.ready")
    path = out_dir / f"home-{username}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    width, height = png_size(path)
    assert width == PHONE["width"]
    assert height >= PHONE["height"]


def test_english_browser_still_starts_in_chinese(browser: Browser, demo_server: DemoServer) -> None:
    """The page language comes from the language switch only, not from the browser's Accept-Language."""
    context = browser.new_context(base_url=demo_server.url, viewport=PHONE, locale="en-US")
    try:
        tab = context.new_page()
        tab.goto("/")
        assert html_lang(tab) == "zh-hans"
    finally:
        context.close()


def test_language_switch_shows_english_and_back(page: Page, demo_server: DemoServer) -> None:
    log_in(page, "demo-community", demo_server.password)
    assert "您好" in page.locator("main h1").inner_text()

    with page.expect_navigation():
        page.locator("form.lang button[value='en']").click()
    assert html_lang(page) == "en"
    assert page.url == demo_server.url + "/"
    heading = page.locator("main h1").inner_text()
    assert heading.startswith("Hello")
    assert "您好" not in heading
    assert horizontal_overflow(page) <= 0

    with page.expect_navigation():
        page.locator("form.lang button[value='zh-hans']").click()
    assert html_lang(page) == "zh-hans"
    assert "您好" in page.locator("main h1").inner_text()
