"""One queue order everywhere: the console's "Waiting" list, the wallboard and the offers all read
routing's waiting_queue(): urgency (critical first), then risk score, then waiting time."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from helpline.accounts.models import Staff
from helpline.contacts.models import Channel, Urgency
from helpline.routing import queue
from helpline.routing.models import PresenceState
from helpline.routing.selectors import waiting_queue
from helpline.routing.triage import triage_contact
from tests.queue_factories import waiting

ClientFor = Callable[[Staff], Client]
TAKE = re.compile(r'action="/console/([0-9a-f-]{36})/take/"')
ASSIGN = re.compile(r'action="/wallboard/assign/([0-9a-f-]{36})/"')
PLAN = "ខ្ញុំចង់សម្លាប់ខ្លួន"  # "I want to kill myself"


def test_urgency_comes_first_then_risk_score_then_waiting_time(db: None) -> None:
    longest = waiting(minutes_ago=30)
    labelled_ordinary = waiting(minutes_ago=20, urgency=Urgency.NON_CRITICAL)
    scored = waiting(minutes_ago=2, score=5)
    urgent = waiting(minutes_ago=1, urgency=Urgency.URGENT, score=1)
    critical = waiting(Channel.WEBCHAT, minutes_ago=0, urgency=Urgency.CRITICAL)
    higher_scored_urgent = waiting(minutes_ago=0, urgency=Urgency.URGENT, score=15)
    rest = [scored, longest, labelled_ordinary]  # by score, then the longest wait
    assert list(waiting_queue()) == [critical, higher_scored_urgent, urgent, *rest]


def test_a_later_critical_chat_is_listed_and_picked_before_an_earlier_ordinary_sms(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    sms = waiting(Channel.SMS, minutes_ago=10)
    chat = waiting(Channel.WEBCHAT, minutes_ago=1)
    triage_contact(chat, PLAN)
    chat.refresh_from_db()
    assert chat.urgency == Urgency.CRITICAL

    # The console's list: the chat first, marked in words; the head is what Alt+Q and a first click take.
    client = client_for(counsellor)
    lists = client.get("/console/lists/").content.decode()
    assert TAKE.findall(lists) == [str(chat.pk), str(sms.pk)]
    head = lists[lists.index('<ul class="contact-list waiting">') :].split("</li>")[0]
    assert 'class="urgency-critical"' in head and "Critical" in head and 'data-hotkey="q"' in head
    assert lists.count('data-hotkey="q"') == 1
    taken = client.post(f"/console/{TAKE.findall(lists)[0]}/take/")
    assert taken.status_code == 302 and taken["Location"] == f"/console/{chat.pk}/"

    # The wallboard lists the same order.
    sms_again = waiting(Channel.SMS, minutes_ago=20)
    chat_again = waiting(Channel.WEBCHAT, minutes_ago=0)
    triage_contact(chat_again, PLAN)
    board = client_for(supervisor).get("/wallboard/").content.decode()
    assert ASSIGN.findall(board) == [str(chat_again.pk), str(sms_again.pk), str(sms.pk)]

    # The offers too: the critical chat is offered first, and is the first offer on the console.
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    offers = queue.route()
    assert offers and offers[0].contact == chat_again
    panel = client.get("/console/lists/").content.decode()
    accept = re.findall(r'action="/console/offers/([0-9a-f-]{36})/accept/"[^>]*>.*?data-hotkey="a"', panel)
    assert accept[:1] == [str(chat_again.pk)]


def test_the_wallboard_shows_a_risk_score_only_where_triage_gave_one(
    supervisor: Staff, client_for: ClientFor
) -> None:
    waiting(Channel.SMS, minutes_ago=3)
    waiting(Channel.SMS, minutes_ago=2, score=7)
    board = client_for(supervisor).get("/wallboard/").content.decode()
    risk_cells = re.findall(r"<td>([^<]*)</td>\s*<td><form", board)  # the cell before "Assign"
    assert sorted(risk_cells) == ["7", "\N{EN DASH}"]
