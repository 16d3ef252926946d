"""The process's database gate (helpline.common.outage): while the database is down, one caller a second
may try it; the others fail at once. The outage itself, against a real PostgreSQL, is in
test_database_outage.py."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError, OperationalError, connection

from helpline.common.outage import PROBE_SECONDS, DatabaseGate, database_unavailable


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
