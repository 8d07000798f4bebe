"""HTML checks shared by the page tests: labelled form fields, no inline code, the viewport meta tag."""

from __future__ import annotations

from html.parser import HTMLParser

UNLABELLED_OK = {"hidden", "submit", "button", "reset", "image"}


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.wrapped: set[int] = set()
        self.inline_styles: list[str] = []
        self.inline_scripts = 0
        self.style_blocks = 0
        self.viewport = ""
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "style" in a:
            self.inline_styles.append(tag)
        self.handlers += [k for k in a if k.startswith("on")]
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type", "text") in UNLABELLED_OK:
                return
            if self.label_depth:
                self.wrapped.add(len(self.fields))
            self.fields.append(a)
        elif tag == "script" and not a.get("src"):
            self.inline_scripts += 1
        elif tag == "style":
            self.style_blocks += 1
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = a.get("content", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.label_depth:
            self.label_depth -= 1


def parse(html: str) -> _Form:
    parser = _Form()
    parser.feed(html)
    return parser


def unlabelled_fields(html: str) -> list[str]:
    page = parse(html)
    missing = []
    for index, field in enumerate(page.fields):
        labelled = (
            index in page.wrapped
            or (field.get("id") and field["id"] in page.label_for)
            or field.get("aria-label")
            or field.get("aria-labelledby")
        )
        if not labelled:
            missing.append(field.get("name") or field.get("id") or "?")
    return missing


def inline_code(html: str) -> list[str]:
    page = parse(html)
    problems = [f"style= on <{t}>" for t in page.inline_styles]
    problems += [f"inline handler {h}" for h in page.handlers]
    if page.inline_scripts:
        problems.append(f"{page.inline_scripts} inline <script>")
    if page.style_blocks:
        problems.append(f"{page.style_blocks} <style> block(s)")
    return problems


def viewport(html: str) -> str:
    return parse(html).viewport
