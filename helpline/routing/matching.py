"""Matching risk phrases in children's text, without the database: phrases and text are put in one
normal form (helpline.common.text.normalise). A Khmer phrase long enough to be unambiguous matches
as a substring, spaces between Khmer letters ignored (segmentation merges and splits the very words
signals look for: ចាប់រំលោភ is one "word", so រំលោភ never matches whole); a short Khmer phrase and
a Latin-letter one (English, or Khmer typed in Latin letters) match whole words only, so "cutting"
is not found in "woodcutting". A phrase with a pronoun also matches the child's other pronouns, and
without the pronoun where what is left is long enough to mean the same. Exclusions (idioms and
compounds that contain a phrase but mean something else: សើចចង់ស្លាប់, "laughing to death") are
blanked out of the text before the signal's phrases are looked for."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from helpline.common.text import normalise

KHMER = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")
LATIN_WORD = re.compile(r"[^\W\u1780-\u17ff\u19e0-\u19ff]+")
_KHMER_GAP = re.compile("(?<=[\u1780-\u17ff]) (?=[\u1780-\u17ff])")
# Khmer phrases of fewer code points match whole segmented words only (វ៉ៃ, ឃុំ, រំលោភ… are short and sit
# inside other words); longer ones as substrings.
SUBSTRING_MIN = 6
WEIGHT_MARK = re.compile(r"^(.*?)\s*=\s*(\d{1,3})\s*$")

# How children refer to themselves. A phrase written with one also matches the others (normalised,
# longest first so ខ្ញុំ is not read as ញុំ). គ្នា also means "each other" (វាយគ្នា: they fought), so
# it stands for "I" only at the start of a phrase.
PRONOUNS_KM = tuple(normalise(p) for p in ("ខ្ញុំ", "ញុំ", "អញ", "គ្នា", "ប្អូន", "អូន", "កូន"))
SUBJECT_ONLY_KM = {normalise("គ្នា")}
PRONOUNS_LATN = ("knhom", "khnhom", "nhom", "kgnom", "oun", "own", "kon", "anh", "knea")
_PRONOUN_KM = re.compile("|".join(sorted(map(re.escape, PRONOUNS_KM), key=len, reverse=True)))
_PRONOUN_LATN = re.compile(r"\b(" + "|".join(PRONOUNS_LATN) + r")\b")
MAX_VARIANTS = 24

# A phrase shorter than this is in nearly every message: a Latin-letter phrase needs a word of at
# least MIN_LATIN_WORD letters ("a", "i", "to me" are whole words of almost any English message), a
# Khmer one MIN_KHMER_LETTERS letters that start a syllable (consonants and independent vowels; a
# subscript belongs to its syllable), or one syllable written in full with its vowel and a sign
# (the default វ៉ៃ, "to hit"): a bare consonant or a two-character word (ទៅ, នៅ) means nothing alone.
MIN_LATIN_WORD = 3
MIN_KHMER_LETTERS = 2
MIN_KHMER_SYLLABLE = 3
_KHMER_LETTER = re.compile("(?<!\u17d2)[\u1780-\u17b3]")
# Words in most messages, which mean nothing as a phrase alone: other people's pronouns and grammar
# words, English, Khmer typed in Latin letters and Khmer (a phrase may hold them beside a word that
# means something: "she hit me", គេវាយខ្ញុំ).
_EVERYDAY_LATN = """a an and are as at be but by do for from have he her him his i in is it its me my no not
    of on or our she so that the their them then there they this to too us was we were what when with you
    your im ive hes shes dont didnt cant yes ok okay ke vea neak yeung koat ning nov te ban"""
EVERYDAY_LATN = frozenset(_EVERYDAY_LATN.split())
_EVERYDAY_KM = """គាត់ ពួកគេ គេ វា នាង ឯង អ្នក យើង ពួកយើង ហើយ នៅ និង ទេ បាទ ចាស ជា មាន ដែល នេះ នោះ ក្នុង ពី ទៅ
    មក បាន ឱ្យ ណាស់ ផង"""
EVERYDAY_KM = frozenset(normalise(w) for w in _EVERYDAY_KM.split())


@dataclass(frozen=True)
class Phrase:
    written: str  # as the supervisor wrote it (shown to the counsellor)
    form: str  # normal form
    weight: int
    words: tuple[str, ...] = ()  # for whole-word matching; empty for a substring phrase

    @property
    def substring(self) -> bool:
        return not self.words


@dataclass(frozen=True)
class Rules:
    """One signal's phrases (and their pronoun variants) and exclusions, compiled."""

    phrases: tuple[Phrase, ...]
    exclusions: tuple[str, ...] = ()


@dataclass
class Prepared:
    """A message made ready once for every signal: its normal form, that form with the spaces
    between Khmer letters dropped, and its segmented words, worked out only when a short Khmer
    phrase is found as a substring (segmenting costs about a millisecond)."""

    form: str
    compact: str
    segment: Callable[[str], list[str]] | None = None
    found: list[str] | None = None
    _latin: tuple[list[str], frozenset[str]] | None = None

    @property
    def latin(self) -> tuple[list[str], frozenset[str]]:
        """The Latin-letter words, in order and as a set (to skip phrases at once)."""
        if self._latin is None:
            found = LATIN_WORD.findall(self.form)
            self._latin = (found, frozenset(found))
        return self._latin

    @property
    def words(self) -> list[str]:
        if self.found is None:
            self.found = self.segment(self.form) if self.segment is not None and self.form else []
        return self.found


def compact(form: str) -> str:
    return _KHMER_GAP.sub("", form)


def prepare(text: str, segment: Callable[[str], list[str]], found: list[str] | None = None) -> Prepared:
    form = normalise(text)
    return Prepared(form=form, compact=compact(form), segment=segment, found=found)


def parse_lines(text: str, default_weight: int) -> list[tuple[str, int]]:
    """One phrase a line; "phrase = 5" gives that phrase its own weight."""
    found = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        weight = default_weight
        marked = WEIGHT_MARK.match(line)
        if marked and marked.group(1).strip():
            line, weight = marked.group(1).strip(), int(marked.group(2))
        found.append((line, weight))
    return found


def pronoun_variants(form: str) -> list[str]:
    """The phrase with its first pronoun replaced by each of the others, and without it where it
    is the subject and what is left is long enough (SUBSTRING_MIN) to mean the same: ខ្ញុំចង់ស្លាប់
    → ញុំចង់ស្លាប់, ចង់ស្លាប់; but ឃុំខ្ញុំ ("holding me") never becomes ឃុំ (a commune)."""
    variants = [form]
    khmer = list(_PRONOUN_KM.finditer(form))
    if khmer:
        at = khmer[0]
        head, tail = form[: at.start()], form[at.end() :]
        others = [p for p in PRONOUNS_KM if at.start() == 0 or p not in SUBJECT_ONLY_KM]
        variants += [head + p + tail for p in others]
        rest = tail.strip()
        if at.start() == 0 and len(compact(rest)) >= SUBSTRING_MIN:
            variants.append(rest)  # only a subject: without its object, វាយខ្ញុំ would be any hitting
    latin = _PRONOUN_LATN.search(form)
    if latin:
        variants += [form[: latin.start()] + p + form[latin.end() :] for p in PRONOUNS_LATN]
    unique = list(dict.fromkeys(v for v in variants if v))
    return unique[:MAX_VARIANTS]


def too_short(written: str) -> bool:
    """Whether a phrase or exclusion is too short to mean anything (see MIN_LATIN_WORD): a signal
    with one would mark urgent almost every message, and an exclusion would blank out almost every
    text. Pronouns and everyday words alone are too short too: "she", "they", គាត់ are in most
    messages (and a pronoun of the child's matches every other one a child uses)."""
    form = normalise(written)
    rest = _PRONOUN_LATN.sub(" ", _PRONOUN_KM.sub(" ", form))
    if not LATIN_WORD.search(rest) and not KHMER.search(rest):
        return True
    latin = [w for w in LATIN_WORD.findall(form) if w not in EVERYDAY_LATN]
    if not latin and _only_everyday_khmer("".join(KHMER.findall(rest))):
        return True
    if any(len(word) >= MIN_LATIN_WORD for word in latin):
        return False
    letters = len(_KHMER_LETTER.findall(form))
    return not (
        letters >= MIN_KHMER_LETTERS or (letters == 1 and len(KHMER.findall(form)) >= MIN_KHMER_SYLLABLE)
    )


def _only_everyday_khmer(khmer: str) -> bool:
    """Whether the Khmer letters are, end to end, everyday words only (ពួកគេនៅ), read as whole words:
    វាយ ("to hit") is not វា ("it") and a letter."""
    if not khmer:
        return True
    ends = {0}
    for end in range(1, len(khmer) + 1):
        if any(start in ends and khmer[start:end] in EVERYDAY_KM for start in range(end)):
            ends.add(end)
    return len(khmer) in ends


def compile_rules(
    lines: Iterable[tuple[str, int]], exclusions: Iterable[str], segment: Callable[[str], list[str]]
) -> Rules:
    phrases: list[Phrase] = []
    seen: set[str] = set()
    for written, weight in lines:
        for form in pronoun_variants(normalise(written)):
            if form in seen:
                continue
            seen.add(form)
            if KHMER.search(form) and len(compact(form)) >= SUBSTRING_MIN:
                phrases.append(Phrase(written, compact(form), weight))
            else:
                found = tuple(segment(form)) if KHMER.search(form) else tuple(LATIN_WORD.findall(form))
                if found:
                    phrases.append(Phrase(written, compact(form), weight, found))
    excluded = tuple(
        dict.fromkeys(compact(v) for e in exclusions if normalise(e) for v in pronoun_variants(normalise(e)))
    )
    return Rules(tuple(phrases), excluded)


def contains_words(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    return any(
        haystack[i] == first and tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1)
    )


def best_match(rules: Rules, text: Prepared) -> Phrase | None:
    """The heaviest phrase of one signal found in the text, exclusions blanked out first."""
    body, form = text.compact, text.form
    blanked = [e for e in rules.exclusions if e in body or e in form]
    for excluded in blanked:
        body = body.replace(excluded, " | ")
        form = form.replace(excluded, " | ")
    latin, present = text.latin if not blanked else (LATIN_WORD.findall(form), frozenset())
    if blanked:
        present = frozenset(latin)
    best: Phrase | None = None
    for phrase in rules.phrases:
        if best is not None and phrase.weight <= best.weight:
            continue
        if phrase.substring:
            hit = phrase.form in body
        elif KHMER.search(phrase.form):
            # A word left only inside an exclusion is gone: it must still be in the blanked body.
            hit = phrase.form in body and contains_words([w for w in text.words if w in body], phrase.words)
        else:
            hit = phrase.words[0] in present and contains_words(latin, phrase.words)
        if hit:
            best = phrase
    return best
