"""One normal form for comparing Khmer and English text (helpline.common.text.normalise)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.cases.services import CaseError
from helpline.common.text import clean_text, normalise
from helpline.referrals.directory import PartnerError

KHMER = "".join(chr(c) for c in range(0x1780, 0x17FA))
ODD = "\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0f\U0001f3fd\U0001f595 !?.\n\t"
any_text = st.text(alphabet=st.sampled_from(KHMER + ODD + "abcXYZ019ß"), max_size=40)


@given(any_text)
@settings(max_examples=400)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


def test_khmer_spelling_variants_become_one() -> None:
    assert normalise("ម្តាយ") == normalise("ម្ដាយ")  # coeng ta / coeng da
    assert normalise("ឱ្យ") == normalise("ឲ្យ") == normalise("អោយ")
    assert normalise("ខ្ញុំ") == normalise("ខ្ញំុ")  # ុំ typed as ំុ
    assert normalise("ម៉ោង") == normalise("ម" + "\u17c4\u17c9" + "ង")  # shifter after the vowel
    assert normalise("ខ្ញុំ\u200bចង់\u200bស្លាប់") == normalise("ខ្ញុំចង់ស្លាប់")
    assert normalise("ណាស់ៗៗៗ") == normalise("ណាស់ៗ")
    assert normalise("១២៨០") == "1280"


def test_english_case_repeats_and_spaces() -> None:
    assert normalise("PLEEEASE  Help!!!") == normalise("please help!")
    assert normalise("I want to DIEEEE") == normalise("i want to die")
    assert normalise("2000 dollars") == "2000 dolars"  # digits are never collapsed
    assert normalise("🖕🏻🖕\ufe0f") == "🖕🖕"  # skin tones and variants dropped; emoji never folded


def test_latin_script_khmer_is_left_as_written() -> None:
    assert normalise("Knhom chong slab") == "knhom chong slab"


PHRASES = ["ចង់ស្លាប់", "ម្ដាយវាយ", "មិនឱ្យចេញ", "ខ្ញុំចង់ងាប់", "ជួយផង", "kill myself", "knhom chong slab"]


@st.composite
def variant(draw: st.DrawFn) -> tuple[str, str]:
    """A phrase and the same phrase as a child might type it."""
    phrase = draw(st.sampled_from(PHRASES))
    text = phrase
    if draw(st.booleans()):
        text = text.replace("\u17d2\u178a", "\u17d2\u178f")
    if draw(st.booleans()):
        text = text.replace("\u17d2\u178f", "\u17d2\u178a")
    text = text.replace("ឱ្យ", draw(st.sampled_from(["ឱ្យ", "ឲ្យ", "អោយ"])))
    if draw(st.booleans()):
        text = text.replace("\u17bb\u17c6", "\u17c6\u17bb")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + "\u200b" + text[at:]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text) - 1))
        if text[at] != "\u200b":
            text = text[:at] + text[at] * draw(st.integers(2, 5)) + text[at:]
    if draw(st.booleans()):
        text = text.upper()
    return phrase, text


@given(variant())
@settings(max_examples=400)
def test_a_phrase_and_any_variant_of_it_normalise_alike(pair: tuple[str, str]) -> None:
    phrase, typed = pair
    assert normalise(typed) == normalise(phrase)


def test_clean_text_repairs_trims_and_refuses_with_the_callers_own_error() -> None:
    assert clean_text("  a\x00b  ", "note", error=CaseError, limit=10) == "a\ufffdb"
    with pytest.raises(CaseError) as missing:
        clean_text("   ", "note", error=CaseError, limit=10)
    assert missing.value.field == "note"
    with pytest.raises(PartnerError) as long:
        clean_text("x" * 11, "findings", error=PartnerError, limit=10)
    assert long.value.field == "findings"
    assert clean_text("", "title", error=PartnerError, required=False, limit=10) == ""
