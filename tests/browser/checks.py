"""Shared checks for the phone-width page tests: sideways scrolling, labelled controls, reaching things with Tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

# A page may be this many CSS pixels wider than the 360 px viewport (sub-pixel rounding), no more.
TOLERANCE = 1

# Every visible form control on the page (header, main and footer) that has no accessible name: inputs, selects and
# text areas need a <label> (or aria-label / aria-labelledby); buttons need text or an aria-label.
UNLABELLED = """() => {
  const named = (e) => !!((e.getAttribute("aria-label") || "").trim()) || !!e.getAttribute("aria-labelledby");
  const out = [];
  for (const e of document.querySelectorAll("input, select, textarea, button")) {
    if (e.type === "hidden" || e.closest("[hidden]")) continue;
    const ok = e.tagName === "BUTTON"
      ? !!e.textContent.trim() || named(e)
      : (e.labels && Array.from(e.labels).some((l) => l.textContent.trim())) || named(e);
    if (!ok) out.push(e.outerHTML.slice(0, 160));
  }
  return out;
}"""

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return {tag: "body", name: "", type: "", text: "", href: "", inMain: false};
  const main = document.querySelector("main");
  return {
    tag: e.tagName.toLowerCase(),
    name: e.getAttribute("name") || "",
    type: e.getAttribute("type") || "",
    value: e.getAttribute("value") || "",
    text: (e.textContent || "").trim(),
    href: e.getAttribute("href") || "",
    inMain: !!(main && main.contains(e)),
  };
}"""


def sideways(page: Page) -> int:
    """How many CSS pixels the document is wider than 360 px (scrollWidth - 360; <= 0 when nothing scrolls)."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width - 360


def assert_fits_phone(page: Page) -> None:
    assert page.viewport_size is not None and page.viewport_size["width"] == 360
    assert sideways(page) <= TOLERANCE, (
        f"{page.url} scrolls sideways at 360 px ({sideways(page)} px too wide)"
    )


def assert_all_labelled(page: Page) -> None:
    missing: list[str] = page.evaluate(UNLABELLED)
    assert not missing, f"{page.url}: form controls without a label: {missing}"


def focused(page: Page) -> dict[str, Any]:
    info: dict[str, Any] = page.evaluate(FOCUSED)
    return info


def tab_to(
    page: Page, wanted: Callable[[dict[str, Any]], bool], what: str, limit: int = 80
) -> dict[str, Any]:
    """Press Tab until the focused element is `wanted` (checking the current focus first); fail after `limit`."""
    seen: list[str] = []
    for _ in range(limit):
        now = focused(page)
        if wanted(now):
            return now
        seen.append(f"{now['tag']}:{now['name'] or now['text'][:12]}")
        page.keyboard.press("Tab")
    raise AssertionError(f"{page.url}: Tab never reached {what}; focus went {' → '.join(seen)}")
