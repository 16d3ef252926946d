#!/usr/bin/env python
"""Contacts at scale: fill a database with a million contacts, then time the two reads a busy
helpline makes all day long, through the real code paths:

* the caller history a counsellor sees when a contact arrives (selectors.caller_history), for
  callers with hundreds of contacts and for typical ones;
* the supervisor's contact list, first page with one filter (selectors.contact_page), cycling
  through channel, kind, province, counsellor, urgency, reason category and date range.

Targets (issue): caller history p95 under 20 ms, list p95 under 100 ms.

    .venv/bin/python bench/contacts.py [--rows 1000000] [--engine sqlite|postgres|both]
    make bench-contacts

Each engine runs in its own process (this script re-invoked with the engine's environment) on its
own database: SQLite under var/bench/sqlite/ with the production SQLite settings, PostgreSQL in the
database helpline_bench at 127.0.0.1:5432 (dropped and created again for each run). Results are
printed and written to bench/results/contacts-<engine>.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib import PG_SERVER, machine_line, prepare_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SQLITE_DIR = ROOT / "var" / "bench" / "sqlite"
PG_DATABASE = "helpline_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"

TARGET_HISTORY_MS = 20.0
TARGET_LIST_MS = 100.0
SEED = 1280
YEARS = 5
CHUNK = 50_000
EXIT_MISSED = 3

# Bench staff: (username prefix, role, how many, share of contacts each)
STAFF_PLAN = [
    ("counsellor", "counsellor", 14, 1.0),
    ("volunteer", "volunteer", 3, 0.5),
    ("supervisor", "supervisor", 2, 0.4),
    ("admin", "administrator", 1, 0.0),
]

# The contacts table, column by column: what changes per row, then what comes from the template.
DYNAMIC_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "caller_id",
    "arrived_at",
    "answered_at",
    "ended_at",
    "counsellor_id",
    "created_by_id",
    "idempotency_key",
    "version",
]
TEMPLATE_COLUMNS = [
    "channel",
    "direction",
    "status",
    "kind",
    "caller_withheld",
    "wait_seconds",
    "talk_seconds",
    "language",
    "caller_type_id",
    "relationship_id",
    "gender_id",
    "age",
    "age_over_25",
    "province_id",
    "region_id",
    "living_situation_id",
    "disability_id",
    "urgency",
    "summary",
    "search_text",
]


# --- The parent: one worker process per engine ----------------------------------------------------


def reproduce_command(args: argparse.Namespace, engine: str) -> str:
    parts = [".venv/bin/python", "bench/contacts.py", "--rows", str(args.rows), "--engine", engine]
    if args.callers:
        parts += ["--callers", str(args.callers)]
    return shlex.join(parts)


def run_parent(args: argparse.Namespace) -> int:
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    failed = missed = False
    for engine in engines:
        env = dict(os.environ)
        env.update(
            HELPLINE_DEBUG="1",
            DJANGO_SETTINGS_MODULE="config.settings",
            HELPLINE_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        if engine == "sqlite":
            env.pop("DATABASE_URL", None)
            env["HELPLINE_DATA_DIR"] = str(SQLITE_DIR)
            if not args.measure_only:
                shutil.rmtree(SQLITE_DIR, ignore_errors=True)
            SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        else:
            env["DATABASE_URL"] = PG_URL
            env["HELPLINE_DATA_DIR"] = str(ROOT / "var" / "bench" / "postgres")
            if not args.measure_only:
                error = prepare_postgres(PG_DATABASE)
                if error:
                    print(f"postgres: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
                    failed = True
                    continue
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", *sys.argv[1:]]
        command += ["--engine", engine, "--reproduce", reproduce_command(args, engine)]
        code = subprocess.run(command, env=env, cwd=ROOT, check=False).returncode
        if code == EXIT_MISSED:
            missed = True
        elif code:
            print(f"{engine}: the benchmark failed (exit status {code})", flush=True)
            failed = True
        if engine == "postgres" and args.drop_after:
            prepare_postgres(PG_DATABASE, drop_only=True)
        if engine == "sqlite" and args.drop_after:
            shutil.rmtree(SQLITE_DIR, ignore_errors=True)
    if failed:
        return 1
    return EXIT_MISSED if missed and args.strict else 0


# --- The worker: fill -----------------------------------------------------------------------------


@dataclass
class Template:
    """One coded contact from the demo generator; the bench reuses its coding and time of day."""

    values: tuple[Any, ...]  # TEMPLATE_COLUMNS
    second_of_day: int
    wait: int
    talk: int
    has_address: bool
    reason_ids: tuple[int, ...]


@dataclass
class FillReport:
    contacts: int = 0
    callers: int = 0
    reasons: int = 0
    staff: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class Writer:
    """Bulk loading for one engine: executemany in big transactions (SQLite) or COPY (PostgreSQL)."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor

    def timestamp(self, utc: dt.datetime) -> str:
        """A naive UTC datetime as Django stores it: SQLite text without offset, PostgreSQL with one."""
        return str(utc) if self.vendor == "sqlite" else f"{utc}+00"

    def begin_fill(self) -> None:
        if self.vendor == "sqlite":
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-1048576")  # 1 GiB during the fill only

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        from django.db import transaction

        if not rows:
            return
        with transaction.atomic():
            if self.vendor == "sqlite":
                placeholders = ", ".join(["%s"] * len(columns))
                with self.connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
                        rows,
                    )
            else:
                raw = self.connection.connection
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp,
                ):
                    for row in rows:
                        cp.write_row(row)

    def end_fill(self) -> None:
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("ANALYZE")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:  # every table, the code lists included, as autovacuum leaves a live database
                cursor.execute("VACUUM (ANALYZE)")
        self.connection.close()  # measure on a fresh connection with the production settings

    def size(self) -> str:
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("PRAGMA page_count")
                pages = cursor.fetchone()[0]
                cursor.execute("PRAGMA page_size")
                size = pages * cursor.fetchone()[0]
            else:
                cursor.execute("SELECT pg_database_size(current_database())")
                size = cursor.fetchone()[0]
        return f"{size / 1024**3:.2f} GiB"


def build_templates(rng: random.Random) -> list[Template]:
    """Months of demo contacts (helpline.demo.month) as templates for the bench rows."""
    from django.utils import timezone

    from helpline.contacts.models import Term
    from helpline.contacts.search_text import index_text
    from helpline.demo.month import MonthGenerator

    terms = {(v, c): pk for v, c, pk in Term.objects.values_list("vocabulary", "code", "pk")}
    cache: dict[str, str] = {}

    def search_text(parts: Sequence[str]) -> str:
        found = []
        for part in parts:
            if part not in cache:
                cache[part] = index_text(part).strip()
            if cache[part]:
                found.append(cache[part])
        return f" {' '.join(found)} " if found else ""

    def term(vocabulary: str, code: str) -> int | None:
        return terms[(vocabulary, code)] if code else None

    templates: list[Template] = []
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    for month in range(8):
        for c in MonthGenerator(random.Random(rng.getrandbits(32) + month), today, tz).build():
            local = c.arrived_at.astimezone(tz)
            values = (
                c.channel,
                "inbound",
                "closed",
                c.kind,
                c.withheld,
                c.wait_seconds,
                c.talk_seconds,
                c.language,
                term("caller_type", c.caller_type),
                term("relationship", c.relationship),
                term("gender", c.gender),
                c.age,
                c.age_over_25,
                term("province", c.province),
                term("region", c.region),
                term("living_situation", c.living_situation),
                term("disability", c.disability),
                c.urgency,
                c.summary,
                search_text(c.summary_parts),
            )
            templates.append(
                Template(
                    values=values,
                    second_of_day=local.hour * 3600 + local.minute * 60 + local.second,
                    wait=c.wait_seconds,
                    talk=c.talk_seconds,
                    has_address=c.address is not None,
                    reason_ids=tuple(pk for r in c.reasons if (pk := term("reason", r)) is not None),
                )
            )
    return templates


def create_staff() -> list[tuple[str, str, float]]:
    """The bench team as (id hex, username, share of contacts)."""
    from django.contrib.auth.hashers import make_password

    from helpline.accounts.models import Staff

    unusable = make_password(None)
    rows: list[Staff] = []
    shares: list[float] = []
    for prefix, role, count, share in STAFF_PLAN:
        for n in range(1, count + 1):
            username = prefix if count == 1 and prefix == "admin" else f"{prefix}{n:02d}"
            rows.append(Staff(username=username, full_name=username.title(), role=role, password=unusable))
            shares.append(share * (0.6 + 0.8 * ((n * 37) % 11) / 10))  # some work more shifts
    Staff.objects.bulk_create(rows)
    return [(s.pk.hex, s.username, w) for s, w in zip(rows, shares, strict=True)]


def caller_counts(rng: random.Random, callers: int, linked: int) -> list[int]:
    """Contacts per caller: a long tail (Pareto), most callers once or twice, a few hundreds of times."""
    raw = [min(3000.0, rng.paretovariate(1.2)) for _ in range(callers)]
    scale = linked / sum(raw)
    return [max(1, min(1500, round(x * scale))) for x in raw]


def fill(rows: int, callers: int, seed: int) -> FillReport:
    from helpline.common.crypto import encrypt_text, keyed_hash
    from helpline.contacts.models import Caller, Contact

    report = FillReport()
    rng = random.Random(seed)
    writer = Writer()
    started = time.perf_counter()
    templates = build_templates(rng)
    staff = create_staff()
    report.staff = len(staff)
    report.seconds["templates and staff"] = time.perf_counter() - started
    writer.begin_fill()

    # Callers: keyed hash and encrypted address, as identity.caller_for_address stores them.
    step = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    now_text = writer.timestamp(now.replace(tzinfo=None))
    caller_ids: list[str] = []
    caller_rows: list[tuple[Any, ...]] = []
    used: set[str] = set()
    caller_columns = [
        "id",
        "created_at",
        "updated_at",
        "address_hash",
        "address_encrypted",
        "scheme",
        "safety_note",
    ]
    for i in range(callers):
        if i % 50 < 47:
            scheme = "tel"
            while True:
                prefix, digits = rng.choice(
                    [("12", 6), ("10", 6), ("15", 6), ("96", 7), ("97", 7), ("88", 7)]
                )
                address = f"tel:+855{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"
                if address not in used:
                    used.add(address)
                    break
        else:
            scheme = "webchat"
            address = f"webchat:{rng.getrandbits(64):016x}"
        pk = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        caller_ids.append(pk)
        caller_rows.append(
            (
                pk,
                now_text,
                now_text,
                keyed_hash(address, purpose="caller-address"),
                encrypt_text(address),
                scheme,
                "",
            )
        )
        if len(caller_rows) >= CHUNK:
            writer.insert(Caller._meta.db_table, caller_columns, caller_rows)
            caller_rows = []
    writer.insert(Caller._meta.db_table, caller_columns, caller_rows)
    report.callers = callers
    report.seconds["callers"] = time.perf_counter() - step

    # Contacts in arrival order (as a live helpline writes them), over YEARS years, growing over time.
    step = time.perf_counter()
    addressed = sum(t.has_address for t in templates) / len(templates)
    counts = caller_counts(rng, callers, int(rows * addressed))
    stream = [i for i, n in enumerate(counts) for _ in range(n)]
    rng.shuffle(stream)
    stream_at = 0
    tz = dt.timezone(dt.timedelta(hours=7))  # Asia/Phnom_Penh: no daylight saving
    last_day = (now.astimezone(tz) - dt.timedelta(days=1)).date()
    days = [last_day - dt.timedelta(days=d) for d in range(YEARS * 365, -1, -1)]
    weekday = [1.0, 0.97, 0.97, 1.0, 1.05, 1.15, 1.12]
    weights = [(0.5 + i / len(days)) * weekday[d.weekday()] for i, d in enumerate(days)]
    total_weight = sum(weights)
    per_day = [int(rows * w / total_weight) for w in weights]
    for i in range(rows - sum(per_day)):
        per_day[-1 - (i % len(per_day))] += 1
    staff_ids = [s[0] for s in staff]
    staff_cum: list[float] = []
    acc = 0.0
    for _, _, share in staff:
        acc += share
        staff_cum.append(acc)

    contact_table = Contact._meta.db_table
    columns = DYNAMIC_COLUMNS + TEMPLATE_COLUMNS
    expected = {f.column for f in Contact._meta.concrete_fields}
    if set(columns) != expected:
        raise SystemExit(f"contact columns changed: {sorted(set(columns) ^ expected)}")
    reason_table = Contact.reasons.through._meta.db_table
    contact_rows: list[tuple[Any, ...]] = []
    reason_rows: list[tuple[Any, ...]] = []
    ts = writer.timestamp
    one_second = dt.timedelta(seconds=1)
    for day, n_day in zip(days, per_day, strict=True):
        if not n_day:
            continue
        midnight = (
            dt.datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)
        )
        picked = rng.choices(templates, k=n_day)
        jittered = sorted(
            ((min(86399, max(0, t.second_of_day + rng.randrange(-1800, 1800))), t) for t in picked),
            key=lambda pair: pair[0],
        )
        counsellors = rng.choices(staff_ids, cum_weights=staff_cum, k=n_day)
        for (second, t), counsellor in zip(jittered, counsellors, strict=True):
            arrived = midnight + second * one_second
            answered = arrived + t.wait * one_second
            ended = answered + t.talk * one_second
            caller_id = None
            if t.has_address:
                if stream_at < len(stream):
                    caller_id = caller_ids[stream[stream_at]]
                    stream_at += 1
                else:
                    caller_id = caller_ids[rng.randrange(callers)]
            pk = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            ended_text = ts(ended)
            contact_rows.append(
                (
                    pk,
                    ended_text,
                    ended_text,
                    caller_id,
                    ts(arrived),
                    ts(answered),
                    ended_text,
                    counsellor,
                    counsellor,
                    None,
                    1,
                    *t.values,
                )
            )
            for reason in t.reason_ids:
                reason_rows.append((pk, reason))
        if len(contact_rows) >= CHUNK:
            writer.insert(contact_table, columns, contact_rows)
            writer.insert(reason_table, ["contact_id", "term_id"], reason_rows)
            report.contacts += len(contact_rows)
            report.reasons += len(reason_rows)
            contact_rows, reason_rows = [], []
            if report.contacts % (CHUNK * 4) == 0:
                rate = report.contacts / (time.perf_counter() - step)
                print(f"  ... {report.contacts:,} contacts ({rate:,.0f}/s)", flush=True)
    writer.insert(contact_table, columns, contact_rows)
    writer.insert(reason_table, ["contact_id", "term_id"], reason_rows)
    report.contacts += len(contact_rows)
    report.reasons += len(reason_rows)
    report.seconds["contacts and reasons"] = time.perf_counter() - step

    step = time.perf_counter()
    writer.end_fill()
    report.seconds["analyze"] = time.perf_counter() - step
    report.seconds["total"] = time.perf_counter() - started
    return report


# --- The worker: measure --------------------------------------------------------------------------


@dataclass
class Series:
    label: str
    times_ms: list[float] = field(default_factory=list)
    slowest: tuple[float, Any] = (0.0, None)

    def add(self, ms: float, subject: Any) -> None:
        self.times_ms.append(ms)
        if ms > self.slowest[0]:
            self.slowest = (ms, subject)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.times_ms)
        if not ordered:
            return math.nan
        rank = max(0, math.ceil(p / 100 * len(ordered)) - 1)
        return ordered[rank]

    def line(self) -> str:
        return (
            f"  {self.label:<34} n={len(self.times_ms):<4} p50 {self.percentile(50):7.2f} ms   "
            f"p95 {self.percentile(95):7.2f} ms   p99 {self.percentile(99):7.2f} ms   "
            f"max {self.slowest[0]:7.2f} ms"
        )


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def sample_callers(rng: random.Random, per_group: int) -> tuple[list[Any], list[Any], str, str]:
    """Heavy callers (the top 1% by contacts) and typical ones (any caller), as Caller objects."""
    from django.db.models import Count

    from helpline.contacts.models import Caller, Contact

    top_n = max(per_group, Caller.objects.count() // 100)
    top = list(
        Contact.objects.filter(caller__isnull=False)
        .values_list("caller")
        .annotate(n=Count("id"))
        .order_by("-n")[:top_n]
    )
    heavy_pairs = rng.sample(top, min(per_group, len(top)))
    ids = list(Caller.objects.values_list("id", flat=True))
    typical_ids = rng.sample(ids, min(per_group, len(ids)))
    by_id = Caller.objects.in_bulk([pk for pk, _ in heavy_pairs] + typical_ids)
    heavy = [by_id[pk] for pk, _ in heavy_pairs]
    typical = [by_id[pk] for pk in typical_ids]
    heavy_counts = sorted(n for _, n in heavy_pairs)
    typical_rows = Contact.objects.filter(caller__in=typical).values_list("caller").annotate(n=Count("id"))
    typical_n = sorted(n for _, n in typical_rows) or [0]
    heavy_median = statistics.median(heavy_counts)
    heavy_note = f"top 1% callers: {heavy_counts[0]}-{heavy_counts[-1]} contacts, median {heavy_median:.0f}"
    typical_note = f"random callers: median {statistics.median(typical_n):.0f} contacts, max {typical_n[-1]}"
    return heavy, typical, heavy_note, typical_note


def list_filters(rng: random.Random, per_filter: int) -> dict[str, list[Any]]:
    """Single-filter ContactFilters for the supervisor list, per filter type."""
    from helpline.accounts.models import Staff
    from helpline.contacts.models import Channel, Kind, Term, Urgency
    from helpline.contacts.selectors import ContactFilters

    provinces = list(Term.objects.filter(vocabulary="province").values_list("code", flat=True))
    reason_codes = list(
        Term.objects.filter(vocabulary="reason", parent__isnull=True).values_list("code", flat=True)
    )
    reason_codes += [
        "violence.sexual",
        "mental_health.suicidal",
        "trafficking.forced_labour",
        "peers.partner",
    ]
    usernames = list(Staff.objects.exclude(role="administrator").values_list("username", flat=True))
    channels = [Channel.VOICE, Channel.SMS, Channel.WEBCHAT, Channel.WALK_IN, Channel.EMAIL]
    today = dt.date.today()

    def cycle(values: Sequence[Any]) -> list[Any]:
        return [values[i % len(values)] for i in range(per_filter)]

    def date_range(i: int) -> ContactFilters:
        length = [1, 7, 30][i % 3]
        start = today - dt.timedelta(days=rng.randrange(length, YEARS * 365))
        return ContactFilters(date_from=start, date_to=start + dt.timedelta(days=length - 1))

    return {
        "channel": [ContactFilters(channel=str(v)) for v in cycle(channels)],
        "kind": [ContactFilters(kind=str(v)) for v in cycle(list(Kind))],
        "province": [ContactFilters(province=v) for v in cycle(provinces)],
        "counsellor": [ContactFilters(counsellor=v) for v in cycle(usernames)],
        "urgency": [ContactFilters(urgency=str(v)) for v in cycle(list(Urgency))],
        "category": [ContactFilters(category=v) for v in cycle(reason_codes)],
        "date range": [date_range(i) for i in range(per_filter)],
    }


def explain_list(viewer: Any, filters: Any) -> str:
    from django.db import connection

    from helpline.contacts.selectors import PAGE_SIZE, contact_search

    qs = (
        contact_search(viewer, filters)
        .select_related("counsellor", "province")
        .order_by("-arrived_at", "-id")
    )
    qs = qs[: PAGE_SIZE + 1]
    if connection.vendor == "postgresql":
        return qs.explain(analyze=True, buffers=True)
    return qs.explain()


def explain_history(caller: Any) -> str:
    import datetime as _dt

    from django.db import connection
    from django.db.models import Count, Q
    from django.utils import timezone

    from helpline.contacts.models import Contact

    qs = Contact.objects.filter(caller=caller)
    week_ago = timezone.now() - _dt.timedelta(days=7)
    options: dict[str, Any] = {"analyze": True, "buffers": True} if connection.vendor == "postgresql" else {}
    counts = qs.values("kind").annotate(n=Count("id"), week=Count("id", filter=Q(arrived_at__gte=week_ago)))
    recent = qs.order_by("-arrived_at").values("id", "arrived_at", "channel", "kind", "status")[:5]
    first = qs.order_by("arrived_at").values_list("arrived_at", flat=True)[:1]
    return "\n".join(
        f"-- {name}\n{query.explain(**options)}"
        for name, query in (("counts by kind", counts), ("last five", recent), ("first contact", first))
    )


def measure(args: argparse.Namespace) -> tuple[list[str], bool]:
    from helpline.accounts.models import Staff
    from helpline.contacts.selectors import caller_history, contact_page

    rng = random.Random(args.seed + 7)
    lines: list[str] = []
    missed = False
    supervisor = Staff.objects.filter(role="supervisor", is_active=True).order_by("username").first()
    if supervisor is None:
        raise SystemExit("no supervisor in the bench database: run without --measure-only")

    # Caller history.
    heavy, typical, heavy_note, typical_note = sample_callers(rng, args.history_iterations)
    for caller in (heavy + typical)[: args.warmup * 2]:
        caller_history(supervisor, caller)
    series = {
        "heavy": Series(f"heavy ({heavy_note.split(':')[0]})"),
        "typical": Series("typical (random callers)"),
    }
    mixed = Series("all (heavy and typical)")
    order = [("heavy", c) for c in heavy] + [("typical", c) for c in typical]
    rng.shuffle(order)
    for group_name, caller in order:
        ms = timed(functools.partial(caller_history, supervisor, caller))
        series[group_name].add(ms, caller)
        mixed.add(ms, caller)
    lines.append("caller history: selectors.caller_history(supervisor, caller)")
    lines.append(f"  heavy = {heavy_note}; typical = {typical_note}")
    lines += [series["heavy"].line(), series["typical"].line(), mixed.line()]
    p95 = mixed.percentile(95)
    verdict = "OK" if p95 < TARGET_HISTORY_MS else "MISSED"
    missed |= verdict == "MISSED"
    lines.append(f"  TARGET caller history p95 < {TARGET_HISTORY_MS:.0f} ms: {verdict} (p95 {p95:.2f} ms)")
    if verdict == "MISSED" or args.explain:
        worst = max(series.values(), key=lambda s: s.percentile(95))
        lines.append(f"  query plan, slowest caller ({worst.slowest[0]:.1f} ms):")
        lines += ["    " + ln for ln in explain_history(worst.slowest[1]).splitlines()]
    lines.append("")

    # Supervisor contact list, first page, one filter.
    filters = list_filters(rng, args.list_per_filter)
    for values in filters.values():
        for f in values[: args.warmup]:
            contact_page(supervisor, f)
    per_filter = {name: Series(name) for name in filters}
    all_list = Series("all filters")
    order2 = [(name, f) for name, values in filters.items() for f in values]
    rng.shuffle(order2)
    for name, f in order2:
        ms = timed(functools.partial(contact_page, supervisor, f))
        per_filter[name].add(ms, f)
        all_list.add(ms, f)
    lines.append(
        "supervisor contact list, first page: selectors.contact_page(supervisor, one filter) "
        f"as {supervisor.username}"
    )
    lines += [s.line() for s in per_filter.values()]
    lines.append(all_list.line())
    p95 = all_list.percentile(95)
    verdict = "OK" if p95 < TARGET_LIST_MS else "MISSED"
    missed |= verdict == "MISSED"
    lines.append(f"  TARGET contact list p95 < {TARGET_LIST_MS:.0f} ms: {verdict} (p95 {p95:.2f} ms)")
    slow = [s for s in per_filter.values() if s.percentile(95) >= TARGET_LIST_MS]
    for s in slow:
        lines.append(f"  MISSED for filter {s.label}: p95 {s.percentile(95):.2f} ms")
    for s in slow or ([max(per_filter.values(), key=lambda s: s.percentile(95))] if args.explain else []):
        value = {k: v for k, v in vars(s.slowest[1]).items() if v}
        lines.append(f"  query plan, slowest {s.label} filter {value} ({s.slowest[0]:.1f} ms):")
        lines += ["    " + ln for ln in explain_list(supervisor, s.slowest[1]).splitlines()]
    return lines, missed


def run_worker(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from helpline.contacts.models import Caller, Contact

    # HELPLINE_DEBUG=1 only supplies development keys; measure as production runs (no query log).
    settings.DEBUG = False
    engine = "sqlite" if connection.vendor == "sqlite" else "postgres"
    print(f"== {engine}: migrate", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    report: FillReport | None = None
    if not args.measure_only:
        callers = args.callers or max(1, round(args.rows * 0.15))
        print(f"== {engine}: fill {args.rows:,} contacts, {callers:,} callers", flush=True)
        report = fill(args.rows, callers, args.seed)
    writer = Writer()
    if connection.vendor == "sqlite":
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
        where = settings.DATABASES["default"]["NAME"]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        where = PG_URL
    print(f"== {engine}: measure", flush=True)
    lines, missed = measure(args)

    head = [
        f"Helpline contacts benchmark: {engine} ({version}, {where})",
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        f"command: {args.reproduce or reproduce_command(args, engine)}   (or: make bench-contacts)",
        f"rows: {Contact.objects.count():,} contacts, {Caller.objects.count():,} callers, "
        f"{Contact.reasons.through.objects.count():,} contact reasons; database {writer.size()}",
    ]
    if report is not None:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        head.append(f"fill: {parts} (migrate {migrate_s:.1f} s)")
    head.append(
        "timing: wall clock around the selector call (ORM included), DEBUG off; "
        f"warm-up {args.warmup} per group"
    )
    text = "\n".join([*head, "", *lines]) + "\n"
    print(text, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"contacts-{engine}.txt").write_text(text)
    return EXIT_MISSED if missed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts to create (default 1,000,000)")
    parser.add_argument("--callers", type=int, default=0, help="distinct callers (default 15%% of rows)")
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--history-iterations", type=int, default=200, help="timed calls per caller group")
    parser.add_argument("--list-per-filter", type=int, default=60, help="timed list pages per filter type")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--measure-only", action="store_true", help="reuse the database of the last run")
    parser.add_argument("--drop-after", action="store_true", help="remove the bench database at the end")
    parser.add_argument("--explain", action="store_true", help="print query plans even when targets are met")
    parser.add_argument("--strict", action="store_true", help=f"exit {EXIT_MISSED} when a target is missed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reproduce", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args)
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
