"""Backups: taken while contacts and audit rows are being written, restored by `manage.py restore`
in a process of its own into a fresh installation (a new data folder on SQLite, a new database on
PostgreSQL), then compared table by table and row by row with the source; the audit chain verifies.
A wrong key, a damaged or cut-short file, a non-empty installation: a clear refusal, exit 1, no
traceback, nothing changed. The sealed stream itself is checked with Hypothesis."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.intake import contact_waiting_open
from helpline.operations import backup as backup_module
from helpline.operations.backup import BackupError, SealingWriter, UnsealingReader

ROOT = Path(__file__).resolve().parent.parent
# Written by the load during the backup: a new row in each per transaction, never updated (the
# chain head is, and the audit chain's own check covers it).
APPENDED = {"contacts_contact", "audit_auditevent"}
UPDATED = {"audit_auditchainhead"}


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    raw = Fernet.generate_key().decode()
    monkeypatch.setenv("HELPLINE_BACKUP_KEY", raw)
    return raw


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "partners" / "7").mkdir(parents=True)
    # Incompressible and over two chunks: the backup spans several sealed chunks.
    (root / "partners" / "7" / "agreement.pdf").write_bytes(b"%PDF-1.7 " + os.urandom(2_500_000))
    (root / "ស្លាក.txt").write_text("ឯកសារ", encoding="utf-8")
    settings.MEDIA_ROOT = root
    return root


# --- A fresh installation to restore into -------------------------------------------------


class Target:
    """Where `manage.py restore` runs: its own data folder, and on PostgreSQL its own database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPLINE_", "PYTEST"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            SECRET_KEY=os.environ["SECRET_KEY"],
            HELPLINE_FIELD_KEYS=os.environ["HELPLINE_FIELD_KEYS"],
            HELPLINE_HTTPS="0",
            HELPLINE_DATA_DIR=str(folder),
            HELPLINE_TRIAGE_WARM="0",
        )
        self.env.pop("DATABASE_URL", None)
        self.pg_name = ""
        if connection.vendor == "postgresql":
            s = connection.settings_dict
            self.pg_name = f"{s['NAME']}_restored"[:63]
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.pg_name}"')
            self.env["DATABASE_URL"] = self.url(self.pg_name)

    @staticmethod
    def url(name: str) -> str:
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(sql)

    def drop(self) -> None:
        if self.pg_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def manage(self, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if key is not None:
            env["HELPLINE_BACKUP_KEY"] = key
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def connect(self) -> Any:
        if self.pg_name:
            return psycopg.connect(self.url(self.pg_name))
        return sqlite3.connect(self.folder / "helpline.sqlite3")

    def tables(self) -> set[str]:
        with _closing(self.connect()) as conn:
            return set(_tables(conn))


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    made = Target(tmp_path / "restored")
    yield made
    made.drop()


class _closing:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> Any:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _source() -> Any:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return psycopg.connect(Target.url(s["NAME"]))
    return sqlite3.connect(s["NAME"])


def _tables(conn: Any) -> list[str]:
    if isinstance(conn, sqlite3.Connection):
        sql = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY 1"
    return [row[0] for row in conn.execute(sql).fetchall()]


def _rows(conn: Any, table: str) -> list[tuple[Any, ...]]:
    quoted = '"' + table.replace('"', '""') + '"'
    rows = conn.execute(f"SELECT * FROM {quoted}").fetchall()  # noqa: S608 - names from the catalogue
    # As text: JSON columns come back as dicts, which a set cannot hold.
    return sorted(tuple(repr(v) for v in r) for r in rows)


# --- Write load -----------------------------------------------------------------------------


class Load:
    """A thread writing, in each transaction, one contact and its audit row, as the system does."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.done: list[tuple[float, float, str, int]] = []  # (began, committed, contact id, seq)
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                began = time.monotonic()
                with transaction.atomic():
                    contact = contact_waiting_open(channel="sms", caller=None, arrived_at=timezone.now())  # type: ignore[arg-type]
                    event = audit_record(
                        "gateway:load",
                        action=AuditAction.CONTACT_START,
                        record_type="contact",
                        record_id=contact.pk,
                    )
                self.done.append((began, time.monotonic(), str(contact.pk), event.seq))
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            connection.close()

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def _seed(n: int) -> None:
    for _ in range(n):
        with transaction.atomic():
            contact = contact_waiting_open(channel="chat", caller=None, arrived_at=timezone.now())  # type: ignore[arg-type]
            audit_record(None, action=AuditAction.CONTACT_START, record_type="contact", record_id=contact.pk)


# --- The round trip -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_under_write_load_restores_every_row_and_the_audit_chain(
    key: str, media: Path, target: Target, tmp_path: Path, make_persona: Any
) -> None:
    make_persona("supervisor")
    _seed(20)
    out = tmp_path / "nightly.backup"
    with Load() as load:
        while len(load.done) < 30 and not load.errors:
            time.sleep(0.01)
        started = time.monotonic()
        call_command("backup", output=str(out), stdout=io.StringIO())
        finished = time.monotonic()
        time.sleep(0.2)  # more writes after the snapshot: they must not be in it
    assert load.errors == []
    assert out.stat().st_mode & 0o777 == 0o600
    assert not out.with_name(out.name + ".partial").exists()

    restored = target.manage("restore", str(out), key=key)
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact" in restored.stdout
    verified = target.manage("audit_verify")
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout, verified.stderr

    with _closing(_source()) as src, _closing(target.connect()) as dst:
        if isinstance(dst, sqlite3.Connection):
            assert dst.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = _tables(src)
        assert set(_tables(dst)) == set(tables)
        for table in tables:
            before, after = _rows(src, table), _rows(dst, table)
            if table in UPDATED:
                continue
            if table in APPENDED:
                # The snapshot: a subset of today's rows, never a row that is not in the source.
                assert set(after) <= set(before), table
            else:
                assert after == before, table
        contacts = {row[0] for row in dst.execute("SELECT id FROM contacts_contact").fetchall()}
        seqs = {row[0] for row in dst.execute("SELECT seq FROM audit_auditevent").fetchall()}
    contacts = {str(c).replace("-", "") for c in contacts}
    # No transaction in part: each load transaction's contact and audit row are both there or neither.
    for began, committed, contact_id, seq in load.done:
        there = contact_id.replace("-", "") in contacts
        assert there == (seq in seqs), (contact_id, seq)
        if committed < started:
            assert there, "a write committed before the backup began is missing"
        if began > finished:
            assert not there, "a write begun after the backup ended is in it"
    assert any(c > started for _b, c, _i, _s in load.done), "the load went on during the backup"
    assert max(seqs) == len(seqs)  # the chain's events are a prefix: 1..N

    media_back = target.folder / "media"
    for path in media.rglob("*"):
        if path.is_file():
            assert (media_back / path.relative_to(media)).read_bytes() == path.read_bytes()

    again = target.manage("restore", str(out), key=key)
    assert again.returncode == 1 and "already holds data" in again.stderr
    assert "Traceback" not in again.stderr
    forced = target.manage("restore", "--force", str(out), key=key)
    assert forced.returncode == 0, forced.stderr
    assert "kept in" in forced.stdout  # the stored files that were there are moved aside, not deleted
    assert len(list(target.folder.glob("media.before-restore-*"))) == 1


@pytest.mark.django_db(transaction=True)
def test_a_wrong_key_or_a_damaged_file_is_refused_clearly_and_changes_nothing(
    key: str, media: Path, target: Target, tmp_path: Path
) -> None:
    _seed(3)
    out = tmp_path / "b.backup"
    call_command("backup", output=str(out), stdout=io.StringIO())
    data = out.read_bytes()
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) * 2 // 3])
    flipped = tmp_path / "flipped.backup"
    flipped.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"PK\x03\x04 not ours")
    cases = [
        (out, Fernet.generate_key().decode(), "wrong backup key"),
        (out, "not-a-key", "not a valid key"),
        (out, "", "no backup key"),
        (cut, key, "cut short"),
        (flipped, key, "damaged"),
        (junk, key, "not a Helpline backup file"),
        (tmp_path / "missing.backup", key, "cannot read"),
    ]
    for path, given_key, message in cases:
        done = target.manage("restore", str(path), key=given_key)
        assert done.returncode == 1, (message, done.stdout)
        assert message in done.stderr, (message, done.stderr)
        assert "Traceback" not in done.stderr
        assert not (target.folder / "media").exists() or not any((target.folder / "media").iterdir())
        tables = target.tables()
        if tables:
            with _closing(target.connect()) as conn:
                assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == 0
    # The intact file still restores, into a freshly migrated installation too.
    migrated = target.manage("migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    restored = target.manage("restore", str(out), key=key)
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact: 3 events" in restored.stdout


def test_new_key_prints_a_key_that_works_from_a_key_file(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("backup", new_key=True, stdout=out)
    key_file = tmp_path / "backup.key"
    key_file.write_text(out.getvalue())
    sealed = _seal(b"nightly", backup_module.load_key(str(key_file)))
    assert _unseal(sealed, Fernet(out.getvalue().strip().encode())) == b"nightly"
    with pytest.raises(BackupError, match="cannot read the backup key file"):
        backup_module.load_key(str(tmp_path / "missing.key"))


# --- The sealed stream ----------------------------------------------------------------------


def _seal(data: bytes, fernet: Fernet) -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(out, fernet)
    for i in range(0, len(data), 777):
        writer.write(data[i : i + 777])
    writer.finish()
    return out.getvalue()


def _unseal(sealed: bytes, fernet: Fernet) -> bytes:
    reader = UnsealingReader(io.BytesIO(sealed), fernet)
    got = reader.read()
    reader.drain()
    return got or b""


FERNET = Fernet(Fernet.generate_key())


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_module, "CHUNK_BYTES", 64)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600))
def test_sealed_stream_round_trips(small_chunks: None, data: bytes) -> None:
    assert _unseal(_seal(data, FERNET), FERNET) == data


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(min_size=1, max_size=400), where=st.floats(0, 1), bit=st.integers(0, 7), cut=st.booleans()
)
def test_any_flipped_bit_or_cut_is_refused(
    small_chunks: None, data: bytes, where: float, bit: int, cut: bool
) -> None:
    sealed = _seal(data, FERNET)
    at = min(int(where * len(sealed)), len(sealed) - 1)
    damaged = sealed[:at] if cut else sealed[:at] + bytes([sealed[at] ^ (1 << bit)]) + sealed[at + 1 :]
    with pytest.raises(BackupError):
        _unseal(damaged, FERNET)


def test_chunks_of_two_backups_do_not_mix(small_chunks: None) -> None:
    one, two = _seal(b"a" * 300, FERNET), _seal(b"b" * 300, FERNET)
    head = len(backup_module.MAGIC) + 1 + 16
    (check_len,) = __import__("struct").unpack(">I", one[head : head + 4])
    body = head + 4 + check_len
    with pytest.raises(BackupError):
        _unseal(one[:body] + two[body:], FERNET)
    assert settings.MEDIA_ROOT  # the setting the backup reads exists
