"""A feedback item's history reads in the reader's language: what the system writes of a step
(the scheduler's overdue flag, a reply sent, the supervisor on shift given a risky item, a triage
change) is kept as a line code and made into words when read; what a person typed stays as typed.
Old steps stored as sentences, in English or Khmer, are turned into codes by a migration."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from helpline.accounts.models import Role, Staff
from helpline.feedback import services
from helpline.feedback.models import Feedback, FeedbackEvent, State
from tests.factories import persona
from tests.rota_factories import shift_now

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
ZWSP = "\u200b"
RISKY_KM = f"ខ្ញុំ{ZWSP}ចង់{ZWSP}ស្លាប់"  # "I want to die"
OVERDUE_EN = "Overdue: acknowledgement not given in time."
OVERDUE_KM = "ហួសកាលកំណត់៖ ការទទួលស្គាល់ មិនបានផ្ដល់ទាន់ពេល។"
migration = importlib.import_module(
    "helpline.feedback.migrations.0006_feedback_history_lines_from_stored_notes"
)


def received(text: str = "ខ្ញុំរង់ចាំយូរពេក", **extra: Any) -> Feedback:
    return services.feedback_receive("web form", source="web_form", kind="complaint", text=text, **extra)


def said(item: Feedback, language: str) -> list[str]:
    with translation.override(language):
        return [e.shown_note for e in FeedbackEvent.objects.filter(feedback=item) if e.shown_note]


def test_the_schedulers_overdue_note_reads_in_each_readers_language() -> None:
    item = received()
    with translation.override("km"):  # the scheduler's language when it wrote: it no longer matters
        assert services.feedback_flag_overdue(item.acknowledge_by + dt.timedelta(minutes=1)) == 1
    step = FeedbackEvent.objects.get(feedback=item, actor_label="scheduler")
    assert (step.line, step.detail, step.note) == ("overdue", {"what": "acknowledgement"}, "")
    assert said(item, "en") == [OVERDUE_EN]
    assert said(item, "km") == [OVERDUE_KM]


def test_the_overdue_note_on_the_history_page_follows_the_readers_language(client_for: ClientFor) -> None:
    item = received()
    services.feedback_flag_overdue(item.respond_by + dt.timedelta(minutes=1))
    english = persona(Role.SUPERVISOR, username="sup-en", language="en")
    khmer = persona(Role.SUPERVISOR, username="sup-km", language="km")
    en_page = client_for(english).get(reverse("feedback:detail", args=[item.pk])).content.decode()
    km_page = client_for(khmer).get(reverse("feedback:detail", args=[item.pk])).content.decode()
    assert "Overdue: acknowledgement not given in time." in en_page and "ហួសកាលកំណត់" not in en_page
    assert OVERDUE_KM in km_page and "Overdue:" not in km_page


def test_the_supervisor_given_a_risky_item_is_named_in_each_readers_language() -> None:
    on_shift = persona(Role.SUPERVISOR, username="sup-on-shift", language="km")
    shift_now(on_shift)
    with translation.override("km"):
        item = received(RISKY_KM)
    assert item.owner == on_shift
    name = on_shift.display_name
    assert f"Shows risk: given to {name}, the supervisor on shift." in said(item, "en")
    assert f"បង្ហាញហានិភ័យ៖ បានប្រគល់ឱ្យ {name} ដែលជាអ្នកត្រួតពិនិត្យការងារនៅក្នុងវេន។" in said(item, "km")


def test_a_reply_sent_reads_in_each_readers_language_and_a_typed_note_stays_as_typed() -> None:
    boss = persona(Role.SUPERVISOR, username="boss", language="km")
    item = received(reply_channel="email", reply_address="child@example.org")
    services.feedback_advance(boss, feedback=item, state=State.ACKNOWLEDGED, note="បានហៅទៅវិញ")
    with translation.override("km"):
        services.feedback_advance(boss, feedback=item, state=State.RESPONDED, response="សូមអភ័យទោស")
    assert services.feedback_mail_reply(item.pk) and len(mail.outbox) == 1
    assert said(item, "en") == ["បានហៅទៅវិញ", "Response sent by email."]
    assert said(item, "km") == ["បានហៅទៅវិញ", "ចម្លើយត្រូវបានផ្ញើតាមអ៊ីមែល។"]


def test_a_triage_change_names_its_fields_and_values_in_each_readers_language() -> None:
    boss = persona(Role.SUPERVISOR, username="boss")
    item = received()
    services.feedback_update(boss, feedback=item, severity="high", owner=boss)
    assert said(item, "en") == ["Severity: High, Owner: boss"]
    assert said(item, "km") == ["កម្រិតធ្ងន់ធ្ងរ: ខ្ពស់, អ្នកទទួលខុសត្រូវ: boss"]
    services.feedback_update(boss, feedback=item, owner=None)
    assert said(item, "en")[-1] == "Owner: —"


def old_step(item: Feedback, note: str, *, actor_label: str = "scheduler", state: str = "") -> FeedbackEvent:
    return FeedbackEvent.objects.create(
        feedback=item, at=item.received_at, actor_label=actor_label, state=state, note=note
    )


def test_an_old_khmer_overdue_note_reads_in_english_after_the_migration() -> None:
    item = received()
    old = old_step(item, OVERDUE_KM)
    with translation.override("en"):
        assert old.shown_note == OVERDUE_KM  # before: Khmer for an English reader
    migration.notes_to_lines(apps, None)
    old.refresh_from_db()
    assert (old.line, old.detail, old.note) == ("overdue", {"what": "acknowledgement"}, "")
    with translation.override("en"):
        assert old.shown_note == OVERDUE_EN
    with translation.override("km"):
        assert old.shown_note == OVERDUE_KM


def test_the_migration_turns_each_known_system_sentence_into_its_code_in_either_language() -> None:
    item = received()
    steps = {
        "overdue_en": old_step(item, "Overdue: response not given in time."),
        "sms_km": old_step(item, "ចម្លើយត្រូវបានផ្ញើតាម SMS។", actor_label=""),
        "mail_en": old_step(item, "Response sent by email.", actor_label="mail"),
        "risk_km": old_step(item, "បង្ហាញហានិភ័យ៖ បានប្រគល់ឱ្យ Sokha Chan ដែលជាអ្នកត្រួតពិនិត្យការងារនៅក្នុងវេន។"),
        "risk_en": old_step(item, "Shows risk: given to Dara, the supervisor on shift."),
    }
    migration.notes_to_lines(apps, None)
    found = {name: FeedbackEvent.objects.get(pk=step.pk) for name, step in steps.items()}
    assert {name: (e.line, e.detail, e.note) for name, e in found.items()} == {
        "overdue_en": ("overdue", {"what": "response"}, ""),
        "sms_km": ("reply_sms", {}, ""),
        "mail_en": ("reply_email", {}, ""),
        "risk_km": ("risk_owner", {"name": "Sokha Chan"}, ""),
        "risk_en": ("risk_owner", {"name": "Dara"}, ""),
    }
    with translation.override("en"):
        assert found["risk_km"].shown_note == "Shows risk: given to Sokha Chan, the supervisor on shift."


def test_the_migration_leaves_what_people_typed_and_what_it_does_not_recognise() -> None:
    item = received()
    typed = old_step(item, "Response sent by SMS.", actor_label="", state=State.ACKNOWLEDGED)  # typed
    change = old_step(item, "severity: high, owner: boss", actor_label="")
    unknown = old_step(item, "Overdue: everything not given in time.")
    migration.notes_to_lines(apps, None)
    for step in (typed, change, unknown):
        kept = FeedbackEvent.objects.get(pk=step.pk)
        assert (kept.line, kept.detail, kept.note) == ("", {}, step.note)
        with translation.override("km"):
            assert kept.shown_note == step.note
