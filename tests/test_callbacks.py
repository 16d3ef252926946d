"""A call-back shows the caller's number, so only those who may see numbers at the console make one
(supervisors: Permission.CALL_BACK); each showing is an audited reveal with its reason, and the
caller's safe-contact note is shown and must be confirmed as read before the number is given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.channels.calls import CallEvent
from helpline.contacts.models import Contact, Direction
from helpline.contacts.services import caller_safety_note_set
from helpline.voice.models import Callback, VoiceCall
from helpline.voice.services import voice_event
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
NUMBER = "+85512345678"


def missed_call(call_id: str = "m1", caller: str = NUMBER) -> VoiceCall:
    now = timezone.now()
    voice_event(CallEvent(call_id, "join", now - dt.timedelta(minutes=5), caller=caller))
    voice_event(CallEvent(call_id, "abandon", now - dt.timedelta(minutes=4), hold=60, position=1))
    return VoiceCall.objects.select_related("contact__caller").get(call_id=call_id)


def call_back(client: Client, call: VoiceCall, **extra: str) -> object:
    data = {"reason": "she asked us to call at 5", "caller_asked": "on", **extra}
    return client.post(f"/calls/missed/{call.contact_id}/call-back/", data)


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.VOLUNTEER])
def test_a_counsellor_or_volunteer_never_gets_the_number_even_when_the_caller_asked(
    role: Role, client_for: ClientFor, db: None
) -> None:
    staff = persona(role, username="c")
    call = missed_call()
    client = client_for(staff)
    page = client.get("/calls/missed/")
    assert page.status_code == 200
    assert "/call-back/" not in page.content.decode()  # no form to fill in
    assert "only supervisors see a caller's number" in page.content.decode()
    response = call_back(client, call)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "85512345678" not in response.content.decode()  # type: ignore[attr-defined]
    assert not Contact.objects.filter(direction=Direction.OUTBOUND).exists()
    assert not AuditEvent.objects.filter(action__in=["caller.reveal", "call.callback"]).exists()
    assert AuditEvent.objects.filter(action="access.refused", actor=staff).exists()


def test_a_supervisor_calls_back_and_the_number_is_shown_once_per_look_audited_with_the_reason(
    supervisor: Staff, client_for: ClientFor
) -> None:
    call = missed_call()
    client = client_for(supervisor)
    response = call_back(client, call)
    outbound = Contact.objects.get(direction=Direction.OUTBOUND)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"/calls/call-backs/{outbound.pk}/"  # type: ignore[index]
    assert "85512345678" not in str(response.cookies)  # type: ignore[attr-defined]  # never in a cookie
    made = AuditEvent.objects.get(action="call.callback")
    assert made.actor == supervisor and made.record_id == str(outbound.pk)
    assert not AuditEvent.objects.filter(action="caller.reveal").exists()
    page = client.get(response["Location"])  # type: ignore[index]
    assert page.status_code == 200 and f'href="tel:{NUMBER}"' in page.content.decode()
    reveal = AuditEvent.objects.get(action="caller.reveal")
    assert reveal.actor == supervisor and reveal.reason == "call-back: she asked us to call at 5"
    assert reveal.record_id == str(call.contact.caller_id)
    client.get(response["Location"])  # type: ignore[index]  # a reload: another look, another row
    assert AuditEvent.objects.filter(action="caller.reveal").count() == 2
    assert Contact.objects.filter(direction=Direction.OUTBOUND).count() == 1  # and no second call-back


def test_the_number_page_is_only_for_the_one_who_called_back_and_only_while_the_call_is_open(
    supervisor: Staff, client_for: ClientFor
) -> None:
    call = missed_call()
    call_back(client_for(supervisor), call)
    outbound = Contact.objects.get(direction=Direction.OUTBOUND)
    colleague = persona(Role.SUPERVISOR, username="another")
    assert client_for(colleague).get(f"/calls/call-backs/{outbound.pk}/").status_code == 404
    assert (
        client_for(persona(Role.COUNSELLOR, username="c"))
        .get(f"/calls/call-backs/{outbound.pk}/")
        .status_code
        == 403
    )
    Contact.objects.filter(pk=outbound.pk).update(status="closed", kind="counselling")
    assert client_for(supervisor).get(f"/calls/call-backs/{outbound.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="caller.reveal").exists()


def test_the_safe_contact_note_is_shown_and_must_be_confirmed_before_any_call_back(
    supervisor: Staff, client_for: ClientFor
) -> None:
    call = missed_call()
    assert call.contact.caller is not None
    caller_safety_note_set(
        supervisor, caller=call.contact.caller, note="Only after 5 pm: the phone is her father's"
    )
    client = client_for(supervisor)
    page = client.get("/calls/missed/").content.decode()
    assert "Only after 5 pm: the phone is her father&#x27;s" in page and 'name="safety_note_read"' in page
    refused = call_back(client, call)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "safe-contact note" in refused.content.decode()  # type: ignore[attr-defined]
    assert not Callback.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["caller.reveal", "call.callback"]).exists()
    made = call_back(client, call, safety_note_read="on")
    assert made.status_code == 302  # type: ignore[attr-defined]
    assert AuditEvent.objects.get(action="call.callback").detail["safety_note_read"] is True
    number_page = client.get(made["Location"]).content.decode()  # type: ignore[index]
    assert "Only after 5 pm" in number_page and NUMBER in number_page
    assert number_page.index("Only after 5 pm") < number_page.index(NUMBER)  # the note comes first


def test_counsellors_do_not_see_the_safe_contact_note_of_a_caller_they_never_spoke_to(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    call = missed_call()
    assert call.contact.caller is not None
    caller_safety_note_set(supervisor, caller=call.contact.caller, note="Never call back")
    assert "Never call back" not in client_for(counsellor).get("/calls/missed/").content.decode()


def test_a_withheld_number_cannot_be_called_back(supervisor: Staff, client_for: ClientFor) -> None:
    call = missed_call(caller="anonymous")
    response = call_back(client_for(supervisor), call)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not Callback.objects.exists()


def test_a_repeated_call_back_reuses_the_open_one(
    supervisor: Staff, client_for: ClientFor, make_persona: Callable[..., Staff]
) -> None:
    call = missed_call()
    client = client_for(supervisor)
    first = call_back(client, call)
    again = call_back(client, call)  # a double click, a resent form, a second try
    outbound = Contact.objects.get(direction=Direction.OUTBOUND)
    assert first["Location"] == again["Location"] == f"/calls/call-backs/{outbound.pk}/"  # type: ignore[index]
    assert Callback.objects.count() == 1 and AuditEvent.objects.filter(action="call.callback").count() == 1
    # A colleague is told someone is calling back already, and gets no number.
    colleague = client_for(make_persona(Role.SUPERVISOR, username="other-supervisor"))
    refused = call_back(colleague, call)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "85512345678" not in refused.content.decode()  # type: ignore[attr-defined]
    assert Contact.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_once_the_call_back_is_closed_a_new_one_may_be_made(supervisor: Staff, client_for: ClientFor) -> None:
    from helpline.contacts.services import contact_close_quick

    call = missed_call()
    client = client_for(supervisor)
    call_back(client, call)
    contact_close_quick(supervisor, contact=Contact.objects.get(direction=Direction.OUTBOUND), kind="hang_up")
    call_back(client, call)
    assert Contact.objects.filter(direction=Direction.OUTBOUND).count() == 2


def _called_back(supervisor: Staff, client_for: ClientFor) -> Callback:
    call_back(client_for(supervisor), missed_call())
    # the call-back call has ended
    Contact.objects.filter(direction=Direction.OUTBOUND).update(status="closed", kind="counselling")
    return Callback.objects.get()


def test_an_erasure_request_takes_the_words_written_for_a_call_back(
    supervisor: Staff, client_for: ClientFor
) -> None:
    callback = _called_back(supervisor, client_for)
    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked by phone, identity checked"}
    )
    assert response.status_code == 200
    callback.refresh_from_db()
    assert callback.reason == "" and callback.made_by == supervisor  # who called back stays


def test_retention_takes_the_words_written_for_a_call_back_with_its_calls(
    supervisor: Staff, client_for: ClientFor
) -> None:
    from helpline.operations.retention import retention_run

    callback = _called_back(supervisor, client_for)
    assert retention_run().contacts == 0  # too recent: nothing goes, the words stay
    callback.refresh_from_db()
    assert callback.reason == "she asked us to call at 5"
    retention_run(now=timezone.now() + dt.timedelta(days=3 * 365))
    callback.refresh_from_db()
    assert callback.reason == ""
