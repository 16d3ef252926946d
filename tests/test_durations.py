"""Durations read as minutes: a contact of ten minutes said "600 seconds" ("600 វិនាទី"), which a
reader had to divide by sixty. A minute or more is said in minutes (and the seconds left over), in
the reader's language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from helpline.accounts.models import Role, Staff
from helpline.common.durations import duration_text
from helpline.contacts.models import Contact
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
DURATION = {"en": "Duration", "km": "រយៈពេល"}  # the label on a contact's page


@pytest.mark.parametrize(
    ("seconds", "english", "khmer"),
    [
        (0, "0 s", "0 វិនាទី"),
        (45, "45 s", "45 វិនាទី"),
        (60, "1 min", "1 នាទី"),
        (90, "1 min 30 s", "1 នាទី 30 វិនាទី"),
        (600, "10 min", "10 នាទី"),
        (3600, "1 h", "1 ម៉ោង"),
        (3900 + 20, "1 h 5 min", "1 ម៉ោង 5 នាទី"),
    ],
)
def test_a_duration_is_said_in_minutes_from_one_minute_in_both_languages(
    seconds: int, english: str, khmer: str
) -> None:
    with translation.override("en"):
        assert duration_text(seconds) == english
    with translation.override("km"):
        assert duration_text(seconds) == khmer


def test_no_duration_is_said_as_nothing() -> None:
    assert duration_text(None) == ""


@pytest.mark.parametrize(
    ("language", "shown", "unit"), [("en", "10 min", "seconds"), ("km", "10 នាទី", "វិនាទី")]
)
def test_a_ten_minute_walk_in_shows_ten_minutes_on_its_page(
    language: str, shown: str, unit: str, client_for: ClientFor, db: None
) -> None:
    counsellor = persona(Role.COUNSELLOR, username=f"walk-in-{language}", language=language)
    client = client_for(counsellor)
    form = {
        "channel": "walk_in",
        "direction": "inbound",
        "arrived_at": "2026-11-20T10:30",
        "duration_minutes": "10",
        "kind": "counselling",
        "reasons": ["family.caregiver"],
        "summary": "Came with an aunt.",
        "idempotency_key": f"walk-in-{language}",
        "address": "",
    }
    assert client.post("/contacts/new/", form).status_code == 302
    contact = Contact.objects.get()
    assert contact.talk_seconds == 600
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    label = f"<dt>{DURATION[language]}</dt><dd>"
    duration = page[page.index(label) + len(label) :]
    duration = duration[: duration.index("</dd>")]
    assert shown in duration and "600" not in duration and unit not in duration, duration
