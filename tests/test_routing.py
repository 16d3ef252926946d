"""One queue across channels, risk first then waiting time; presence, capacity and offers;
risk triage on segmented words; supervisors assign and see the floor."""

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
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact, Status, Urgency
from helpline.routing import queue
from helpline.routing.models import Offer, PresenceState, RiskSignal, Triage
from helpline.routing.selectors import waiting_queue, wallboard
from helpline.routing.triage import score_text, triage_contact
from tests.factories import persona

ClientFor = Callable[[Staff], Client]


def waiting(channel: str = Channel.SMS, minutes_ago: int = 0) -> Contact:
    return Contact.objects.create(
        channel=channel, status=Status.WAITING, arrived_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def test_default_signals_ship_in_khmer_and_english(db: None) -> None:
    codes = set(RiskSignal.objects.values_list("code", flat=True))
    assert {"suicide", "self_harm", "sexual_abuse", "trafficking", "immediate_danger"} <= codes


def test_khmer_is_matched_on_segmented_words(db: None) -> None:
    assert score_text("ខ្ញុំចង់ស្លាប់ណាស់").score >= 20  # "want to die" inside a sentence
    assert score_text("I want to die").score >= 20
    # Latin letters match whole words: "cut myself" is a signal, "woodcut myself" is not.
    assert score_text("I cut myself again").points == {"self_harm": 15}
    assert score_text("I woodcut myself a spoon").points == {}


def test_triage_marks_urgent_and_explains_itself(db: None) -> None:
    contact = waiting()
    triage, newly_high = triage_contact(contact, "my father hits me and I want to die")
    contact.refresh_from_db()
    assert newly_high and contact.urgency == Urgency.CRITICAL
    assert triage.score >= 20
    assert {s.code for s in triage.signals.all()} >= {"suicide", "violence_at_home"}
    assert "want to die" in triage.matched
    # The same signal again adds nothing: the score is of distinct signals.
    again, newly = triage_contact(contact, "want to die")
    assert again.score == triage.score and not newly


def test_high_risk_jumps_the_queue_ahead_of_an_earlier_ordinary_contact(db: None) -> None:
    earlier = waiting(minutes_ago=10)
    later = waiting(minutes_ago=1)
    assert list(waiting_queue()) == [earlier, later]
    triage_contact(later, "ខ្ញុំចង់សម្លាប់ខ្លួន")
    assert list(waiting_queue()) == [later, earlier]


def test_ordinary_contacts_wait_in_arrival_order_across_channels(db: None) -> None:
    chat = waiting(Channel.WEBCHAT, minutes_ago=3)
    sms = waiting(Channel.SMS, minutes_ago=5)
    call = waiting(Channel.VOICE, minutes_ago=1)
    assert list(waiting_queue()) == [sms, chat, call]


def test_waiting_contacts_are_offered_to_available_counsellors_with_room(counsellor: Staff) -> None:
    contact = waiting()
    assert queue.route() == []  # offline: nobody to offer to
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    offers = queue.route()
    assert [o.contact for o in offers] == [contact] and offers[0].staff == counsellor
    accepted = queue.offer_accept(counsellor, contact)
    assert accepted.status == Status.ACTIVE and accepted.counsellor == counsellor
    assert not Offer.objects.exists()


def test_capacity_one_call_or_three_texts(counsellor: Staff) -> None:
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    texts = [waiting(minutes_ago=10 - i) for i in range(4)]
    offered = queue.route()
    assert len(offered) == 3  # text capacity 3: the fourth waits
    for offer in offered:
        queue.offer_accept(counsellor, offer.contact)
    assert queue.route() == []
    call = waiting(Channel.VOICE)
    assert queue.route() == []  # busy with texts: no call on top
    assert Contact.objects.get(pk=texts[3].pk).status == Status.WAITING
    assert Contact.objects.get(pk=call.pk).status == Status.WAITING


def test_an_offer_not_taken_returns_to_the_queue_and_the_counsellor_is_set_away(counsellor: Staff) -> None:
    contact = waiting()
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    [offer] = queue.route()
    queue.route(now=offer.expires_at + dt.timedelta(seconds=1))
    assert not Offer.objects.exists()
    assert queue.presence_of(counsellor).state == PresenceState.AWAY
    assert Contact.objects.get(pk=contact.pk).status == Status.WAITING
    assert AuditEvent.objects.filter(action="offer.expired", actor=counsellor).exists()


def test_an_offer_lapsing_after_its_counsellor_took_another_contact_does_not_set_them_away(
    counsellor: Staff,
) -> None:
    first, second = waiting(minutes_ago=2), waiting(minutes_ago=1)
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    offers = queue.route()
    assert {o.contact for o in offers} == {first, second}  # room for three texts: both offered
    queue.offer_accept(counsellor, first)
    queue.route(now=offers[0].expires_at + dt.timedelta(seconds=1))
    # The other offer simply lapses: they are at their desk, busy with the contact they took.
    assert not Offer.objects.filter(contact=second, staff=counsellor).exists()
    assert queue.presence_of(counsellor).state == PresenceState.AVAILABLE
    assert Contact.objects.get(pk=second.pk).status == Status.WAITING
    assert AuditEvent.objects.filter(action="offer.expired", actor=counsellor).exists()


def test_a_declined_offer_goes_to_someone_else(counsellor: Staff, db: None) -> None:
    other = persona(Role.VOLUNTEER, username="vol")
    contact = waiting()
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    queue.presence_set(other, PresenceState.AVAILABLE)
    [offer] = queue.route()
    queue.offer_decline(offer.staff, contact)
    new_offer = Offer.objects.get(contact=contact)
    assert new_offer.staff != offer.staff


def test_blocked_counsellors_are_never_offered_contacts(lapsed: Staff) -> None:
    waiting()
    queue.presence_set(lapsed, PresenceState.AVAILABLE)
    assert queue.route() == []


def test_supervisor_assigns_and_transfers_with_the_thread(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor, db: None
) -> None:
    contact = waiting()
    client = client_for(supervisor)
    assert client.post(f"/wallboard/assign/{contact.pk}/", {"to": "counsellor"}).status_code == 302
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE and contact.counsellor == counsellor
    other = persona(Role.VOLUNTEER, username="vol")
    queue.presence_set(other, PresenceState.AVAILABLE)
    # One someone holds is reassigned with a reason (tests/test_transfer.py has the rest).
    assert client.post(f"/wallboard/assign/{contact.pk}/", {"to": "vol"}).status_code == 400
    moved = client.post(f"/console/{contact.pk}/transfer/", {"to": "vol", "reason": "she speaks Kuy"})
    assert moved.status_code == 302
    contact.refresh_from_db()
    assert contact.counsellor == other and set(contact.handlers.all()) == {counsellor, other}
    assert client.post(f"/wallboard/assign/{contact.pk}/", {"to": "nobody"}).status_code == 400
    assert (
        client_for(counsellor).post(f"/wallboard/assign/{contact.pk}/", {"to": "counsellor"}).status_code
        == 403
    )


def test_wallboard_figures(supervisor: Staff, counsellor: Staff, client_for: ClientFor) -> None:
    waiting(Channel.SMS, minutes_ago=4)
    urgent = waiting(Channel.WEBCHAT, minutes_ago=1)
    triage_contact(urgent, "he will kill me")
    Contact.objects.create(channel=Channel.WEBCHAT, status=Status.ABANDONED, arrived_at=timezone.now())
    queue.presence_set(counsellor, PresenceState.BUSY)
    board = wallboard()
    assert board.waiting_by_channel["sms"] == 1 and board.waiting_by_channel["webchat"] == 1
    assert board.waiting_total == 2 and board.longest_wait_seconds >= 4 * 60
    assert [c.pk for c in board.urgent_waiting] == [urgent.pk]
    assert board.abandoned_today == 1 and board.presence_counts["busy"] == 1
    page = client_for(supervisor).get("/wallboard/")
    assert page.status_code == 200
    assert client_for(counsellor).get("/wallboard/").status_code == 403


def test_console_shows_the_offer_and_presence(counsellor: Staff, client_for: ClientFor) -> None:
    contact = waiting()
    client = client_for(counsellor)
    assert client.post("/console/presence/", {"state": "available"}).status_code == 302
    lists = client.get("/console/lists/").content.decode()
    assert f"/console/offers/{contact.pk}/accept/" in lists
    assert client.post(f"/console/offers/{contact.pk}/accept/").status_code == 302
    assert Contact.objects.get(pk=contact.pk).counsellor == counsellor
    assert client.post("/console/presence/", {"state": "dancing"}).status_code == 400


def test_the_counsellor_sees_the_triage(counsellor: Staff, client_for: ClientFor) -> None:
    contact = waiting()
    triage_contact(contact, "ខ្ញុំចង់ស្លាប់")
    contact_services.contact_take(counsellor, contact=contact)
    page = client_for(counsellor).get(f"/console/{contact.pk}/").content.decode()
    assert "ចង់ស្លាប់" in page and Triage.objects.get(contact=contact).score > 0
    assert 'class="triage high"' in page


def test_supervisor_maintains_risk_signals(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(supervisor)
    response = client.post(
        "/risk-signals/",
        {
            "code": "exam_stress",
            "label_km": "ស្ត្រេសប្រឡង",
            "label_en": "Exam stress",
            "phrases_km": "ប្រឡងធ្លាក់",
            "phrases_en": "failed my exam",
            "weight": "5",
        },
    )
    assert response.status_code == 302
    assert score_text("I failed my exam today").score == 5
    client.post("/risk-signals/", {"toggle": "exam_stress"})
    assert score_text("I failed my exam today").score == 0
    assert client_for(counsellor).get("/risk-signals/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [("weight", "-5"), ("weight", "5000"), ("weight", "abc"), ("code", "a b"), ("phrases_km", "a = b")],
)
def test_a_refused_signal_says_each_problem_once(
    supervisor: Staff, client_for: ClientFor, field: str, value: str
) -> None:
    """A weight of -5 said "greater than or equal to 0" twice under the box: the weight's own
    least value and the settings' bounds both checked it."""
    form = {"code": "exam_stress", "label_km": "ស្ត្រេសប្រឡង", "label_en": "Exam stress"}
    form |= {"phrases_en": "failed my exam", "weight": "5", field: value}
    response = client_for(supervisor).post("/risk-signals/", form)
    assert response.status_code == 400
    page = response.content.decode()
    errors = re.findall(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert len(errors) == 1
    said = re.findall(r"<li>(.*?)</li>", errors[0])
    assert len(said) == 1 and page.count(said[0]) == 1, said
    assert not RiskSignal.objects.filter(code="exam_stress").exists()


@pytest.mark.parametrize("state", ["available", "busy", "away", "offline"])
def test_presence_states(state: str, counsellor: Staff) -> None:
    assert queue.presence_set(counsellor, state).state == state


def test_blocked_chat_words_match_whole_words_only(supervisor: Staff) -> None:
    from helpline.conversations.chat import keyword_blocked
    from helpline.conversations.models import BlockedKeyword

    BlockedKeyword.objects.create(keyword="idiot", created_by=supervisor)
    BlockedKeyword.objects.create(keyword="ឆ្កែ", created_by=supervisor)  # "dog", used as an insult
    assert keyword_blocked("you idiot") and keyword_blocked("អាឆ្កែ")
    assert not keyword_blocked("idiotic question")  # letters inside another word do not count
    assert not keyword_blocked("ខ្ញុំត្រូវការជំនួយ")


def test_a_blocked_keyword_with_no_word_in_it_is_found_as_written(supervisor: Staff) -> None:
    from helpline.conversations.chat import keyword_blocked
    from helpline.conversations.models import BlockedKeyword

    BlockedKeyword.objects.create(keyword="🖕🖕", created_by=supervisor)
    BlockedKeyword.objects.create(keyword="?", created_by=supervisor)  # punctuation: never a keyword
    assert keyword_blocked("you 🖕🖕 there") and keyword_blocked("🖕🖕🖕")
    assert keyword_blocked("🖕🏻🖕")  # a skin tone does not hide it
    assert not keyword_blocked("🖕 once") and not keyword_blocked("ខ្ញុំត្រូវការជំនួយ 🙏")
    assert not keyword_blocked("are you there?")


def test_the_risk_signals_page_names_each_signal_in_the_readers_language(
    db: None, client_for: ClientFor
) -> None:
    reader = persona(Role.SUPERVISOR, username="km-supervisor", language="km")
    page = client_for(reader).get("/risk-signals/", {"edit": "immediate_danger"}).content.decode()
    named = dict(re.findall(r'<a href="\?edit=([\w-]+)">([^<]*)</a>', page))
    signals = RiskSignal.objects.all()
    assert signals and named == {s.code: s.label_km for s in signals}
    heading = re.search(r"<h2>([^<]*)</h2>\s*<form[^>]*id=\"signal-form\"", page)
    assert heading and "គ្រោះថ្នាក់ភ្លាមៗ" in heading[1] and "immediate_danger" not in heading[1]


def test_routing_with_nobody_available_reads_little(counsellor: Staff) -> None:
    """It runs after every new contact: with nobody to offer to, four reads and nothing more
    (offers run out, the gate's policy, stale offers, who is available)."""
    waiting()
    with CaptureQueriesContext(connection) as seen:
        assert queue.route() == []
    assert len(seen.captured_queries) == 4, [q["sql"][:80] for q in seen.captured_queries]
