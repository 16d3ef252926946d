"""A risk signal's words are refused when they would match nothing or almost everything: one
phrase "a" marked every new English message urgent, and the children really at risk lost their
place in the queue. One rule (routing.signal_settings), so the page and the service both refuse."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.routing.default_signals import SIGNALS
from helpline.routing.matching import parse_lines, too_short
from helpline.routing.models import RiskSignal
from helpline.routing.signal_settings import risk_signal_save, signal_problems
from helpline.routing.triage import score_text
from tests.factories import persona
from tests.test_triage_review import sms_contact

ClientFor = Callable[[Staff], Client]

FORM = {"code": "exam_stress", "label_km": "ស្ត្រេសប្រឡង", "label_en": "Exam stress", "weight": "10"}
DATA = {**FORM, "weight": 10, "phrases_km": "", "phrases_en": "failed my exam", "exclusions": ""}

# Too short to mean anything: a letter, two letters, a blank line, a Khmer consonant alone, a
# two-character Khmer word, a pronoun (matched with every other pronoun a child uses).
SHORT = [
    ("phrases_en", "a"),
    ("phrases_en", "i"),
    ("phrases_en", "ab"),
    ("phrases_en", "i a"),
    ("phrases_en", "a = 10"),
    ("phrases_en", "knhom"),
    ("phrases_km", "ក"),
    ("phrases_km", "ក = 10"),
    ("phrases_km", "ទៅ"),
    ("phrases_km", "ខ្ញុំ"),
    ("exclusions", "a"),
    ("exclusions", "ក"),
    # pronouns and everyday words alone, in any script: in most messages
    ("phrases_en", "she"),
    ("phrases_en", "they"),
    ("phrases_en", "with them"),
    ("phrases_en", "koat"),
    ("phrases_km", "គាត់"),
    ("phrases_km", "ពួកគេនៅ"),
    ("phrases_km", "វា"),
    ("phrases_km", "ខ្ញុំ she"),
    ("exclusions", "the"),
]


@pytest.mark.parametrize(("field", "value"), SHORT)
def test_a_phrase_too_short_to_mean_anything_is_refused_on_the_page(
    supervisor: Staff, client_for: ClientFor, field: str, value: str
) -> None:
    form = {**FORM, "phrases_en": "failed my exam", field: value}
    response = client_for(supervisor).post("/risk-signals/", form)
    assert response.status_code == 400
    errors = re.findall(
        rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.content.decode(), re.S
    )
    assert len(errors) == 1 and "too short to mean anything" in errors[0]
    assert not RiskSignal.objects.filter(code="exam_stress").exists()
    assert not AuditEvent.objects.filter(action="risk_signal.save").exists()


@pytest.mark.parametrize(("field", "value"), SHORT)
def test_a_phrase_too_short_to_mean_anything_is_refused_by_the_service(
    supervisor: Staff, field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        risk_signal_save(supervisor, signal=None, data={**DATA, field: value})
    assert "too short to mean anything" in str(refused.value.message_dict[field])
    assert not RiskSignal.objects.filter(code="exam_stress").exists()
    assert not AuditEvent.objects.filter(action="risk_signal.save").exists()


def test_the_tester_s_signal_a_no_longer_marks_every_message_urgent(supervisor: Staff) -> None:
    baseline = score_text("I have a question about school").score
    with pytest.raises(ValidationError):
        risk_signal_save(supervisor, signal=None, data={**DATA, "phrases_en": "a = 10", "weight": 10})
    assert score_text("I have a question about school").score == baseline


def test_a_change_of_other_fields_is_weighed_with_the_words_the_signal_has(supervisor: Staff) -> None:
    signal = RiskSignal.objects.get(code="suicide")
    risk_signal_save(supervisor, signal=signal, data={"weight": 25})
    assert RiskSignal.objects.get(code="suicide").weight == 25


def test_a_changed_signal_is_refused_too_and_left_as_it_was(supervisor: Staff) -> None:
    signal = RiskSignal.objects.get(code="suicide")
    before = signal.phrases_en
    with pytest.raises(ValidationError):
        risk_signal_save(supervisor, signal=signal, data={"phrases_en": f"{before}\ni"})
    assert RiskSignal.objects.get(code="suicide").phrases_en == before


@pytest.mark.parametrize("field", ["phrases_en", "phrases_km"])
def test_blank_words_alone_are_no_signal(supervisor: Staff, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        risk_signal_save(supervisor, signal=None, data={**DATA, "phrases_en": "", field: " "})
    assert "phrases_km" in refused.value.message_dict
    assert not RiskSignal.objects.filter(code="exam_stress").exists()


def test_the_refusal_is_said_in_the_readers_language(db: None, client_for: ClientFor) -> None:
    reader = persona(Role.SUPERVISOR, username="km-supervisor", language="km")
    response = client_for(reader).post("/risk-signals/", {**FORM, "phrases_en": "a"})
    assert response.status_code == 400
    assert "ខ្លីពេក" in response.content.decode()
    assert "too short" not in response.content.decode()


def test_every_default_phrase_and_exclusion_passes(db: None) -> None:
    for signal in SIGNALS:
        data = {name: getattr(signal, name) for name in ("phrases_km", "phrases_en", "exclusions")}
        assert signal_problems(data) == {}, signal.code


@pytest.mark.parametrize(
    "phrase",
    # One Khmer syllable in full (consonant, sign and vowel), two letters, a Khmer phrase with a
    # pronoun, a three-letter word, a Latin word beside a Khmer pronoun.
    # Everyday words beside one that means something; a word that starts with one (វាយ, not វា).
    ["វ៉ៃ", "ឡាម", "ឃុំខ្ញុំ", "kon khmer", "hit me", "hit ខ្ញុំ", "911", "she hit me", "វាយ", "គេវាយខ្ញុំ", "នៅផ្ទះ"],
)
def test_short_phrases_that_mean_something_are_kept(phrase: str) -> None:
    assert not too_short(phrase)


def test_the_defaults_have_no_phrase_at_the_limit_unnoticed() -> None:
    """Each default phrase is weighed as the page weighs it (without its "= 5")."""
    for signal in SIGNALS:
        for line, _weight in parse_lines(f"{signal.phrases_km}\n{signal.phrases_en}", 0):
            assert not too_short(line), (signal.code, line)


def test_the_preview_warns_before_saving_a_phrase_that_would_match_most_messages(
    supervisor: Staff, client_for: ClientFor
) -> None:
    for n in range(13):
        sms_contact("I have a question about school", minutes_ago=n)
    for n in range(13, 24):
        sms_contact("ខ្ញុំចង់សួរអំពីការប្រឡង", minutes_ago=n)
    form = {"phrases_km": "", "phrases_en": "question", "exclusions": "", "weight": "10"}
    page = client_for(supervisor).post("/risk-signals/preview/", form).content.decode()
    assert "matched 13 of the last 30 days' 24 messages" in page
    assert "Too broad" in page
    narrower = {**form, "phrases_en": "question about school"}
    assert "Too broad" in client_for(supervisor).post("/risk-signals/preview/", narrower).content.decode()
    exact = {**form, "phrases_en": "failed my exam"}
    assert "Too broad" not in client_for(supervisor).post("/risk-signals/preview/", exact).content.decode()
