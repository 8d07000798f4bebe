"""The English catalogue is complete and the committed django.mo is the compiled django.po.

A new machine has no gettext tools, so the .mo is committed; these tests fail when a string lacks a translation,
when the .mo was not recompiled after the .po changed, or when a string in the code or templates was never
extracted (run `make messages`, translate the new entries, commit both files).
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

PACKAGE = Path(settings.BASE_DIR)
LOCALE = PACKAGE / "locale" / "en" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def _unquote(text: str) -> str:
    value = ast.literal_eval(text.strip())
    assert isinstance(value, str)
    return value


def parse_po(text: str) -> list[Entry]:
    """A small .po reader: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags; obsolete (#~) entries
    are skipped."""
    entries: list[Entry] = []
    for number, block in _blocks(text):
        entry = Entry(line=number)
        current: str | None = None
        seen = False
        for raw in block:
            line = raw.strip()
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
                continue
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
            if match:
                seen = True
                current = match.group(1)
                value = _unquote(match.group(3))
            elif line.startswith('"') and current is not None:
                value = _unquote(line)
            else:
                raise AssertionError(f"django.po line {number}: cannot read {raw!r}")
            if current == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif current == "msgid":
                entry.msgid += value
            elif current == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                assert current is not None
                index = int(current[7:-1]) if current.startswith("msgstr[") else 0
                entry.msgstr[index] = entry.msgstr.get(index, "") + value
        if seen:
            entries.append(entry)
    return entries


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#~"):
            continue
        if not line.strip():
            if current:
                blocks.append((start, current))
            current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO.exists(), f"{PO} is missing: run `make messages`"
    parsed = parse_po(PO.read_text(encoding="utf-8"))
    assert parsed and parsed[0].msgid == "", "django.po has no header entry"
    return parsed


@pytest.fixture(scope="module")
def catalog() -> dict[object, str]:
    assert MO.exists(), f"{MO} is missing: run `make messages` and commit it"
    with MO.open("rb") as fh:
        translations = gettext.GNUTranslations(fh)
    result: dict[object, str] = translations._catalog  # type: ignore[attr-defined]
    return result


def test_header_declares_english_and_utf8(entries: list[Entry]) -> None:
    header = entries[0]
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]


def test_every_message_has_an_english_translation(entries: list[Entry]) -> None:
    missing = []
    for entry in entries[1:]:
        forms = 2 if entry.msgid_plural is not None else 1
        translated = [entry.msgstr.get(i, "").strip() for i in range(forms)]
        if "fuzzy" in entry.flags or not all(translated):
            missing.append(f"line {entry.line}: {entry.msgid!r}")
    assert not missing, "untranslated or fuzzy entries in django.po:\n" + "\n".join(missing)


def test_translations_are_english_and_keep_placeholders(entries: list[Entry]) -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    problems = []
    for entry in entries[1:]:
        wanted = {m.group(0) for m in PLACEHOLDER.finditer(entry.msgid)}
        for text in entry.msgstr.values():
            if {m.group(0) for m in PLACEHOLDER.finditer(text)} != wanted:
                problems.append(f"line {entry.line}: placeholders differ in {text!r}")
            # English text; a bilingual label such as the language switch may keep its Chinese half after the
            # English one.
            english_part = text.split(" / ")[0]
            if han.search(english_part):
                problems.append(f"line {entry.line}: not English: {text!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_the_po(entries: list[Entry], catalog: dict[object, str]) -> None:
    expected: dict[object, str] = {}
    for entry in entries[1:]:
        if entry.msgid_plural is not None:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
        else:
            expected[entry.key] = entry.msgstr.get(0, "")
    compiled = {k: v for k, v in catalog.items() if k != ""}
    stale = sorted(str(k) for k in expected if compiled.get(k) != expected[k])
    extra = sorted(str(k) for k in compiled if k not in expected)
    assert not stale and not extra, (
        "django.mo is out of date with django.po (run `make messages` and commit both): "
        f"different or missing in .mo: {stale[:10]}; only in .mo: {extra[:10]}"
    )


# Translatable literals as written in the code and templates. Conservative: only a single plain literal, so
# that whatever this finds must be in the catalogue.
PY_CALL = re.compile(r"""\b(?:_|gettext|gettext_lazy|ngettext|ngettext_lazy)\(\s*"([^"\\\n]+)"\s*[,)]""")
PY_PCALL = re.compile(r"""\bpgettext(?:_lazy)?\(\s*"([^"\\\n]+)"\s*,\s*"([^"\\\n]+)"\s*[,)]""")
TEMPLATE_TAG = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(["'])([^"'\n]+)\1(?:\s+(?:as\s+\w+|noop))?\s*%\}"""
)


def _sources() -> list[Path]:
    skip = {"tests", "migrations", "locale", "static"}
    return [
        p
        for p in sorted(PACKAGE.rglob("*"))
        if p.suffix in (".py", ".html", ".txt") and not skip & set(p.relative_to(PACKAGE).parts)
    ]


def test_every_string_in_the_code_is_in_the_catalogue(entries: list[Entry]) -> None:
    known = {e.key for e in entries}
    absent = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            for match in PY_PCALL.finditer(text):
                if f"{match.group(1)}\x04{match.group(2)}" not in known:
                    absent.append(
                        f"{path.relative_to(PACKAGE)}: {match.group(2)!r} (context {match.group(1)!r})"
                    )
        pattern = PY_CALL if path.suffix == ".py" else TEMPLATE_TAG
        group = 1 if path.suffix == ".py" else 2
        for match in pattern.finditer(text):
            msgid = match.group(group)
            if path.suffix != ".py":
                msgid = msgid.replace("%", "%%")  # as makemessages and {% translate %} both double it
            if msgid not in known:
                absent.append(f"{path.relative_to(PACKAGE)}: {match.group(group)!r}")
    assert not absent, (
        "strings missing from django.po (run `make messages`, translate, commit):\n" + "\n".join(absent)
    )


def test_english_is_served_from_the_catalogue() -> None:
    from django.utils import translation

    with translation.override("en"):
        assert translation.gettext("社区与部门名录") == "Directory of communities and departments"
    with translation.override("zh-hans"):
        assert translation.gettext("社区与部门名录") == "社区与部门名录"


def test_makemessages_leaves_new_strings_empty_instead_of_guessing() -> None:
    from django.core.management import get_commands, load_command_class

    app = get_commands()["makemessages"]
    assert app == "gongzhi.web"
    command = load_command_class(app, "makemessages")
    assert "--no-fuzzy-matching" in command.msgmerge_options  # type: ignore[attr-defined]
