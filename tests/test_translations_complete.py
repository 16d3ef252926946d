"""The Khmer catalogue is complete: Khmer is the UI's first language, so nothing may fall back to English.

The .po file is parsed here directly (no polib, no msgfmt), and the gettext check compiles the current
.po into a temporary .mo, so the tests neither depend on `make messages` having run nor on a stale .mo.
"""

from __future__ import annotations

import ast
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
KM_PO = LOCALE_DIR / "km" / "LC_MESSAGES" / "django.po"

KHMER = re.compile("[\u1780-\u17ff]")
# Entries that may stay all-Latin in the Khmer UI. None today: the glossary translates the helpline's
# name (ខ្សែទូរស័ព្ទជំនួយកុមារ), and tests/test_khmer_glossary.py keeps "Helpline" out of Khmer texts.
LATIN_ALLOWED: frozenset[str] = frozenset()
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def __str__(self) -> str:
        return f"{KM_PO.name}:{self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    # PO strings use C escapes, which for the characters that occur (\n, \t, \", \\) match Python's.
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entry: not shown to anyone
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()  # a comment after a msgstr starts a new entry
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if current is None:
            current = Entry(line=number)
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"{path.name}:{number}: continuation line outside an entry"
            keyword, rest = "", line
        else:
            if keyword == "msgid" and target is not None and target[0] == "msgstr":
                finish()  # entries not separated by a blank line
                current = Entry(line=number)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                target = ("msgstr", int(match.group(1)))
            elif keyword in {"msgctxt", "msgid", "msgid_plural", "msgstr"}:
                target = (keyword, 0)
            else:
                raise AssertionError(f"{path.name}:{number}: cannot parse {raw!r}")
            assert current is not None
            if target[0] == "msgstr":
                current.msgstr.setdefault(target[1], "")
            elif target[0] == "msgctxt":
                current.msgctxt = ""
            elif target[0] == "msgid_plural":
                current.msgid_plural = ""
        value = _unquote(rest)
        assert current is not None and target is not None
        name, index = target
        if name == "msgstr":
            current.msgstr[index] += value
        else:
            setattr(current, name, (getattr(current, name) or "") + value)
    finish()
    return [entry for entry in entries if entry.msgstr or entry.msgid]


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next(entry for entry in entries if entry.is_header)
    return dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)


def write_mo(entries: list[Entry], path: Path) -> None:
    """Write a GNU .mo file (what msgfmt makes), skipping fuzzy and untranslated entries as msgfmt does."""
    catalogue: dict[bytes, bytes] = {}
    for entry in entries:
        if "fuzzy" in entry.flags and not entry.is_header:
            continue
        strings = [entry.msgstr[i] for i in sorted(entry.msgstr)]
        if not any(strings):
            continue
        key = entry.msgid if entry.msgid_plural is None else f"{entry.msgid}\0{entry.msgid_plural}"
        if entry.msgctxt is not None:
            key = f"{entry.msgctxt}\x04{key}"
        catalogue[key.encode()] = "\0".join(strings).encode()
    keys = sorted(catalogue)
    count = len(keys)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    data_at = translations_at + count * 8
    data = b""
    originals, translations = [], []
    for key in keys:
        originals.append((len(key), data_at + len(data)))
        data += key + b"\0"
    for key in keys:
        value = catalogue[key]
        translations.append((len(value), data_at + len(data)))
        data += value + b"\0"
    table = b"".join(struct.pack("<II", *pair) for pair in originals + translations)
    header = struct.pack("<7I", 0x950412DE, 0, count, originals_at, translations_at, 0, data_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + table + data)


@pytest.fixture(scope="module")
def km_entries() -> list[Entry]:
    return parse_po(KM_PO)


def test_header_is_khmer_and_not_fuzzy(km_entries: list[Entry]) -> None:
    header = next(entry for entry in km_entries if entry.is_header)
    assert "fuzzy" not in header.flags
    fields = header_fields(km_entries)
    assert fields.get("Language") == "km"
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert fields.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_not_fuzzy(km_entries: list[Entry]) -> None:
    messages = [entry for entry in km_entries if not entry.is_header]
    assert len(messages) > 100, "the catalogue looks truncated; run `make makemessages`"
    fuzzy = [str(entry) for entry in messages if "fuzzy" in entry.flags]
    untranslated = [str(entry) for entry in messages if not entry.msgstr or not all(entry.msgstr.values())]
    assert not fuzzy, "fuzzy entries in the Khmer catalogue:\n" + "\n".join(fuzzy)
    assert not untranslated, "untranslated entries in the Khmer catalogue:\n" + "\n".join(untranslated)


def test_plural_entries_have_the_single_khmer_form(km_entries: list[Entry]) -> None:
    wrong = [str(e) for e in km_entries if e.msgid_plural is not None and sorted(e.msgstr) != [0]]
    assert not wrong, "Khmer has one plural form (msgstr[0] only):\n" + "\n".join(wrong)


def test_placeholders_are_kept(km_entries: list[Entry]) -> None:
    wrong = []
    for entry in km_entries:
        if entry.is_header:
            continue
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
        expected = sorted(PLACEHOLDER.findall(sources[-1]))
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{entry} -> {text!r}")
    assert not wrong, "placeholders differ from the English source:\n" + "\n".join(wrong)


def test_translations_are_in_khmer_script(km_entries: list[Entry]) -> None:
    latin = [
        str(entry)
        for entry in km_entries
        if not entry.is_header
        and entry.msgid not in LATIN_ALLOWED
        and not all(KHMER.search(text) for text in entry.msgstr.values())
    ]
    assert not latin, "entries without Khmer script (copied English?):\n" + "\n".join(latin)


def test_sign_in_is_khmer_at_runtime(km_entries: list[Entry], settings, tmp_path: Path) -> None:
    write_mo(km_entries, tmp_path / "km" / "LC_MESSAGES" / "django.mo")
    settings.LOCALE_PATHS = [tmp_path]  # setting_changed clears Django's translation caches
    with translation.override("km"):
        khmer = translation.gettext("Sign in")
    with translation.override("en"):
        english = translation.gettext("Sign in")
    assert KHMER.search(khmer), f"'Sign in' is not Khmer under km: {khmer!r}"
    assert english == "Sign in"
