"""Periodic work runs on the scheduler's clock, with no page open: offers run out and go to the next
counsellor, declines hold in every process, quiet threads close; with several scheduler processes
on PostgreSQL each tick runs once. Pages that only show (the console, the wallboard) write nothing
but their read-audit rows."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.common.periodic import Periodic
from helpline.contacts.models import Channel, Contact, Kind, Status
from helpline.conversations.models import Conversation
from helpline.operations.leases import lease_release, lease_take
from helpline.operations.models import JobLease
from helpline.operations.registry import periodic_jobs
from helpline.operations.runner import holder_name, run_periodic
from helpline.routing import queue
from helpline.routing.models import DeclinedOffer, Offer, Presence, PresenceState, RoutingSettings
from tests.factories import persona
from tests.servers import Children, log_tail, manage, server_env

ClientFor = Callable[[Staff], Client]


def job(name: str) -> Periodic:
    return {j.name: j for j in periodic_jobs()}[name]


def waiting(channel: str = Channel.SMS) -> Contact:
    return Contact.objects.create(channel=channel, status=Status.WAITING, arrived_at=timezone.now())


def two_available_counsellors() -> tuple[Staff, Staff]:
    first, second = persona(Role.COUNSELLOR, username="first"), persona(Role.VOLUNTEER, username="second")
    queue.presence_set(first, PresenceState.AVAILABLE)
    queue.presence_set(second, PresenceState.AVAILABLE)
    # The first has waited longest, so is offered first.
    Presence.objects.filter(staff=first).update(since=timezone.now() - dt.timedelta(minutes=5))
    return first, second


def test_the_apps_declare_offers_chat_sweeps_quiet_threads_and_follow_up_reminders() -> None:
    seconds = {j.name: j.seconds for j in periodic_jobs()}
    assert seconds == {
        "common.live_events_prune": 60.0,
        "common.orphaned_tasks": 10.0,
        "common.finished_tasks_prune": 3600.0,
        "routing.offers": 2.0,
        "conversations.abandoned_chats": 10.0,
        "conversations.quiet_threads": 60.0,
        "cases.follow_up_reminders": 60.0,
        "referrals.visit_reminders": 600.0,
        "referrals.acknowledge_alerts": 60.0,
        "referrals.expiry": 600.0,
        "referrals.link_resend": 60.0,
        "referrals.import_cleanup": 3600.0,
        "reports.rollups_refresh": 60.0,
        "reports.documents_abandoned": 600.0,
        "rota.patterns_apply": 3600.0,
        "rota.vetting_lapses": 300.0,
        "operations.retention": 3600.0,
        "feedback.from_contacts": 60.0,
        "feedback.mailbox": 120.0,
        "feedback.overdue": 300.0,
        "feedback.surveys": 60.0,
    }


def test_with_no_page_requested_an_offer_past_30_s_goes_to_the_next_counsellor(db: None) -> None:
    first, second = two_available_counsellors()
    contact = waiting()
    [offer] = queue.route(now=timezone.now() - dt.timedelta(seconds=31))  # made 31 s ago, for 30 s
    assert offer.staff == first and offer.expires_at < timezone.now()

    assert run_periodic(job("routing.offers"), holder=holder_name())

    assert Offer.objects.get(contact=contact).staff == second
    assert Presence.objects.get(staff=first).state == PresenceState.AWAY
    assert AuditEvent.objects.filter(action="offer.expired", actor=first, record_id=str(contact.pk)).exists()


def test_an_offer_still_in_time_stays_where_it_is(db: None) -> None:
    first, _second = two_available_counsellors()
    contact = waiting()
    queue.route()
    run_periodic(job("routing.offers"), holder=holder_name())
    assert Offer.objects.get(contact=contact).staff == first


def test_a_decline_is_a_database_record_and_is_forgotten_after_two_minutes(db: None) -> None:
    first, second = two_available_counsellors()
    contact = waiting()
    queue.route()
    queue.presence_set(second, PresenceState.BUSY)
    queue.offer_decline(first, contact)
    assert DeclinedOffer.objects.filter(contact=contact, staff=first).exists()
    assert not Offer.objects.filter(contact=contact).exists()  # not back to the one who declined
    later = timezone.now() + queue.DECLINE_MEMORY + dt.timedelta(seconds=1)
    [again] = queue.route(now=later)
    assert again.staff == first
    assert not DeclinedOffer.objects.exists()


def test_quiet_text_threads_close_and_chats_and_recent_threads_stay_open(db: None) -> None:
    long_ago = timezone.now() - dt.timedelta(hours=25)

    def thread(channel: str, last: dt.datetime, status: str = Status.ACTIVE) -> Conversation:
        kind = Kind.TESTING if status == Status.CLOSED else ""
        contact = Contact.objects.create(channel=channel, status=status, kind=kind, arrived_at=last)
        return Conversation.objects.create(
            channel=channel, gateway="kannel", contact=contact, last_message_at=last
        )

    quiet, recent = thread(Channel.SMS, long_ago), thread(Channel.SMS, timezone.now())
    closed_contact = thread(Channel.SMS, timezone.now(), status=Status.CLOSED)
    chat = thread(Channel.WEBCHAT, long_ago)

    assert run_periodic(job("conversations.quiet_threads"), holder=holder_name())

    open_now = set(Conversation.objects.filter(is_open=True).values_list("pk", flat=True))
    assert open_now == {recent.pk, chat.pk}
    assert quiet.pk not in open_now and closed_contact.pk not in open_now


# --- Pages that only show write nothing ---------------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")
# Read audits (who looked at what) are the one write a page view makes, by design; the session's
# idle clock is Django's.
ALLOWED_TABLES = ('"audit_auditevent"', '"audit_auditchainhead"', '"django_session"')


def writes_in(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES) and not any(t in q["sql"] for t in ALLOWED_TABLES)
    ]


@pytest.mark.parametrize("path", ["/console/", "/console/lists/"])
def test_the_console_writes_nothing_even_with_an_offer_past_its_time(
    path: str, client_for: ClientFor, db: None
) -> None:
    first, _second = two_available_counsellors()
    contact = waiting()
    queue.route(now=timezone.now() - dt.timedelta(seconds=31))
    newcomer = persona(Role.COUNSELLOR, username="newcomer")  # no presence row yet
    for viewer in (first, newcomer):
        client = client_for(viewer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        assert writes_in(captured.captured_queries) == []
    assert Offer.objects.get(contact=contact).staff == first  # still there: the scheduler expires it
    assert not Presence.objects.filter(staff=newcomer).exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_the_wallboard_writes_nothing_but_its_read_audit(
    htmx: bool, supervisor: Staff, client_for: ClientFor, db: None
) -> None:
    two_available_counsellors()
    waiting()
    queue.route(now=timezone.now() - dt.timedelta(seconds=31))
    RoutingSettings.objects.all().delete()  # a new installation: no settings saved yet
    cache.clear()
    client = client_for(supervisor)
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/wallboard/", headers=headers).status_code == 200
    assert writes_in(captured.captured_queries) == []
    assert Offer.objects.filter(expires_at__lt=timezone.now()).count() == 1


# --- Leases: each tick once across processes ----------------------------------------------------


def test_a_lease_is_renewed_by_its_holder_refused_to_others_and_taken_over_when_it_runs_out(
    db: None,
) -> None:
    now = timezone.now()
    assert lease_take("j", holder="a", seconds=10, now=now)
    assert not lease_take("j", holder="b", seconds=10, now=now + dt.timedelta(seconds=2))
    assert lease_take("j", holder="a", seconds=10, now=now + dt.timedelta(seconds=2))
    assert not lease_take("j", holder="b", seconds=10, now=now + dt.timedelta(seconds=11))
    assert lease_take("j", holder="b", seconds=10, now=now + dt.timedelta(seconds=13))  # a stopped renewing
    assert not lease_take("j", holder="a", seconds=10, now=now + dt.timedelta(seconds=14))
    lease_release("j", holder="b")  # b shuts down: a may go on at once
    assert lease_take("j", holder="a", seconds=10, now=now + dt.timedelta(seconds=15))
    assert JobLease.objects.get(name="j").runs == 4


def in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` in `count` threads at once, each with its own database connection."""
    results: list[object] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as exc:  # reported in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("leases decide between scheduler processes on PostgreSQL; SQLite runs one")


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_postgresql_run_each_tick_once(postgresql_only: None) -> None:
    ran: list[str] = []
    counted = Periodic("test.counted", 2, lambda: ran.append(threading.current_thread().name))
    holders = [holder_name(), holder_name()]
    rounds = 5
    barrier = threading.Barrier(2)

    def scheduler(i: int) -> list[bool]:
        took = []
        for _ in range(rounds):
            barrier.wait(timeout=30)  # both processes' ticks fall due at the same moment
            took.append(run_periodic(counted, holder=holders[i]))
        return took

    first, second = in_threads(2, scheduler)
    assert len(ran) == rounds
    assert [a + b for a, b in zip(first, second, strict=True)] == [1] * rounds  # type: ignore[call-overload]


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_postgresql_expire_an_offer_once(postgresql_only: None) -> None:
    _first, second = two_available_counsellors()
    contact = waiting()
    queue.route(now=timezone.now() - dt.timedelta(seconds=31))
    offers = job("routing.offers")
    holders = [holder_name(), holder_name()]
    barrier = threading.Barrier(2)

    def tick(i: int) -> bool:
        barrier.wait(timeout=30)
        return run_periodic(offers, holder=holders[i])

    assert sorted(in_threads(2, tick)) == [False, True]  # type: ignore[type-var]
    assert AuditEvent.objects.filter(action="offer.expired", record_id=str(contact.pk)).count() == 1
    assert Offer.objects.get(contact=contact).staff == second


# --- A real scheduler process ---------------------------------------------------------------------

SET_UP = """
import datetime as dt
from django.utils import timezone
from helpline.accounts.models import Role
from helpline.contacts.models import Channel, Contact, Kind, Status
from helpline.routing import queue
from helpline.routing.models import Presence, PresenceState
from tests.factories import persona
first, second = persona(Role.COUNSELLOR, username="first"), persona(Role.VOLUNTEER, username="second")
queue.presence_set(first, PresenceState.AVAILABLE)
Presence.objects.filter(staff=first).update(since=timezone.now() - dt.timedelta(minutes=5))
queue.presence_set(second, PresenceState.{second_state})
contact = Contact.objects.create(channel=Channel.SMS, status=Status.WAITING, arrived_at=timezone.now())
{offer}
"""
EXPIRED = "queue.route(now=timezone.now() - dt.timedelta(seconds=31))"
DECLINED = "queue.route()\nqueue.offer_decline(first, contact)"

OFFERED_TO = (
    "select s.username from routing_offer o join accounts_staff s on s.id = o.staff_id "
    "join contacts_contact c on c.id = o.contact_id"
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[tuple[dict[str, str], Children, Path]]:
    env = server_env(tmp_path / "data")
    (tmp_path / "data").mkdir()
    manage(env, "migrate", "--noinput", "-v", "0")
    children = Children()
    try:
        yield env, children, tmp_path
    finally:
        children.stop_all()


def offered_to(env: dict[str, str]) -> list[str]:
    database = Path(env["HELPLINE_DATA_DIR"]) / "helpline.sqlite3"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as db:
        return [row[0] for row in db.execute(OFFERED_TO)]


def start_scheduler(env: dict[str, str], children: Children, tmp_path: Path) -> Path:
    log = tmp_path / "scheduler.log"
    process = children.start("scheduler", [sys.executable, "manage.py", "scheduler"], log, env=env)
    deadline = time.monotonic() + 60
    while "scheduler " not in log.read_text(errors="replace"):
        assert process.poll() is None, log_tail(log)
        assert time.monotonic() < deadline, log_tail(log)
        time.sleep(0.2)
    return log


def wait_until(predicate: Callable[[], bool], seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, log_tail(log)
        time.sleep(0.5)


def test_a_scheduler_process_offers_an_expired_contact_to_the_next_counsellor(
    data_dir: tuple[dict[str, str], Children, Path],
) -> None:
    env, children, tmp_path = data_dir
    manage(env, "shell", "-c", SET_UP.format(second_state="AVAILABLE", offer=EXPIRED))
    assert offered_to(env) == ["first"]
    log = start_scheduler(env, children, tmp_path)
    wait_until(lambda: offered_to(env) == ["second"], 20, log)


def test_a_decline_made_in_one_process_holds_in_the_scheduler_process(
    data_dir: tuple[dict[str, str], Children, Path],
) -> None:
    env, children, tmp_path = data_dir
    manage(env, "shell", "-c", SET_UP.format(second_state="BUSY", offer=DECLINED))
    assert offered_to(env) == []
    log = start_scheduler(env, children, tmp_path)
    time.sleep(4.5)  # two ticks after the first: the one who declined is not offered it again
    assert offered_to(env) == [], log_tail(log)
    manage(
        env,
        "shell",
        "-c",
        "from helpline.accounts.models import Staff\nfrom helpline.routing import queue\n"
        "queue.presence_set(Staff.objects.get(username='second'), 'available')",
    )
    wait_until(lambda: offered_to(env) == ["second"], 20, log)


def test_a_scheduler_stops_at_once_when_told_to_even_while_its_first_ticks_start(
    data_dir: tuple[dict[str, str], Children, Path],
) -> None:
    env, children, tmp_path = data_dir
    for _ in range(3):
        log = start_scheduler(env, children, tmp_path)
        _name, process, _log = children.started[-1]
        process.terminate()  # as serve's death sends it, while the first ticks are being started
        assert process.wait(timeout=10) == 0, log_tail(log)
        log.unlink()
