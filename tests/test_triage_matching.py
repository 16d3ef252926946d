"""Risk phrases matched on real children's text: normal form, substrings and whole words, pronoun
variants, exclusions beside the signals, weights per phrase; the defaults as the Khmer reading says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.contacts.search_text import words
from helpline.routing.default_signals import SIGNALS
from helpline.routing.matching import best_match, compile_rules, parse_lines, prepare, pronoun_variants
from helpline.routing.models import RiskSignal
from helpline.routing.triage import score_text


def rules(phrases: str, exclusions: str = "", weight: int = 10):  # type: ignore[no-untyped-def]
    return compile_rules(parse_lines(phrases, weight), exclusions.splitlines(), words)


def found(compiled, text: str) -> int:  # type: ignore[no-untyped-def]
    hit = best_match(compiled, prepare(text, words))
    return hit.weight if hit else 0


def test_a_khmer_phrase_is_found_inside_a_word_the_segmenter_merged() -> None:
    # khmer-nltk makes ពូរំលោភ and ចាប់រំលោភ one word each: whole-word matching never saw រំលោភ.
    assert found(rules("រំលោភខ្ញុំ"), "ពូរំលោភញុំពេលម៉ាក់ទៅផ្សារ") == 10
    assert found(rules("ចង់ស្លាប់"), "ញុំ ចង់ ស្លាប់ ណាស់") == 10  # spaces between Khmer words


def test_short_khmer_phrases_and_latin_ones_match_whole_words_only() -> None:
    assert found(rules("ឃុំខ្ញុំ"), "គេឃុំខ្ញុំក្នុងផ្ទះ") == 10
    assert found(rules("cut myself"), "i cut myself again") == 10
    assert found(rules("cut myself"), "I woodcut myself a spoon") == 0
    assert found(rules("chong slab"), "knhom chong slabbbb") == 10  # repeated letters


def test_pronouns_vary_and_a_subject_may_be_left_out() -> None:
    compiled = rules("ខ្ញុំចង់ស្លាប់\nវាយខ្ញុំ")
    for text in ("ញុំចង់ស្លាប់", "អញចង់ស្លាប់", "គ្នាចង់ស្លាប់", "ចង់ស្លាប់ណាស់", "ប៉ាវាយអូន", "ម៉ែវាយកូន"):
        assert found(compiled, text) == 10, text
    assert found(compiled, "ពួកយើងវាយគ្នាលេង") == 0  # គ្នា after a verb is "each other"
    assert "ឃុំ" not in pronoun_variants("ឃុំខ្ញុំ")  # an object pronoun is never dropped
    assert found(rules("knhom chong slab"), "oun chong slab") == 10


def test_exclusions_blank_idioms_that_contain_a_phrase() -> None:
    compiled = rules("ចង់ស្លាប់", "សើចចង់ស្លាប់\nក្ដៅចង់ស្លាប់")
    assert found(compiled, "សើចចង់ស្លាប់ហើយ 😂 វីដេអូនេះកំប្លែងពេក") == 0
    assert found(compiled, "ក្តៅចង់ស្លាប់") == 0  # the exclusion in another spelling (coeng ta)
    assert found(compiled, "សើចចង់ស្លាប់ តែពេលយប់ញុំចង់ស្លាប់មែន") == 10  # the phrase again, outside it


def test_each_phrase_may_carry_its_own_weight() -> None:
    compiled = rules("កាត់ដៃ = 5\nឆូតដៃ", weight=15)
    assert found(compiled, "ញុំកាត់ដៃពេលហាន់បន្លែ") == 5
    assert found(compiled, "ញុំឆូតដៃ ហើយកាត់ដៃទៀត") == 15  # the heaviest phrase counts, once


def test_the_defaults_no_longer_fire_on_everyday_words(db: None) -> None:
    for ordinary in (
        "ប៉ាញុំនៅជាប់គុក ញុំនឹកគាត់",  # Dad is in jail
        "ញុំបិទទ្វារហើយយំ",  # I closed the door and cried
        "ញុំលោតពីលើតុពេលលេង",  # jumped off the table playing
        "ម្ដាយញុំជួញដូរនៅផ្សារ",  # Mother trades at the market
        "ម៉ាក់បង្ខំខ្ញុំឱ្យរៀនគួរ",  # Mum forces me to study
        "សើចចង់ស្លាប់ហើយ",  # laughing to death
        "ហ្គេមនេះឡូយចង់ងាប់",  # this game is cool "to death"
        "ធុញចង់ងាប់ រៀនពេញមួយថ្ងៃ",  # bored to death
        "ញុំវាយកូនហ្គោលជាមួយពូ",  # I play golf (កូនហ្គោល: a golf ball) with uncle
        "ឆ្មាឆូតដៃញុំ",  # the cat scratched my arm
    ):
        assert score_text(ordinary, with_model=False).score == 0, ordinary
    assert score_text("ញុំកាត់ដៃពេលធ្វើម្ហូប", with_model=False).score == 5  # below urgent
    # Insecticide is farm work; drinking it is the signal.
    assert score_text("ម៉ាក់បាញ់ថ្នាំសម្លាប់សត្វល្អិតក្នុងស្រែ", with_model=False).score == 10
    assert score_text("ញុំនឹងផឹកថ្នាំសម្លាប់សត្វល្អិតយប់នេះ", with_model=False).score == 20


def test_the_defaults_cover_every_topic_and_the_reference_words(db: None) -> None:
    codes = set(RiskSignal.objects.values_list("code", flat=True))
    assert {s.code for s in SIGNALS} <= codes
    assert {"running_away", "online_exploitation", "immediate_danger"} <= codes
    for text, code in (
        ("ញុំចង់ងាប់", "suicide"),
        ("ខ្ញុំឆូតដៃ", "self_harm"),
        ("គេចាប់រំលោភខ្ញុំ", "sexual_abuse"),
        ("ម៉ាក់វាយញុំរាល់ថ្ងៃ", "violence_at_home"),
        ("គេមិនអោយចេញពីរោងចក្រ", "trafficking"),
        ("ញុំរត់ចេញពីផ្ទះ", "running_away"),
        ("he wants my nudes", "online_exploitation"),
        ("គេចាក់សោខ្ញុំក្នុងបន្ទប់", "immediate_danger"),
    ):
        assert code in score_text(text, with_model=False).points, text
    assert RiskSignal.objects.get(code="violence_at_home").label_km == "អំពើហិង្សាក្នុងគ្រួសារ"


def _variant(draw: st.DrawFn, phrase: str) -> str:
    text = phrase
    if draw(st.booleans()):
        text = text.replace("\u17d2\u178a", "\u17d2\u178f")
    text = text.replace("ឱ្យ", draw(st.sampled_from(["ឱ្យ", "ឲ្យ", "អោយ"])))
    if draw(st.booleans()):
        text = text.replace("\u17bb\u17c6", "\u17c6\u17bb")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + "\u200b" + text[at:]
    at = draw(st.integers(0, len(text) - 1))
    if text[at] != "\u200b":
        text = text[:at] + text[at] * draw(st.integers(1, 4)) + text[at:]
    return text.upper() if draw(st.booleans()) else text


ALL_PHRASES = [
    (s.code, line) for s in SIGNALS for line, _w in parse_lines(s.phrases_km + "\n" + s.phrases_en, s.weight)
]


@st.composite
def phrase_in_a_message(draw: st.DrawFn) -> tuple[str, str, str]:
    code, phrase = draw(st.sampled_from(ALL_PHRASES))
    before = draw(st.sampled_from(["", "ម៉ោងនេះ ", "bong, ", "ហើយ "]))
    after = draw(st.sampled_from(["", " ណាស់", " pls", " ។"]))
    return code, phrase, before + _variant(draw, phrase) + after


@given(phrase_in_a_message())
@settings(max_examples=300, deadline=None)
def test_every_default_phrase_matches_itself_in_any_variant(case: tuple[str, str, str]) -> None:
    code, phrase, text = case
    signal = next(s for s in SIGNALS if s.code == code)
    compiled = compile_rules(parse_lines(phrase, signal.weight), [], words)
    assert best_match(compiled, prepare(text, words)) is not None, (phrase, text)
