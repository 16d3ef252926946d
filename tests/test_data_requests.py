"""A young person asks what is held about them, or to have it erased: a supervisor finds it by the
number they used, sees it without other people's data, and erases all but what child protection
keeps. Both are audited, without the number or the content."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.cases.erasure import case_legal_hold_set
from helpline.cases.models import Case, CaseNote
from helpline.cases.services import case_add_person, case_link_contact, note_add
from helpline.contacts.models import Contact, Kind, Status
from helpline.conversations.models import Conversation, Message
from helpline.operations.requests import subject_find
from helpline.routing.models import Triage
from tests.case_factories import caller, contact_for, open_case
from tests.test_sms_inbound import gateway_env, kannel  # noqa: F401  (the fixture is used by name)

ClientFor = Callable[[Staff], Client]
NUMBER = "+85512777888"
PARENT = "+85512333444"


def finished() -> None:
    """Every call and thread has ended (the factories leave contacts in progress)."""
    Contact.objects.update(status=Status.CLOSED, kind=Kind.COUNSELLING)
    Conversation.objects.update(is_open=False)


def history(counsellor: Staff) -> tuple[Contact, Case]:
    """An SMS thread and a low-risk case from the number, with a note and a relative named in it."""
    kannel(sender=NUMBER[1:], msg_id="dsr-1", text="my words to the helpline")
    case = open_case(counsellor, who=caller(NUMBER), nickname="Bopha")
    note_add(counsellor, case=case, text="Bopha told us about school")
    case_add_person(counsellor, case=case, role="household", name="Uncle Vannak")
    finished()
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
    finished()
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


def a_case_with_a_parents_call(counsellor: Staff) -> tuple[Case, Contact, Contact]:
    """The child's case, opened from the child's call; a later call of the child and the mother's
    call about the child are gathered into it."""
    child = caller(NUMBER)
    case = open_case(counsellor, who=child, nickname="Bopha")
    again = contact_for(counsellor, who=child)
    case_link_contact(counsellor, case=case, contact=again)
    mother = contact_for(counsellor, who=caller(PARENT))
    case_link_contact(counsellor, case=case, contact=mother)
    Contact.objects.filter(pk=mother.pk).update(summary="the mother is worried about her daughter")
    finished()
    return case, again, mother


def test_a_case_number_finds_the_childs_contacts_and_not_a_parents(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case, again, mother = a_case_with_a_parents_call(counsellor)
    held = subject_find(case_number=case.number)
    theirs = case.contacts.exclude(pk=mother.pk).values_list("pk", flat=True)
    assert {c.pk for c in held.contacts} == set(theirs) and len(theirs) == 2
    assert again in held.contacts and mother not in held.contacts
    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"case_number": case.number, "reason": "asked in person"}
    )
    assert response.status_code == 200
    mother.refresh_from_db()
    again.refresh_from_db()
    assert mother.summary == "the mother is worried about her daughter" and mother.caller is not None
    assert again.caller is None


def test_a_parents_request_leaves_the_childs_case_alone(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case, _again, mother = a_case_with_a_parents_call(counsellor)
    note_add(counsellor, case=case, text="Bopha told us about school")
    own = open_case(counsellor, who=caller(PARENT), nickname="the mother's own case")
    finished()
    page = client_for(supervisor).post("/operations/data-requests/", {"number": PARENT}).content.decode()
    assert own.number in page and case.number not in page and "Bopha told us about school" not in page
    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"number": PARENT, "reason": "the mother asked"}
    )
    assert response.status_code == 200
    case.refresh_from_db()
    own.refresh_from_db()
    mother.refresh_from_db()
    assert case.nickname == "Bopha" and case.erased_at is None
    assert CaseNote.objects.get(case=case).text == "Bopha told us about school"
    assert own.erased_at is not None and mother.summary == ""


def test_a_parents_call_kept_by_the_childs_held_case_is_not_erased(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case, _again, mother = a_case_with_a_parents_call(counsellor)
    case_legal_hold_set(supervisor, case=case, hold=True, reason="court")
    client_for(supervisor).post("/operations/data-requests/erase/", {"number": PARENT, "reason": "asked"})
    mother.refresh_from_db()
    assert mother.summary == "the mother is worried about her daughter" and mother.caller is not None


def test_erasure_waits_while_the_persons_conversation_is_open(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    kannel(sender=NUMBER[1:], msg_id="dsr-open", text="my words, still talking")
    client = client_for(supervisor)
    page = client.post("/operations/data-requests/", {"number": NUMBER}).content.decode()
    assert "still going on" in page
    response = client.post("/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked"})
    assert response.status_code == 409 and "still going on" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    message = Message.objects.get(provider_message_id="dsr-open")
    assert message.text == "my words, still talking" and message.conversation.contact.caller is not None
    assert not AuditEvent.objects.filter(action="data_request.erase").exists()


def test_erasure_blanks_what_triage_kept_of_the_words(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    kannel(sender=NUMBER[1:], msg_id="dsr-risk", text="my father hits me and I want to die")
    finished()
    triage = Triage.objects.get(contact__conversation__messages__provider_message_id="dsr-risk")
    assert "want to die" in triage.matched
    score, signals = triage.score, dict(triage.explanation["signals"])
    client_for(supervisor).post("/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked"})
    triage.refresh_from_db()
    assert triage.matched == [] and not triage.model_part.get("words")
    assert "want to die" not in repr(triage.explanation)
    assert triage.score == score and triage.explanation["signals"] == signals


def test_an_erased_thread_no_longer_names_a_caller_kept_for_a_held_case(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    kannel(sender=NUMBER[1:], msg_id="dsr-thread", text="my words to the helpline")
    held = open_case(counsellor, who=caller(NUMBER), nickname="Held")
    case_legal_hold_set(supervisor, case=held, hold=True, reason="court")
    finished()
    client_for(supervisor).post("/operations/data-requests/erase/", {"number": NUMBER, "reason": "asked"})
    thread = Message.objects.get(provider_message_id="dsr-thread").conversation
    assert thread.contact.caller is None and thread.caller is None
    # The held case's own call keeps the number.
    assert held.contacts.get().caller == caller(NUMBER)


def test_an_erasure_without_its_reason_comes_back_beside_the_listing(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """The refused erase form used to come back in the look-up form's place, its button "Show what
    is held": a reason typed there only listed again, and the listing itself was gone."""
    history(counsellor)
    response = client_for(supervisor).post(
        "/operations/data-requests/erase/", {"number": NUMBER, "case_number": "", "reason": " "}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "my words to the helpline" in page  # the listing is there again
    erase = page[page.index('action="/operations/data-requests/erase/"') :]
    assert 'id="id_erase_reason_error"' in erase and f'value="{NUMBER}"' in erase
    look_up = page[: page.index('action="/operations/data-requests/erase/"')]
    assert 'name="reason"' not in look_up.split("</form>")[0]
    assert not AuditEvent.objects.filter(action="data_request.erase").exists()
    assert Case.objects.get().nickname == "Bopha"


def test_each_label_on_the_listing_names_its_own_field(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    history(counsellor)
    open_case(counsellor, who=caller(NUMBER), nickname="Second")  # two legal-hold forms
    finished()
    page = client_for(supervisor).post("/operations/data-requests/", {"number": NUMBER}).content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) > 6 and sorted(i for i in set(ids) if ids.count(i) > 1) == []
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert f'id="{target}"' in page
