"""The process's database gate (helpline.common.outage): while the database is down, one caller a second
may try it; the others fail at once. The outage itself, against a real PostgreSQL, is in
test_database_outage.py."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError, OperationalError, connection

from helpline.common.outage import PROBE_SECONDS, DatabaseGate, PoolWarnings, database_unavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_while_the_database_is_down_one_caller_a_second_may_try_it(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    gate = DatabaseGate(clock=clock)
    assert [gate.may_try() for _ in range(3)] == [True, True, True]
    with caplog.at_level(logging.WARNING, logger="helpline.database"):
        gate.failed("OperationalError")
        gate.failed("OperationalError")  # every pool worker's failure: said once
    assert gate.down and [r.getMessage() for r in caplog.records] == [
        "database unavailable (OperationalError); answering 503 until it is back"
    ]
    assert [gate.may_try() for _ in range(3)] == [False, False, False]
    clock.now += PROBE_SECONDS
    assert [gate.may_try() for _ in range(3)] == [True, False, False]  # the probe
    clock.now += PROBE_SECONDS / 2
    assert not gate.may_try()
    clock.now += PROBE_SECONDS / 2
    assert gate.may_try()
    gate.succeeded()
    assert not gate.down and [gate.may_try() for _ in range(3)] == [True, True, True]
    assert caplog.records[-1].getMessage() == "database back after 2.0 s"


@pytest.mark.django_db
def test_only_a_broken_link_to_postgresql_counts_as_the_database_being_away() -> None:
    """SQLite's OperationalError also means a missing table or bad SQL: a fault, never a 503."""
    assert database_unavailable(OperationalError("server closed the connection")) == (
        connection.vendor == "postgresql"
    )
    assert not database_unavailable(IntegrityError("duplicate key"))
    assert not database_unavailable(ValueError("not the database"))


def _pool_warning(message: str) -> logging.LogRecord:
    return logging.LogRecord("psycopg.pool", logging.WARNING, "pool.py", 680, message, ("pool-1", "x"), None)


def test_pool_warnings_are_dropped_during_an_outage_and_not_repeated_outside_one() -> None:
    clock = Clock()
    gate = DatabaseGate(clock=clock)
    kept = PoolWarnings(gate, clock=clock)
    # The database goes away: every pooled connection is found broken at once; one line says so.
    broken = [kept.filter(_pool_warning("discarding broken connection: %s")) for _ in range(16)]
    assert broken == [True] + [False] * 15
    gate.failed("OperationalError")  # logged once by the gate
    for _ in range(30):  # a probe a second, and the pool's own retries
        clock.now += 0.5
        assert not kept.filter(_pool_warning("error connecting in %r: %s"))
    gate.succeeded()  # logged once by the gate
    clock.now += PoolWarnings.REPEAT_SECONDS
    assert kept.filter(_pool_warning("discarding broken connection: %s"))  # a new event, said again
    error = logging.LogRecord("psycopg.pool", logging.ERROR, "pool.py", 1, "x", None, None)
    assert kept.filter(error)  # errors are never dropped


def test_the_pool_logger_is_filtered_in_the_settings() -> None:
    from django.conf import settings

    assert "pool_warnings" in settings.LOGGING["loggers"]["psycopg.pool"]["filters"]
    assert any(isinstance(f, PoolWarnings) for f in logging.getLogger("psycopg.pool").filters)
