"""Text as a database can keep it, and text as it is compared: one normal form of Khmer and English,
used alike by risk triage, summary search and blocked-word matching."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from django.utils.translation import gettext as _

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """A NUL (PostgreSQL takes none) and half of a broken emoji (a lone surrogate: a browser's JSON
    carries one as it is, and no UTF-8 database takes it) become U+FFFD; the rest is kept. Applied
    where a child's or a counsellor's words come in, so a stray character never loses them."""
    return _UNSTORABLE.sub("\ufffd", text)


_NOT_IN_IDENTIFIERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_identifier(value: str) -> bool:
    """An id a gateway or PBX gives us (a message id, a call id, a queue): kept exactly as sent, so
    it cannot be repaired as words are; one holding a control character (a NUL, which PostgreSQL
    refuses) or half an emoji is refused where it comes in."""
    return not _NOT_IN_IDENTIFIERS.search(value)


class NotAnIdentifier(ValueError):
    """A code or id from outside that no record can have: the caller answers 400."""


def lookup_key(value: str, *, limit: int) -> str:
    """A code or id from a query or form to look a record up by: the value itself, or NotAnIdentifier
    when it holds a control character (PostgreSQL refuses a NUL in a query; no record has one) or is
    longer than the field holds."""
    if len(value) > limit or not is_identifier(value):
        raise NotAnIdentifier(value[:20])
    return value


# Characters that change nothing a reader sees: zero-width space, non-joiner, joiner, word joiner,
# byte-order mark, soft hyphen, Khmer's invisible inherent vowels, emoji variation selectors and
# skin tones (the same emoji comes with or without them).
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x17B4, 0x17B5, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)]
)
_SAME_LETTER = {
    0x17A3: "\u17a2",  # deprecated ឣ is អ
    0x17A4: "\u17a2\u17b6",  # deprecated ឤ is អា
    0x17B2: "\u17b1",  # ឲ (in ឲ្យ) is a variant of ឱ
    **{0x17E0 + d: str(d) for d in range(10)},  # Khmer digits read as the same numbers
}
_COENG_DA, _COENG_TA = "\u17d2\u178a", "\u17d2\u178f"  # ្ដ and ្ត look alike: one form
_AOY = re.compile("\u17a2\u17c4\u1799")  # អោយ, a common spelling of ឱ្យ
_OY = "\u17b1\u17d2\u1799"
# A letter, mark or stop typed again and again ("ណាស់ៗៗ", "pleeease", "!!!"); not digits (2000 stays
# 2000) nor emoji (a row of them may be a blocked keyword of its own).
_RUN = re.compile("([^0-9\u2600-\u27bf\U0001f000-\U0001faff])\\1+")
# A run of two or more marks after a Khmer consonant: subscripts (coeng + consonant) and signs.
_MARK = "\u17d2.|[\u17b6-\u17d1\u17d3\u17dd]"
_MARKS = re.compile(f"(?:{_MARK}){{2,}}", re.DOTALL)
_ONE_MARK = re.compile(_MARK, re.DOTALL)


def _mark_rank(mark: str) -> int:
    """Canonical order of the marks after a Khmer consonant: subscripts (coeng + consonant) first,
    then the register shifters and robat, then the vowel, then the signs (ំ ះ ់ …)."""
    code = ord(mark[0])
    if code == 0x17D2:
        return 0
    if code in (0x17C9, 0x17CA, 0x17CC):
        return 1
    if 0x17B6 <= code <= 0x17C5:
        return 2
    return 3


def _sorted_marks(run: re.Match[str]) -> str:
    return "".join(sorted(_ONE_MARK.findall(run.group()), key=_mark_rank))


def _reorder_khmer(text: str) -> str:
    """Marks typed in another order than Unicode's (ំុ for ុំ, ោ៉ for ៉ោ) render alike but differ as
    code points: each run of marks is put in one order (a stable sort, so subscripts keep theirs)."""
    return _MARKS.sub(_sorted_marks, text)


_MAPPED = {**_INVISIBLE, **_SAME_LETTER}
_NEEDS_MAP = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_MAPPED)) + "]")


def _once(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if _NEEDS_MAP.search(text):  # rare: translate() looks every character up, a search is faster
        text = text.translate(_MAPPED)
    text = text.casefold()
    # Repeats first: a subscript typed twice (្ដដ) must fold before ្ដ becomes ្ត.
    text = _reorder_khmer(_RUN.sub(r"\1", text)).replace(_COENG_DA, _COENG_TA)
    return " ".join(_AOY.sub(_OY, _RUN.sub(r"\1", text)).split())


def normalise(text: str) -> str:
    """The form in which text is compared (never shown): Khmer spelling variants that are different
    code points made one (្ដ/្ត, ឱ្យ/ឲ្យ/អោយ, ុំ/ំុ and other mark orders), zero-width characters
    dropped, a letter repeated in a row kept once (not digits: 2000 stays 2000; not emoji), case folded,
    spaces collapsed. Latin-script Khmer is left as it is. Idempotent (tests/test_text_normalise.py)."""
    result = _once(text or "")
    for _round in range(3):  # one step can make room for another (a repeat exposed by a dropped mark)
        again = _once(result)
        if again == result:
            return result
        result = again
    return result


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run: one starting as a formula would ("=", "+", "-", "@",
    a tab or carriage return) is given a leading apostrophe, which spreadsheets show as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


# Marks that change the direction text is shown in (U+202E shows "exe.txt" as "txt.exe"): no
# Khmer or English word needs one. The zero-width space Khmer writes between words is kept.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(text: str) -> str:
    """The text without right-to-left, left-to-right and other direction marks and overrides."""
    return _BIDI_CONTROLS.sub("", text)


# What shows nothing when it is all there is: whitespace and the zero-width characters (space,
# non-joiner, joiner, word joiner, byte-order mark), the soft hyphen and the Mongolian vowel separator.
# Between visible words they stay as typed (Khmer writes U+200B between words).
_UNSEEN = re.compile("[\\s\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]*")


def blank(text: str) -> bool:
    """Whether the text shows nothing at all: a reason or note of only zero-width characters and
    spaces is no reason, so it counts as empty wherever words are required."""
    return _UNSEEN.fullmatch(text) is not None


def clean_text(
    value: str,
    field: str,
    *,
    error: Callable[[str, str], Exception],
    required: bool = True,
    limit: int,
) -> str:
    """Words as a service stores them: repaired (storable), trimmed, "" when they show nothing
    (blank), present when `required` and
    at most `limit` characters; otherwise `error(field, message)` is raised (each app its own
    error type, which names the field)."""
    text = storable(value or "").strip()
    if blank(text):
        text = ""
    if required and not text:
        raise error(field, _("This field is required."))
    if len(text) > limit:
        raise error(field, _("Too long: at most %(n)d characters.") % {"n": limit})
    return text
