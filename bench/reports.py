#!/usr/bin/env python
"""Statistics at national scale: fill a database with contacts spread over years, build the daily
rollups from them, then time what the dashboard and the reports read, through the real selectors:

* the one-year summary (selectors.dashboard: the year's figures and the year before);
* the monthly report data (a month's figures with the month before, and the year's contacts by
  month and reason category);
* the dashboard page (/statistics/ as a signed-in data officer opens it, rendered in full);

and beside them, the bare SQL aggregate over the same rollup rows (the all-channel rows that
Period.cover() names: what the summary cannot beat) and a raw scan of the contacts
table for the same year (what the rollups save).

Targets (issue 17): summary and monthly data p95 under 100 ms, the dashboard under 300 ms; ours at
most 2x the bare aggregate.

Data: contacts written in bulk (COPY on PostgreSQL, executemany on SQLite), then the rollups and
their ledger by the set-based rebuild (timed: it is the deploy-time `reports_rebuild`). The
database is kept between runs and reused when it holds the same rows (--fresh to start again).

    .venv/bin/python bench/reports.py [--rows N] [--years 10] [--engine sqlite|postgres|both]
    make bench-reports BENCH_ARGS="--rows 20000"

Defaults: 1,000,000 contacts on SQLite, 5,000,000 on PostgreSQL, over 10 years. Each engine runs
in its own process on its own database: SQLite under var/bench/reports-sqlite/, PostgreSQL in
helpline_bench_reports at 127.0.0.1:5432 (dropped and created again). Results are printed and
written to bench/results/reports-<engine>.txt with the load average (os.getloadavg()) before and
after: a loaded machine inflates every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchlib import PG_SERVER, machine_line, percentile, prepare_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SQLITE_DIR = ROOT / "var" / "bench" / "reports-sqlite"
PG_DATABASE = "helpline_bench_reports"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
DEFAULT_ROWS = {"sqlite": 1_000_000, "postgres": 5_000_000}
TARGET_MS = 100.0
DASHBOARD_TARGET_MS = 300.0
SEED = 1280
CHUNK = 20_000
CHUNK_POSTGRES = 500_000
# Shares by kind; a kind added later draws the smallest share rather than breaking the fill.
KIND_SHARES = {"counselling": 40, "information": 25, "referral": 10, "silent": 8, "blank": 2, "hang_up": 6}
KIND_SHARES |= {"testing": 3, "prank": 3, "wrong_number": 2, "abusive": 1, "complaint": 1, "feedback": 1}


def run_parent(args: argparse.Namespace) -> int:
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    failed = False
    for engine in engines:
        env = dict(os.environ, HELPLINE_DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
        env.update(HELPLINE_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        if engine == "sqlite":
            env.pop("DATABASE_URL", None)
            env["HELPLINE_DATA_DIR"] = str(SQLITE_DIR)
            if args.fresh:
                shutil.rmtree(SQLITE_DIR, ignore_errors=True)
            SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        else:
            env["DATABASE_URL"] = PG_URL
            env["HELPLINE_DATA_DIR"] = str(ROOT / "var" / "bench" / "reports-postgres")
            error = prepare_postgres(PG_DATABASE) if args.fresh else _postgres_exists()
            if error:
                print(f"postgres: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
                failed = True
                continue
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            *sys.argv[1:],
            "--engine",
            engine,
        ]
        if subprocess.run(command, env=env, cwd=ROOT, check=False).returncode:
            print(f"{engine}: the benchmark failed", flush=True)
            failed = True
    return 1 if failed else 0


def _postgres_exists() -> str | None:
    """Create the bench database unless it is there (kept between runs)."""
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]).fetchone():
                conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]
    return None


class _Rows:
    """Rows of one table in bulk (COPY on PostgreSQL, one executemany on SQLite) without an ORM
    object per row: every column starts from a template instance's prepared value and only the
    columns a row sets are prepared again, which keeps a five-million-row fill to minutes."""

    def __init__(self, model: Any, **template: Any) -> None:
        from django.db import connection

        self.connection = connection
        self.fields = list(model._meta.concrete_fields)
        self.table = model._meta.db_table
        instance = model(**template)
        self.base = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}

    def row(self, **values: Any) -> list[Any]:
        row = self.base.copy()
        for name, value in values.items():
            at = self.index[name]
            row[at] = self.fields[at].get_db_prep_save(value, self.connection)
        return row

    def write(self, rows: list[list[Any]]) -> None:
        columns = [f.column for f in self.fields]
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.cursor.copy(f'COPY "{self.table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f'INSERT INTO "{self.table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608
                cursor.executemany(sql, rows)


def _term_pick(draw: str) -> str:
    """A coded contact's term, one in ten left blank, as fill()'s _pick draws it."""
    return f"CASE WHEN coded AND {draw} < 0.9 THEN (%s::bigint[])[1 + floor({draw} / 0.9 * %s)::int] END"


def fill_postgres(rows: int, years: int, seed: int) -> float:
    """The same contacts as fill() draws, generated inside PostgreSQL (generate_series and
    random(), seeded), so five million rows are not pushed through Python one by one. The shares
    of kinds, channels, waits, ages and urgencies are fill()'s; the random stream is PostgreSQL's."""
    from django.db import connection, transaction
    from django.utils import timezone

    from helpline.contacts.models import Contact, Kind, Term

    terms: dict[str, list[int]] = {}
    for vocabulary, pk, parent in Term.objects.values_list("vocabulary", "pk", "parent_id"):
        if vocabulary != "reason" or parent is not None:
            terms.setdefault(vocabulary, []).append(pk)
    kinds = [k.value for k in Kind]
    weights = [KIND_SHARES.get(kind, 1) for kind in kinds]
    bounds, total = [], 0
    for kind, weight in zip(kinds, weights, strict=True):
        total += weight
        bounds.append((kind, total))
    kind_case = "CASE " + " ".join(f"WHEN r_kind * {total} < {b} THEN '{k}'" for k, b in bounds) + " END"
    end = timezone.now().replace(microsecond=0)
    span = int(dt.timedelta(days=365 * years).total_seconds())
    template = _Rows(Contact, channel="voice", status="closed", kind="counselling", arrived_at=end)
    varied = {
        "id": "md5(%s || '-' || g)::uuid",
        "channel": "(%s::text[])[1 + floor(r_channel * 12)::int]",
        "created_at": "arrived",
        "updated_at": "arrived",
        "kind": "kind",
        "arrived_at": "arrived",
        "answered_at": "arrived + make_interval(secs => wait)",
        "ended_at": "arrived + make_interval(secs => wait + 300)",
        "wait_seconds": "wait",
        "talk_seconds": "300",
        "gender_id": _term_pick("r_gender"),
        "province_id": _term_pick("r_province"),
        "region_id": _term_pick("r_region"),
        "caller_type_id": _term_pick("r_caller"),
        "age": "CASE WHEN coded THEN 4 + floor(r_age * 22)::int END",
        "urgency": "CASE WHEN coded THEN (ARRAY['', 'urgent', 'critical', 'non_critical'])"
        "[1 + floor(r_urgency * 4)::int] ELSE '' END",
    }  # fmt: skip
    channels = ["voice"] * 6 + ["sms", "webchat", "webchat", "walk_in", "email", "social"]
    columns, select, params = [], [], []
    for index, f in enumerate(template.fields):
        columns.append(f'"{f.column}"')
        expression = varied.get(f.attname)
        if expression is None:
            select.append("%s")
            params.append(template.base[index])
            continue
        select.append(expression)
        if f.attname == "id":
            params.append(str(seed))
        elif f.attname == "channel":
            params.append(channels)
        elif f.attname.endswith("_id"):
            vocabulary = f.attname.removesuffix("_id")
            params += [terms[vocabulary], len(terms[vocabulary])]
    drawn = (
        "SELECT g, arrived, wait, kind, kind IN ('counselling', 'information', 'referral') AS coded, "  # noqa: S608
        "r_channel, r_gender, r_province, r_region, r_caller, r_age, r_urgency FROM ("
        "  SELECT g, %s::timestamptz - make_interval(secs => floor(random() * %s)) AS arrived,"
        "    (ARRAY[0, 3, 8, 15, 25, 45, 90, 200])[1 + floor(random() * 8)::int] AS wait,"
        f"    {kind_case} AS kind, r_channel, r_gender, r_province, r_region, r_caller, r_age, r_urgency"
        "  FROM (SELECT g, random() AS r_kind, random() AS r_channel, random() AS r_gender,"
        "    random() AS r_province, random() AS r_region, random() AS r_caller, random() AS r_age,"
        "    random() AS r_urgency FROM generate_series(%s, %s) AS g) AS r) AS d"
    )
    contact_sql = (
        f'INSERT INTO "{Contact._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608  (names from the model)
        f"SELECT {', '.join(select)} FROM ({drawn}) AS c"
    )
    reasons = Contact.reasons.through._meta.db_table
    reason_ids = terms["reason"]
    reason_sql = (
        f'INSERT INTO "{reasons}" (contact_id, term_id) '  # noqa: S608  (names from the model)
        "SELECT id, (%s::bigint[])[1 + floor(random() * %s)::int] FROM contacts_contact "
        "WHERE kind = 'counselling'"
    )
    second_sql = (
        f'INSERT INTO "{reasons}" (contact_id, term_id) '  # noqa: S608  (names from the model)
        "SELECT r.contact_id, (%s::bigint[])[1 + (array_position(%s::bigint[], r.term_id) %% %s)] "
        f'FROM "{reasons}" r '
        "WHERE random() < 0.33"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        for first in range(1, rows + 1, CHUNK_POSTGRES):
            last = min(first + CHUNK_POSTGRES - 1, rows)
            with transaction.atomic():
                cursor.execute(contact_sql, [*params, end, span, first, last])
            print(f"   {last:,} contacts", flush=True)
        with transaction.atomic():
            cursor.execute(reason_sql, [reason_ids, len(reason_ids)])
            cursor.execute(second_sql, [reason_ids, reason_ids, len(reason_ids)])
    return time.perf_counter() - started


def fill(rows: int, years: int, seed: int) -> float:
    """Closed contacts with coding drawn from the code lists, written in bulk (the services would
    audit each one); returns seconds taken."""
    from django.db import transaction
    from django.utils import timezone

    from helpline.contacts.models import Contact, Kind, Term

    rng = random.Random(seed)
    terms: dict[str, list[int]] = {}
    for vocabulary, pk, parent in Term.objects.values_list("vocabulary", "pk", "parent_id"):
        if vocabulary != "reason" or parent is not None:
            terms.setdefault(vocabulary, []).append(pk)
    kinds = [k.value for k in Kind]
    weights = [KIND_SHARES.get(kind, 1) for kind in kinds]
    channels = ["voice"] * 6 + ["sms", "webchat", "webchat", "walk_in", "email", "social"]
    end = timezone.now().replace(microsecond=0)
    span = int(dt.timedelta(days=365 * years).total_seconds())
    started = time.perf_counter()
    through = Contact.reasons.through
    contacts = _Rows(Contact, channel="voice", status="closed", kind="counselling", arrived_at=end)
    reasons = _Rows(through)
    for first in range(0, rows, CHUNK):
        batch: list[Any] = []
        links: list[Any] = []
        for _ in range(min(CHUNK, rows - first)):
            kind = rng.choices(kinds, weights)[0]
            arrived = end - dt.timedelta(seconds=rng.randrange(span))
            wait = rng.choice([0, 3, 8, 15, 25, 45, 90, 200])
            coded = kind in {"counselling", "information", "referral"}
            pick = functools.partial(_pick, rng, terms, coded)
            pk = uuid.UUID(int=rng.getrandbits(128))
            batch.append(contacts.row(
                id=pk, channel=rng.choice(channels), created_at=arrived, updated_at=arrived,
                kind=kind, arrived_at=arrived, answered_at=arrived + dt.timedelta(seconds=wait),
                ended_at=arrived + dt.timedelta(seconds=wait + 300), wait_seconds=wait, talk_seconds=300,
                gender_id=pick("gender"), province_id=pick("province"), region_id=pick("region"),
                caller_type_id=pick("caller_type"), age=rng.randrange(4, 26) if coded else None,
                urgency=rng.choice(["", "urgent", "critical", "non_critical"]) if coded else "",
            ))  # fmt: skip
            if kind == "counselling":
                for term in rng.sample(terms["reason"], rng.choice([1, 1, 2])):
                    links.append(reasons.row(id=len(links) + first * 3 + 1, contact_id=pk, term_id=term))
        with transaction.atomic():
            contacts.write(batch)
            reasons.write(links)
        if (first // CHUNK) % 25 == 0:
            print(f"   {first + len(batch):,} contacts", flush=True)
    return time.perf_counter() - started


def _pick(rng: random.Random, terms: dict[str, list[int]], coded: bool, vocabulary: str) -> int | None:
    """A term of the vocabulary for a coded contact (one in ten left blank), none otherwise."""
    return rng.choice(terms[vocabulary]) if coded and rng.random() < 0.9 else None


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def line(name: str, times: list[float]) -> str:
    p50, p95, p99 = (percentile(times, p) for p in (50, 95, 99))
    return f"{name:<34} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  p99 {p99:8.2f} ms"


def measure(args: argparse.Namespace) -> list[str]:
    from django.db import connection

    from helpline.accounts.models import Role, Staff
    from helpline.reports import selectors
    from helpline.reports.models import DailyAllRollup, MonthlyAllRollup

    viewer = Staff.objects.filter(role=Role.DATA_OFFICER).first() or Staff.objects.create(
        username="bench-data-officer", role=Role.DATA_OFFICER
    )
    today = dt.date.today()
    year = selectors.Period(today - dt.timedelta(days=364), today)
    month = selectors.Period(
        today.replace(day=1) - dt.timedelta(days=1), today.replace(day=1) - dt.timedelta(days=1)
    )
    month = selectors.Period(month.end.replace(day=1), month.end)
    daily = DailyAllRollup._meta.db_table
    monthly_table = MonthlyAllRollup._meta.db_table
    contact = "contacts_contact"

    def bare_sql(period: selectors.Period) -> tuple[str, list[Any]]:
        """One grouped statement over the same rows the selectors read (figures() over every
        channel: the all-channel levels, Period.cover(): days taken away counted negative)."""
        cover = period.cover()
        parts, params = [], []
        for days, sign in ((cover.add, ""), (cover.less, "-")):
            for part in days:
                parts.append(
                    f"SELECT dimension, value, {sign}contacts AS n, {sign}wait_seconds AS w FROM {daily} "  # noqa: S608
                    "WHERE day >= %s AND day <= %s"
                )
                params += [part.start, part.end]
        if cover.months:
            parts.append(
                f"SELECT dimension, value, contacts AS n, wait_seconds AS w FROM {monthly_table} "  # noqa: S608
                "WHERE month >= %s AND month < %s"
            )
            params += list(cover.months)
        rows = " UNION ALL ".join(parts)
        return f"SELECT dimension, value, SUM(n), SUM(w) FROM ({rows}) AS r GROUP BY dimension, value", params  # noqa: S608

    def bare_aggregate() -> None:
        with connection.cursor() as cursor:
            for period in (year, year.previous()):
                cursor.execute(*bare_sql(period))
                cursor.fetchall()

    def raw_scan() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT channel, kind, gender_id, province_id, urgency, COUNT(*), SUM(wait_seconds) "  # noqa: S608
                f"FROM {contact} WHERE arrived_at >= %s AND arrived_at < %s "
                "GROUP BY channel, kind, gender_id, province_id, urgency",
                [
                    dt.datetime.combine(year.start, dt.time()),
                    dt.datetime.combine(today + dt.timedelta(days=1), dt.time()),
                ],
            )
            cursor.fetchall()

    def summary() -> None:
        selectors.dashboard(viewer, year)

    def monthly() -> None:
        selectors.dashboard(viewer, month)
        selectors.series(viewer, year, dimension="category", grain="month")

    page = _dashboard_client(viewer)

    def dashboard_page() -> None:
        """The dashboard page itself, as a signed-in data officer opens it: its default range,
        every board section and chart rendered (through the middleware, the gate and templates)."""
        response = page.get("/statistics/")
        if response.status_code != 200:
            raise RuntimeError(f"/statistics/ answered {response.status_code} {response.get('Location', '')}")

    repeat = args.repeat
    for call in (summary, monthly, dashboard_page, bare_aggregate, raw_scan):
        call()  # warm-up
    calls = [
        ("one-year summary", summary),
        ("monthly report data", monthly),
        ("dashboard page", dashboard_page),
        ("bare SQL over the rollup", bare_aggregate),
        ("raw scan of contacts (one year)", raw_scan),
    ]
    # Round by round, each call once a round: a load that changes during the run weighs on every
    # figure alike, so their ratios hold (timed in blocks, a busy minute fell on one call alone).
    results: dict[str, list[float]] = {name: [] for name, _call in calls}
    for _ in range(repeat):
        for name, call in calls:
            results[name] += timed(call, 1)
    results = {name: sorted(times) for name, times in results.items()}
    lines = [line(name, times) for name, times in results.items()]
    ours = percentile(results["one-year summary"], 50)
    bare = percentile(results["bare SQL over the rollup"], 50)
    raw = percentile(results["raw scan of contacts (one year)"], 50)
    lines.append(f"summary / bare SQL aggregate (p50): {ours / bare:.2f}x (target <= 2x)")
    lines.append(f"summary / raw scan of contacts (p50): {ours / raw:.3f}x")
    targets = [("one-year summary", TARGET_MS), ("monthly report data", TARGET_MS)]
    targets.append(("dashboard page", DASHBOARD_TARGET_MS))
    for name, target in targets:
        p95 = percentile(results[name], 95)
        lines.append(f"{name}: p95 {p95:.1f} ms {'within' if p95 < target else 'OVER'} {target:.0f} ms")
    return lines


def _dashboard_client(viewer: Any) -> Any:
    """A client signed in as the viewer with both factors, as the real sign-in leaves a session."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import vet  # a current policy signature and police check: the page's gate

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not viewer.police_checks.exists():
        vet(viewer)
    device = TOTPDevice.objects.filter(user=viewer, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=viewer, name="bench", confirmed=True)
    client = Client(secure=True)
    client.force_login(viewer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def run_worker(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from helpline.contacts.models import Contact
    from helpline.reports.models import (
        DailyAllRollup,
        DailyRollup,
        MonthlyAllRollup,
        MonthlyRollup,
        RollupState,
    )
    from helpline.reports.rollups import rollups_rebuild

    settings.DEBUG = False
    engine = "sqlite" if connection.vendor == "sqlite" else "postgres"
    rows = args.rows or DEFAULT_ROWS[engine]
    call_command("migrate", verbosity=0, interactive=False)
    load_before = os.getloadavg()
    built = RollupState.objects.filter(watermark__isnull=False).exists()
    filled = Contact.objects.count() == rows
    if built and filled:
        print(f"== {engine}: reusing {rows:,} contacts and their rollups (--fresh to rebuild)", flush=True)
        prepared = "reused from an earlier run (fill and rebuild times not measured this run)"
    elif filled:  # an earlier run was stopped during the rebuild: the contacts are kept
        print(f"== {engine}: reusing {rows:,} contacts; rebuilding their rollups", flush=True)
        started = time.perf_counter()
        rollups_rebuild()
        rebuild_s = time.perf_counter() - started
        prepared = f"contacts kept from an earlier run; rollups rebuilt (set-based) in {rebuild_s:.1f} s"
    else:
        Contact.reasons.through.objects.all().delete()
        Contact.objects.all().delete()
        print(f"== {engine}: fill {rows:,} contacts over {args.years} years", flush=True)
        fill_s = (fill_postgres if engine == "postgres" else fill)(rows, args.years, args.seed)
        started = time.perf_counter()
        rollups_rebuild()
        rebuild_s = time.perf_counter() - started
        prepared = f"fill {fill_s:.1f} s; rollups rebuilt from raw rows (set-based) in {rebuild_s:.1f} s"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    lines = measure(args)
    load_after = os.getloadavg()
    text = "\n".join([
        f"Helpline statistics benchmark: {engine}",
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        "load average (1, 5, 15 min) before: " + " ".join(f"{v:.2f}" for v in load_before)
        + "; after: " + " ".join(f"{v:.2f}" for v in load_after),
        f"rows: {Contact.objects.count():,} contacts over {args.years} years; "
        f"{DailyRollup.objects.count():,} daily and {MonthlyRollup.objects.count():,} monthly rollup rows "
        f"per channel, {DailyAllRollup.objects.count():,} and {MonthlyAllRollup.objects.count():,} "
        "over all channels",
        prepared,
        f"timing: wall clock around each call, DEBUG off, {args.repeat} rounds of every call after a warm-up",
        "",
        *lines,
    ]) + "\n"  # fmt: skip
    print(text, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"reports-{engine}.txt").write_text(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=0, help="contacts (default 1,000,000 SQLite, 5,000,000 PostgreSQL)"
    )
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--fresh", action="store_true", help="drop the kept database and fill it again")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return run_worker(args) if args.worker else run_parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
