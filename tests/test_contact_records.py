"""Lists and search for supervisors, manual entry, corrections, and the code lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services
from helpline.contacts.forms import ClassificationForm
from helpline.contacts.models import Channel, Contact, Kind, Status, Term
from helpline.contacts.selectors import ContactFilters, contact_page, contact_search
from tests.factories import persona

ClientFor = Callable[[Staff], Client]


def record(counsellor: Staff, *, address: str | None = "tel:+85512345678", **coding: Any) -> Contact:
    contact = services.contact_start(
        counsellor, channel=coding.pop("channel", Channel.VOICE), address=address
    )
    data = {"kind": "counselling", "reasons": ["mental_health.other"], **coding}
    form = ClassificationForm(data)
    assert form.is_valid(), form.errors
    return services.contact_record(counsellor, contact=contact, data=form.cleaned_data)


def test_code_lists_ship_with_khmer_and_english_labels(db: None) -> None:
    reasons = Term.objects.filter(vocabulary="reason")
    assert reasons.filter(parent__isnull=True).count() >= 11
    assert Term.objects.filter(vocabulary="province").count() == 25
    for term in Term.objects.all():
        assert term.label_en and term.label_km
    trafficking = Term.objects.get(vocabulary="reason", code="trafficking")
    assert trafficking.is_local and trafficking.chi_code == "violence"


def test_khmer_search_finds_a_word_inside_a_sentence(counsellor: Staff, supervisor: Staff) -> None:
    hit = record(counsellor, summary="ក្មេងស្រីនិយាយថាឪពុកវាយនាងនៅផ្ទះ")
    record(counsellor, summary="ក្មេងប្រុសមានបញ្ហានៅសាលារៀន")
    found = list(contact_search(supervisor, ContactFilters(text="ឪពុក")))
    assert found == [hit]
    assert list(contact_search(supervisor, ContactFilters(text="វាយ"))) == [hit]


def test_english_search_matches_whole_words(counsellor: Staff, supervisor: Staff) -> None:
    hit = record(counsellor, summary="Bullied at school by classmates.")
    record(counsellor, summary="Asked about schooling options.")
    assert list(contact_search(supervisor, ContactFilters(text="SCHOOL"))) == [hit]
    assert list(contact_search(supervisor, ContactFilters(text="school bullied"))) == [hit]


def test_search_by_phone_number_goes_through_the_keyed_hash(counsellor: Staff, supervisor: Staff) -> None:
    mine = record(counsellor, address="tel:+85512345678")
    record(counsellor, address="tel:+85597111222")
    assert list(contact_search(supervisor, ContactFilters(address="012 345 678"))) == [mine]
    assert list(contact_search(supervisor, ContactFilters(address="011 999 999"))) == []


def test_filters_each_narrow_the_list(counsellor: Staff, supervisor: Staff, db: None) -> None:
    a = record(counsellor, province="kandal", urgency="critical", reasons=["violence.sexual"], channel="sms")
    b = record(counsellor, province="kep", urgency="non_critical", reasons=["education.academic"])
    other = persona(Role.VOLUNTEER, username="vol")
    c = record(other, kind="information", reasons=[])
    cases = {
        ContactFilters(province="kandal"): [a],
        ContactFilters(urgency="non_critical"): [b],
        ContactFilters(category="violence"): [a],
        ContactFilters(category="education.academic"): [b],
        ContactFilters(channel="sms"): [a],
        ContactFilters(kind="information"): [c],
        ContactFilters(counsellor="vol"): [c],
        ContactFilters(date_from=timezone.localdate() + dt.timedelta(days=1)): [],
        ContactFilters(date_to=timezone.localdate()): [c, b, a],
    }
    for filters, expected in cases.items():
        assert list(contact_search(supervisor, filters).order_by("-arrived_at", "-id")) == expected, filters


def test_pages_follow_on_without_repeating_or_skipping(counsellor: Staff, supervisor: Staff) -> None:
    made = [record(counsellor) for _ in range(7)]
    seen: list[Contact] = []
    cursor = None
    while True:
        page = contact_page(supervisor, ContactFilters(), cursor=cursor, limit=3)
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(c.pk for c in seen) == sorted(c.pk for c in made)
    assert len(seen) == 7


def test_counsellor_lists_only_their_own_contacts(counsellor: Staff, client_for: ClientFor, db: None) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    mine = record(counsellor)
    theirs = record(other)
    page = client_for(counsellor).get("/contacts/")
    ids = [c.pk for c in page.context["page"].items]
    assert ids == [mine.pk]
    # a name, as the case list shows
    assert f"<td>{escape(counsellor.full_name)}</td>" in page.content.decode()
    assert client_for(counsellor).get(f"/contacts/{theirs.pk}/").status_code == 404


def test_supervisor_lists_everyone_and_the_search_is_audited(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    record(counsellor)
    page = client_for(supervisor).get("/contacts/", {"address": "012345678", "kind": "counselling"})
    assert page.status_code == 200 and len(page.context["page"].items) == 1
    event = AuditEvent.objects.filter(action="contact.search").latest("seq")
    assert event.detail["address"] == "by number" and "012345678" not in str(event.detail)


def test_data_officer_sees_no_contact_page(
    data_officer: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = record(counsellor)
    client = client_for(data_officer)
    for url in ["/contacts/", f"/contacts/{contact.pk}/", "/contacts/new/", "/console/"]:
        assert client.get(url).status_code == 403, url


def test_walk_in_entered_by_hand(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    form = {
        "channel": "walk_in",
        "direction": "inbound",
        "arrived_at": "2026-11-20T10:30",
        "duration_minutes": "25",
        "kind": "counselling",
        "reasons": ["family.caregiver"],
        "summary": "Came with an aunt.",
        "idempotency_key": "walkin-1",
        "address": "",
    }
    response = client.post("/contacts/new/", form)
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.channel == Channel.WALK_IN and contact.status == Status.CLOSED
    assert contact.talk_seconds == 25 * 60 and contact.caller is None
    assert client.post("/contacts/new/", form).status_code == 302  # a double submit
    assert Contact.objects.count() == 1


def test_future_or_malformed_entry_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    for form in [
        {"channel": "email", "arrived_at": future, "kind": "information"},
        {
            "channel": "email",
            "arrived_at": "2026-11-20T10:30",
            "kind": "information",
            "address": "not a number",
        },
        {"channel": "pigeon", "arrived_at": "2026-11-20T10:30", "kind": "information"},
        {"channel": "email", "arrived_at": "2026-11-20T10:30", "kind": "information", "age": "999"},
    ]:
        assert client.post("/contacts/new/", form).status_code == 400, form
    assert not Contact.objects.exists()


def test_counsellor_corrects_their_own_contact_with_a_reason(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = record(counsellor, summary="first")
    client = client_for(counsellor)
    response = client.post(
        f"/contacts/{contact.pk}/correct/",
        {
            "kind": "counselling",
            "reasons": ["mental_health.other"],
            "age": "15",
            "summary": "second",
            "reason": "typed the wrong age",
            "_version": contact.version,
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.age == 15 and contact.summary == "second"
    event = AuditEvent.objects.get(action="contact.correct")
    assert event.reason == "typed the wrong age" and set(event.detail["fields"]) == {"age", "summary"}


def test_supervisor_corrects_anyones_contact(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    contact = record(counsellor)
    response = client_for(supervisor).post(
        f"/contacts/{contact.pk}/correct/",
        {
            "kind": "information",
            "reason": "was an information call",
            "_version": contact.version,
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.kind == Kind.INFORMATION


def test_other_counsellor_cannot_correct(counsellor: Staff, client_for: ClientFor, db: None) -> None:
    contact = record(counsellor)
    other = persona(Role.COUNSELLOR, username="other")
    response = client_for(other).post(f"/contacts/{contact.pk}/correct/", {"kind": "prank", "reason": "x"})
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.kind == Kind.COUNSELLING


def test_contacts_are_never_deleted_from_any_page(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = record(counsellor)
    client = client_for(supervisor)
    for url in [f"/contacts/{contact.pk}/", f"/contacts/{contact.pk}/correct/"]:
        assert client.delete(url).status_code == 405
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_reading_a_contact_is_audited(supervisor: Staff, counsellor: Staff, client_for: ClientFor) -> None:
    contact = record(counsellor)
    client_for(supervisor).get(f"/contacts/{contact.pk}/")
    assert AuditEvent.objects.filter(
        action="contact.view", actor=supervisor, record_id=str(contact.pk)
    ).exists()


def test_administrator_adds_a_local_reason_mapped_to_chi(administrator: Staff, client_for: ClientFor) -> None:
    client = client_for(administrator)
    refused = client.post(
        "/code-lists/",
        {
            "vocabulary": "reason",
            "code": "gambling",
            "parent": "mental_health",
            "label_en": "Gambling",
            "label_km": "ល្បែងស៊ីសង",
            "chi_code": "",
        },
    )
    assert refused.status_code == 400
    ok = client.post(
        "/code-lists/",
        {
            "vocabulary": "reason",
            "code": "gambling",
            "parent": "mental_health",
            "label_en": "Gambling",
            "label_km": "ល្បែងស៊ីសង",
            "chi_code": "mental_health.substance_use",
        },
    )
    assert ok.status_code == 302
    term = Term.objects.get(code="mental_health.gambling")
    assert term.is_local and term.parent and term.parent.code == "mental_health"
    form = ClassificationForm({"kind": "counselling", "reasons": ["mental_health.gambling"]})
    assert form.is_valid(), form.errors


def test_counsellor_cannot_edit_code_lists(counsellor: Staff, client_for: ClientFor) -> None:
    assert client_for(counsellor).get("/code-lists/").status_code == 403


@pytest.mark.parametrize("language", ["km", "en"])
def test_console_labels_follow_the_language(language: str, counsellor: Staff, client_for: ClientFor) -> None:
    counsellor.language = language
    counsellor.save()
    client = client_for(counsellor)
    contact = services.contact_start(counsellor, channel=Channel.VOICE)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    expected = Term.objects.get(vocabulary="province", code="siem_reap")
    assert (expected.label_km if language == "km" else expected.label_en) in page
