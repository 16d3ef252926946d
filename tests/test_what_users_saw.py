"""Smaller things people met on the pages: a lapsed counsellor's menu, the wallboard's audit rows,
audit names and refusals in the reader's language, the chat reply box, the triage buttons, the
chat page in Khmer, an icon, and a refused code answered inside the layout."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client
from django.utils import timezone, translation

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.labels import action_label, reason_label
from helpline.audit.models import AuditEvent
from helpline.audit.services import audit_record
from helpline.contacts import intake
from helpline.contacts import services as contact_services
from helpline.contacts.identity import caller_for_address, parse_address
from helpline.contacts.models import Channel, Contact, Urgency
from helpline.conversations.models import Conversation
from tests.factories import persona
from tests.test_console import start
from tests.test_transfer import held_by

ClientFor = Callable[[Staff], Client]
HTMX = {"HX-Request": "true"}


def menu_of(page: str) -> str:
    return page[page.index('<nav aria-label="Main menu">') : page.index("</nav>", page.index("Main menu"))]


def test_a_lapsed_counsellors_menu_offers_only_their_profile(
    lapsed: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    menu = menu_of(client_for(lapsed).get("/accounts/profile/").content.decode())
    assert re.findall(r'href="([^"]+)"', menu) == ["/accounts/profile/"]
    # Every page it offered before sent them back to the profile.
    assert client_for(lapsed).get("/console/").status_code == 302
    vetted = menu_of(client_for(counsellor).get("/accounts/profile/").content.decode())
    assert 'href="/console/"' in vetted and 'href="/"' in vetted


def wallboard_views() -> int:
    return AuditEvent.objects.filter(action=AuditAction.WALLBOARD_VIEW).count()


def test_the_wallboard_is_audited_when_first_seen_and_when_it_changes_not_at_every_refresh(
    supervisor: Staff, client_for: ClientFor
) -> None:
    client = client_for(supervisor)
    assert client.get("/wallboard/").status_code == 200
    assert wallboard_views() == 1
    for _refresh in range(3):
        assert client.get("/wallboard/", headers=HTMX).status_code == 200
    assert wallboard_views() == 1
    caller = caller_for_address(parse_address("012 777 888"))
    intake.contact_waiting_open(channel=Channel.SMS, caller=caller, arrived_at=timezone.now())
    client.get("/wallboard/", headers=HTMX)
    client.get("/wallboard/", headers=HTMX)
    assert wallboard_views() == 2  # a child waiting now: what the board shows changed
    client_for(supervisor).get("/wallboard/")  # another session's first look
    assert wallboard_views() == 3


def test_the_wallboard_is_audited_again_when_a_held_contact_changes(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    """The board lists the contacts in progress too (each with its urgency): when one of them
    turns critical, the board shows something new, and who saw it is recorded."""
    held = held_by(counsellor)
    client = client_for(supervisor)
    client.get("/wallboard/")
    assert wallboard_views() == 1
    intake.contact_urgency_raise(contact=held, urgency=Urgency.CRITICAL)
    client.get("/wallboard/", headers=HTMX)
    assert wallboard_views() == 2


def test_every_audit_action_has_a_name_in_each_language() -> None:
    for action in AuditAction:
        with translation.override("en"):
            english = action_label(action.value)
        with translation.override("km"):
            khmer = action_label(action.value)
        assert english != action.value and re.search(r"[\u1780-\u17ff]", khmer), action
    assert action_label("no.such_action") == "no.such_action"


def test_refusal_reasons_read_in_the_readers_language(db: None) -> None:
    with translation.override("km"):
        assert re.search(r"[\u1780-\u17ff]", reason_label("role counsellor lacks audit_browse"))
        assert "កំណត់ត្រាសវនកម្ម" in reason_label("role counsellor lacks audit_browse")  # the permission's name
        assert "audit_browse" not in reason_label("role counsellor lacks audit_browse")
        assert re.search(r"[\u1780-\u17ff]", reason_label("not signed in"))
        assert re.search(r"[\u1780-\u17ff]", reason_label("token lacks scope contacts:read"))
        stored_in_english = "safeguarding gate: The police check has expired."
        assert "police" not in reason_label(stored_in_english)
    with translation.override("km"):
        stored_in_khmer = "safeguarding gate: " + str(translation.gettext("The police check has expired."))
    with translation.override("en"):
        assert reason_label(stored_in_khmer) == "Safeguarding gate: The police check has expired."
        assert reason_label("counsellor asked to call back") == "counsellor asked to call back"  # words typed


def test_the_audit_page_shows_names_and_reasons_translated(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    assert client_for(counsellor).get("/audit/").status_code == 403  # a refusal, audited
    audit_record(counsellor, action=AuditAction.CONTACT_VIEW, record_type="contact", record_id="x")
    supervisor.language = "km"
    supervisor.save(update_fields=["language"])
    page = client_for(supervisor).get("/audit/").content.decode()
    with translation.override("km"):
        assert str(AuditAction.CONTACT_VIEW.label) in page
        assert str(AuditAction.ACCESS_REFUSED.label) in page
        assert reason_label("role counsellor lacks audit_browse") in page
    assert "Contact viewed" not in page and "lacks" not in page


def chat_answered(counsellor: Staff) -> Contact:
    caller = caller_for_address(parse_address("webchat:7a7a"))
    contact = intake.contact_waiting_open(channel=Channel.WEBCHAT, caller=caller, arrived_at=timezone.now())
    Conversation.objects.create(
        channel=Channel.WEBCHAT,
        gateway="webchat",
        contact=contact,
        caller=caller,
        last_message_at=timezone.now(),
    )
    return contact_services.contact_take(counsellor, contact=contact)


def test_a_chat_reply_box_counts_no_sms(counsellor: Staff, client_for: ClientFor) -> None:
    contact = chat_answered(counsellor)
    client = client_for(counsellor)
    form = client.get(f"/console/{contact.pk}/reply-form/").content.decode()
    assert "data-reply-text" in form
    assert "data-sms-count" not in form and "data-sms-parts" not in form and "SMS" not in form
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert "First contact from this number" not in page


def test_no_triage_buttons_where_nothing_was_triaged(counsellor: Staff, client_for: ClientFor) -> None:
    """A call has no triage to call wrong. A text thread triage found nothing in offers one thing:
    to say it missed a risk (those marks are the examples the corpus most needs)."""
    client = client_for(counsellor)
    call = start(client)
    page = client.get(f"/console/{call.pk}/").content.decode()
    assert "triage-mark" not in page and "Triage wrong?" not in page
    chat = chat_answered(counsellor)
    page = client.get(f"/console/{chat.pk}/").content.decode()
    assert "Triage wrong?" not in page and 'value="too_high"' not in page
    assert "Risk missed?" in page and 'value="too_low"' in page
    assert client.post(f"/console/{chat.pk}/triage-mark/", {"verdict": "too_low"}).status_code in (200, 302)


def test_the_chat_page_is_khmer_throughout(client: Client, db: None) -> None:
    page = client.get("/chat/").content.decode()
    assert 'lang="km"' in page
    text = re.sub(r"<[^>]+>", " ", page[page.index("<body>") :])
    assert not re.search(r"[A-Za-z]{4,}", text.replace("Helpline", "")), text
    title = re.search(r"<title>([^<]*)</title>", page)
    assert title and re.search(r"[\u1780-\u17ff]", title[1])


def test_pages_have_an_icon(counsellor: Staff, client_for: ClientFor, client: Client) -> None:
    page = client_for(counsellor).get("/console/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and icon[1].endswith(".svg")
    found = client.get("/favicon.ico")
    assert found.status_code == 301 and found["Location"] == icon[1]
    assert 'rel="icon"' in client.get("/chat/").content.decode()


def test_a_code_no_signal_can_have_is_refused_inside_the_layout(
    supervisor: Staff, client_for: ClientFor
) -> None:
    response = client_for(supervisor).get("/risk-signals/", {"edit": "\x00"})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<nav aria-label="Main menu">' in page and "No risk signal has this code." in page


def test_khmer_staff_see_the_refusal_in_khmer(client_for: ClientFor, db: None) -> None:
    staff = persona("supervisor", username="kh-sup", language="km")
    page = client_for(staff).get("/risk-signals/", {"edit": "\x00"}).content.decode()
    assert "No risk signal" not in page
