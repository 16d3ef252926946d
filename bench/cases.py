#!/usr/bin/env python
"""Cases at scale: 200,000 cases gathered from 2,000,000 contacts, then the three pages a
counsellor and a supervisor open all day, each through the whole request (middleware, sessions,
the selector, the template, the audit row) and beside the bare SQL of the same queries:

* the case list, first page, for a supervisor (who sees every case);
* the case list, first page, for a counsellor (who sees the cases assigned to them and those of
  contacts they handled: cases_visible_to);
* a case page with 200 timeline entries (notes, goals, follow-ups, breaks, thirty contacts), opened
  by the counsellor it is assigned to.

Target (issue 15): each p95 under 100 ms on SQLite and on PostgreSQL.

    .venv/bin/python bench/cases.py [--cases 200000] [--contacts N] [--engine sqlite|postgres|both]
    make bench-cases                       (small: make bench-cases BENCH_ARGS="--cases 2000")

"Bare SQL": the SELECT statements the page ran (captured from one request of the same kind), run
again with the same parameters through a plain cursor, every row fetched; the ratio is the page's
time over theirs, so the rest (Python, templates, the session, the audit row written) shows.

Each engine runs in a process of its own (this script again, with the engine's environment) on a
database of its own, kept between runs and filled again only when missing or with --rebuild:
SQLite under /tmp/helpline-bench-cases/, PostgreSQL in helpline_bench_cases (at 127.0.0.1:5432;
another size: helpline_bench_cases_<cases>). Results are printed and written to
bench/results/cases-<engine>.txt with the load average before and after: on a busy machine the
figures are worth little.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib import PG_SERVER, load_average, machine_line, percentile, prepare_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CACHE = Path(tempfile.gettempdir()) / "helpline-bench-cases"
FULL_CASES = 200_000
TARGET_MS = 100.0
SEED = 1515
TIMELINE = 200  # entries on each of the heavy cases the case page is measured on
HEAVY_CASES = 20
HEAVY_CONTACTS = 30  # contacts linked to each heavy case
EXIT_MISSED = 3
AUTO_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField"}

NICKNAMES = ["Dara", "Srey", "Bopha", "Vanna", "Sokha", "Chenda", "Rithy", "Kosal", "Mony", "Nita"]
NOTE_TEXT = (
    "Spoke with the child after school. She says things at home are calmer this week; her aunt "
    "has been staying. Agreed to call again on Friday after 5 pm. No new marks seen by the teacher."
)


def pg_database(cases: int) -> str:
    return "helpline_bench_cases" if cases == FULL_CASES else f"helpline_bench_cases_{cases}"


def built_marker(engine: str, cases: int, contacts: int) -> Path:
    return CACHE / f"{engine}-{cases}-{contacts}.built"


def contacts_marker(engine: str, cases: int, contacts: int) -> Path:
    """Written once the contacts are in: a failed case fill starts again from there."""
    return CACHE / f"{engine}-{cases}-{contacts}.contacts"


# --- The parent: one worker process per engine ----------------------------------------------------


def reproduce_command(args: argparse.Namespace, engine: str) -> str:
    parts = [".venv/bin/python", "bench/cases.py", "--cases", str(args.cases), "--engine", engine]
    if args.contacts != args.cases * 10:
        parts += ["--contacts", str(args.contacts)]
    return shlex.join(parts)


def run_parent(args: argparse.Namespace) -> int:
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    failed = missed = False
    CACHE.mkdir(parents=True, exist_ok=True)
    for engine in engines:
        marker = built_marker(engine, args.cases, args.contacts)
        rebuild = args.rebuild or not marker.exists()
        cases_only = (
            rebuild and not args.rebuild and contacts_marker(engine, args.cases, args.contacts).exists()
        )
        env = dict(os.environ)
        env.update(
            HELPLINE_DEBUG="1",
            DJANGO_SETTINGS_MODULE="config.settings",
            HELPLINE_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        if engine == "sqlite":
            data_dir = CACHE / f"sqlite-{args.cases}-{args.contacts}"
            env.pop("DATABASE_URL", None)
            env["HELPLINE_DATA_DIR"] = str(data_dir)
            if rebuild and not cases_only:
                marker.unlink(missing_ok=True)
                for name in ("helpline.sqlite3", "helpline.sqlite3-wal", "helpline.sqlite3-shm"):
                    (data_dir / name).unlink(missing_ok=True)
            data_dir.mkdir(parents=True, exist_ok=True)
        else:
            database = pg_database(args.cases)
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
            env["HELPLINE_DATA_DIR"] = str(CACHE / "postgres")
            if rebuild and not cases_only:
                marker.unlink(missing_ok=True)
                error = prepare_postgres(database)
                if error:
                    print(f"postgres: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
                    failed = True
                    continue
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", *sys.argv[1:]]
        command += ["--engine", engine, "--reproduce", reproduce_command(args, engine)]
        if not rebuild:
            command.append("--reuse")
        elif cases_only:
            command.append("--cases-only")
        code = subprocess.run(command, env=env, cwd=ROOT, check=False).returncode
        if code == EXIT_MISSED:
            missed = True
        elif code:
            print(f"{engine}: the benchmark failed (exit status {code})", flush=True)
            failed = True
    if failed:
        return 1
    return EXIT_MISSED if missed and args.strict else 0


# --- The worker: fill -----------------------------------------------------------------------------


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value)


def _new_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


class Rows:
    """Rows of one table as dicts, written by column order in chunks (COPY or executemany)."""

    CHUNK = 50_000

    def __init__(self, writer: Any, model: Any) -> None:
        self.writer = writer
        self.table = model._meta.db_table
        # Columns the database numbers itself (an auto id) are left to it.
        self.columns = [
            f.column for f in model._meta.concrete_fields if f.get_internal_type() not in AUTO_FIELDS
        ]
        self.pending: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, **values: Any) -> None:
        if len(values) != len(self.columns):
            missing = sorted(set(self.columns) ^ set(values))
            raise SystemExit(f"{self.table}: columns changed: {missing}")
        self.pending.append(tuple(values[c] for c in self.columns))

    @staticmethod
    def flush_full(*tables: Rows) -> None:
        """When one of them holds a chunk, write them all, in the order given (parents first: each
        chunk is its own transaction, and foreign keys are checked when it commits)."""
        if any(len(t.pending) >= Rows.CHUNK for t in tables):
            for t in tables:
                t.flush()

    def flush(self) -> None:
        self.writer.insert(self.table, self.columns, self.pending)
        self.written += len(self.pending)
        self.pending = []


@dataclass
class Subjects:
    """What the measurements open: the heavy cases, and whom each is assigned to."""

    heavy: list[tuple[str, str]] = field(default_factory=list)  # (case id, assignee id)


def vet_staff() -> None:
    """Every bench staff member through the safeguarding gate and with a TOTP device, as a
    signed-in counsellor is (cases_visible_to shows nothing to someone failing the gate)."""
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from helpline.accounts.models import PoliceCheck, PolicySignature, PolicyVersion, Staff

    today = timezone.localdate()
    policy = PolicyVersion.objects.filter(effective_date__lte=today).order_by("-effective_date").first()
    if policy is None:
        policy = PolicyVersion.objects.create(
            version="bench-1",
            title="Child Protection Policy",
            text="Keep children safe.",
            effective_date=today - dt.timedelta(days=30),
        )
    admin = Staff.objects.filter(role="administrator").first()
    for staff in Staff.objects.all():
        PoliceCheck.objects.create(
            staff=staff,
            issued_on=today - dt.timedelta(days=100),
            expires_on=today + dt.timedelta(days=3650),
            verified_by=admin or staff,
        )
        PolicySignature.objects.get_or_create(staff=staff, policy=policy)
        TOTPDevice.objects.create(user=staff, name="bench", key=secrets.token_hex(20), confirmed=True)


def fill_cases(n_cases: int, seed: int) -> dict[str, float]:
    """Cases over the contacts already there: each gathers a run of one caller's contacts, opened
    by whoever took the first; HEAVY_CASES of them carry TIMELINE timeline entries."""
    import contacts as contacts_bench  # bench/contacts.py: its bulk writer
    from django.db import connection

    from helpline.accounts.models import Staff
    from helpline.cases.models import (
        Case,
        CaseContact,
        CaseEvent,
        CaseHandler,
        CaseNote,
        CaseNumber,
        CasePerson,
        ConfidentialityBreak,
        FollowUp,
        NoteRevision,
        PlanGoal,
    )
    from helpline.contacts.models import Contact, Term

    seconds: dict[str, float] = {}
    rng = random.Random(seed + 1)
    writer = contacts_bench.Writer()
    ts = writer.timestamp
    step = time.perf_counter()
    vet_staff()
    writer.begin_fill()

    # Every addressed contact, grouped by caller, in arrival order.
    by_caller: dict[str, list[tuple[str, str | None, dt.datetime]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT caller_id, id, counsellor_id, arrived_at FROM {Contact._meta.db_table} "  # noqa: S608
            "WHERE caller_id IS NOT NULL ORDER BY caller_id, arrived_at"
        )
        while rows := cursor.fetchmany(100_000):
            for caller_id, contact_id, counsellor_id, arrived in rows:
                if isinstance(arrived, str):
                    arrived = dt.datetime.fromisoformat(arrived)
                arrived = arrived.replace(tzinfo=None)
                by_caller.setdefault(_hex(caller_id), []).append(
                    (_hex(contact_id), _hex(counsellor_id) if counsellor_id else None, arrived)
                )
    seconds["read contacts"] = time.perf_counter() - step
    step = time.perf_counter()

    workers = list(Staff.objects.filter(role__in=["counsellor", "volunteer"]).values_list("pk", flat=True))
    workers = [w.hex for w in workers]
    genders = list(Term.objects.filter(vocabulary="gender").values_list("pk", flat=True))
    provinces = list(Term.objects.filter(vocabulary="province").values_list("pk", flat=True))
    callers = sorted(by_caller)
    busiest = sorted(callers, key=lambda c: len(by_caller[c]), reverse=True)[: HEAVY_CASES * 3]
    heavy_callers = set(rng.sample(busiest, min(HEAVY_CASES, len(busiest))))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    # (opened_at, caller, first index, length): a run of the caller's contacts per case.
    plans: list[tuple[dt.datetime, str, int, int, bool]] = []
    for caller in heavy_callers:
        runs = by_caller[caller]
        length = min(HEAVY_CONTACTS, len(runs))
        plans.append((runs[-length][2], caller, len(runs) - length, length, True))
    while len(plans) < n_cases:
        caller = callers[rng.randrange(len(callers))]
        runs = by_caller[caller]
        length = min(len(runs), 1 + int(rng.expovariate(0.8)))
        start = rng.randrange(len(runs) - length + 1)
        plans.append((runs[start][2], caller, start, length, False))
    plans.sort(key=lambda p: p[0])

    cases = Rows(writer, Case)
    links = Rows(writer, CaseContact)
    events = Rows(writer, CaseEvent)
    handlers = Rows(writer, CaseHandler)
    per_year: dict[int, int] = {}
    subjects: list[tuple[str, str, dt.datetime, list[str]]] = []  # heavy: (case, assignee, opened, contacts)

    def event(
        case_id: str, kind: str, at: dt.datetime, actor: str | None, summary: str = "", **detail: str
    ) -> None:
        events.add(
            id=_new_id(rng),
            case_id=case_id,
            kind=kind,
            at=ts(at),
            actor_id=actor,
            actor_label="bench" if actor else "scheduler",
            summary=summary,
            detail=json.dumps(detail),
        )

    for first_arrived, caller, start, length, heavy in plans:
        run = by_caller[caller][start : start + length]
        case_id = _new_id(rng)
        opener = run[0][1] or rng.choice(workers)
        opened = first_arrived + dt.timedelta(minutes=rng.randrange(5, 60))
        last_touch = max(opened, run[-1][2])
        roll = rng.random()
        assignee = opener if heavy or roll < 0.85 else (rng.choice(workers) if roll < 0.95 else None)
        if heavy:
            assignee = opener if opener in workers else rng.choice(workers)
        age_days = (now - opened).days
        status = rng.choices(
            ["closed", "open", "active", "reopened", "pending_closure"],
            weights=[80, 3, 14, 1, 2] if age_days > 365 else [25, 20, 45, 4, 6],
        )[0]
        if heavy:
            status = "active"
        closed_at = min(now, last_touch + dt.timedelta(days=rng.randrange(1, 90)))
        year = opened.year
        per_year[year] = per_year.get(year, 0) + 1
        cases.add(
            id=case_id,
            created_at=ts(opened),
            updated_at=ts(last_touch),
            number=f"C-{year}-{per_year[year]:05d}",
            status=status,
            risk=rng.choices(["low", "medium", "high", "critical"], weights=[50, 30, 15, 5])[0],
            nickname=rng.choice(NICKNAMES),
            age=rng.randrange(6, 18),
            gender_id=rng.choice(genders) if genders else None,
            province_id=rng.choice(provinces) if provinces else None,
            assignee_id=assignee,
            opened_by_id=opener,
            opened_at=ts(opened),
            last_touch_at=ts(last_touch),
            closed_at=ts(closed_at) if status == "closed" else None,
            closure_reason="Goals met; the child is safe at school." if status == "closed" else "",
            closure_requested_by_id=assignee if status in {"closed", "pending_closure"} else None,
            legal_hold_at=None,
            legal_hold_reason="",
            legal_hold_by_id=None,
            erased_at=None,
        )
        event(case_id, "opened", opened, opener)
        seen: set[str] = set()
        for contact_id, counsellor_id, arrived in run:
            at = max(opened, arrived + dt.timedelta(minutes=20))
            links.add(
                id=_new_id(rng), case_id=case_id, contact_id=contact_id, linked_by_id=opener, linked_at=ts(at)
            )
            event(case_id, "contact_linked", at, opener, contact=contact_id[:8])
            if counsellor_id and counsellor_id not in seen:
                seen.add(counsellor_id)
                handlers.add(case_id=case_id, staff_id=counsellor_id)
        if assignee != opener and assignee is not None:
            event(case_id, "assigned", opened + dt.timedelta(hours=2), opener, "Moved to the afternoon team")
        if status == "closed":
            event(case_id, "closure_requested", closed_at - dt.timedelta(hours=3), assignee, "Goals met")
            event(case_id, "closure_approved", closed_at, None)
        if heavy:
            subjects.append((case_id, assignee, opened, [c[0] for c in run]))
        Rows.flush_full(cases, links, events, handlers)
    for rows in (cases, links, events, handlers):
        rows.flush()
    writer.insert(CaseNumber._meta.db_table, ["year", "last"], sorted(per_year.items()))
    seconds["cases, links, timeline"] = time.perf_counter() - step
    step = time.perf_counter()

    # The heavy cases: what a case worked on for months holds, each change on its timeline.
    supervisors = [s.hex for s in Staff.objects.filter(role="supervisor").values_list("pk", flat=True)]
    notes = Rows(writer, CaseNote)
    revisions = Rows(writer, NoteRevision)
    goals = Rows(writer, PlanGoal)
    follow_ups = Rows(writer, FollowUp)
    breaks = Rows(writer, ConfidentialityBreak)
    people = Rows(writer, CasePerson)
    for case_id, assignee, opened, contact_ids in subjects:
        entries = 1 + len(contact_ids)  # opened, contacts linked
        clock = opened

        def tick() -> dt.datetime:
            nonlocal clock
            clock = min(now - dt.timedelta(minutes=5), clock + dt.timedelta(hours=rng.randrange(2, 30)))
            return clock

        for g in range(8):
            at = tick()
            due = (at + dt.timedelta(days=30)).date()
            goals.add(
                id=_new_id(rng),
                created_at=ts(at),
                updated_at=ts(at),
                case_id=case_id,
                text=f"Goal {g + 1}: the child feels safe to speak to her teacher",
                status="in_progress",
                due_on=due,
                created_by_id=assignee,
            )
            event(case_id, "goal_added", at, assignee, f"Goal {g + 1}")
            event(case_id, "goal_changed", tick(), assignee, "In progress")
            entries += 2
        for f in range(15):
            at = tick()
            done = f < 12
            follow_ups.add(
                id=_new_id(rng),
                created_at=ts(at),
                updated_at=ts(at),
                case_id=case_id,
                kind="call_back",
                due_at=ts(at + dt.timedelta(days=2) if done else now + dt.timedelta(days=f)),
                owner_id=assignee,
                instructions="Call only after 5 pm; if an adult answers, say it is a wrong number.",
                status="done" if done else "scheduled",
                outcome="Spoke with her; she is safe." if done else "",
                done_at=ts(at + dt.timedelta(days=2)) if done else None,
                done_by_id=assignee if done else None,
                reminded_at=None,
                created_by_id=assignee,
            )
            event(case_id, "follow_up_scheduled", at, assignee, "Call back")
            entries += 1
            if done:
                event(case_id, "follow_up_done", tick(), assignee, "Spoke with her; she is safe.")
                entries += 1
        for b in range(2):
            at = tick()
            approved = b == 0
            breaks.add(
                id=_new_id(rng),
                created_at=ts(at),
                updated_at=ts(at),
                case_id=case_id,
                reason="risk_to_life",
                disclosed="The child's account of the injury",
                recipient_kind="authority",
                recipient="Commune child protection officer",
                disclosed_at=ts(at),
                client_told_first=True,
                not_told_why="",
                decided_by_id=assignee,
                recorded_by_id=assignee,
                sign_off="approved" if approved else "pending",
                signed_off_by_id=supervisors[0] if approved and supervisors else None,
                signed_off_at=ts(tick()) if approved else None,
                sign_off_comment="",
                corrects_id=None,
            )
            event(case_id, "break_recorded", at, assignee, "Risk to life")
            entries += 1
            if approved:
                event(case_id, "break_signed_off", clock, supervisors[0] if supervisors else None, "Approved")
                entries += 1
        for p in range(3):
            at = tick()
            people.add(
                id=_new_id(rng),
                created_at=ts(at),
                updated_at=ts(at),
                case_id=case_id,
                role="household" if p else "alleged_perpetrator",
                name=["Uncle", "Aunt", "Grandmother"][p],
                relationship="relative",
                age=30 + p * 10,
                notes="",
                added_by_id=assignee,
            )
            event(case_id, "person_added", at, assignee)
            entries += 1
        n = 0
        while entries < TIMELINE:  # notes fill the rest; a few edited (two revisions)
            at = tick()
            note_id = _new_id(rng)
            edited = n % 8 == 0 and entries + 2 <= TIMELINE
            notes.add(
                id=note_id,
                case_id=case_id,
                author_id=assignee,
                written_at=ts(at),
                revision=2 if edited else 1,
                text=NOTE_TEXT,
            )
            revisions.add(
                id=_new_id(rng),
                note_id=note_id,
                revision=1,
                text=NOTE_TEXT,
                written_by_id=assignee,
                written_at=ts(at),
            )
            event(case_id, "note_added", at, assignee)
            entries += 1
            if edited:
                revisions.add(
                    id=_new_id(rng),
                    note_id=note_id,
                    revision=2,
                    text=NOTE_TEXT,
                    written_by_id=assignee,
                    written_at=ts(at),
                )
                event(case_id, "note_edited", tick(), assignee)
                entries += 1
            n += 1
    for rows in (notes, revisions, goals, follow_ups, breaks, people, events):
        rows.flush()
    seconds["heavy cases"] = time.perf_counter() - step
    step = time.perf_counter()
    writer.end_fill()
    seconds["analyze"] = time.perf_counter() - step
    return seconds


def clear_cases() -> None:
    """Empty the case tables (children first), keeping the contacts and the staff."""
    from django.db import connection, transaction

    from helpline.cases import models

    tables = [
        models.CaseHandler,
        models.CaseEvent,
        models.NoteRevision,
        models.CaseNote,
        models.PlanGoal,
        models.FollowUp,
        models.ConfidentialityBreak,
        models.CasePerson,
        models.CaseContact,
        models.CaseNumber,
        models.Case,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608


# --- The worker: measure --------------------------------------------------------------------------


class Recorder:
    """The SELECT statements a request runs, with their parameters (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not many and sql.lstrip().upper().startswith("SELECT"):
            self.statements.append((sql, params))
        return execute(sql, params, many, context)


def bare_sql_ms(statements: Sequence[tuple[str, Any]]) -> float:
    """The statements run again through a plain cursor, every row fetched."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
    return (time.perf_counter() - start) * 1000


@dataclass
class Measured:
    label: str
    page_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")

    def p(self, values: list[float], q: float) -> float:
        return percentile(sorted(values), q)

    def lines(self) -> list[str]:
        p50, p95, p99 = (self.p(self.page_ms, q) for q in (50, 95, 99))
        b50, b95 = (self.p(self.bare_ms, q) for q in (50, 95))
        verdict = "OK" if p95 < TARGET_MS else "MISSED"
        return [
            f"{self.label}",
            f"  page      n={len(self.page_ms):<4} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   p99 {p99:7.2f} ms"
            f"   max {self.slowest[0]:7.2f} ms   ({statistics.median(self.sizes) / 1024:.0f} KiB of HTML)",
            f"  bare SQL  n={len(self.bare_ms):<4} p50 {b50:7.2f} ms   p95 {b95:7.2f} ms"
            f"   ({statistics.median(self.queries):.0f} SELECTs a page)",
            f"  ratio page / bare SQL: p50 {p50 / b50 if b50 else float('nan'):.1f}x   "
            f"p95 {p95 / b95 if b95 else float('nan'):.1f}x",
            f"  TARGET p95 < {TARGET_MS:.0f} ms: {verdict} (p95 {p95:.2f} ms)",
        ]

    @property
    def missed(self) -> bool:
        return self.p(self.page_ms, 95) >= TARGET_MS


def signed_in(staff: Any) -> Any:
    """A client signed in with password and TOTP, as after the real sign-in."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    if device is None:
        raise SystemExit(f"{staff.username} has no TOTP device: rebuild (--rebuild)")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure_pages(
    label: str, visits: Sequence[tuple[Any, str]], iterations: int, warmup: int, rng: random.Random
) -> Measured:
    """GET each (client, url) in turn: warm-up first, then `iterations` timed, each followed by the
    bare SQL of its own SELECTs (captured from that same request)."""
    from django.db import connection

    result = Measured(label)
    for client, url in list(visits)[:warmup]:
        client.get(url)
    order = [visits[i % len(visits)] for i in range(iterations)]
    rng.shuffle(order)
    for client, url in order:
        recorder = Recorder()
        with connection.execute_wrapper(recorder):
            start = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{label}: {url} answered {response.status_code}")
        result.page_ms.append(ms)
        result.sizes.append(len(response.content))
        result.queries.append(len(recorder.statements))
        result.bare_ms.append(bare_sql_ms(recorder.statements))
        if ms > result.slowest[0]:
            result.slowest = (ms, url)
    return result


def explain(statements: Sequence[tuple[str, Any]]) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    lines: list[str] = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            if "cases_case" not in sql and "cases_caseevent" not in sql:
                continue
            cursor.execute(prefix + sql, params)
            lines.append("    -- " + sql[:160] + (" …" if len(sql) > 160 else ""))
            lines += ["    " + " ".join(str(c) for c in row) for row in cursor.fetchall()]
    return lines


def measure(args: argparse.Namespace) -> tuple[list[str], bool]:
    from django.db import connection
    from django.db.models import Count

    from helpline.accounts.models import Staff
    from helpline.cases.models import Case

    rng = random.Random(args.seed + 7)
    supervisors = list(Staff.objects.filter(role="supervisor").order_by("username"))
    workers = list(Staff.objects.filter(role__in=["counsellor", "volunteer"]).order_by("username"))
    heavy = list(
        Case.objects.annotate(n=Count("events"))
        .filter(n__gte=TIMELINE)
        .select_related("assignee")[:HEAVY_CASES]
    )
    if not supervisors or not workers or not heavy:
        raise SystemExit("the bench database is incomplete: run again with --rebuild")
    clients = {s.pk: signed_in(s) for s in [*supervisors, *workers]}
    results = [
        measure_pages(
            "case list, first page, supervisor (GET /cases/)",
            [(clients[s.pk], "/cases/") for s in supervisors],
            args.iterations,
            args.warmup,
            rng,
        ),
        measure_pages(
            f"case list, first page, counsellor (GET /cases/, {len(workers)} counsellors and volunteers)",
            [(clients[w.pk], "/cases/") for w in workers],
            args.iterations,
            args.warmup,
            rng,
        ),
        measure_pages(
            f"case page with {TIMELINE} timeline entries, its counsellor "
            f"(GET /cases/<id>/, {len(heavy)} cases)",
            [(clients[c.assignee_id], f"/cases/{c.pk}/") for c in heavy],
            args.iterations,
            args.warmup,
            rng,
        ),
    ]
    lines: list[str] = []
    missed = False
    for r in results:
        lines += r.lines()
        missed |= r.missed
        if r.missed or args.explain:
            recorder = Recorder()
            with connection.execute_wrapper(recorder):
                who = clients[workers[0].pk] if "counsellor" in r.label else clients[supervisors[0].pk]
                if r.label.startswith("case page"):
                    who = clients[heavy[0].assignee_id]
                who.get(r.slowest[1])
            lines.append(f"  query plans ({r.slowest[1]}):")
            lines += explain(recorder.statements)
        lines.append("")
    return lines, missed


def run_worker(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import contacts as contacts_bench  # bench/contacts.py: its fill and writer
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from helpline.cases.models import Case, CaseContact, CaseEvent
    from helpline.contacts.models import Contact

    # HELPLINE_DEBUG=1 only supplies development keys; measure as production runs (no query log).
    settings.DEBUG = False
    engine = "sqlite" if connection.vendor == "sqlite" else "postgres"
    load_before = load_average()
    print(f"== {engine}: migrate", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    fill_note = "reused from an earlier run"
    if not args.reuse:
        seconds: dict[str, float] = {}
        if args.cases_only:  # the contacts are in: what a failed case fill left goes
            clear_cases()
        else:
            print(f"== {engine}: fill {args.contacts:,} contacts", flush=True)
            report = contacts_bench.fill(args.contacts, max(1, round(args.contacts * 0.15)), args.seed)
            seconds.update(report.seconds)
            contacts_marker(engine, args.cases, args.contacts).write_text("contacts in\n")
        print(f"== {engine}: fill {args.cases:,} cases", flush=True)
        seconds.update(fill_cases(args.cases, args.seed))
        fill_note = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
        built_marker(engine, args.cases, args.contacts).write_text(fill_note + "\n")
    elif Case.objects.count() < args.cases:
        raise SystemExit("the bench database holds fewer cases than asked: run again with --rebuild")
    if connection.vendor == "sqlite":
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
        where = settings.DATABASES["default"]["NAME"]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
            cursor.execute("SHOW jit")
            version += f", jit {cursor.fetchone()[0]}"
        where = f"postgres://postgres@127.0.0.1:5432/{pg_database(args.cases)}"
    size = contacts_bench.Writer().size()
    counts = (
        f"{Case.objects.count():,} cases, {Contact.objects.count():,} contacts, "
        f"{CaseContact.objects.count():,} links, {CaseEvent.objects.count():,} timeline entries; "
        f"database {size}"
    )
    print(f"== {engine}: measure", flush=True)
    lines, missed = measure(args)
    head = [
        f"Helpline cases benchmark: {engine} ({version}, {where})",
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        f"load average (1, 5, 15 min): {load_before} before, {load_average()} after",
        f"command: {args.reproduce or reproduce_command(args, engine)}   (or: make bench-cases)",
        f"rows: {counts}",
        f"fill: {fill_note}",
        "timing: wall clock around Django's test client GET (middleware, session, selector, template, "
        f"audit row), DEBUG off; warm-up {args.warmup}; bare SQL = the page's SELECTs run again",
        "",
    ]
    text = "\n".join([*head, *lines])
    print(text, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.cases == FULL_CASES else f"-{args.cases}"
    (RESULTS / f"cases-{engine}{suffix}.txt").write_text(text)
    return EXIT_MISSED if missed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=FULL_CASES, help="cases to create (default 200,000)")
    parser.add_argument("--contacts", type=int, default=0, help="contacts to create (default 10 per case)")
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--iterations", type=int, default=200, help="timed pages per measurement")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rebuild", action="store_true", help="fill the bench database again")
    parser.add_argument("--explain", action="store_true", help="print query plans even when targets are met")
    parser.add_argument("--strict", action="store_true", help=f"exit {EXIT_MISSED} when a target is missed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cases-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reproduce", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.contacts = args.contacts or args.cases * 10
    if args.worker:
        return run_worker(args)
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
