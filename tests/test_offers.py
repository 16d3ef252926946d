"""Offers follow the queue's order: a contact more urgent than those a counsellor holds in offers
is offered at once, by withdrawing the least urgent pending offer when nobody has room (it waits
again in its own place: never lost, never offered twice); contacts being answered are never
interrupted. The console lists offers head first (Accept's Alt+A takes the first), each with what
it is, how urgent, how long it waited and the child's first words; and a counsellor set Away
because offers ran out is told so."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.channels.base import InboundText
from helpline.contacts.models import Channel, Contact, Status, Urgency
from helpline.contacts.services import contact_take
from helpline.conversations.chat import chat_receive, chat_start
from helpline.conversations.previews import shorten
from helpline.conversations.services import text_receive, text_reply
from helpline.routing import queue
from helpline.routing.models import DeclinedOffer, Offer, PresenceState
from helpline.routing.selectors import waiting_queue
from tests.factories import persona
from tests.queue_factories import waiting
from tests.test_console_socket_reply import StaffSocket

ClientFor = Callable[[Staff], Client]
Commits = Callable[..., AbstractContextManager[Any]]
AFRAID = "ខ្ញុំខ្លាចប៉ាវាយខ្ញុំ"  # "I'm afraid dad beats me" (the walk's words: scored urgent)
ACCEPT = re.compile(r'action="/console/offers/([0-9a-f-]{36})/accept/"')


def sms(n: int, text: str = "hello, can I ask about school?") -> Contact:
    received = text_receive(InboundText("kannel", f"offer-{n}", f"+8551277700{n}", "1280", text))
    return received.message.conversation.contact


def offered_to(staff: Staff) -> list[Contact]:
    return [o.contact for o in Offer.objects.filter(staff=staff).select_related("contact")]


def no_contact_lost_or_offered_twice(expected: set[Contact]) -> None:
    """Every contact still waits (offered or not), and none is in two offers."""
    assert set(waiting_queue()) == expected
    held = list(Offer.objects.values_list("contact_id", flat=True))
    assert len(held) == len(set(held))


@pytest.fixture
def full_counsellor(counsellor: Staff) -> Iterator[tuple[Staff, list[Contact]]]:
    """Available, holding three offers of ordinary texts (their room), a fourth text waiting."""
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    texts = [waiting(minutes_ago=10 - i) for i in range(4)]
    queue.route()
    assert set(offered_to(counsellor)) == set(texts[:3])
    yield counsellor, texts


def test_the_walks_urgent_chat_takes_the_place_of_the_least_urgent_sms_offer(
    counsellor: Staff, django_capture_on_commit_callbacks: Commits
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queue.presence_set(counsellor, PresenceState.AVAILABLE)
    texts = []
    for n in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            texts.append(sms(n))
    assert set(offered_to(counsellor)) == set(texts[:3])  # room for three texts
    with django_capture_on_commit_callbacks(execute=True):
        started = chat_start(language="km", nickname="", age=12, client_address="203.0.113.9")
    with django_capture_on_commit_callbacks(execute=True):
        chat_receive(started.session, client_id="1", text=AFRAID)
    chat = started.session.conversation.contact
    chat.refresh_from_db()
    assert chat.urgency == Urgency.URGENT

    # Offered at once, not when the others lapse: the newest of the three SMS made way for it.
    assert set(offered_to(counsellor)) == {chat, texts[0], texts[1]}
    no_contact_lost_or_offered_twice({chat, *texts})
    # The SMS that made way waits again in its own place, not behind the one that came after it.
    assert list(waiting_queue()) == [chat, *texts]
    assert not Offer.objects.filter(contact=texts[2]).exists()
    # It was not declined (so may be offered to them again), and they were not set Away.
    assert not DeclinedOffer.objects.filter(contact=texts[2]).exists()
    assert queue.presence_of(counsellor).state == PresenceState.AVAILABLE
    withdrawn = AuditEvent.objects.get(action="offer.withdrawn")
    assert (withdrawn.record_id, withdrawn.detail) == (str(texts[2].pk), {"for": str(chat.pk)})

    # A colleague comes to the desk: the SMS that made way is offered before the one after it.
    colleague = persona(Role.COUNSELLOR, username="sophea")
    queue.presence_set(colleague, PresenceState.AVAILABLE)
    [first, second] = queue.route()
    assert (first.contact, first.staff, second.contact) == (texts[2], colleague, texts[3])
    no_contact_lost_or_offered_twice({chat, *texts})


def test_with_room_left_the_urgent_contact_is_offered_in_addition(counsellor: Staff) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    texts = [waiting(minutes_ago=5), waiting(minutes_ago=4)]
    queue.route()
    urgent = waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=10)
    [offer] = queue.route()
    assert offer.contact == urgent and set(offered_to(counsellor)) == {urgent, *texts}
    assert not AuditEvent.objects.filter(action="offer.withdrawn").exists()


def test_someone_with_room_is_offered_the_urgent_contact_before_any_offer_is_withdrawn(
    full_counsellor: tuple[Staff, list[Contact]],
) -> None:
    counsellor, texts = full_counsellor
    colleague = persona(Role.VOLUNTEER, username="vol")
    queue.presence_set(colleague, PresenceState.AVAILABLE)
    queue.route()
    queue.offer_accept(colleague, Offer.objects.get(staff=colleague).contact)  # the fourth text
    urgent = waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=10)
    queue.route()
    assert urgent in offered_to(colleague)
    assert set(offered_to(counsellor)) == set(texts[:3])


def test_an_ordinary_contact_never_takes_back_an_offer_whatever_its_wait(
    full_counsellor: tuple[Staff, list[Contact]],
) -> None:
    counsellor, texts = full_counsellor
    # Waiting longer than any of the offered ones (its own offer to someone else ran out, say).
    longest = waiting(minutes_ago=60)
    assert queue.route() == []
    assert set(offered_to(counsellor)) == set(texts[:3])
    assert waiting_queue().first() == longest  # still heads the queue for the next with room


def test_an_offer_as_urgent_is_not_withdrawn(counsellor: Staff) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    held = [waiting(urgency=Urgency.URGENT, score=15, minutes_ago=3 - i) for i in range(3)]
    queue.route()
    later = waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=15)  # same urgency and risk
    lower_risk = waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=10)
    assert queue.route() == []
    assert set(offered_to(counsellor)) == set(held)
    assert {later, lower_risk} <= set(waiting_queue().filter(offer__isnull=True))


def test_contacts_being_answered_are_never_interrupted(counsellor: Staff) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    for _ in range(3):
        waiting()
    for offer in queue.route():
        queue.offer_accept(counsellor, offer.contact)
    critical = waiting(Channel.WEBCHAT, urgency=Urgency.CRITICAL, score=20)
    assert queue.route() == []
    assert Contact.objects.get(pk=critical.pk).status == Status.WAITING
    assert Contact.objects.filter(counsellor=counsellor, status=Status.ACTIVE).count() == 3


def test_an_urgent_call_takes_the_counsellor_who_has_fewest_text_offers_to_give_back(
    counsellor: Staff,
) -> None:
    """A call needs the counsellor's whole attention: every text offer they hold makes way, so it
    goes to the one who gives back fewest."""
    colleague = persona(Role.COUNSELLOR, username="sophea")
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    texts = [waiting(minutes_ago=10 - i) for i in range(3)]
    queue.route()  # all three to the counsellor, idle longest
    queue.presence_set(colleague, PresenceState.AVAILABLE)
    last = waiting(minutes_ago=1)
    queue.route()  # the fourth to the colleague
    call = waiting(Channel.VOICE, urgency=Urgency.CRITICAL, score=20)
    queue.route()
    assert offered_to(colleague) == [call]
    assert set(offered_to(counsellor)) == set(texts)  # three to give back: left as they were
    assert not Offer.objects.filter(contact=last).exists()
    no_contact_lost_or_offered_twice({call, last, *texts})


def test_a_counsellor_who_declined_the_urgent_contact_keeps_their_offers(
    full_counsellor: tuple[Staff, list[Contact]],
) -> None:
    counsellor, texts = full_counsellor
    urgent = waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=10)
    queue.remember_decline(urgent.pk, counsellor, timezone.now())
    assert queue.route() == []
    assert set(offered_to(counsellor)) == set(texts[:3])


def test_accept_takes_the_first_offer_shown_the_most_urgent(
    full_counsellor: tuple[Staff, list[Contact]], client_for: ClientFor
) -> None:
    counsellor, texts = full_counsellor
    urgent = waiting(Channel.WEBCHAT, minutes_ago=0, urgency=Urgency.URGENT, score=10)
    queue.route()
    client = client_for(counsellor)
    lists = client.get("/console/lists/").content.decode()
    shown = ACCEPT.findall(lists)
    assert shown == [str(urgent.pk), str(texts[0].pk), str(texts[1].pk)]  # head of the queue first
    # Alt+A presses the one button marked for it: the first row's Accept.
    assert lists.count('data-hotkey="a"') == 1
    marked = [row for row in offer_rows(lists) if 'data-hotkey="a"' in row]
    assert len(marked) == 1 and ACCEPT.findall(marked[0]) == [str(urgent.pk)]
    taken = client.post(f"/console/offers/{shown[0]}/accept/")
    assert taken.status_code == 302 and taken["Location"] == f"/console/{urgent.pk}/"
    urgent.refresh_from_db()
    assert (urgent.status, urgent.counsellor) == (Status.ACTIVE, counsellor)
    assert all(Contact.objects.get(pk=t.pk).status == Status.WAITING for t in texts)


def offer_rows(page: str) -> list[str]:
    return re.findall(r'<li class="offer[^"]*" data-contact="[^"]+">(.*?)</li>', page, flags=re.S)


def test_each_offer_says_what_it_is_how_urgent_how_long_it_waited_and_the_first_words(
    counsellor: Staff, client_for: ClientFor, django_capture_on_commit_callbacks: Commits
) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    with django_capture_on_commit_callbacks(execute=True):
        ordinary = sms(1, '<script>alert("x")</script> can I ask about school?')
    Contact.objects.filter(pk=ordinary.pk).update(arrived_at=timezone.now() - dt.timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        urgent = sms(2, AFRAID)
    call = waiting(Channel.VOICE, minutes_ago=0)
    assert set(offered_to(counsellor)) == {ordinary, urgent}
    assert call not in offered_to(counsellor)  # a call waits for a counsellor without texts

    page = client_for(counsellor).get("/console/lists/").content.decode()
    head, second = offer_rows(page)
    assert "Urgent" in head and "SMS" in head and "risk 10" in head and "waiting under a minute" in head
    assert f'<q class="offer-preview">{AFRAID}</q>' in head
    assert "Urgent" not in second and "risk" not in second and "waiting 4 minutes" in second
    # The child's words are shown as text, never as markup.
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; can I ask about school?" in second
    assert "<script>alert" not in page
    # Each showing of a child's words is a read, audited for the contact it shows.
    previews = AuditEvent.objects.filter(action="offer.preview", actor=counsellor)
    assert set(previews.values_list("record_id", flat=True)) == {str(ordinary.pk), str(urgent.pk)}
    # The lists refresh every ten seconds: the same words shown again to the same session are the
    # same read, recorded once.
    again = client_for(counsellor)
    again.get("/console/lists/")
    stored = Session.objects.get(session_key=again.session.session_key).expire_date
    again.get("/console/lists/")
    assert AuditEvent.objects.filter(action="offer.preview", actor=counsellor).count() == 4
    # Nor is the session written again when nothing new was shown (a write every ten seconds).
    assert Session.objects.get(session_key=again.session.session_key).expire_date == stored

    counsellor.language = "km"
    counsellor.save(update_fields=["language"])
    khmer = client_for(counsellor).get("/console/lists/").content.decode()
    head, second = offer_rows(khmer)
    assert "បន្ទាន់" in head and "ហានិភ័យ 10" in head and "រង់ចាំមិនដល់មួយនាទី" in head
    assert "រង់ចាំ 4 នាទី" in second and "ផ្ដល់ជូនអ្នក" in khmer


def test_the_first_words_are_shown_only_to_the_counsellor_offered_the_contact(
    counsellor: Staff, client_for: ClientFor, django_capture_on_commit_callbacks: Commits
) -> None:
    colleague = persona(Role.COUNSELLOR, username="sophea")
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    with django_capture_on_commit_callbacks(execute=True):
        sms(1, "zq8 private words")
    queue.presence_set(colleague, PresenceState.AVAILABLE)
    assert "zq8" in client_for(counsellor).get("/console/lists/").content.decode()
    assert "zq8" not in client_for(colleague).get("/console/lists/").content.decode()
    assert not AuditEvent.objects.filter(action="offer.preview", actor=colleague).exists()


def test_a_long_khmer_message_is_cut_between_letters_never_inside_one() -> None:
    text = "ខ្ញុំ" * 30  # each ខ្ញុំ is one letter cluster of five characters
    short = shorten(text, limit=82)  # 82 falls inside the 17th cluster
    assert short == "ខ្ញុំ" * 16 + "…"
    assert shorten("  a\n\nb  ") == "a b"


def test_a_counsellor_set_away_because_offers_ran_out_is_told_so(
    counsellor: Staff, client_for: ClientFor
) -> None:
    counsellor.language = "km"
    counsellor.save(update_fields=["language"])
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    for i in range(3):
        waiting(minutes_ago=3 - i)
    offers = queue.route()
    queue.route(now=offers[0].expires_at + dt.timedelta(seconds=1))
    presence = queue.presence_of(counsellor)
    assert (presence.state, presence.missed_offers) == (PresenceState.AWAY, 3)
    assert AuditEvent.objects.filter(action="presence.set", detail__missed_offers=3).exists()
    client = client_for(counsellor)
    line = re.search(
        r'<p class="notice set-away" role="status">(.*?)</p>', client.get("/console/").content.decode()
    )
    assert line is not None and "ការផ្ដល់ជូនចំនួន 3 " in line.group(1) and "មិននៅកន្លែង" in line.group(1)
    # Choosing a presence again ends it.
    client.post("/console/presence/", {"state": "away"})
    assert queue.presence_of(counsellor).missed_offers == 0
    assert 'class="notice set-away"' not in client.get("/console/lists/").content.decode()


def test_choosing_away_oneself_says_nothing_of_offers(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    client.post("/console/presence/", {"state": "away"})
    assert 'class="notice set-away"' not in client.get("/console/").content.decode()


def test_choosing_a_presence_redraws_only_its_box_with_the_offers_it_brings(
    counsellor: Staff, client_for: ClientFor
) -> None:
    # A reload of the console empties the reply the counsellor is typing: htmx swaps the box alone,
    # and the offers are in it, so Available shows them at once and Away takes them away.
    contact = waiting()
    client = client_for(counsellor)
    page = client.get("/console/").content.decode()
    assert 'hx-post="/console/presence/" hx-target="#presence-panel" hx-swap="outerHTML"' in page
    response = client.post("/console/presence/", {"state": "available"}, HTTP_HX_REQUEST="true")
    box = response.content.decode()
    assert response.status_code == 200 and "<html" not in box
    assert box.lstrip().startswith('<div id="presence-panel">')
    assert '<p class="notice" role="status">Your presence is now: Available.</p>' in box
    assert re.search(r'value="available" class="presence-available" aria-pressed="true"', box)
    assert ACCEPT.findall(box) == [str(contact.pk)]
    # The live notice ("you are now Away") would be wrong now: it is drawn again, hidden.
    assert re.search(r'<p id="live-notice" class="notice" role="status" hidden hx-swap-oob="true"', box)
    response = client.post("/console/presence/", {"state": "away"}, HTTP_HX_REQUEST="true")
    box = response.content.decode()
    assert "Your presence is now: Away." in box and not ACCEPT.findall(box)
    assert not Offer.objects.filter(staff=counsellor).exists()


def test_without_script_a_presence_goes_back_to_the_contact_that_was_open(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = waiting()
    contact_take(counsellor, contact=contact)
    client = client_for(counsellor)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert f'<input type="hidden" name="current" value="{contact.pk}">' in page
    response = client.post("/console/presence/", {"state": "busy", "current": str(contact.pk)})
    assert response.status_code == 302 and response["Location"] == f"/console/{contact.pk}/"
    assert "Your presence is now: Busy." in client.get(response["Location"]).content.decode()
    assert queue.presence_of(counsellor).state == PresenceState.BUSY
    # Anything else but a contact's id: the console itself.
    response = client.post("/console/presence/", {"state": "away", "current": "../../elsewhere"})
    assert response["Location"] == "/console/"


@pytest.mark.django_db(transaction=True)
def test_the_console_hears_at_once_that_it_was_set_away(counsellor: Staff, client_for: ClientFor) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    waiting()
    [offer] = queue.route()
    client = client_for(counsellor)

    async def scenario() -> None:
        socket = StaffSocket(client)
        await socket.open()
        await sync_to_async(queue.route)(now=offer.expires_at + dt.timedelta(seconds=1))
        told = await socket.receive_until("console.event")
        while told.get("reason") != "set_away":
            told = await socket.receive_until("console.event")
        assert told == {"type": "console.event", "reason": "set_away", "missed": 1}
        await socket.close()

    async_to_sync(scenario)()
    page = client.get("/console/").content.decode()
    assert 'data-set-away="Your offers ran out unanswered' in page  # the line the console shows


def test_the_contact_page_gives_each_shortcut_key_to_one_control(
    counsellor: Staff, client_for: ClientFor
) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    first, second = waiting(minutes_ago=2), waiting(minutes_ago=1)
    queue.route()
    client = client_for(counsellor)
    assert client.post(f"/console/offers/{first.pk}/accept/").status_code == 302
    assert offered_to(counsellor) == [second]  # still offered while the first is open
    page = client.get(f"/console/{first.pk}/").content.decode()
    assert 'id="contact-form"' in page and ACCEPT.findall(page) == [str(second.pk)]
    keys = re.findall(r'\b(?:data-hotkey|accesskey)="([^"]*)"', page)
    assert "a" in keys and len(keys) >= 10
    assert sorted(keys) == sorted(set(keys)), "a key claimed twice"
    shown = re.findall(r"<kbd>Alt\+(\w)</kbd>", page)
    assert sorted(k.lower() for k in shown) == sorted({k.lower() for k in shown})


TAKEN_BACK_KM = "ការផ្ដល់ជូននេះត្រូវបានដកវិញ មុនពេលអ្នកទទួលយក"


def test_accepting_an_offer_taken_back_for_a_more_urgent_contact_says_so_in_the_console(
    full_counsellor: tuple[Staff, list[Contact]], client_for: ClientFor
) -> None:
    counsellor, texts = full_counsellor
    counsellor.language = "km"
    counsellor.save(update_fields=["language"])
    urgent = waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=10)
    queue.route()
    [withdrawn] = set(texts[:3]) - set(offered_to(counsellor))
    assert urgent in offered_to(counsellor)
    client = client_for(counsellor)
    page = client.post(f"/console/offers/{withdrawn.pk}/accept/")
    assert page.status_code == 409
    body = page.content.decode()
    notice = re.search(r'<p id="offer-notice" class="notice" role="alert">([^<]+)</p>', body)
    assert notice and TAKEN_BACK_KM in notice[1]
    assert ACCEPT.findall(body)[0] == str(urgent.pk)  # the console, with the urgent offer to take
    # htmx: only the notice area, swapped in place of the empty one
    fragment = client.post(f"/console/offers/{withdrawn.pk}/accept/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 409
    assert (fragment["HX-Retarget"], fragment["HX-Reswap"]) == ("#offer-notice", "outerHTML")
    assert TAKEN_BACK_KM in fragment.content.decode() and "<html" not in fragment.content.decode()
    withdrawn.refresh_from_db()
    assert (withdrawn.status, withdrawn.counsellor) == (Status.WAITING, None)


def test_accepting_an_offer_someone_else_answered_meanwhile_says_so(
    full_counsellor: tuple[Staff, list[Contact]], client_for: ClientFor
) -> None:
    counsellor, texts = full_counsellor
    waiting(Channel.WEBCHAT, urgency=Urgency.URGENT, score=10)
    queue.route()
    [withdrawn] = set(texts[:3]) - set(offered_to(counsellor))
    contact_take(persona(Role.COUNSELLOR, username="other"), contact=withdrawn)
    page = client_for(counsellor).post(f"/console/offers/{withdrawn.pk}/accept/")
    assert page.status_code == 409
    notice = re.search(r'<p id="offer-notice" class="notice" role="alert">([^<]+)</p>', page.content.decode())
    assert notice and "someone else answered the contact" in notice[1]


def test_a_text_routes_the_queue_when_it_opens_a_contact_or_triage_finds_something_not_otherwise(
    counsellor: Staff, django_capture_on_commit_callbacks: Commits
) -> None:
    """Routing the whole queue again for every message of every waiting child was a good part of
    the server's time under load; a message that moves nothing leaves it to the scheduler's tick."""
    with django_capture_on_commit_callbacks(execute=True):
        contact = sms(1)  # nobody is available yet: it waits unoffered
    assert not Offer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        queue.presence_set(counsellor, PresenceState.AVAILABLE)  # routes nothing by itself
    again = InboundText("kannel", "offer-1b", "+85512777001", "1280", "are you there?")
    with django_capture_on_commit_callbacks(execute=True):
        assert text_receive(again).message.conversation.contact == contact
    assert not Offer.objects.exists()  # the same contact, nothing found: the tick offers it
    afraid = InboundText("kannel", "offer-1c", "+85512777001", "1280", AFRAID)
    with django_capture_on_commit_callbacks(execute=True):
        text_receive(afraid)
    assert offered_to(counsellor) == [contact]  # triage moved it: routed at once
    with django_capture_on_commit_callbacks(execute=True):
        second = sms(2)  # a new contact: routed at once
    assert set(offered_to(counsellor)) == {contact, second}


def test_a_counsellor_writing_to_one_child_is_not_set_away_when_another_offer_lapses(
    counsellor: Staff,
) -> None:
    """Busy in a chat taken before the second offer was made, they let that offer run out while
    they write: it goes back to the queue, and they stay Available for the next contact."""
    first = sms(1)
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    [offer] = queue.route()
    queue.offer_accept(counsellor, offer.contact)
    assert offer.contact == first
    second = sms(2)
    [later] = queue.route()
    assert later.contact == second and later.staff == counsellor
    text_reply(counsellor, contact=first, text="ខ្ញុំនៅទីនេះ")  # writing to the first child
    queue.route(now=later.expires_at + dt.timedelta(seconds=1))
    assert queue.presence_of(counsellor).state == PresenceState.AVAILABLE
    assert Contact.objects.get(pk=second.pk).status == Status.WAITING
    assert AuditEvent.objects.filter(
        action="offer.expired", actor=counsellor, record_id=str(second.pk)
    ).exists()


def test_a_counsellor_whose_last_reply_is_minutes_old_is_set_away_when_an_offer_lapses(
    counsellor: Staff,
) -> None:
    first = sms(1)
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    [offer] = queue.route()
    queue.offer_accept(counsellor, offer.contact)
    text_reply(counsellor, contact=first, text="ខ្ញុំនៅទីនេះ")
    sms(2)
    [later] = queue.route()
    # Nothing written to anyone for longer than DESK_RECENT when it lapses: an empty chair.
    queue.route(now=timezone.now() + queue.DESK_RECENT + dt.timedelta(seconds=1))
    assert not Offer.objects.filter(pk=later.pk).exists()
    assert queue.presence_of(counsellor).state == PresenceState.AWAY
