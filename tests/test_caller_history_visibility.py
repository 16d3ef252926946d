"""A caller's history never tells more than the contacts behind it: for every role and token, and
random contacts, counsellors and handlers, /api/v1/callers/history lists exactly the newest of the
contacts the same principal's list finds by that number, counts exactly those, and every contact
listed opens (/api/v1/contacts/{id}) while every other contact of the number does not. The
console's caller pane (the contacts before the one on screen) keeps its counts for the counsellor
handling the caller, but lists only contacts its viewer may open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import Scope
from helpline.accounts.services import api_token_create
from helpline.contacts.identity import address_hash, caller_for_address, parse_address
from helpline.contacts.models import Channel, Contact, Kind, Status
from helpline.contacts.selectors import (
    caller_history,
    contact_writable_by,
    contacts_visible_to,
    sees_every_contact,
)
from tests.conftest import signed_in_client
from tests.factories import persona, vet

NUMBERS = ["tel:+85512000001", "tel:+85512000002", "tel:+85512000003"]
UNKNOWN = "tel:+85597000000"
HANDLERS = ["dara", "sokha", "vibol", "mealea"]  # counsellors and a volunteer who take contacts
PRINCIPALS = [*HANDLERS, "supervisor", "casemanager", "dataofficer", "admin", "lapsed"]
NOW = timezone.now().replace(microsecond=0)


@dataclass(frozen=True)
class Cast:
    staff: dict[str, Staff]
    clients: dict[str, Client]


@pytest.fixture
def cast(db: None) -> Cast:
    """Staff and signed-in sessions, made once for all examples (each example rolls back its own)."""
    staff = {
        "dara": persona(Role.COUNSELLOR, username="dara"),
        "sokha": persona(Role.COUNSELLOR, username="sokha"),
        "vibol": persona(Role.COUNSELLOR, username="vibol"),
        "mealea": persona(Role.VOLUNTEER, username="mealea"),
        "supervisor": persona(Role.SUPERVISOR, username="supervisor"),
        "casemanager": persona(Role.CASE_MANAGER, username="casemanager"),
        "dataofficer": persona(Role.DATA_OFFICER, username="dataofficer"),
        "admin": persona(Role.ADMINISTRATOR, username="admin"),
        "lapsed": persona(Role.COUNSELLOR, username="lapsed", vetted=False),
    }
    vet(staff["lapsed"], police_expires=timezone.localdate() - dt.timedelta(days=1))
    clients = {name: signed_in_client(member) for name, member in staff.items()}
    return Cast(staff, clients)


contact_specs = st.lists(
    st.fixed_dictionaries(
        {
            "number": st.sampled_from([*range(len(NUMBERS)), None]),
            "counsellor": st.sampled_from([None, *HANDLERS]),
            "handlers": st.sets(st.sampled_from(HANDLERS), max_size=3),
            "minutes_ago": st.integers(min_value=0, max_value=60 * 24 * 14),
            "kind": st.sampled_from(["", Kind.SILENT, Kind.COUNSELLING, Kind.PRANK]),
        }
    ),
    max_size=14,
)
principals = st.one_of(
    st.sampled_from(PRINCIPALS).map(lambda name: ("staff", name)),
    st.sets(st.sampled_from([s.value for s in Scope])).map(lambda scopes: ("token", sorted(scopes))),
)


def make_contacts(cast: Cast, specs: list[dict[str, Any]]) -> list[Contact]:
    callers = [caller_for_address(parse_address(n)) for n in NUMBERS]
    made = []
    for spec in specs:
        kind = spec["kind"]
        contact = Contact.objects.create(
            channel=Channel.VOICE,
            status=Status.CLOSED if kind else Status.ACTIVE,
            kind=kind,
            caller=None if spec["number"] is None else callers[spec["number"]],
            caller_withheld=spec["number"] is None,
            arrived_at=NOW - dt.timedelta(minutes=spec["minutes_ago"]),
            counsellor=cast.staff[spec["counsellor"]] if spec["counsellor"] else None,
        )
        contact.handlers.set([cast.staff[name] for name in spec["handlers"]])
        made.append(contact)
    return made


def api_client(cast: Cast, principal: tuple[str, Any]) -> tuple[Client, dict[str, str]]:
    kind, who = principal
    if kind == "staff":
        return cast.clients[who], {}
    _token, raw = api_token_create(None, name="integration", scopes=who)
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=contact_specs, principal=principals)
def test_history_never_shows_what_the_same_principals_list_and_detail_would_not(
    cast: Cast, specs: list[dict[str, Any]], principal: tuple[str, Any]
) -> None:
    with transaction.atomic():
        contacts = make_contacts(cast, specs)
        client, auth = api_client(cast, principal)
        for address in [*NUMBERS, UNKNOWN]:
            history = client.get("/api/v1/callers/history", {"address": address}, **auth)
            listed = client.get("/api/v1/contacts", {"address": address, "limit": 200}, **auth)
            ids = [item["id"] for item in listed.json()["items"]] if listed.status_code == 200 else []
            if history.status_code == 200:
                body = history.json()
                assert [p["id"] for p in body["last_contacts"]] == ids[:5]
                assert body["total"] == len(ids) == sum(body["counts_by_kind"].values())
                assert body["known"] is bool(ids)
            else:
                assert history.status_code == 403
            digest = address_hash(parse_address(address))
            for contact in (c for c in contacts if c.caller is not None and c.caller.address_hash == digest):
                detail = client.get(f"/api/v1/contacts/{contact.pk}", **auth)
                if listed.status_code == 200:  # the list and the detail agree, both ways
                    assert detail.status_code == (200 if str(contact.pk) in ids else 404)
                else:
                    assert listed.status_code == detail.status_code == 403
        transaction.set_rollback(True)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=contact_specs, viewer=st.sampled_from(PRINCIPALS))
def test_the_caller_pane_keeps_counts_for_the_handler_but_lists_only_what_the_viewer_may_open(
    cast: Cast, specs: list[dict[str, Any]], viewer: str
) -> None:
    with transaction.atomic():
        contacts = make_contacts(cast, specs)
        staff = cast.staff[viewer]
        visible = {c.pk for c in contacts_visible_to(staff)}
        for beside in contacts:
            history = caller_history(staff, beside.caller, beside=beside)
            if beside.caller is None:
                assert history.withheld and not history.last and history.total == 0
                continue
            # The pane beside a contact tells what came before it, never a later contact.
            same_caller = [
                c for c in contacts if c.caller_id == beside.caller_id and c.arrived_at < beside.arrived_at
            ]
            assert {p.id for p in history.last} <= visible  # never a contact they may not open
            newest_visible = sorted(
                (c for c in same_caller if c.pk in visible), key=lambda c: (c.arrived_at, c.pk), reverse=True
            )
            assert [p.id for p in history.last] == [c.pk for c in newest_visible[:5]]
            if contact_writable_by(staff, beside) or sees_every_contact(staff):
                assert history.total == len(same_caller)  # handling the caller: every earlier contact counts
            else:
                assert history.total == len(newest_visible)
        transaction.set_rollback(True)


def test_a_counsellor_sees_how_often_a_caller_contacted_us_but_no_link_to_a_colleagues_contact(
    cast: Cast,
) -> None:
    number = parse_address(NUMBERS[0])
    caller = caller_for_address(number)
    colleagues = Contact.objects.create(
        channel=Channel.SMS,
        status=Status.CLOSED,
        kind=Kind.COUNSELLING,
        caller=caller,
        arrived_at=NOW - dt.timedelta(days=2),
        counsellor=cast.staff["sokha"],
    )
    mine = Contact.objects.create(
        channel=Channel.VOICE, caller=caller, arrived_at=NOW, counsellor=cast.staff["dara"]
    )
    client = cast.clients["dara"]
    console = client.get(f"/console/{mine.pk}/").content.decode()
    assert "1 earlier contact in all" in console  # the count helps whoever answers
    assert "Recent contacts" not in console  # but the colleague's contact is not listed
    Contact.objects.filter(pk=mine.pk).update(status=Status.CLOSED, kind=Kind.SILENT)
    detail = client.get(f"/contacts/{mine.pk}/").content.decode()
    assert "1 earlier contact in all" in detail
    assert f"/contacts/{colleagues.pk}/" not in detail
    assert client.get(f"/contacts/{colleagues.pk}/").status_code == 404
    supervisor = cast.clients["supervisor"].get(f"/contacts/{mine.pk}/").content.decode()
    assert f"/contacts/{colleagues.pk}/" in supervisor  # who may open it finds it listed
