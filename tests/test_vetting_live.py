"""A staff member whose vetting lapses hears nothing more on their open console socket, at once:
when the calendar ends it (their police check's last day is over), when a new policy version is
published, when they are deactivated; and a lapsed person is never offered, assigned or
transferred a contact. Real sockets, spoken to as uvicorn does (tests/sockets.py).

The calendar tests move Django's clock (django.utils.timezone.now, read by the gate, the socket
and the database queries alike) to just before local midnight, as a clock-freezing library would:
nothing of Helpline is replaced."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.accounts.models import PoliceCheck, PolicySignature, PolicyVersion, Role, Staff
from helpline.accounts.vetting import vetted, vetting_holds_until, vetting_status
from helpline.audit.models import AuditEvent
from helpline.common import live
from helpline.console.consumers import CLOSE_REFUSED
from helpline.contacts.intake import AssignRefused
from helpline.contacts.models import Channel, Contact, Status
from helpline.routing import queue
from helpline.routing.models import Offer, PresenceState
from tests.factories import current_policy_version, persona
from tests.test_chat_socket import run
from tests.test_console_socket_reply import StaffSocket

ClientFor = Callable[[Staff], Client]
db = sync_to_async


class Clock:
    """Django's clock, moved: it keeps running, from wherever it was set. Sessions made meanwhile
    last a few days, or the idle timeout would sign everyone out when the clock jumps hours."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
        settings.SESSION_COOKIE_AGE = 3 * 24 * 3600
        self.real = timezone.now
        self.offset = dt.timedelta(0)
        monkeypatch.setattr(timezone, "now", lambda: self.real() + self.offset)

    def set(self, moment: dt.datetime) -> None:
        self.offset = moment - self.real()


def next_local_midnight() -> dt.datetime:
    today = timezone.localdate()
    return dt.datetime.combine(
        today + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
    )


def police_check_ends_today(staff: Staff) -> None:
    PoliceCheck.objects.filter(staff=staff).update(expires_on=timezone.localdate())


async def console_event(reason: str = "taken") -> str:
    """A queue change every console hears; returns the contact id it names."""
    contact = str(uuid.uuid4())
    await db(live.contact_changed, thread_sensitive=False)(contact, reason=reason)
    return contact


async def hears(console: StaffSocket, contact: str) -> bool:
    frame = await console.receive_until("console.event", "access.ended")
    return frame.get("type") == "console.event" and frame.get("contact") == contact


async def ended(console: StaffSocket) -> bool:
    """The socket says access ended, hears nothing more, and closes as a refused one."""
    first = await console.receive_until("console.event", "access.ended")
    closed = await console.receive_until("console.event")
    return first["type"] == "access.ended" and closed == {"type": "__closed__", "code": CLOSE_REFUSED}


@pytest.mark.django_db(transaction=True)
def test_the_socket_ends_at_the_moment_the_police_check_runs_out(
    counsellor: Staff, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    clock = Clock(monkeypatch, settings)
    police_check_ends_today(counsellor)
    client = client_for(counsellor)
    clock.set(next_local_midnight() - dt.timedelta(seconds=2))

    async def scenario() -> None:
        console = StaffSocket(client)
        await console.open()
        assert await hears(console, await console_event())  # still vetted for two seconds
        assert await ended(console)  # midnight: no event needed to end it

    run(scenario)
    refusal = AuditEvent.objects.get(action="access.refused", actor=counsellor)
    assert "police check has expired" in refusal.reason and refusal.detail["method"] == "recheck"


@pytest.mark.django_db(transaction=True)
def test_an_event_after_the_police_check_ran_out_is_never_delivered(
    counsellor: Staff, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The clock jumps past midnight while the socket sleeps: the next event finds it out."""
    clock = Clock(monkeypatch, settings)
    police_check_ends_today(counsellor)
    client = client_for(counsellor)
    clock.set(next_local_midnight() - dt.timedelta(hours=1))

    async def scenario() -> None:
        console = StaffSocket(client)
        await console.open()
        assert await hears(console, await console_event())
        clock.set(next_local_midnight() + dt.timedelta(minutes=1))
        await console_event()
        assert await ended(console)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_policy_published_now_ends_every_open_socket_at_once_and_a_future_one_ends_none(
    counsellor: Staff, supervisor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    counsellor_client, supervisor_client = client_for(counsellor), client_for(supervisor)
    admin = client_for(administrator)
    today = timezone.localdate()

    def publish(version: str, on: dt.date) -> None:
        response = admin.post(
            "/accounts/policy-versions/",
            {"version": version, "title": "Child Protection Policy", "effective_date": on, "text": "..."},
        )
        assert response.status_code == 302

    async def scenario() -> None:
        consoles = [StaffSocket(counsellor_client), StaffSocket(supervisor_client)]
        for console in consoles:
            await console.open()
        await db(publish)("next-year", today + dt.timedelta(days=365))  # not in effect: nothing ends
        contact = await console_event()
        for console in consoles:
            assert await hears(console, contact)
        await db(publish)("today", today)  # in effect now, and nobody has signed it
        await console_event()
        for console in consoles:
            assert await ended(console)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_staff_member_hears_nothing_more(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    client, admin = client_for(counsellor), client_for(administrator)

    def deactivate() -> None:
        data = {"full_name": "Dara", "role": Role.COUNSELLOR}  # "is_active" unticked
        assert admin.post(f"/accounts/staff/{counsellor.pk}/", data).status_code == 302

    async def scenario() -> None:
        console = StaffSocket(client)
        await console.open()
        await db(deactivate)()
        await console_event()
        assert await ended(console)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_change_that_leaves_vetting_current_keeps_the_socket_open(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    client, admin = client_for(counsellor), client_for(administrator)

    def new_role() -> None:  # the same role, a new name: nothing for the socket to end
        data = {"full_name": "Dara S.", "role": Role.COUNSELLOR, "is_active": "on"}
        assert admin.post(f"/accounts/staff/{counsellor.pk}/", data).status_code == 302

    async def scenario() -> None:
        console = StaffSocket(client)
        await console.open()
        await db(new_role)()
        await db(live.access_changed)(None, staff_ids=[str(counsellor.pk)])  # checked again, still fine
        assert await hears(console, await console_event())
        await console.close()

    run(scenario)


def test_vetting_holds_until_the_end_of_the_police_checks_last_day_or_a_coming_policy(
    counsellor: Staff,
) -> None:
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    last_day = today + dt.timedelta(days=10)
    PoliceCheck.objects.filter(staff=counsellor).update(expires_on=last_day)
    assert vetting_holds_until(counsellor) == dt.datetime.combine(
        last_day + dt.timedelta(days=1), dt.time.min, tz
    )
    PolicyVersion.objects.create(
        version="soon", title="t", text="t", effective_date=today + dt.timedelta(days=3)
    )
    assert vetting_holds_until(counsellor) == dt.datetime.combine(
        today + dt.timedelta(days=3), dt.time.min, tz
    )


# --- Routing: nobody lapsed is offered, assigned or transferred a contact ----------------------


def waiting(channel: str = Channel.SMS) -> Contact:
    return Contact.objects.create(channel=channel, status=Status.WAITING, arrived_at=timezone.now())


def test_the_wallboard_does_not_offer_a_lapsed_counsellor_and_refuses_to_assign_to_one(
    supervisor: Staff, counsellor: Staff, lapsed: Staff, client_for: ClientFor
) -> None:
    contact = waiting()
    client = client_for(supervisor)
    page = client.get("/wallboard/").content.decode()
    assert 'value="counsellor"' in page and 'value="lapsed"' not in page
    assert client.post(f"/wallboard/assign/{contact.pk}/", {"to": "lapsed"}).status_code == 400
    contact.refresh_from_db()
    assert contact.status == Status.WAITING and contact.counsellor is None
    assert not AuditEvent.objects.filter(action="contact.assign").exists()
    with pytest.raises(AssignRefused):
        queue.assign(supervisor, contact=contact, to=lapsed)
    contact.refresh_from_db()
    assert contact.counsellor is None


def test_a_contact_is_not_transferred_to_someone_whose_vetting_lapsed(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = waiting()
    queue.assign(supervisor, contact=contact, to=counsellor)
    other = persona(Role.VOLUNTEER, username="vol")
    queue.presence_set(other, PresenceState.AVAILABLE)
    PoliceCheck.objects.filter(staff=other).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(supervisor)
    url = f"/console/{contact.pk}/transfer/"
    assert 'value="vol"' not in client.get(url).content.decode()
    assert client.post(url, {"to": "vol", "reason": "she knows the family"}).status_code == 400
    contact.refresh_from_db()
    assert contact.counsellor == counsellor


def test_an_offer_to_someone_whose_vetting_lapsed_returns_to_the_queue_for_someone_vetted(
    counsellor: Staff,
) -> None:
    contact = waiting()
    queue.presence_set(counsellor, PresenceState.AVAILABLE)
    [offer] = queue.route()
    assert offer.staff == counsellor
    other = persona(Role.VOLUNTEER, username="vol")
    queue.presence_set(other, PresenceState.AVAILABLE)
    PoliceCheck.objects.filter(staff=counsellor).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    [again] = queue.route()
    assert again.contact == contact and again.staff == other
    assert not Offer.objects.filter(staff=counsellor).exists()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    people=st.lists(
        st.fixed_dictionaries(
            {
                "checks": st.lists(st.tuples(st.integers(-400, 5), st.integers(-5, 400)), max_size=2),
                "signed": st.booleans(),
                "signed_old": st.booleans(),
            }
        ),
        min_size=1,
        max_size=4,
    ),
    new_policy_in=st.sampled_from([None, -1, 0, 3]),
)
def test_vetted_agrees_with_the_gate_for_anyone(
    administrator: Staff, people: list[dict[str, Any]], new_policy_in: int | None
) -> None:
    """The one-query filter (routing, the wallboard) and the page gate never disagree."""
    from django.db import transaction

    with transaction.atomic():
        today = timezone.localdate()
        old = current_policy_version()
        new = None
        if new_policy_in is not None:
            new = PolicyVersion.objects.create(
                version="new", title="t", text="t", effective_date=today + dt.timedelta(days=new_policy_in)
            )
        made = []
        for n, spec in enumerate(people):
            staff = Staff.objects.create(username=f"p{n}", role=Role.COUNSELLOR)
            for issued, expires in spec["checks"]:
                issued_on = today + dt.timedelta(days=issued)
                PoliceCheck.objects.create(
                    staff=staff,
                    issued_on=issued_on,
                    expires_on=max(today + dt.timedelta(days=expires), issued_on + dt.timedelta(days=1)),
                    verified_by=administrator,
                )
            if spec["signed_old"]:
                PolicySignature.objects.create(staff=staff, policy=old)
            if spec["signed"] and new is not None:
                PolicySignature.objects.create(staff=staff, policy=new)
            made.append(staff)
        through_gate = {s.pk for s in made if not vetting_status(s).blocked}
        assert set(
            vetted(Staff.objects.filter(pk__in=[s.pk for s in made])).values_list("pk", flat=True)
        ) == (through_gate)
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_a_console_open_past_the_layers_group_expiry_still_hears_events(
    counsellor: Staff, client_for: ClientFor
) -> None:
    """The layer forgets a membership a day after it was made; each re-check renews it."""
    client = client_for(counsellor)

    async def scenario() -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        console = StaffSocket(client)
        await console.open()
        a_day_ago = timezone.now().timestamp() - layer.group_expiry - 60
        for members in layer.groups.values():
            for name in members:
                members[name] = a_day_ago
        await db(live.access_changed)(None, staff_ids=[str(counsellor.pk)])  # the periodic re-check
        assert await hears(console, await console_event())  # the next walk would have dropped it
        layer._cleaned_at = -1e9  # walk now
        layer._clean_expired()
        assert await hears(console, await console_event())
        await console.close()

    run(scenario)
