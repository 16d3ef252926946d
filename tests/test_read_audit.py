"""Every read of a child's words or of what was recorded about them leaves an audit row.

The walk requests EVERY URL pattern of the site and the API (ids filled in with seeded records) as
every role and as an all-scopes token, looks in each answer for the seeded free text — the summary
and the draft being written, the child's message and the counsellor's reply, the safe-contact note
and the caller's number — and requires that the request wrote an audit row for the record it read.
A new page or operation that shows any of it without auditing fails here, whatever its name.

Queue details (channel, arrival time, status) are not sought: consoles refresh them every few
seconds, and a row for each refresh would bury the reads that matter."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings as django_settings
from django.db.models import Max
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from config.asgi import application
from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import Scope
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from helpline.cases import services as case_services
from helpline.cases.breaks import BreakFacts, break_record
from helpline.cases.followups import follow_up_schedule
from helpline.channels.base import InboundText
from helpline.channels.calls import CallEvent
from helpline.contacts import services as contacts
from helpline.contacts.models import Channel, Contact, Kind, Status
from helpline.conversations.services import text_receive, text_reply
from helpline.referrals.services import referral_draft, referral_send
from helpline.routing.marks import triage_mark
from helpline.routing.models import TriageVerdict
from helpline.voice.callbacks import callback_make
from helpline.voice.models import VoiceCall
from helpline.voice.services import voice_event
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.referral_factories import partner
from tests.sockets import staff_scope
from tests.test_url_access import walk

NUMBER = "+85512777999"
MARKERS = {
    "summary": "zq7summary",
    "draft": "zq7draft",
    "message": "zq7inbound",
    "reply": "zq7outbound",
    "safety note": "zq7safety",
    "number": "12777999",
    "case note": "zq7casenote",
    "follow-up instructions": "zq7instructions",
    "referral request": "zq7referral",
    "break disclosed": "zq7disclosed",
}
# Audit rows that say nothing of what was read.
NOT_READS = {"access.refused", "api.token_use", "api.token_rejected"}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass
class Seeded:
    people: dict[str, Staff]
    clients: dict[str, Client]
    token_raw: str
    token_name: str
    ids: dict[str, list[str]]  # URL parameter -> values to try
    caller_id: str


@pytest.fixture
def seeded(db: None, settings: Any) -> Seeded:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast set-up
    people = {
        "counsellor": persona(Role.COUNSELLOR, username="dara"),
        "volunteer": persona(Role.VOLUNTEER, username="mealea"),
        "supervisor": persona(Role.SUPERVISOR, username="supervisor"),
        "case manager": persona(Role.CASE_MANAGER, username="casemanager"),
        "data officer": persona(Role.DATA_OFFICER, username="dataofficer"),
        "administrator": persona(Role.ADMINISTRATOR, username="admin"),
    }
    dara, supervisor = people["counsellor"], people["supervisor"]
    # A text conversation dara holds: the child's words, her reply, her draft record.
    received = text_receive(InboundText("kannel", "walk-1", NUMBER, "1280", f"{MARKERS['message']} help me"))
    held = received.message.conversation.contact
    contacts.contact_take(dara, contact=held)
    text_reply(dara, contact=held, text=f"{MARKERS['reply']} I am here")
    contacts.contact_draft_save(dara, contact=held, data={"summary": MARKERS["draft"]}, revision=1)
    caller = held.caller
    assert caller is not None
    contacts.caller_safety_note_set(dara, caller=caller, note=MARKERS["safety note"])
    # An earlier call from the same number, recorded and closed.
    closed = Contact.objects.create(
        channel=Channel.VOICE,
        status=Status.CLOSED,
        kind=Kind.COUNSELLING,
        caller=caller,
        arrived_at=timezone.now() - dt.timedelta(days=3),
        counsellor=dara,
        summary=MARKERS["summary"],
    )
    closed.handlers.add(dara)
    # A missed call from the number, which the supervisor called back.
    now = timezone.now()
    voice_event(CallEvent("walk-m1", "join", now - dt.timedelta(minutes=5), caller=NUMBER))
    voice_event(CallEvent("walk-m1", "abandon", now - dt.timedelta(minutes=4), hold=60, position=1))
    missed = VoiceCall.objects.select_related("contact__caller").get(call_id="walk-m1")
    called_back = callback_make(
        supervisor, missed=missed, reason="asked", caller_asked=True, safety_note_read=True
    )
    # Dara says the triage of the conversation she holds was too low (the marks pages list it).
    mark = triage_mark(dara, contact=held, verdict=TriageVerdict.TOO_LOW)
    # A case dara opened from the conversation: a note, and a follow-up with safe-contact instructions.
    case = case_services.case_open(dara, contacts=[held])
    case_services.note_add(dara, case=case, text=MARKERS["case note"])
    follow_up_schedule(
        dara,
        case=case,
        kind="call_back",
        due_at=now + dt.timedelta(hours=1),
        owner=dara,
        instructions=MARKERS["follow-up instructions"],
    )
    # A confidentiality break on it (its edit form, fetched on its own, shows what was disclosed).
    brk = break_record(
        dara,
        case=case,
        facts=BreakFacts(
            reason="risk_to_life",
            disclosed=MARKERS["break disclosed"],
            recipient_kind="authority",
            recipient="Commune child protection officer",
            disclosed_at=now - dt.timedelta(hours=1),
            client_told_first=True,
            not_told_why="",
            decided_by=dara,
        ),
    )
    # A referral of the case to a partner, sent: what the partner is asked to do is the child's record.
    referral = referral_send(
        dara,
        referral_draft(
            dara,
            case=case,
            partner=partner(),
            service="shelter",
            urgency="routine",
            request=MARKERS["referral request"],
            shared_fields=["age"],
            consent="given",
        ),
    )
    token, raw = api_token_create(None, name="walker", scopes=[s.value for s in Scope])
    return Seeded(
        people=people,
        clients={role: signed_in_client(staff) for role, staff in people.items()},
        token_raw=raw,
        token_name=token.name,
        ids={
            "contact_id": [str(held.pk), str(closed.pk), str(called_back.pk)],
            "caller_id": [str(caller.pk)],
            "call_id": [str(missed.contact_id)],
            "staff_id": [str(dara.pk)],
            "token_id": [str(token.pk)],
            "kind": ["silent"],
            "username": ["dara"],
            "mark_id": [str(mark.pk)],
            "criterion_id": ["1"],
            "case_id": [str(case.pk)],
            "break_id": [str(brk.pk)],
            "referral_id": [str(referral.pk)],
            "partner_id": [str(referral.partner_id)],
            # Actions on one part of a case or a partner answer only POST: any id will do.
            **{
                key: [str(uuid.uuid4())]
                for key in [
                    "note_id",
                    "goal_id",
                    "follow_up_id",
                    "import_id",
                    "document_id",
                    "visit_id",
                    "link_id",
                    "feedback_id",
                    "debrief_id",
                    "review_id",
                    "shift_id",
                    "swap_id",
                    "warning_id",
                ]
            },
            "file_format": ["csv", "xlsx"],
            "token": ["not-a-survey-token"],
            # A partner's link: no staff member holds one.
            "value": ["not-a-partner-link"],
        },
        caller_id=str(caller.pk),
    )


def urls(seeded: Seeded, route: str) -> list[tuple[str, set[str]]]:
    """The route with every combination of seeded ids, and the record ids each one names."""
    names = PARAM.findall(route)
    out = []
    for values in itertools.product(*(seeded.ids[name] for name in names)):
        path = route
        for value in values:
            path = PARAM.sub(value, path, count=1)
        named = {
            v
            for n, v in zip(names, values, strict=True)
            if n in {"contact_id", "caller_id", "call_id", "case_id"}
        }
        out.append(("/" + path, named))
        if not names:  # lists and look-ups filter by number; others ignore it
            out.append((f"/{path}?address=tel:{NUMBER}", named))
    return out


def read_rows(seeded: Seeded, who: str, after: int) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(seq__gt=after).exclude(action__in=NOT_READS)
    if who == "token":
        return list(rows.filter(actor_label=f"token:{seeded.token_name}"))
    return list(rows.filter(actor=seeded.people[who]))


ROUTES = [(route, name) for route, name, _callback in walk(get_resolver())]


def test_every_view_that_shows_a_childs_words_or_record_audits_the_read(seeded: Seeded) -> None:
    shown: dict[str, set[str]] = {}  # route name -> what it showed
    unaudited: list[str] = []
    principals: list[tuple[str, Client, dict[str, str]]] = [
        (who, client, {}) for who, client in seeded.clients.items()
    ] + [("token", Client(), {"HTTP_AUTHORIZATION": f"Bearer {seeded.token_raw}"})]
    for route, name in ROUTES:
        for path, named in urls(seeded, route):
            for who, client, headers in principals:
                before = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
                response = client.get(path, **headers)  # type: ignore[arg-type]
                content = (
                    b"".join(response.streaming_content)  # type: ignore[attr-defined]
                    if response.streaming
                    else response.content
                )
                body = content.decode(errors="replace")
                # What the request itself carried (the number it looked up) is not a read.
                found = {what for what, marker in MARKERS.items() if marker in body and marker not in path}
                if not found:
                    continue
                shown.setdefault(name, set()).update(found)
                rows = read_rows(seeded, who, before)
                wanted = named | ({seeded.caller_id} if named else set())
                if not rows or (wanted and not any(r.record_id in wanted for r in rows)):
                    unaudited.append(
                        f"GET {path} as {who} showed {sorted(found)}, audited {[r.action for r in rows]}"
                    )
    # The walk reached the pages known to show these (so a seeding or sign-in mistake cannot pass).
    assert {
        "console:contact",
        "contacts:detail",
        "contacts:correct",
        "conversations:thread",
        "voice:missed",
        "voice:callback_number",
        "api:get_contact",
        "api:list_contacts",
        "cases:detail",
        "referrals:referral_detail",
        "api:get_referral",
        "api:list_referrals",
    } <= set(shown), shown
    assert {"message", "reply"} <= shown["conversations:thread"]
    assert not unaudited, "reads without an audit row:\n" + "\n".join(unaudited)


def test_the_thread_read_is_audited_for_the_contact_it_shows(seeded: Seeded) -> None:
    held = seeded.ids["contact_id"][0]
    response = seeded.clients["counsellor"].get(f"/console/{held}/thread/")
    assert MARKERS["message"] in response.content.decode()
    row = AuditEvent.objects.get(action="thread.view")
    assert (row.actor, row.record_type, row.record_id) == (seeded.people["counsellor"], "contact", held)
    assert row.detail == {"messages": 3}  # the child's message, the automatic reply, hers


@pytest.mark.django_db(transaction=True)
def test_message_text_never_rides_the_staff_socket_so_every_read_goes_through_an_audited_page(
    seeded: Seeded,
) -> None:
    """The console learns on its socket that a thread changed, never what was said: it fetches the
    thread (audited) to show it. A child's new message reaches the holder's socket without its text."""
    client = seeded.clients["counsellor"]
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"

    async def scenario() -> list[dict[str, Any]]:
        app = ApplicationCommunicator(application, staff_scope(cookie))
        await app.send_input({"type": "websocket.connect"})
        assert (await app.receive_output(5))["type"] == "websocket.accept"
        await app.receive_output(5)  # hello
        await sync_to_async(text_receive, thread_sensitive=False)(
            InboundText("kannel", "walk-2", NUMBER, "1280", "zq7second message")
        )
        frames = []
        while True:  # everything it is sent, until a second of quiet (which ends the socket)
            try:
                output = await app.receive_output(1)
            except TimeoutError:
                break
            frames.append(json.loads(output["text"]))
        return frames

    frames = async_to_sync(scenario)()
    held = seeded.ids["contact_id"][0]
    assert {"type": "console.event", "contact": held, "reason": "message"} in frames  # it was told
    assert all("zq7second" not in json.dumps(frame) for frame in frames)
