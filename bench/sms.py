#!/usr/bin/env python
"""Inbound SMS under load: a sustained stream of Kannel webhook requests against a real server,
counted in the database afterwards.

Issue wording: "sustained 50 inbound SMS/s for 60 s through the webhook against PostgreSQL and
SQLite — zero lost, zero duplicated (counted in the database), and the p50/p99 acknowledgement
time printed; target p99 under 300 ms".

    .venv/bin/python bench/sms.py [--engine sqlite|postgres|both] [--rate 50] [--duration 60]
    make bench-sms                     # both engines, 50/s for 60 s

For each engine: a fresh database (SQLite in a new temporary directory; PostgreSQL database
helpline_bench_sms at 127.0.0.1:5432, dropped and created), `migrate`, then the production pair
that `manage.py serve` runs — uvicorn (one process) and the task worker (`db_worker`) — with DEBUG
off. The worker sends the automatic replies to a stand-in for Kannel's sendsms inside this script
(it answers "0: Accepted for delivery"), so outbox writes compete with inbound writes as they do in
production; --no-worker leaves it out.

Load: open loop (a request leaves at its scheduled time whether or not earlier ones were answered),
asyncio + aiohttp, like smsbox's get-url: GET /hooks/sms/kannel?secret&from&to&text&id&coding&charset.
A share of the requests (--duplicates, default 5%) repeat an earlier message with the same id, as a
gateway does when an acknowledgement is lost: half of them while the first copy is still in flight,
half a few seconds later. A request that gets no answer or a 5xx is retried with the same id after
1 s, up to 3 times (smsbox's http-request-retry = 3, http-queue-delay = 1). Senders are spread so
that none sends more than --per-sender-per-minute (default 10) messages in any minute, below the
default flood limit of 12 a minute: the test is about throughput, not flood refusals.

Afterwards the inbound rows are counted in the database: every unique message must be stored
(lost = 0) and none twice (duplicated = 0). Acknowledgement time is measured per request from the
moment it is sent to the moment its answer arrives; a request that was never answered counts as
slower than any answered one. Results are printed and written to bench/results/sms-<engine>.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import math
import os
import random
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchlib import (
    PG_SERVER,
    free_port,
    load_average,
    machine_line,
    percentile,
    prepare_postgres,
    stop,
    wait_healthy,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_DATABASE = "helpline_bench_sms"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
TARGET_P99_MS = 300.0
SHORT_CODE = "1280"
RETRIES = 3  # smsbox http-request-retry
RETRY_DELAY = 1.0  # smsbox http-queue-delay
REQUEST_TIMEOUT = 30.0
EXIT_MISSED = 3

sys.path.insert(0, str(ROOT))


# --- Machine and environment ----------------------------------------------------------------------


def server_env(engine: str, data_dir: Path, sendsms_port: int, secret: str) -> dict[str, str]:
    """Production settings (DEBUG off, fresh keys) on this engine; nothing inherited that could
    point the server elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
        and not k.startswith("HELPLINE_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        HELPLINE_FIELD_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        HELPLINE_HTTPS="0",
        HELPLINE_DATA_DIR=str(data_dir),
        HELPLINE_KANNEL_SECRET=secret,
        HELPLINE_KANNEL_SENDSMS_URL=f"http://127.0.0.1:{sendsms_port}/cgi-bin/sendsms",
        HELPLINE_KANNEL_USERNAME="bench",
        HELPLINE_KANNEL_PASSWORD=secrets.token_hex(8),
        HELPLINE_SMS_SHORT_CODES=SHORT_CODE,
        PYTHONUNBUFFERED="1",
    )
    if engine == "postgres":
        env["DATABASE_URL"] = PG_URL
    return env


# --- The load ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    at: float  # seconds after the start
    message_id: str
    sender: str
    text: str
    repeat: bool  # a deliberate second delivery of an earlier message


@dataclass
class Attempt:
    planned: Planned
    attempt: int
    sent_at: float
    status: int | None = None  # None: no answer
    error: str = ""
    seconds: float = math.inf


@dataclass
class LoadReport:
    attempts: list[Attempt] = field(default_factory=list)
    late: list[float] = field(default_factory=list)  # how late each request left, seconds
    started: float = 0.0
    last_sent: float = 0.0
    finished: float = 0.0


def plan(rate: float, duration: float, senders: int, duplicates: float, seed: int) -> list[Planned]:
    """The schedule: `rate` requests a second, a share of them repeats of earlier messages."""
    from helpline.demo.management.commands.simulate import TEXTS_EN, TEXTS_KM

    rng = random.Random(seed)
    total = round(rate * duration)
    numbers: list[str] = []
    seen: set[str] = set()
    while len(numbers) < senders:
        prefix, digits = rng.choice([("12", 6), ("10", 6), ("15", 6), ("96", 7), ("97", 7), ("88", 7)])
        number = f"855{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    # Senders in shuffled rounds: each sends once per round, so one sender's messages are a round
    # (senders / rate seconds) apart on average and never more than two rounds' worth in a minute.
    order: list[str] = []
    while len(order) < total:
        batch = numbers[:]
        rng.shuffle(batch)
        order += batch
    planned: list[Planned] = []
    originals: list[Planned] = []
    for n in range(total):
        at = n / rate
        if originals and rng.random() < duplicates:
            if rng.random() < 0.5:
                # While the first copy may still be in flight: the race the unique constraint settles.
                candidates = [p for p in originals[-10:] if at - p.at < 0.5] or originals[-1:]
            else:
                candidates = [p for p in originals if 1.0 <= at - p.at <= 10.0] or originals[-1:]
            first = rng.choice(candidates)
            planned.append(Planned(at, first.message_id, first.sender, first.text, repeat=True))
            continue
        text = rng.choice(TEXTS_KM if rng.random() < 0.6 else TEXTS_EN)
        original = Planned(at, str(uuid.uuid4()), order[n], text, repeat=False)
        originals.append(original)
        planned.append(original)
    return planned


def max_per_minute(planned: Sequence[Planned]) -> int:
    """Most unique messages one sender sends in any 60-second window."""
    by_sender: dict[str, list[float]] = {}
    for p in planned:
        if not p.repeat:
            by_sender.setdefault(p.sender, []).append(p.at)
    most = 0
    for times in by_sender.values():
        j = 0
        for i, t in enumerate(times):
            while t - times[j] >= 60.0:
                j += 1
            most = max(most, i - j + 1)
    return most


class SendsmsStandIn:
    """Answers the worker's sendsms calls as Kannel does ("0: Accepted for delivery"), for the
    whole run, so that no reply waits for a retry because the stand-in went away."""

    def __init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with stand_in.lock:
                    stand_in.calls += 1
                body = b"0: Accepted for delivery"
                self.send_response(202)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.calls = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SendsmsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def run_load(url: str, secret: str, planned: Sequence[Planned]) -> LoadReport:
    import aiohttp

    report = LoadReport()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    endpoint = f"{url}/hooks/sms/kannel"
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def deliver(p: Planned) -> None:
            for attempt in range(RETRIES + 1):
                params = {
                    "secret": secret,
                    "from": p.sender,
                    "to": SHORT_CODE,
                    "text": p.text,
                    "id": p.message_id,
                    "coding": "0",
                    "charset": "UTF-8",
                }
                record = Attempt(p, attempt, time.perf_counter())
                report.attempts.append(record)
                try:
                    async with session.get(endpoint, params=params) as response:
                        await response.read()
                        record.status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    record.error = type(exc).__name__
                if record.status is not None:
                    record.seconds = time.perf_counter() - record.sent_at
                if record.status is not None and record.status < 500:
                    return  # answered: smsbox retries only when there is no answer or a 5xx
                await asyncio.sleep(RETRY_DELAY)

        tasks: list[asyncio.Task[None]] = []
        report.started = time.perf_counter()
        for p in planned:
            delay = report.started + p.at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            report.late.append(max(0.0, time.perf_counter() - report.started - p.at))
            tasks.append(asyncio.create_task(deliver(p)))
        report.last_sent = time.perf_counter()
        await asyncio.gather(*tasks)
        report.finished = time.perf_counter()
    return report


# --- Counting in the database ---------------------------------------------------------------------


@dataclass
class Counted:
    inbound_rows: int
    distinct_ids: set[str]
    contacts: int
    outbound: Counter[str]


def count_rows(engine: str, data_dir: Path) -> Counted:
    queries = {
        "rows": "SELECT count(*) FROM conversations_message WHERE direction = 'in' AND provider = 'kannel'",
        "ids": "SELECT DISTINCT provider_message_id FROM conversations_message "
        "WHERE direction = 'in' AND provider = 'kannel'",
        "contacts": "SELECT count(*) FROM contacts_contact",
        "out": "SELECT status, count(*) FROM conversations_message WHERE direction = 'out' GROUP BY status",
    }
    if engine == "sqlite":
        path = data_dir / "helpline.sqlite3"
        db: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    else:
        import psycopg

        db = psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", connect_timeout=5)
    try:
        rows = db.execute(queries["rows"]).fetchone()[0]
        ids = {r[0] for r in db.execute(queries["ids"]).fetchall()}
        contacts = db.execute(queries["contacts"]).fetchone()[0]
        outbound = Counter({str(s): int(n) for s, n in db.execute(queries["out"]).fetchall()})
    finally:
        db.close()
    return Counted(int(rows), ids, int(contacts), outbound)


def database_version(engine: str, data_dir: Path) -> str:
    if engine == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (WAL, IMMEDIATE transactions, file in {data_dir})"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", connect_timeout=5) as db:
        version = db.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {version[0] if version else '?'} ({PG_URL})"


# --- One engine ----------------------------------------------------------------------------------


def fmt_ms(seconds: float) -> str:
    return "no answer" if math.isinf(seconds) else f"{seconds * 1000:.1f} ms"


def reproduce_command(args: argparse.Namespace, engine: str) -> str:
    parts = [".venv/bin/python", "bench/sms.py", "--engine", engine]
    parts += ["--rate", f"{args.rate:g}", "--duration", f"{args.duration:g}", "--senders", str(args.senders)]
    parts += ["--duplicates", f"{args.duplicates:g}", "--seed", str(args.seed)]
    if args.no_worker:
        parts.append("--no-worker")
    if args.processes != 1:
        parts += ["--processes", str(args.processes)]
    for item in args.env:
        parts += ["--env", item]
    return shlex.join(parts)


def run_engine(args: argparse.Namespace, engine: str) -> int:
    """0: targets met; EXIT_MISSED: a target missed; 1: could not run."""
    work = Path(tempfile.mkdtemp(prefix=f"helpline-bench-sms-{engine}-"))
    data_dir = work / "data"
    data_dir.mkdir()
    if engine == "postgres":
        error = prepare_postgres(PG_DATABASE)
        if error:
            print(f"postgres: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
            return 1
    stand_in = SendsmsStandIn()
    port = free_port()
    secret = secrets.token_urlsafe(24)
    env = server_env(engine, data_dir, stand_in.port, secret)
    env.update(dict(item.split("=", 1) for item in args.env))
    url = f"http://127.0.0.1:{port}"
    python = sys.executable
    print(f"== {engine}: migrate", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=600
    )
    migrate_s = time.perf_counter() - started
    senders = max(args.senders, math.ceil(args.rate * 60 / args.per_sender_per_minute))
    planned = plan(args.rate, args.duration, senders, args.duplicates, args.seed)
    unique = {p.message_id for p in planned}
    repeats = sum(1 for p in planned if p.repeat)
    busiest = max_per_minute(planned)

    server_log, worker_log = work / "server.log", work / "worker.log"
    processes: list[subprocess.Popen[bytes]] = []
    with stand_in:
        try:
            with server_log.open("wb") as out:
                # As `manage.py serve` starts it, minus its Ctrl-C handling.
                processes.append(
                    subprocess.Popen(
                        [
                            *(python, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"),
                            *("--port", str(port), "--workers", str(args.processes)),
                            *("--no-server-header", "--proxy-headers", "--no-access-log"),
                            *("--ws-per-message-deflate", "false"),
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            if not args.no_worker:
                with worker_log.open("wb") as out:
                    processes.append(
                        subprocess.Popen(
                            [python, "manage.py", "db_worker", "--interval", "1", "--no-reload"],
                            cwd=ROOT,
                            env=env,
                            stdout=out,
                            stderr=subprocess.STDOUT,
                        )
                    )
            wait_healthy(url, processes[0], server_log)
            # Requests first, outside the measurement: the first one loads the Khmer word model
            # (in each server process).
            for n in range(args.processes * 4):
                warm = urllib.parse.urlencode(
                    {"secret": secret, "from": "85599999999", "to": SHORT_CODE, "text": "warm-up"}
                    | {"id": f"warm-up-{n}"}
                )
                with urllib.request.urlopen(f"{url}/hooks/sms/kannel?{warm}", timeout=60) as response:
                    response.read()
            load_before = load_average()
            print(
                f"== {engine}: {len(planned)} requests at {args.rate:g}/s for {args.duration:g} s "
                f"({len(unique)} unique messages, {repeats} repeats, {senders} senders)",
                flush=True,
            )
            report = asyncio.run(run_load(url, secret, planned))
            load_after = load_average()
            if not args.no_worker:
                time.sleep(2)  # give the worker a moment; the outbox figures are a snapshot
            counted = count_rows(engine, data_dir)
            sendsms_calls = stand_in.calls  # at the same moment as the count
            version = database_version(engine, data_dir)
        finally:
            for process in reversed(processes):
                stop(process)

    warm_ups = {i for i in counted.distinct_ids if i.startswith("warm-up-")}
    counted.distinct_ids -= warm_ups
    inbound_rows = counted.inbound_rows - len(warm_ups)
    lost = unique - counted.distinct_ids
    unexpected = counted.distinct_ids - unique
    duplicated = inbound_rows - len(counted.distinct_ids)

    attempts = report.attempts
    first = [a for a in attempts if a.attempt == 0]
    ordered = sorted(a.seconds for a in attempts)
    statuses = Counter("no answer" if a.status is None else str(a.status) for a in attempts)
    errors = Counter(a.error for a in attempts if a.error)
    send_span = report.last_sent - report.started
    achieved = (len(planned) - 1) / send_span if send_span > 0 else math.nan
    late = sorted(report.late)
    p99 = percentile(ordered, 99)
    verdict_p99 = "OK" if p99 < TARGET_P99_MS / 1000 else "MISSED"
    verdict_lost = "OK" if not lost else "FAILED"
    verdict_dup = "OK" if duplicated == 0 and not unexpected else "FAILED"

    lines = [
        f"Helpline inbound SMS benchmark: {engine} ({version})",
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        f"load average (1/5/15 min) before the run: {load_before}; after: {load_after}",
        f"command: {reproduce_command(args, engine)}   (or: make bench-sms)",
        f"server: uvicorn config.asgi:application, {args.processes} process(es), DEBUG off, no access log"
        + (
            "; no task worker"
            if args.no_worker
            else "; task worker (db_worker) sending replies to a local stand-in for sendsms"
        ),
        f"load: GET /hooks/sms/kannel (smsbox get-url parameters), open loop, aiohttp; "
        f"{len(planned)} requests at {args.rate:g}/s for {args.duration:g} s: {len(unique)} unique "
        f"messages + {repeats} deliberate repeats (same id, {args.duplicates:.0%}); {senders} senders, "
        f"at most {busiest} unique messages from one sender in any 60 s (flood limit 12/min); retry on "
        f"no answer or 5xx after {RETRY_DELAY:g} s, up to {RETRIES} times; request timeout "
        f"{REQUEST_TIMEOUT:g} s; migrate took {migrate_s:.1f} s",
        "",
        f"requests: {len(attempts)} ({len(first)} first attempts, {len(attempts) - len(first)} retries); "
        f"sent over {send_span:.1f} s = {achieved:.1f}/s achieved; all answered or given up after "
        f"{report.finished - report.started:.1f} s",
        f"scheduling: p99 {percentile(late, 99) * 1000:.1f} ms late, "
        f"max {(late[-1] if late else 0) * 1000:.1f} ms late",
        "HTTP status: " + ", ".join(f"{k} x{v}" for k, v in sorted(statuses.items())),
    ]
    if errors:
        lines.append("client errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(errors.items())))
    slowest = ordered[-1] if ordered else math.nan
    firsts = sorted(a.seconds for a in first)
    answered = [t for t in ordered if not math.isinf(t)]
    windows: dict[int, list[float]] = {}
    for a in attempts:
        windows.setdefault(int(a.sent_at - report.started) // 10, []).append(a.seconds)
    timeline = "; ".join(
        f"{w * 10}-{w * 10 + 10} s p99 {fmt_ms(percentile(sorted(ts), 99))}"
        for w, ts in sorted(windows.items())
    )
    lines += [
        f"acknowledgement time (all {len(ordered)} requests): p50 {fmt_ms(percentile(ordered, 50))}, "
        f"p95 {fmt_ms(percentile(ordered, 95))}, p99 {fmt_ms(p99)}, max {fmt_ms(slowest)}",
        f"  first attempts only ({len(firsts)}): p50 {fmt_ms(percentile(firsts, 50))}, "
        f"p95 {fmt_ms(percentile(firsts, 95))}, p99 {fmt_ms(percentile(firsts, 99))}",
        f"  answered requests only ({len(answered)}, any status): p50 {fmt_ms(percentile(answered, 50))}, "
        f"p95 {fmt_ms(percentile(answered, 95))}, p99 {fmt_ms(percentile(answered, 99))}",
        f"  by time sent: {timeline}",
        "",
        f"database: {inbound_rows} inbound rows, {len(counted.distinct_ids)} distinct provider ids; "
        f"expected {len(unique)} unique",
        f"  lost: {len(lost)}   duplicated: {duplicated}   unexpected ids: {len(unexpected)}",
        f"  contacts: {counted.contacts - 1} (one per sender expected: {len({p.sender for p in planned})}; "
        "the warm-up sender's not counted); "
        "replies: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counted.outbound.items())) or "none")
        + (f"; sendsms stand-in called {sendsms_calls} times" if not args.no_worker else ""),
        "",
        f"TARGET zero lost: {verdict_lost} ({len(lost)} lost)",
        f"TARGET zero duplicated: {verdict_dup} ({duplicated} duplicated rows, {len(unexpected)} unexpected)",
        f"TARGET p99 acknowledgement < {TARGET_P99_MS:.0f} ms: {verdict_p99} (p99 {fmt_ms(p99)})",
    ]
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"sms-{engine}.txt").write_text(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        if engine == "postgres":
            prepare_postgres(PG_DATABASE, drop_only=True)
    else:
        print(f"kept: {work}", flush=True)
    return 0 if verdict_p99 == verdict_lost == verdict_dup == "OK" else EXIT_MISSED


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--senders", type=int, default=500, help="distinct senders (default 500)")
    parser.add_argument("--per-sender-per-minute", type=int, default=10, help=argparse.SUPPRESS)
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of repeated requests")
    parser.add_argument("--seed", type=int, default=1280)
    parser.add_argument("--no-worker", action="store_true", help="run the server without the task worker")
    parser.add_argument("--processes", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server and worker (for experiments; repeatable)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument("--strict", action="store_true", help=f"exit {EXIT_MISSED} when a target is missed")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or not 0 <= args.duplicates < 1:
        parser.error("--rate and --duration must be positive, --duplicates in [0, 1)")
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    failed = missed = False
    for engine in engines:
        code = run_engine(args, engine)
        failed |= code == 1
        missed |= code == EXIT_MISSED
    if failed:
        return 1
    return EXIT_MISSED if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
