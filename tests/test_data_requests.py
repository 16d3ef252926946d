"""A young person asks what is held about them, or to have it erased: a supervisor finds it by the
number they used, sees it without other people's data, and erases all but what child protection
keeps. Both are audited, without the number or the content."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.cases.erasure import case_legal_hold_set
from helpline.cases.models import Case, CaseNote
from helpline.cases.services import case_add_person, note_add
from helpline.contacts.models import Contact
from helpline.conversations.models import Conversation, Message
from tests.case_factories import caller, contact_for, open_case
from tests.test_sms_inbound import gateway_env, kannel  # noqa: F401  (the fixture is used by name)

ClientFor = Callable[[Staff], Client]
NUMBER = "+85512777888"


def history(counsellor: Staff) -> tuple[Contact, Case]:
    """An SMS thread and a low-risk case from the number, with a note and a relative named in it."""
    kannel(sender=NUMBER[1:], msg_id="dsr-1", text="my words to the helpline")
    Conversation.objects.update(is_open=False)
    case = open_case(counsellor, who=caller(NUMBER), nickname="Bopha")
    note_add(counsellor, case=case, text="Bopha told us about school")
    case_add_person(counsellor, case=case, role="household", name="Uncle Vannak")
    return Message.objects.get(provider_message_id="dsr-1").conversation.contact, case


def test_a_supervisor_sees_what_is_held_without_other_peoples_data(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    history(counsellor)
    response = client_for(supervisor).post("/operations/data-requests/", {"number": "012 777 888"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "my words to the helpline" in page and "Bopha told us about school" in page
    assert "Uncle Vannak" not in page and counsellor.username not in page
    event = AuditEvent.objects.get(action="data_request.view", actor=supervisor)
    assert event.detail["contacts"] == 2 and NUMBER[4:] not in repr(event.__dict__)


def test_the_request_form_itself_writes_nothing(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    before = AuditEvent.objects.count()
    assert client.get("/operations/data-requests/").status_code == 200
    assert AuditEvent.objects.count() == before


def test_a_counsellor_may_not_serve_a_request(counsellor: Staff, client_for: ClientFor) -> None:
    history(counsellor)
    client = client_for(counsellor)
    assert client.post("/operations/data-requests/", {"number": NUMBER}).status_code == 403
    assert (
        client.post("/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked"}).status_code
        == 403
    )
    assert Message.objects.get(provider_message_id="dsr-1").text == "my words to the helpline"
    assert not AuditEvent.objects.filter(action__startswith="data_request.").exists()


def test_erasure_on_request_removes_the_words_and_keeps_the_counts(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    contact, case = history(counsellor)
    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked by phone, identity checked"}
    )
    assert response.status_code == 200
    assert Message.objects.get(provider_message_id="dsr-1").text == ""
    contact.refresh_from_db()
    assert contact.caller is None and contact.channel == "sms"
    case.refresh_from_db()
    assert case.nickname == "" and case.erased_at is not None
    assert CaseNote.objects.get(case=case).text == ""
    event = AuditEvent.objects.get(action="data_request.erase", actor=supervisor)
    assert event.detail["cases"] == 1 and event.detail["kept_cases"] == []
    assert audit_chain_verify().intact


def test_child_protection_keeps_a_high_risk_open_case_and_a_held_one(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    who = caller(NUMBER)
    risky = open_case(counsellor, who=who, nickname="Risky", risk="high")
    held = open_case(counsellor, who=who, nickname="Held")
    case_legal_hold_set(supervisor, case=held, hold=True, reason="court")
    plain = contact_for(counsellor, who=who)
    page = client_for(supervisor).post("/operations/data-requests/", {"number": NUMBER}).content.decode()
    assert "a legal hold" in page and "high or critical risk" in page
    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked"}
    )
    assert response.status_code == 200
    risky.refresh_from_db()
    held.refresh_from_db()
    assert (risky.nickname, held.nickname) == ("Risky", "Held")
    assert set(AuditEvent.objects.get(action="data_request.erase").detail["kept_cases"]) == {
        risky.number,
        held.number,
    }
    plain.refresh_from_db()
    assert plain.caller is None
    # The cases' own contacts keep their link to the caller.
    assert Contact.objects.filter(cases__in=[risky, held]).exclude(caller=None).count() == 2
