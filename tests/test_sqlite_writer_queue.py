"""SQLite writers of one process wait their turn on a lock, not in SQLite's sleeping busy handler:
the second writer starts the moment the first commits, and a failed transaction lets the next in."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from helpline.contacts.models import Caller

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the queue is SQLite's"),
]


@pytest.fixture(autouse=True)
def writer_queue(settings: pytest.FixtureRequest) -> None:
    settings.SQLITE_WRITER_QUEUE = True  # type: ignore[attr-defined]


def in_thread(work: object) -> threading.Thread:
    def run() -> None:
        try:
            work()  # type: ignore[operator]
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def handoff(round_: int) -> float:
    """Seconds from the first writer's commit to the second writer's start (may be a little
    negative: the lock is released inside the commit, before the first thread notes the time)."""
    first_in, release = threading.Event(), threading.Event()
    times: dict[str, float] = {}

    def first() -> None:
        with transaction.atomic():
            Caller.objects.create(address_hash=f"a{round_}".ljust(64, "0"), scheme="tel")
            first_in.set()
            release.wait(5)
        times["first_committed"] = time.perf_counter()

    def second() -> None:
        with transaction.atomic():
            times["second_began"] = time.perf_counter()
            Caller.objects.create(address_hash=f"b{round_}".ljust(64, "0"), scheme="tel")

    a = in_thread(first)
    assert first_in.wait(5)
    b = in_thread(second)
    time.sleep(0.15)
    assert "second_began" not in times  # waiting for the first writer
    release.set()
    a.join(5)
    b.join(5)
    return times["second_began"] - times["first_committed"]


def test_a_second_writer_starts_as_soon_as_the_first_commits() -> None:
    gaps = sorted(handoff(n) for n in range(5))
    assert Caller.objects.count() == 10
    # Woken at once (well under a millisecond here). SQLite's busy handler instead retries at
    # intervals of up to 100 ms, so the median gap without the queue is tens of milliseconds.
    assert gaps[2] < 0.01, gaps


def test_a_rolled_back_writer_lets_the_next_one_in() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        Caller.objects.create(address_hash="c" * 64, scheme="tel")
        raise RuntimeError("changed its mind")
    done = threading.Event()

    def other() -> None:
        with transaction.atomic():
            Caller.objects.create(address_hash="d" * 64, scheme="tel")
        done.set()

    in_thread(other).join(5)
    assert done.is_set() and list(Caller.objects.values_list("address_hash", flat=True)) == ["d" * 64]
