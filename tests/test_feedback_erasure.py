"""Feedback and complaints are personal data too: retention erases what a person wrote once the
item has been closed long enough, a person's erasure request takes what they said during their
contacts, and neither moves the complaint figures or breaks the audit chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.feedback.figures import complaint_figures
from helpline.feedback.models import (
    Feedback,
    FeedbackEvent,
    FeedbackKind,
    ReplyChannel,
    Source,
    State,
    Subject,
)
from helpline.feedback.services import feedback_advance, feedback_receive
from helpline.operations.models import RetentionPolicy
from helpline.operations.retention import retention_run
from helpline.referrals.models import PartnerConcern
from tests.factories import persona
from tests.partner_factories import add_partner
from tests.test_data_requests import NUMBER, history
from tests.test_sms_inbound import gateway_env, kannel  # noqa: F401  (the fixtures are used by name)

ClientFor = Callable[[Staff], Client]
WORDS = "the counsellor laughed at me, my name is Sokha"


def complaint(supervisor: Staff, *states: str, **kwargs: object) -> Feedback:
    item = feedback_receive(
        "web form",
        source=kwargs.pop("source", Source.WEB_FORM),  # type: ignore[arg-type]
        kind=FeedbackKind.COMPLAINT,
        text=WORDS,
        name="Sokha",
        subject_words="the night counsellor",
        reply_channel=ReplyChannel.EMAIL,
        reply_address="sokha@example.org",
        **kwargs,  # type: ignore[arg-type]
    )
    for state in states:
        item = feedback_advance(
            supervisor, feedback=item, state=state, note="called her back", response="We are sorry, Sokha."
        )
    return item


def aged(item: Feedback, days: int) -> None:
    """Move an item's history back `days` days (what years of waiting would do)."""
    back = dt.timedelta(days=days)
    Feedback.objects.filter(pk=item.pk).update(
        received_at=item.received_at - back,
        closed_at=item.closed_at - back if item.closed_at else None,
        responded_at=item.responded_at - back if item.responded_at else None,
    )


def test_retention_erases_closed_feedback_after_its_period_and_the_figures_stay(supervisor: Staff) -> None:
    policy = RetentionPolicy.objects.get_or_create(pk=1)[0]
    old_closed = complaint(supervisor, State.ACKNOWLEDGED, State.RESPONDED, State.CLOSED)
    old_responded = complaint(supervisor, State.ACKNOWLEDGED, State.RESPONDED)
    old_open = complaint(supervisor, State.ACKNOWLEDGED)
    recent_closed = complaint(supervisor, State.ACKNOWLEDGED, State.RESPONDED, State.CLOSED)
    for item in (old_closed, old_responded, old_open):
        aged(item, policy.feedback_days + 1)
    start, end = timezone.now() - dt.timedelta(days=10 * 365), timezone.now() + dt.timedelta(days=1)
    before = complaint_figures(start, end)

    run = retention_run()

    assert run.feedback == 2
    for item in (old_closed, old_responded):
        item.refresh_from_db()
        assert item.erased_at is not None
        assert (item.text, item.name, item.subject_words, item.reply_address_encrypted, item.response) == (
            "",
            "",
            "",
            "",
            "",
        )
        assert not FeedbackEvent.objects.filter(feedback=item).exclude(note="").exists()
        assert item.kind == FeedbackKind.COMPLAINT and item.source == Source.WEB_FORM
    old_responded.refresh_from_db()
    assert old_responded.state == State.RESPONDED  # the state stays, though the response is gone
    for item in (old_open, recent_closed):
        item.refresh_from_db()
        assert item.erased_at is None and item.text == WORDS and item.name == "Sokha"
    assert complaint_figures(start, end) == before
    event = AuditEvent.objects.get(action="feedback.erase")
    assert event.detail == {"feedback": 2} and WORDS not in str(event.detail)
    assert AuditEvent.objects.get(action="retention.run").detail["feedback"] == 2
    assert retention_run().feedback == 0  # nothing left to erase
    assert audit_chain_verify().intact


def test_the_feedback_period_is_kept_on_the_retention_page(
    administrator: Staff, client_for: ClientFor
) -> None:
    client = client_for(administrator)
    page = client.get("/operations/retention/")
    assert 'name="feedback_days"' in page.content.decode()
    data = {
        "non_data_contact_days": 730,
        "contact_days": 2555,
        "closed_case_days": 2555,
        "message_text_days": 90,
        "feedback_days": 400,
        "audit_days": 3650,
        "enabled": "on",
    }
    assert client.post("/operations/retention/", data).status_code in (200, 302)
    assert RetentionPolicy.objects.get(pk=1).feedback_days == 400
    data["audit_days"] = 300  # shorter than the feedback's own period
    assert client.post("/operations/retention/", data).status_code == 400
    assert RetentionPolicy.objects.get(pk=1).audit_days == 3650


def test_the_erased_item_says_so_on_its_page(supervisor: Staff, client_for: ClientFor) -> None:
    item = complaint(supervisor, State.CLOSED)
    aged(item, RetentionPolicy.objects.get_or_create(pk=1)[0].feedback_days + 1)
    retention_run()
    page = client_for(supervisor).get(f"/feedback/{item.pk}/").content.decode()
    assert "Erased on" in page and WORDS not in page and "Sokha" not in page


def test_a_persons_erasure_request_takes_the_feedback_they_gave_during_their_contacts(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    contact, _case = history(counsellor)
    given = complaint(supervisor, State.CLOSED, source=Source.CONTACT, contact=contact)
    client = client_for(supervisor)
    listing = client.post("/operations/data-requests/", {"number": NUMBER}).content.decode()
    assert WORDS in listing  # shown to the person as what is held about them
    assert AuditEvent.objects.get(action="data_request.view").detail["feedback"] == 1

    response = client.post(
        "/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked by phone, identity checked"}
    )
    assert response.status_code == 200
    assert "1 feedback item erased" in response.content.decode()
    given.refresh_from_db()
    assert given.erased_at is not None and given.text == "" and given.name == ""
    assert AuditEvent.objects.get(action="data_request.erase").detail["feedback"] == 1
    assert audit_chain_verify().intact


def test_a_complaint_still_being_handled_waits_and_the_supervisor_is_told(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    contact, _case = history(counsellor)
    being_handled = complaint(supervisor, State.ACKNOWLEDGED, source=Source.CONTACT, contact=contact)
    other = complaint(supervisor, State.CLOSED)  # someone else's, from the web form
    client = client_for(supervisor)
    listing = client.post("/operations/data-requests/", {"number": NUMBER}).content.decode()
    assert "Still being handled" in listing

    done = client.post(
        "/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked by phone, identity checked"}
    ).content.decode()
    assert "0 feedback items erased" in done and "still being handled is erased once it is closed" in done
    being_handled.refresh_from_db()
    other.refresh_from_db()
    assert being_handled.erased_at is None and being_handled.text == WORDS
    assert other.erased_at is None and other.text == WORDS


def test_the_copy_of_a_complaint_in_a_partners_concerns_log_is_erased_with_it(supervisor: Staff) -> None:
    partner = add_partner(persona(Role.CASE_MANAGER, username="keeper"))
    item = feedback_receive(
        supervisor,
        source=Source.STAFF,
        kind=FeedbackKind.COMPLAINT,
        text=WORDS,
        subject=Subject.PARTNER,
        subject_partner=partner,
    )
    concern = PartnerConcern.objects.get(partner=partner)
    assert WORDS in concern.description
    item = feedback_advance(supervisor, feedback=item, state=State.CLOSED)
    aged(item, RetentionPolicy.objects.get_or_create(pk=1)[0].feedback_days + 1)

    assert retention_run().feedback == 1
    concern.refresh_from_db()
    assert WORDS not in concern.description and concern.partner == partner
