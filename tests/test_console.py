"""The counsellor console: start a contact, one click for non-data kinds, autosaved drafts that
survive a reload, the full form, the caller's history shown gently."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services
from helpline.contacts.models import Channel, Contact, ContactDraft, Kind, Status
from helpline.contacts.selectors import caller_history
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
NUMBER = "tel:+85512345678"

COUNSELLING_FORM = {
    "kind": "counselling",
    "language": "km",
    "caller_type": "self",
    "gender": "female",
    "age": "14",
    "province": "siem_reap",
    "region": "rural",
    "reasons": ["violence.physical", "family.caregiver"],
    "urgency": "urgent",
    "actions": ["emotional_support"],
    "summary": "ក្មេងស្រីនិយាយថាឪពុកវាយនាងនៅផ្ទះ",
}


def start(client: Client, **extra: str) -> Contact:
    response = client.post("/console/start/", {"channel": "voice", "address": "012 345 678", **extra})
    assert response.status_code == 302, response.content[:300]
    return Contact.objects.latest("created_at")


def test_console_page_loads_for_counsellors(counsellor: Staff, client_for: ClientFor) -> None:
    assert client_for(counsellor).get("/console/").status_code == 200


def test_the_lists_refresh_reads_only_what_the_lists_show(counsellor: Staff, client_for: ClientFor) -> None:
    """Every open console reloads its lists every ten seconds and on every change: the follow-ups
    panel and the reason groups beside them are not part of it and must not be read for it."""
    client = client_for(counsellor)
    client.get("/console/lists/")  # the session and settings read once
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/console/lists/").status_code == 200
    read = " ".join(q["sql"] for q in seen.captured_queries)
    assert "cases_followup" not in read
    assert "contacts_term" not in read


@pytest.mark.parametrize("role", [Role.DATA_OFFICER, Role.CASE_MANAGER, Role.ADMINISTRATOR])
def test_console_is_refused_to_roles_that_do_not_take_contacts(
    role: Role, client_for: ClientFor, db: None
) -> None:
    assert client_for(persona(role, username=f"x-{role}")).get("/console/").status_code == 403


def test_starting_a_contact_opens_it(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    assert contact.status == Status.ACTIVE and contact.counsellor == counsellor
    page = client.get(f"/console/{contact.pk}/")
    assert page.status_code == 200
    assert "First contact from this number." in page.content.decode()


def test_a_double_submitted_start_makes_one_contact(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    start(client, idempotency_key="key-1")
    start(client, idempotency_key="key-1")
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    "kind", ["silent", "hang_up", "testing", "blank", "prank", "wrong_number", "abusive"]
)
def test_a_non_data_contact_takes_one_click_and_is_counted(
    kind: str, counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    contact = start(client)
    response = client.post(f"/console/{contact.pk}/quick/{kind}/")
    assert response.status_code == 302 and response["Location"] == "/console/"
    contact.refresh_from_db()
    assert contact.kind == kind and contact.status == Status.CLOSED
    assert contact.ended_at is not None and contact.talk_seconds is not None
    assert AuditEvent.objects.filter(action="contact.record", record_id=str(contact.pk)).count() == 1
    # A second click changes nothing.
    client.post(f"/console/{contact.pk}/quick/silent/")
    contact.refresh_from_db()
    assert contact.kind == kind
    assert AuditEvent.objects.filter(action="contact.record", record_id=str(contact.pk)).count() == 1


def test_counselling_is_not_a_one_click_kind(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    assert client.post(f"/console/{contact.pk}/quick/counselling/").status_code == 400
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE


def test_the_draft_survives_a_reload(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    saved = client.post(f"/console/{contact.pk}/draft/", {**COUNSELLING_FORM, "_revision": "1"})
    assert saved.status_code == 200 and "Draft saved" in saved.content.decode()
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert "ក្មេងស្រីនិយាយថាឪពុកវាយនាងនៅផ្ទះ" in page
    assert re.search(r'<input[^>]*value="violence\.physical"[^>]*checked', page)
    form = client.get(f"/console/{contact.pk}/").context["form"]
    assert form.initial["summary"] == COUNSELLING_FORM["summary"]
    assert form.initial["reasons"] == ["violence.physical", "family.caregiver"]
    assert Contact.objects.count() == 1 and ContactDraft.objects.count() == 1


def test_a_late_older_draft_never_overwrites_a_newer_one(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    client.post(f"/console/{contact.pk}/draft/", {"summary": "newer", "_revision": "5"})
    client.post(f"/console/{contact.pk}/draft/", {"summary": "older", "_revision": "4"})
    assert ContactDraft.objects.get(contact=contact).data["summary"] == "newer"


def test_saving_the_form_records_and_closes_the_contact(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    client.post(f"/console/{contact.pk}/draft/", {"summary": "x", "_revision": "1"})
    response = client.post(f"/console/{contact.pk}/save/", {**COUNSELLING_FORM, "_version": contact.version})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.status == Status.CLOSED and contact.kind == Kind.COUNSELLING
    assert contact.age == 14 and contact.gender.code == "female"  # type: ignore[union-attr]
    assert contact.province.code == "siem_reap"  # type: ignore[union-attr]
    assert set(contact.reasons.values_list("code", flat=True)) == {"violence.physical", "family.caregiver"}
    assert not ContactDraft.objects.filter(contact=contact).exists()
    event = AuditEvent.objects.get(action="contact.record", record_id=str(contact.pk))
    assert "summary" in event.detail["fields"]
    assert COUNSELLING_FORM["summary"] not in str(event.detail)


def test_counselling_without_a_reason_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    form = {**COUNSELLING_FORM, "reasons": []}
    response = client.post(f"/console/{contact.pk}/save/", form)
    assert response.status_code == 400
    assert "reasons" in response.context["form"].errors
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE


def test_a_stale_form_gets_409_and_changes_nothing(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    response = client.post(
        f"/console/{contact.pk}/save/", {**COUNSELLING_FORM, "_version": contact.version + 1}
    )
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE


def test_another_counsellors_contact_is_not_found(counsellor: Staff, client_for: ClientFor, db: None) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    contact = start(client_for(other))
    client = client_for(counsellor)
    assert client.get(f"/console/{contact.pk}/").status_code == 404
    assert client.post(f"/console/{contact.pk}/quick/silent/").status_code == 404
    assert client.post(f"/console/{contact.pk}/save/", COUNSELLING_FORM).status_code == 404
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE


def test_returning_caller_is_shown_gently(counsellor: Staff, client_for: ClientFor) -> None:
    for _ in range(3):
        c = services.contact_start(counsellor, channel=Channel.VOICE, address=NUMBER)
        services.contact_close_quick(counsellor, contact=c, kind=Kind.SILENT)
    client = client_for(counsellor)
    contact = start(client)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert "3 contacts from this number in the last 7 days (silent)" in page
    assert AuditEvent.objects.filter(action="caller.history", record_id=str(contact.caller_id)).exists()


def test_caller_history_counts_by_kind_and_week(counsellor: Staff) -> None:
    old = services.contact_start(
        counsellor, channel=Channel.VOICE, address=NUMBER, arrived_at=timezone.now() - dt.timedelta(days=20)
    )
    services.contact_close_quick(counsellor, contact=old, kind=Kind.HANG_UP)
    recent = services.contact_start(counsellor, channel=Channel.SMS, address=NUMBER)
    services.contact_close_quick(counsellor, contact=recent, kind=Kind.TESTING)
    history = caller_history(counsellor, recent.caller)
    assert history.total == 2
    assert history.counts == {"hang_up": 1, "testing": 1}
    assert history.counts_this_week == {"testing": 1}
    assert [p.id for p in history.last] == [recent.pk, old.pk]


def test_safety_note_is_kept_for_the_caller(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    response = client.post(
        f"/callers/{contact.caller_id}/safety-note/", {"safety_note": "Do not call back: shared phone."}
    )
    assert response.status_code == 200
    later = start(client)
    assert "Do not call back: shared phone." in client.get(f"/console/{later.pk}/").content.decode()
    assert AuditEvent.objects.filter(action="caller.safety_note").exists()


def test_console_keyboard_shortcuts_are_marked(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    for digit in range(1, 8):
        assert f'data-hotkey="{digit}"' in page
    assert 'data-hotkey="s"' in page and 'data-hotkey="n"' in page
