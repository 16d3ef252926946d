"""A young person who sent feedback or a complaint by the web form or by email, asking for a reply
there, asks what is held about them or to have it erased: the supervisor finds it by that email
address (in any letter case, by its keyed hash), and the audit rows never hold the address."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.common.crypto import decrypt_text
from helpline.contacts.identity import caller_for_address, parse_address
from helpline.feedback.figures import complaint_figures
from helpline.feedback.mailbox import message_to_feedback
from helpline.feedback.models import Feedback, State
from helpline.feedback.services import feedback_advance
from helpline.operations.requests import subject_find
from tests.case_factories import contact_for
from tests.test_data_requests import finished

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]

ADDRESS = "Sokha.Kid@Example.org"
WORDS = "the night counsellor hung up on me"
OTHER_ADDRESS = "dara@example.org"
OTHER_WORDS = "nobody answered my message for two days"
REASON = "asked by email, identity checked by a call back"


def sent_by_the_web_form(text: str, email: str, name: str = "") -> Feedback:
    form = {"kind": "complaint", "subject": "helpline", "text": text, "name": name, "email": email}
    assert Client().post(reverse("feedback:public_form"), form).status_code == 302
    return Feedback.objects.get(text=text)


def closed(supervisor: Staff, item: Feedback) -> Feedback:
    return feedback_advance(supervisor, feedback=item, state=State.CLOSED, note="no answer needed")


def no_address_in(event: AuditEvent, *addresses: str) -> bool:
    kept = repr(event.__dict__).lower()
    return not any(a.lower() in kept for a in addresses)


def test_a_web_form_complaint_is_found_by_its_reply_address_in_any_letter_case(
    supervisor: Staff, client_for: ClientFor
) -> None:
    item = sent_by_the_web_form(WORDS, ADDRESS, name="Sokha")
    sent_by_the_web_form(OTHER_WORDS, OTHER_ADDRESS)
    assert item.reply_address_hash and ADDRESS.lower() not in item.reply_address_hash
    for asked in (ADDRESS, ADDRESS.upper(), f"  {ADDRESS.lower()} "):
        assert [f.pk for f in subject_find(email=asked).feedback] == [item.pk]

    response = client_for(supervisor).post("/operations/data-requests/", {"email": ADDRESS.upper()})
    assert response.status_code == 200
    page = response.content.decode()
    assert WORDS in page and OTHER_WORDS not in page
    assert "Still being handled" in page  # not closed yet: it waits
    event = AuditEvent.objects.get(action="data_request.view", actor=supervisor)
    assert event.detail["feedback"] == 1 and event.detail["by"] == "email address"
    assert no_address_in(event, ADDRESS, "sokha.kid")


def test_erasure_by_email_address_takes_the_words_name_and_address_and_keeps_the_counts(
    supervisor: Staff, client_for: ClientFor
) -> None:
    item = closed(supervisor, sent_by_the_web_form(WORDS, ADDRESS, name="Sokha"))
    other = closed(supervisor, sent_by_the_web_form(OTHER_WORDS, OTHER_ADDRESS, name="Dara"))
    other_hash = Feedback.objects.get(pk=other.pk).reply_address_hash
    start, end = timezone.now() - dt.timedelta(days=1), timezone.now() + dt.timedelta(days=1)
    before = complaint_figures(start, end)

    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"email": ADDRESS.lower(), "reason": REASON}
    )
    assert response.status_code == 200
    assert "1 feedback item erased" in response.content.decode()
    item.refresh_from_db()
    assert (item.text, item.name, item.reply_address_encrypted, item.reply_address_hash) == ("", "", "", "")
    assert item.erased_at is not None
    assert (item.kind, item.source, item.state) == ("complaint", "web_form", State.CLOSED)
    assert complaint_figures(start, end) == before
    assert subject_find(email=ADDRESS).feedback == []  # the address is gone, so is the way to it

    other.refresh_from_db()
    assert (other.text, other.name, other.erased_at) == (OTHER_WORDS, "Dara", None)
    assert other.reply_address_hash == other_hash
    assert decrypt_text(other.reply_address_encrypted) == OTHER_ADDRESS

    event = AuditEvent.objects.get(action="data_request.erase", actor=supervisor)
    assert event.detail["feedback"] == 1 and event.detail["by"] == "email address"
    assert no_address_in(event, ADDRESS, "sokha.kid")
    assert audit_chain_verify().intact


def test_a_complaint_found_by_email_and_still_being_handled_waits(
    supervisor: Staff, client_for: ClientFor
) -> None:
    item = sent_by_the_web_form(WORDS, ADDRESS)
    done = (
        client_for(supervisor)
        .post("/operations/data-requests/erase/", {"email": ADDRESS, "reason": REASON})
        .content.decode()
    )
    assert "0 feedback items erased" in done and "still being handled is erased once it is closed" in done
    item.refresh_from_db()
    assert item.erased_at is None and item.text == WORDS and item.reply_address_hash


def test_feedback_by_email_is_found_by_the_address_it_came_from() -> None:
    message = EmailMessage()
    message["From"] = "Dara <Dara@Example.org>"
    message["To"] = "feedback@1280.example.org"
    message["Subject"] = "about my call"
    message["Message-ID"] = "<dsr-email-1@example.org>"
    message.set_content(OTHER_WORDS)
    item = message_to_feedback(bytes(message))
    assert item is not None
    assert [f.pk for f in subject_find(email="DARA@example.org").feedback] == [item.pk]


def test_contacts_from_an_email_address_are_found_by_it(counsellor: Staff) -> None:
    contact = contact_for(counsellor, who=caller_for_address(parse_address(f"email:{OTHER_ADDRESS}")))
    finished()
    held = subject_find(email=OTHER_ADDRESS.upper())
    assert [c.pk for c in held.contacts] == [contact.pk] and held.found
    assert not subject_find(email=ADDRESS).found


@pytest.mark.parametrize("path", ["/operations/data-requests/", "/operations/data-requests/erase/"])
def test_a_mistyped_email_address_is_refused_and_writes_nothing(
    supervisor: Staff, client_for: ClientFor, path: str
) -> None:
    item = closed(supervisor, sent_by_the_web_form(WORDS, ADDRESS))
    client = client_for(supervisor)  # signing in is audited: count after it
    before = AuditEvent.objects.count()
    response = client.post(path, {"email": "sokha.kid at example", "reason": REASON})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert WORDS not in response.content.decode()
    assert AuditEvent.objects.count() == before
    item.refresh_from_db()
    assert item.erased_at is None and item.text == WORDS


def test_nothing_given_is_refused_naming_the_email_address_too(
    supervisor: Staff, client_for: ClientFor
) -> None:
    response = client_for(supervisor).post("/operations/data-requests/", {"email": ""})
    assert response.status_code == 400
    assert "Give a phone number, a case number or an email address." in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="data_request.").exists()


def test_the_form_shows_the_email_field_and_a_get_writes_nothing(
    supervisor: Staff, client_for: ClientFor
) -> None:
    sent_by_the_web_form(WORDS, ADDRESS)
    client = client_for(supervisor)  # signing in is audited: count after it
    before = AuditEvent.objects.count()
    response = client.get("/operations/data-requests/", {"email": ADDRESS})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="email"' in page and WORDS not in page
    assert AuditEvent.objects.count() == before


def test_existing_reply_addresses_get_their_hash_and_an_undecryptable_one_is_skipped(
    supervisor: Staff,
) -> None:
    item = sent_by_the_web_form(WORDS, ADDRESS)
    broken = sent_by_the_web_form(OTHER_WORDS, OTHER_ADDRESS)
    expected = item.reply_address_hash
    Feedback.objects.update(reply_address_hash="")
    Feedback.objects.filter(pk=broken.pk).update(reply_address_encrypted="gAAAAAbroken")
    migration = importlib.import_module("helpline.feedback.migrations.0003_feedback_reply_address_hash")
    migration.hash_reply_addresses(apps, None)
    assert Feedback.objects.get(pk=item.pk).reply_address_hash == expected
    assert Feedback.objects.get(pk=broken.pk).reply_address_hash == ""
    assert [f.pk for f in subject_find(email=ADDRESS).feedback] == [item.pk]
