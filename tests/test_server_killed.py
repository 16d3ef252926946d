"""kill -9 of the server while 20 SMS arrive at once, round after round: every SMS the server
acknowledged is stored, once; the gateway's retries of the others (as Kannel retries what it never
heard answered) store each once more at most once; no record is left half-written (a message
without its thread, a thread without its contact, a contact of an SMS without its thread, numbering
with a gap or a repeat); the database's own integrity check and the audit chain hold.

SQLite always; PostgreSQL too when it answers at 127.0.0.1 (a database of its own). Rounds:
HELPLINE_FAULT_ROUNDS (3 in the suite; `make test-faults` runs 20)."""

from __future__ import annotations

import base64
import os
import random
import secrets
import signal
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.servers import Children, free_port, manage, server_env, wait_until_healthy

SECRET = "server-killed-kannel-secret-0123456789"
ROUNDS = int(os.environ.get("HELPLINE_FAULT_ROUNDS", "3"))
AT_ONCE = 20
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_answers() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    if not postgres_answers():
        if os.environ.get("HELPLINE_REQUIRE_REDIS") == "1":  # CI: the services must be there
            pytest.fail("PostgreSQL does not answer at 127.0.0.1:5432")
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    name = f"helpline_killed_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"}
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def send(url: str, number: str, message_id: str) -> int | None:
    """The gateway's webhook request: the status, or None when no answer came (the server died)."""
    query = urllib.parse.urlencode(
        {"secret": SECRET, "from": number, "to": "1280", "id": message_id, "text": f"សួស្តី {message_id}"}
    )
    try:
        with urllib.request.urlopen(f"{url}/hooks/sms/kannel?{query}", timeout=20) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class Store:
    """Read-only SQL on the server's database, whichever engine."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.url = env.get("DATABASE_URL")
        self.path = data_dir / "helpline.sqlite3"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url:
            with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as db:
                return list(db.execute(sql).fetchall())
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)) as db:
            return list(db.execute(sql).fetchall())


def stored_ids(store: Store) -> list[str]:
    return [
        row[0]
        for row in store.rows(
            "SELECT provider_message_id FROM conversations_message "
            "WHERE direction = 'in' AND provider = 'kannel' AND provider_message_id IS NOT NULL"
        )
    ]


def half_written(store: Store) -> dict[str, int]:
    checks = {
        "message without its thread": "SELECT count(*) FROM conversations_message m "
        "LEFT JOIN conversations_conversation c ON c.id = m.conversation_id WHERE c.id IS NULL",
        "thread without its contact": "SELECT count(*) FROM conversations_conversation c "
        "LEFT JOIN contacts_contact k ON k.id = c.contact_id WHERE k.id IS NULL",
        "SMS contact without its thread": "SELECT count(*) FROM contacts_contact k "
        "LEFT JOIN conversations_conversation c ON c.contact_id = k.id "
        "WHERE k.channel = 'sms' AND c.id IS NULL",
        "thread without a message": "SELECT count(*) FROM conversations_conversation c "
        "WHERE NOT EXISTS (SELECT 1 FROM conversations_message m WHERE m.conversation_id = c.id)",
        "numbering repeated": "SELECT count(*) FROM (SELECT conversation_id, seq FROM conversations_message "
        "GROUP BY conversation_id, seq HAVING count(*) > 1) AS twice",
        "numbering behind its thread": "SELECT count(*) FROM conversations_conversation c "
        "WHERE c.last_seq < (SELECT max(seq) FROM conversations_message m WHERE m.conversation_id = c.id)",
    }
    return {name: store.rows(sql)[0][0] for name, sql in checks.items()}


def test_kill_9_during_concurrent_intakes_loses_nothing_acknowledged(
    tmp_path: Path, engine: dict[str, str]
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = server_env(
        data_dir,
        {
            "HELPLINE_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "HELPLINE_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "HELPLINE_HTTPS": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "HELPLINE_KANNEL_SECRET": SECRET,
            "HELPLINE_TRIAGE_WARM": "0",
            "HELPLINE_LOG_LEVEL": "WARNING",
            **engine,
        },
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    store = Store(env, data_dir)
    children = Children()
    rng = random.Random(1280)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    acknowledged: set[str] = set()
    sent: set[str] = set()
    killed_mid_flight = 0
    try:
        for round_ in range(ROUNDS):
            log = tmp_path / f"server-{round_}.log"
            server = children.start(f"server {round_}", argv, log, env=env)
            wait_until_healthy(url, server, log)
            ids = [f"r{round_}-{n}" for n in range(AT_ONCE)]
            # Several children, some writing twice in the round: new threads and threads growing.
            numbers = {mid: f"8551{rng.randrange(10**7):07d}" for mid in ids[: AT_ONCE // 2]}
            for mid in ids[AT_ONCE // 2 :]:
                numbers[mid] = rng.choice(list(numbers.values()))
            answers: dict[str, int | None] = {}

            def one(mid: str) -> None:
                answers[mid] = send(url, numbers[mid], mid)  # noqa: B023 (joined within the round)

            threads = [threading.Thread(target=one, args=(mid,)) for mid in ids]
            for thread in threads:
                thread.start()
            # Killed once some are answered and while the rest are in flight.
            enough = rng.randint(1, AT_ONCE // 2)
            deadline = time.monotonic() + 30
            while len(answers) < enough and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(server.pid, signal.SIGKILL)
            server.wait(10)
            for thread in threads:
                thread.join(30)
            sent.update(ids)
            acknowledged.update(mid for mid, status in answers.items() if status == 200)
            killed_mid_flight += sum(status is None for status in answers.values())

            # What was acknowledged is there, once, even before any retry.
            stored = stored_ids(store)
            assert acknowledged <= set(stored), sorted(acknowledged - set(stored))
            assert len(stored) == len(set(stored))
            assert not any(half_written(store).values()), half_written(store)

            # The gateway sends again what it never heard answered, and some it did (lost answers).
            log = tmp_path / f"server-{round_}-again.log"
            server = children.start(f"server {round_} again", argv, log, env=env)
            wait_until_healthy(url, server, log)
            again = [mid for mid in ids if answers.get(mid) != 200] + rng.sample(ids, 3)
            for mid in again:
                assert send(url, numbers[mid], mid) == 200
            children.stop(server)

            stored = stored_ids(store)
            assert sorted(stored) == sorted(sent), "every SMS stored exactly once after the retries"
            assert not any(half_written(store).values()), half_written(store)
        if not engine:
            [[integrity]] = store.rows("PRAGMA integrity_check")
            assert integrity == "ok"
        assert "audit chain intact" in manage(env, "audit_verify").stdout
        # The kills fell while requests were in flight, after some were answered (else this proved little).
        assert killed_mid_flight > 0 and acknowledged
        print(
            f"{ROUNDS} rounds x {AT_ONCE} SMS: {len(acknowledged)} acknowledged before the kill, "
            f"{killed_mid_flight} cut off; all {len(sent)} stored exactly once after retries"
        )
    finally:
        children.stop_all()
