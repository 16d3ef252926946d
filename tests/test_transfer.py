"""Transfer: a counsellor hands a contact they hold to a colleague or back to the queue, a supervisor
reassigns any open contact; always with a reason, audited, and never a closed contact."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import PoliceCheck, Role, Staff
from helpline.audit.models import AuditEvent
from helpline.channels.base import InboundText
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact, ContactTransfer, Kind, Status, Urgency
from helpline.contacts.selectors import access_contact
from helpline.contacts.transfer import TransferRefused, access_transferable
from helpline.conversations.console_reply import console_reply
from helpline.conversations.services import text_receive
from helpline.routing import queue
from helpline.routing.models import Offer, PresenceState
from helpline.routing.transfer import transfer
from tests.factories import persona

ClientFor = Callable[[Staff], Client]


def held_by(staff: Staff, channel: str = Channel.SMS, **fields: object) -> Contact:
    now = timezone.now()
    contact = Contact.objects.create(
        channel=channel,
        status=Status.ACTIVE,
        counsellor=staff,
        arrived_at=now - dt.timedelta(minutes=5),
        answered_at=now - dt.timedelta(minutes=4),
        wait_seconds=60,
        **fields,
    )
    contact.handlers.add(staff)
    return contact


@pytest.fixture
def colleague(db: None) -> Staff:
    staff = persona(Role.COUNSELLOR, username="sophea")
    queue.presence_set(staff, PresenceState.AVAILABLE)
    return staff


def transfers() -> int:
    return ContactTransfer.objects.count()


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# The service


def test_a_counsellor_hands_a_contact_to_an_available_colleague(counsellor: Staff, colleague: Staff) -> None:
    contact = held_by(counsellor)
    done = transfer(counsellor, contact=contact, to=colleague, reason="needs a Khmer-speaking woman")
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE and contact.counsellor == colleague
    assert set(contact.handlers.all()) == {counsellor, colleague}
    assert (done.from_staff, done.to_staff, done.by, done.reason) == (
        counsellor,
        colleague,
        counsellor,
        "needs a Khmer-speaking woman",
    )
    [event] = audited("contact.transfer")
    assert event.actor == counsellor and event.record_id == str(contact.pk)
    assert event.reason == "needs a Khmer-speaking woman"
    assert event.changes == {"counsellor": [str(counsellor.pk), str(colleague.pk)]}
    # The conversation follows the contact: the colleague answers the child, the giver no longer can.
    assert access_contact(colleague, contact.pk, for_write=True) == contact
    with pytest.raises(Http404):
        access_contact(counsellor, contact.pk, for_write=True)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required_and_nothing_changes_without_one(
    counsellor: Staff, colleague: Staff, reason: str
) -> None:
    contact = held_by(counsellor)
    with pytest.raises(TransferRefused) as refused:
        transfer(counsellor, contact=contact, to=colleague, reason=reason)
    assert refused.value.field == "reason" and refused.value.status == 400
    contact.refresh_from_db()
    assert contact.counsellor == counsellor and transfers() == 0 and not audited("contact.transfer")


def test_a_closed_contact_cannot_be_transferred(counsellor: Staff, colleague: Staff) -> None:
    contact = held_by(counsellor)
    Contact.objects.filter(pk=contact.pk).update(status=Status.CLOSED, kind=Kind.SILENT)
    contact.refresh_from_db()
    for to in (colleague, None):
        with pytest.raises(TransferRefused) as refused:
            transfer(counsellor, contact=contact, to=to, reason="end of shift")
        assert refused.value.status == 409
    contact.refresh_from_db()
    assert contact.status == Status.CLOSED and contact.counsellor == counsellor
    assert transfers() == 0 and not AuditEvent.objects.filter(action__startswith="contact.re").exists()


def test_a_counsellor_cannot_transfer_a_colleagues_contact(counsellor: Staff, colleague: Staff) -> None:
    theirs = held_by(colleague)
    # Not theirs and missing alike: the same 404 as every access helper.
    with pytest.raises(Http404):
        access_transferable(counsellor, theirs.pk)
    with pytest.raises(Http404):
        access_transferable(counsellor, "00000000-0000-0000-0000-000000000000")
    # Held once and handed on: the giver may not take it back by a transfer of their own.
    mine = held_by(counsellor)
    transfer(counsellor, contact=mine, to=colleague, reason="shift ends")
    with pytest.raises(Http404):
        access_transferable(counsellor, mine.pk)
    with pytest.raises(TransferRefused) as refused:  # a stale page: checked again under the lock
        transfer(counsellor, contact=mine, to=None, reason="again")
    assert refused.value.status == 409


def test_the_colleague_must_be_available_vetted_and_have_room(counsellor: Staff, colleague: Staff) -> None:
    contact = held_by(counsellor)
    queue.presence_set(colleague, PresenceState.BUSY)
    with pytest.raises(TransferRefused, match="not available"):
        transfer(counsellor, contact=contact, to=colleague, reason="senior needed")
    queue.presence_set(colleague, PresenceState.AVAILABLE)
    for _ in range(3):  # three text conversations: a full desk
        held_by(colleague)
    with pytest.raises(TransferRefused, match="no room"):
        transfer(counsellor, contact=contact, to=colleague, reason="senior needed")
    lapsed = persona(Role.COUNSELLOR, username="lapsed2")
    queue.presence_set(lapsed, PresenceState.AVAILABLE)
    PoliceCheck.objects.filter(staff=lapsed).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(TransferRefused, match="may not take contacts"):
        transfer(counsellor, contact=contact, to=lapsed, reason="senior needed")
    contact.refresh_from_db()
    assert contact.counsellor == counsellor and transfers() == 0


def test_a_supervisor_reassigns_any_contact_beyond_the_usual_room_but_never_past_the_gate(
    supervisor: Staff, counsellor: Staff, colleague: Staff, lapsed: Staff
) -> None:
    contact = held_by(counsellor)
    for _ in range(3):
        held_by(colleague)
    queue.presence_set(colleague, PresenceState.BUSY)
    transfer(supervisor, contact=contact, to=colleague, reason="she knows this child")
    contact.refresh_from_db()
    assert contact.counsellor == colleague
    [event] = audited("contact.transfer")
    assert event.actor == supervisor
    with pytest.raises(TransferRefused, match="may not take contacts"):
        transfer(supervisor, contact=contact, to=lapsed, reason="x")
    offline = persona(Role.VOLUNTEER, username="offline")
    with pytest.raises(TransferRefused, match="not at the console"):
        transfer(supervisor, contact=contact, to=offline, reason="x")


def test_back_to_the_queue_keeps_urgency_and_is_offered_to_someone_else(
    counsellor: Staff, colleague: Staff
) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    contact = held_by(counsellor, urgency=Urgency.CRITICAL)
    transfer(counsellor, contact=contact, to=None, reason="I must leave the desk")
    contact.refresh_from_db()
    assert contact.status == Status.WAITING and contact.counsellor is None
    assert contact.urgency == Urgency.CRITICAL
    [event] = audited("contact.requeue")
    assert event.reason == "I must leave the desk"
    assert event.changes == {"counsellor": [str(counsellor.pk), None]}
    # Offered again at once, to a colleague rather than to the one who gave it back.
    offer = Offer.objects.get(contact=contact)
    assert offer.staff == colleague
    # Answered again, it keeps the child's first answer and wait.
    queue.offer_accept(colleague, contact)
    contact.refresh_from_db()
    assert contact.counsellor == colleague and contact.wait_seconds == 60


def test_a_call_goes_back_by_phone_not_to_the_queue(counsellor: Staff) -> None:
    contact = held_by(counsellor, channel=Channel.VOICE)
    with pytest.raises(TransferRefused, match="by phone") as refused:
        transfer(counsellor, contact=contact, to=None, reason="x")
    assert refused.value.field == "to"
    assert Contact.objects.get(pk=contact.pk).counsellor == counsellor


def test_a_reassigned_waiting_contact_is_no_longer_on_offer(supervisor: Staff, colleague: Staff) -> None:
    other = persona(Role.COUNSELLOR, username="dara")
    contact = Contact.objects.create(
        channel=Channel.WEBCHAT, status=Status.WAITING, arrived_at=timezone.now()
    )
    queue.presence_set(other, PresenceState.AVAILABLE)
    queue.presence_set(colleague, PresenceState.BUSY)  # not offered: only the other is
    [offer] = queue.route()
    assert offer.staff == other
    transfer(supervisor, contact=contact, to=colleague, reason="she speaks with this child weekly")
    contact.refresh_from_db()
    assert contact.counsellor == colleague and contact.status == Status.ACTIVE
    assert contact.answered_at is not None
    assert not Offer.objects.filter(contact=contact).exists()


def test_the_new_holder_replies_to_the_childs_conversation(counsellor: Staff, colleague: Staff) -> None:
    text_receive(
        InboundText(
            provider="kannel", provider_message_id="t-1", sender="+85512000111", recipient="1280", text="help"
        )
    )
    contact = Contact.objects.get(channel=Channel.SMS)
    contact_services.contact_take(counsellor, contact=contact)
    transfer(counsellor, contact=contact, to=colleague, reason="end of my shift")
    assert (
        console_reply(colleague, contact.pk, "I am here", client_ip=None).conversation.contact_id
        == contact.pk
    )
    with pytest.raises(Http404):
        console_reply(counsellor, contact.pk, "still me", client_ip=None)


# Pages, as each role


def test_get_shows_the_form_and_writes_nothing(
    counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    client = client_for(counsellor)  # signing in is audited
    before = AuditEvent.objects.count()
    page = client.get(f"/console/{contact.pk}/transfer/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="sophea"' in html and 'value="queue"' in html and 'name="reason"' in html
    assert AuditEvent.objects.count() == before and transfers() == 0


def test_a_counsellor_transfers_by_plain_post_and_the_colleague_sees_who_and_why(
    counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    giver = client_for(counsellor)
    assert f"/console/{contact.pk}/transfer/" in giver.get(f"/console/{contact.pk}/").content.decode()
    answer = giver.post(f"/console/{contact.pk}/transfer/", {"to": "sophea", "reason": "she knows him"})
    assert answer.status_code == 302 and answer["Location"] == "/console/"
    assert Contact.objects.get(pk=contact.pk).counsellor == colleague
    assert f"/console/{contact.pk}/" not in giver.get("/console/lists/").content.decode()
    lists = client_for(colleague).get("/console/lists/").content.decode()
    assert f"/console/{contact.pk}/" in lists
    assert "Transferred to you by" in lists and "she knows him" in lists
    assert giver.get(f"/console/{contact.pk}/").status_code == 404  # no longer theirs to record


def test_with_htmx_a_refusal_returns_the_form_and_a_success_redirects(
    counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    client = client_for(counsellor)
    url = f"/console/{contact.pk}/transfer/"
    refused = client.post(url, {"to": "sophea", "reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    body = refused.content.decode()
    assert '<form method="post"' in body and "<html" not in body
    assert 'aria-invalid="true"' in body
    done = client.post(
        url, {"to": "queue", "reason": "break", "next": f"/console/{contact.pk}/"}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 204 and done["HX-Redirect"] == "/console/"
    assert Contact.objects.get(pk=contact.pk).status == Status.WAITING


def test_without_a_reason_the_page_says_so(
    counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    answer = client_for(counsellor).post(f"/console/{contact.pk}/transfer/", {"to": "sophea", "reason": " "})
    assert answer.status_code == 400 and "<html" in answer.content.decode()
    assert Contact.objects.get(pk=contact.pk).counsellor == counsellor and transfers() == 0


def test_a_closed_contact_is_refused_with_409(
    counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    Contact.objects.filter(pk=contact.pk).update(status=Status.CLOSED, kind=Kind.SILENT)
    client = client_for(counsellor)
    assert client.get(f"/console/{contact.pk}/transfer/").status_code == 409
    answer = client.post(f"/console/{contact.pk}/transfer/", {"to": "sophea", "reason": "x"})
    assert answer.status_code == 409
    assert Contact.objects.get(pk=contact.pk).status == Status.CLOSED and transfers() == 0


def test_someone_elses_contact_is_404_for_a_counsellor_and_403_without_the_console(
    counsellor: Staff, colleague: Staff, data_officer: Staff, client_for: ClientFor
) -> None:
    theirs = held_by(colleague)
    client = client_for(counsellor)
    url = f"/console/{theirs.pk}/transfer/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"to": "queue", "reason": "mine now"}).status_code == 404
    assert client_for(data_officer).post(url, {"to": "queue", "reason": "x"}).status_code == 403
    assert Contact.objects.get(pk=theirs.pk).counsellor == colleague and transfers() == 0


def test_a_supervisor_reassigns_from_the_wallboard_and_the_record(
    supervisor: Staff, counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    client = client_for(supervisor)
    board = client.get("/wallboard/").content.decode()
    assert f"/console/{contact.pk}/transfer/?next=/wallboard/" in board
    record = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/console/{contact.pk}/transfer/" in record
    assert f"/console/{contact.pk}/transfer/" in client.get(f"/console/{contact.pk}/").content.decode()
    answer = client.post(
        f"/console/{contact.pk}/transfer/",
        {"to": "sophea", "reason": "critical: senior", "next": "/wallboard/"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/wallboard/"
    assert Contact.objects.get(pk=contact.pk).counsellor == colleague
    # Somewhere else than the site's own pages is never a place to go back to.
    again = client.post(
        f"/console/{contact.pk}/transfer/", {"to": "queue", "reason": "x", "next": "https://example.org/"}
    )
    assert again.status_code == 302 and again["Location"] == "/console/"


def test_the_wallboard_assigns_only_waiting_contacts(
    supervisor: Staff, counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    contact = held_by(counsellor)
    # One someone holds is reassigned with a reason, never silently.
    assert (
        client_for(supervisor).post(f"/wallboard/assign/{contact.pk}/", {"to": "sophea"}).status_code == 400
    )
    assert Contact.objects.get(pk=contact.pk).counsellor == counsellor


def test_an_administrator_on_the_wallboard_is_offered_no_assign_or_reassign_they_would_be_refused(
    administrator: Staff, supervisor: Staff, counsellor: Staff, colleague: Staff, client_for: ClientFor
) -> None:
    held = held_by(counsellor)
    text_receive(
        InboundText(
            provider="kannel",
            provider_message_id="t-wall",
            sender="+85512000222",
            recipient="1280",
            text="hi",
        )
    )
    waiting = Contact.objects.get(status=Status.WAITING)
    admin = client_for(administrator)
    board = admin.get("/wallboard/").content.decode()
    # The administrator sees the floor, but neither button is theirs to press.
    assert admin.get(f"/console/{held.pk}/transfer/?next=/wallboard/").status_code == 403
    assert admin.post(f"/wallboard/assign/{waiting.pk}/", {"to": "sophea"}).status_code == 403
    assert f"/console/{held.pk}/transfer/" not in board
    assert f"/wallboard/assign/{waiting.pk}/" not in board
    # A supervisor, who may do both, still has them.
    theirs = client_for(supervisor).get("/wallboard/").content.decode()
    assert f"/console/{held.pk}/transfer/?next=/wallboard/" in theirs
    assert f"/wallboard/assign/{waiting.pk}/" in theirs
