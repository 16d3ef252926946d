#!/usr/bin/env python
"""Web chat round trips under load: children's chat sockets, counsellors' console sockets and
their replies, all against real server processes.

Issue wording: "500 concurrent web chats against one server process, p95 and p99 time from a
child's message to the counsellor's socket and back, and the same with two processes and Redis.
Targets: p95 under 200 ms, p99 under 500 ms."

    .venv/bin/python bench/chat.py [--scenario one|two|both] [--chats 500] [--duration 60]
    make bench-chat                       # both scenarios, 500 chats, 60 s

Scenarios (each on a fresh database, production settings: DEBUG off, fresh keys):

* one: one uvicorn process on a new SQLite file (WAL), in-memory channel layer (no Redis), as a
  single-machine install runs.
* two: two uvicorn processes sharing PostgreSQL (database helpline_bench_chat at 127.0.0.1:5432,
  dropped and created) and Redis (redis://127.0.0.1:6379/<--redis-db>, a channel prefix of its
  own, its keys deleted afterwards). The children's sockets are spread over both processes and
  each chat is answered by a counsellor whose console socket and HTTP requests go to the *other*
  process, so every event crosses Redis.

Both run uvicorn as `manage.py serve` does (--proxy-headers, no access log); no task worker (web
chat has no outbox). Each simulated child sends X-Forwarded-For with its own documentation-range
address, as children arrive from many addresses (the server limits chat starts per address).

Steps: create --counsellors counsellors (policy signed, police check, TOTP device, a signed-in
session: `manage.py shell -c`), open their /ws/staff/ sockets and fetch the console page once for
the CSRF cookie; warm each process up (one chat message: loads the Khmer word model); open the
children's sockets and "start" their chats (--start-rate a second); each chat is then taken by its
counsellor through POST /console/<contact>/take/. With all chats active, each child sends
--messages messages spread over --duration seconds (a random offset, then one every
duration/messages seconds, never two in flight). Per message:

    t0  the child sends {"type": "message"} on its socket
    t1  the counsellor's /ws/staff/ socket receives the console.event for that contact
        (reason "message"); the counsellor at once sends the reply as the console does: over
        that socket ({"type": "reply"}; --reply-via post: POST /console/<contact>/reply/, the
        form's fallback when the socket is down)
    t2  the child's socket receives the {"type": "message", "from": "helpline"} frame

and p50/p95/p99 of t1-t0 (child to counsellor's socket) and t2-t0 (the full round trip) are
printed. A round trip not completed within --timeout counts as slower than any completed one.
A chat's "message" events go to the counsellor holding it (and supervisors): the holder's count
of them per contact is checked against the messages stored (lost / duplicated frames), other
consoles are checked to receive none, and so are the children's reply frames and the rows in the
database.

Results are printed and written to bench/results/chat-<scenario>.txt (-reply-post.txt for
--reply-via post). The load generator (this
process, asyncio with uvloop when installed) shares the machine with the servers, PostgreSQL and
Redis; its event-loop lag and every process's CPU time are reported alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import ipaddress
import json
import math
import os
import random
import resource
import secrets
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
PG_DATABASE = "helpline_bench_chat"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
TARGET_P95_MS, TARGET_P99_MS = 200.0, 500.0
EXIT_MISSED = 3
DEFAULT_SETTINGS = "config.settings"
SCENARIOS = {
    "one": "one uvicorn process, SQLite (WAL), in-memory channel layer",
    "two": "two uvicorn processes, PostgreSQL, Redis channel layer",
}
RESULT_NAMES = {"one": "chat-one-process", "two": "chat-two-processes-redis"}

CHILD_TEXTS_KM = [
    "សួស្តី",
    "ខ្ញុំមានបញ្ហានៅសាលារៀន",
    "ខ្ញុំត្រូវការជំនួយ",
    "ខ្ញុំចង់និយាយជាមួយអ្នកណាម្នាក់",
    "ខ្ញុំមិនដឹងថាត្រូវធ្វើអ្វីទេ",
    "ខ្ញុំព្រួយបារម្ភអំពីការប្រឡង",
    "បាទ",
    "ចាស",
    "អរគុណ",
]
CHILD_TEXTS_EN = ["hello", "I have a problem at school", "I need help", "ok", "thank you"]
REPLIES_KM = [
    "សួស្តី ខ្ញុំជាអ្នកប្រឹក្សា។ តើខ្ញុំអាចជួយអ្វីបាន?",  # hello, I am a counsellor. how can I help?
    "ខ្ញុំកំពុងស្តាប់",  # I am listening
    "អរគុណដែលបានប្រាប់ខ្ញុំ",  # thank you for telling me
    "តើអ្នកអាចប្រាប់ខ្ញុំបន្ថែមបានទេ?",  # can you tell me more?
]
REPLIES_EN = ["Hello, I am a counsellor. How can I help?", "I am listening", "Can you tell me more?"]

sys.path.insert(0, str(ROOT))


# --- Machine and environment ----------------------------------------------------------------------


def raise_fd_limit(needed: int) -> str:
    """Make room for every socket (the servers inherit the limit); a line saying what was done."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            raise SystemExit(f"open-file limit: need {needed}, hard limit is {hard}; raise it (ulimit -Hn)")
        return f"ulimit -n was {soft}, raised to {target} in this script (resource.setrlimit; hard {hard})"
    return f"ulimit -n {soft} (hard {hard}), enough for {needed}; not raised"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), nan elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return math.nan


def fmt_ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    return "not completed" if math.isinf(seconds) else f"{seconds * 1000:.1f} ms"


def counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(counter.items())) or "none"


def spread(values: Sequence[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "none"
    return (
        f"p50 {fmt_ms(percentile(ordered, 50))}, p95 {fmt_ms(percentile(ordered, 95))}, "
        f"p99 {fmt_ms(percentile(ordered, 99))}, max {fmt_ms(ordered[-1])} (n={len(ordered)})"
    )


def child_address(rng: random.Random, n: int) -> str:
    """A documentation-range address (RFC 5737 / RFC 3849) of its own for child n."""
    if n < 700:
        net = ipaddress.ip_network(("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")[n % 3])
        return str(net[1 + n // 3])
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | rng.getrandbits(96)))


# --- Databases and servers ------------------------------------------------------------------------


def server_env(
    scenario: str, data_dir: Path, prefix: str, redis_db: int, settings: str = DEFAULT_SETTINGS
) -> dict[str, str]:
    """Production settings (DEBUG off, fresh keys); nothing inherited that could point elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
        and not k.startswith("HELPLINE_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        SECRET_KEY=secrets.token_urlsafe(64),
        HELPLINE_FIELD_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        HELPLINE_HTTPS="0",
        HELPLINE_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    if scenario == "two":
        env["DATABASE_URL"] = PG_URL
        env["REDIS_URL"] = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
        env["HELPLINE_CHANNEL_PREFIX"] = prefix
    return env


def redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_forget(redis_db: int, prefix: str) -> int:
    """Delete this run's channel-layer keys (groups outlive the run by a day otherwise)."""
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


class Database:
    """Read-only queries against the scenario's database, from this process."""

    def __init__(self, scenario: str, data_dir: Path) -> None:
        self.scenario = scenario
        self.path = data_dir / "helpline.sqlite3"
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._watch: Any = None

    def contact_of(self, conversation: str) -> str:
        """The contact of a conversation (one connection, used from one thread only)."""
        if self.scenario == "one":
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, timeout=30, check_same_thread=False
                )
            sql, key = (
                "SELECT contact_id FROM conversations_conversation WHERE id = ?",
                uuid.UUID(conversation).hex,
            )
            row = self._sqlite.execute(sql, (key,)).fetchone()
        else:
            import psycopg

            if self._pg is None:
                self._pg = psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", connect_timeout=5, autocommit=True)
            sql = "SELECT contact_id FROM conversations_conversation WHERE id = %s"
            row = self._pg.execute(sql, (conversation,)).fetchone()
        if row is None:
            raise RuntimeError(f"conversation {conversation} is not in the database")
        return str(uuid.UUID(str(row[0])))

    def connections(self) -> tuple[int, int, int]:
        """(connections to the bench database, to all databases, max_connections) in PostgreSQL;
        its own connection, opened at the first call (before the load) and kept."""
        import psycopg

        if self._watch is None:
            self._watch = psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", connect_timeout=5, autocommit=True)
        row = self._watch.execute(
            "SELECT count(*) FILTER (WHERE datname = %s), count(*), "
            "current_setting('max_connections')::int FROM pg_stat_activity "
            "WHERE backend_type = 'client backend'",
            (PG_DATABASE,),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.scenario == "one":
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)) as db:
                return list(db.execute(sql).fetchall())
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", connect_timeout=5) as db:
            return list(db.execute(sql).fetchall())

    def version(self) -> str:
        if self.scenario == "one":
            return f"SQLite {sqlite3.sqlite_version} (WAL, IMMEDIATE transactions, a new file)"
        (row,) = self.query("SHOW server_version")
        return f"PostgreSQL {row[0]} ({PG_URL}, created for the run)"


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


COUNSELLORS_SCRIPT = """
import datetime as dt, json
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from helpline.accounts import services
from helpline.accounts.models import Role, Staff
today = timezone.localdate()
policy = services.policy_publish(None, version="bench", title="Policy", text="x", effective_date=today)
out = []
for n in range(COUNT):
    staff = Staff.objects.create_user(f"bench-counsellor-{n:02d}", None, role=Role.COUNSELLOR)
    services.policy_sign(staff, policy=policy)
    services.police_check_record(staff, staff=staff, issued_on=today - dt.timedelta(days=1),
                                 expires_on=today + dt.timedelta(days=300))
    device = TOTPDevice.objects.create(user=staff, name="bench", confirmed=True)
    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    out.append({"username": staff.username, "session": client.cookies["helpline_session"].value})
print("COUNSELLORS " + json.dumps(out))
"""


# --- The load ------------------------------------------------------------------------------------


@dataclass
class Trip:
    chat: int
    number: int
    t0: float
    ack: float = math.nan
    t1: float = math.nan  # the owner's staff socket got the event
    reply_status: str = ""  # "sent" (socket) or "200" (post) when stored; else why not
    reply_answered: float = math.nan
    t2: float = math.nan  # the child got the reply


@dataclass
class Server:
    index: int
    url: str
    port: int
    pid: int
    log: Path

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass
class Counsellor:
    index: int
    username: str
    session: str
    server: Server
    csrf: str = ""
    ws: Any = None
    http: Any = None
    events: Counter[tuple[str, str]] = field(default_factory=Counter)  # (contact, reason)
    other_frames: Counter[str] = field(default_factory=Counter)
    measured: Counter[str] = field(default_factory=Counter)  # events by reason while measuring
    ping_sent: float | None = None
    pongs: list[float] = field(default_factory=list)
    pings_unanswered: int = 0
    closed: str = ""
    clicking: asyncio.Lock = field(default_factory=asyncio.Lock)
    replies: dict[str, tuple[Trip, float]] = field(default_factory=dict)  # sent, not yet answered

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": f"helpline_session={self.session}; helpline_csrf={self.csrf}",
            "X-CSRFToken": self.csrf,
        }


@dataclass
class Child:
    index: int
    server: Server
    address: str
    language: str
    ws: Any = None
    conversation: str = ""
    contact: str = ""
    owner: Counsellor | None = None
    started_in: float = math.nan
    pending: Trip | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    acked_ids: list[str] = field(default_factory=list)
    sent_ids: list[str] = field(default_factory=list)
    helpline_frames: int = 0
    unexpected_frames: int = 0
    seqs: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    closed: str = ""
    take_status: int | None = None
    failed: str = ""  # why this chat never became active (did not start, not taken)
    take_seconds: float = math.nan


@dataclass
class Run:
    args: argparse.Namespace
    scenario: str
    servers: list[Server]
    counsellors: list[Counsellor]
    children: list[Child] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)
    by_contact: dict[str, Child] = field(default_factory=dict)
    lag: list[float] = field(default_factory=list)
    measuring: bool = False
    replies_posted: int = 0
    reply_errors: Counter[str] = field(default_factory=Counter)
    reply_seconds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    reply_tasks: set[asyncio.Task[None]] = field(default_factory=set)
    pg_connections: list[tuple[int, int, int]] = field(default_factory=list)


async def watch_postgres(run: Run, db: Database, done: asyncio.Event) -> None:
    """PostgreSQL connections in use, once a second: the servers' own and everyone's."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-watch") as pool:
        while not done.is_set():
            try:
                run.pg_connections.append(await loop.run_in_executor(pool, db.connections))
            except Exception as exc:
                run.notes.append(f"PostgreSQL watch stopped: {type(exc).__name__}: {exc}")
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 1.0)


async def loop_lag(run: Run, stop_event: asyncio.Event) -> None:
    """How late this process's event loop wakes up: the load generator's own delay."""
    while not stop_event.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.05)
        if run.measuring:
            run.lag.append(time.perf_counter() - before - 0.05)


async def staff_reader(run: Run, counsellor: Counsellor) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        async for raw in counsellor.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "pong" and counsellor.ping_sent is not None:
                counsellor.pongs.append(now - counsellor.ping_sent)
                counsellor.ping_sent = None
                continue
            if frame.get("type") in {"reply.sent", "reply.refused"}:
                reply_answered(run, counsellor, frame, now)
                continue
            if frame.get("type") != "console.event":
                counsellor.other_frames[str(frame.get("type"))] += 1
                continue
            contact, reason = str(frame.get("contact", "")), str(frame.get("reason", ""))
            counsellor.events[(contact, reason)] += 1
            if run.measuring:
                counsellor.measured[reason] += 1
            if reason != "message":
                continue
            child = run.by_contact.get(contact)
            if child is None or child.owner is not counsellor:
                continue
            trip = child.pending
            if trip is not None and math.isnan(trip.t1):
                trip.t1 = now
                send = send_reply if run.args.reply_via == "socket" else post_reply
                task = asyncio.create_task(send(run, counsellor, child, trip))
                run.reply_tasks.add(task)
                task.add_done_callback(run.reply_tasks.discard)
    except ConnectionClosed as exc:
        counsellor.closed = f"closed {exc.rcvd.code if exc.rcvd else 'without a close frame'}"
    except Exception as exc:  # a bug here must show in the report, not vanish with the task
        counsellor.closed = f"reader failed: {exc!r}"


async def pinger(counsellor: Counsellor, done: asyncio.Event) -> None:
    """The console's own ping every 2 s ({"type": "ping"} -> "pong"): shows whether the socket is
    alive and how long the server takes to dispatch a frame to its consumer."""
    while not done.is_set():
        if counsellor.ping_sent is None:
            counsellor.ping_sent = time.perf_counter()
            with contextlib.suppress(Exception):
                await counsellor.ws.send(json.dumps({"type": "ping"}))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 2.0)
    if counsellor.ping_sent is not None:
        counsellor.pings_unanswered += 1


def reply_text(child: Child, trip: Trip) -> str:
    rng = random.Random(trip.chat * 1000 + trip.number)
    return rng.choice(REPLIES_KM if child.language == "km" else REPLIES_EN)


async def send_reply(run: Run, counsellor: Counsellor, child: Child, trip: Trip) -> None:
    """As the console sends a reply while its socket is open; answered by "reply.sent"."""
    ref = f"{trip.chat}-{trip.number}"
    counsellor.replies[ref] = (trip, time.perf_counter())
    frame = {"type": "reply", "id": ref, "contact": child.contact, "text": reply_text(child, trip)}
    try:
        await counsellor.ws.send(json.dumps(frame))
    except Exception as exc:
        counsellor.replies.pop(ref, None)
        run.reply_errors[type(exc).__name__] += 1


def reply_answered(run: Run, counsellor: Counsellor, frame: dict[str, Any], now: float) -> None:
    pending = counsellor.replies.pop(str(frame.get("id")), None)
    if pending is None:
        run.reply_errors["answer for no reply sent"] += 1
        return
    trip, began = pending
    if frame["type"] == "reply.sent":
        trip.reply_status = "sent"
        run.replies_posted += 1
    else:
        trip.reply_status = f"refused: {frame.get('reason')}"
        run.reply_errors[trip.reply_status] += 1
    trip.reply_answered = now
    run.reply_seconds.append(now - began)


async def post_reply(run: Run, counsellor: Counsellor, child: Child, trip: Trip) -> None:
    import aiohttp

    text = reply_text(child, trip)
    began = time.perf_counter()
    try:
        async with counsellor.http.post(
            f"{counsellor.server.url}/console/{child.contact}/reply/",
            data={"text": text},
            headers=counsellor.headers(),
        ) as response:
            await response.read()
            trip.reply_status = str(response.status)
        run.replies_posted += response.status == 200
        if response.status != 200:
            run.reply_errors[f"HTTP {response.status}"] += 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        run.reply_errors[type(exc).__name__] += 1
    trip.reply_answered = time.perf_counter()
    run.reply_seconds.append(trip.reply_answered - began)


async def child_reader(child: Child) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        async for raw in child.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "ack":
                trip = child.pending
                if trip is not None and frame.get("id") == child.sent_ids[-1]:
                    trip.ack = now
                child.acked_ids.append(str(frame.get("id")))
                child.acked.set()
            elif kind == "message" and frame.get("from") == "helpline":
                child.helpline_frames += 1
                child.seqs.append(int(frame.get("seq", -1)))
                trip = child.pending
                if trip is not None and math.isnan(trip.t2) and not math.isnan(trip.t1):
                    trip.t2 = now
                    child.answered.set()
                else:
                    child.unexpected_frames += 1
            elif kind == "refused":
                child.refused.append(str(frame.get("reason")))
                child.acked.set()
    except ConnectionClosed as exc:
        child.closed = f"{exc.rcvd.code if exc.rcvd else 'no close frame'}"
    except Exception as exc:
        child.closed = f"reader failed: {exc!r}"
    child.acked.set()
    child.answered.set()


async def open_child(run: Run, child: Child) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    began = time.perf_counter()
    child.ws = await connect(
        f"{child.server.ws}/ws/chat/",
        origin=Origin(child.server.url),
        additional_headers={"X-Forwarded-For": child.address},
        proxy=None,
        open_timeout=60,
        close_timeout=5,
        max_queue=None,
    )
    await child.ws.send(json.dumps({"type": "start", "language": child.language}))
    deadline = time.monotonic() + 60
    while True:
        frame = json.loads(await asyncio.wait_for(child.ws.recv(), max(0.1, deadline - time.monotonic())))
        if frame.get("type") == "started":
            child.conversation = str(uuid.UUID(frame["conversation"]))
            break
        if frame.get("type") == "refused":
            raise RuntimeError(f"chat {child.index} refused: {frame.get('reason')}")
    child.started_in = time.perf_counter() - began


async def take(run: Run, counsellor: Counsellor, child: Child) -> None:
    began = time.perf_counter()
    async with counsellor.http.post(
        f"{counsellor.server.url}/console/{child.contact}/take/",
        headers=counsellor.headers(),
        allow_redirects=False,
    ) as response:
        await response.read()
        child.take_status = response.status
    child.take_seconds = time.perf_counter() - began


async def converse(run: Run, child: Child, rng: random.Random, begins: float) -> None:
    """The child's messages: a random offset, then one per interval, one in flight at a time."""
    duration, count = run.args.duration, run.args.messages
    interval = duration / count
    first = rng.uniform(0, interval)
    texts = CHILD_TEXTS_KM if child.language == "km" else CHILD_TEXTS_EN
    for number in range(count):
        due = begins + first + number * interval
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        if child.closed:
            return
        client_id = uuid.uuid4().hex
        child.sent_ids.append(client_id)
        child.acked.clear()
        child.answered.clear()
        trip = Trip(child.index, number, time.perf_counter())
        child.pending = trip
        run.trips.append(trip)
        try:
            await child.ws.send(json.dumps({"type": "message", "id": client_id, "text": rng.choice(texts)}))
            await asyncio.wait_for(child.answered.wait(), run.args.timeout)
        except TimeoutError:
            pass
        except Exception as exc:  # a closed socket: the trip stays incomplete, counted below
            child.closed = child.closed or type(exc).__name__
            return


async def drive(run: Run, db: Database) -> None:
    import aiohttp
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    args = run.args
    rng = random.Random(args.seed)
    stop_event = asyncio.Event()
    lag_task = asyncio.create_task(loop_lag(run, stop_event))
    watch_task = asyncio.create_task(watch_postgres(run, db, stop_event)) if run.scenario == "two" else None

    # Counsellors: the console page once (their CSRF cookie), then their console socket.
    for counsellor in run.counsellors:
        counsellor.http = aiohttp.ClientSession(
            # Idle connections closed after 3 s, before uvicorn closes them (5 s): a request sent on a
            # connection the server is closing fails, which browsers retry and aiohttp does not.
            connector=aiohttp.TCPConnector(limit_per_host=6, keepalive_timeout=3),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=args.timeout),
        )
        async with counsellor.http.get(
            f"{counsellor.server.url}/console/", headers={"Cookie": f"helpline_session={counsellor.session}"}
        ) as response:
            await response.read()
            if response.status != 200 or "helpline_csrf" not in response.cookies:
                raise RuntimeError(f"{counsellor.username}: console page answered {response.status}")
            counsellor.csrf = response.cookies["helpline_csrf"].value
        counsellor.ws = await connect(
            f"{counsellor.server.ws}/ws/staff/",
            origin=Origin(counsellor.server.url),
            additional_headers={"Cookie": f"helpline_session={counsellor.session}"},
            proxy=None,
            max_queue=None,
        )
        hello = json.loads(await asyncio.wait_for(counsellor.ws.recv(), 30))
        if hello.get("type") != "hello":
            raise RuntimeError(f"{counsellor.username}: no hello on /ws/staff/ ({hello})")
    staff_tasks = [asyncio.create_task(staff_reader(run, c)) for c in run.counsellors]

    # Warm-up, outside the measurement: a chat message loads the Khmer word model in each process.
    for server in run.servers:
        warm = Child(-1 - server.index, server, f"192.0.2.{250 - server.index}", "km")
        await open_child(run, warm)
        await warm.ws.send(json.dumps({"type": "message", "id": "warm-up", "text": "សួស្តី ខ្ញុំត្រូវការជំនួយ"}))
        while json.loads(await asyncio.wait_for(warm.ws.recv(), 120)).get("type") != "ack":
            pass
        await warm.ws.send(json.dumps({"type": "leave"}))
        await warm.ws.wait_closed()

    # The children: spread over the processes, each answered by a counsellor on another process
    # (the same one when there is only one).
    by_server: dict[int, list[Counsellor]] = {}
    for counsellor in run.counsellors:
        by_server.setdefault(counsellor.server.index, []).append(counsellor)
    for n in range(args.chats):
        server = run.servers[n % len(run.servers)]
        answering = run.servers[(n + 1) % len(run.servers)].index
        pool = by_server[answering]
        child = Child(n, server, child_address(rng, n), "km" if rng.random() < 0.8 else "en")
        child.owner = pool[(n // len(run.servers)) % len(pool)]
        run.children.append(child)

    # Children arrive at --start-rate a second; each chat's counsellor takes it as soon as it is
    # there (one take at a time per counsellor, as one person clicks). Which contact a chat is,
    # the console shows; here it is read from the database.
    loop = asyncio.get_running_loop()
    lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookup")

    async def arrive(child: Child) -> None:
        try:
            await open_child(run, child)
        except Exception as exc:  # counted: its messages are never sent, so count as lost
            child.failed = f"did not start: {type(exc).__name__}"
            return
        child.contact = await loop.run_in_executor(lookups, db.contact_of, child.conversation)
        run.by_contact[child.contact] = child
        readers.append(asyncio.create_task(child_reader(child)))
        assert child.owner is not None
        async with child.owner.clicking:
            try:
                await take(run, child.owner, child)
            except Exception as exc:
                child.failed = f"take failed: {type(exc).__name__}"
                return
        if child.take_status != 302:
            child.failed = f"take answered HTTP {child.take_status}"

    readers: list[asyncio.Task[None]] = []
    began = time.perf_counter()
    arrivals: list[asyncio.Task[None]] = []
    for n, child in enumerate(run.children):
        pause = began + n / args.start_rate - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        arrivals.append(asyncio.create_task(arrive(child)))
    await asyncio.gather(*arrivals)
    lookups.shutdown()
    if all(c.failed for c in run.children):
        raise RuntimeError(
            "no chat started and was taken: " + counts(Counter(c.failed for c in run.children))
        )
    run.phases["arrive"] = time.perf_counter() - began
    await asyncio.sleep(4)  # every child's 3-second tick has told them "answered"

    # The measurement: all chats active, each sending its messages.
    cpu_before = {f"server {s.index + 1}": cpu_seconds(s.pid) for s in run.servers}
    times_before = os.times()
    run.measuring = True
    began = time.perf_counter()
    pinging = asyncio.Event()
    pingers = [asyncio.create_task(pinger(c, pinging)) for c in run.counsellors]
    await asyncio.gather(
        *(
            converse(run, c, random.Random(args.seed * 100_000 + c.index), began)
            for c in run.children
            if not c.failed
        )
    )
    run.phases["measure"] = time.perf_counter() - began
    run.measuring = False
    pinging.set()
    await asyncio.gather(*pingers)
    times_after = os.times()
    for server in run.servers:
        run.cpu[f"server {server.index + 1}"] = (
            cpu_seconds(server.pid) - cpu_before[f"server {server.index + 1}"]
        )
    run.cpu["load generator (this process)"] = (times_after.user + times_after.system) - (
        times_before.user + times_before.system
    )
    await asyncio.sleep(3)  # late frames still count (as duplicates or late arrivals)

    # The children leave; the counsellors close their consoles.
    async def leave(child: Child) -> None:
        with contextlib.suppress(Exception):
            await child.ws.send(json.dumps({"type": "leave"}))
            await asyncio.wait_for(child.ws.wait_closed(), 30)

    await asyncio.gather(*(leave(c) for c in run.children))
    for task in readers:
        task.cancel()
    for counsellor in run.counsellors:
        await counsellor.ws.close()
        await counsellor.http.close()
    for task in staff_tasks:
        task.cancel()
    stop_event.set()
    await lag_task
    if watch_task is not None:
        await watch_task


# --- One scenario ---------------------------------------------------------------------------------


def reproduce_command(args: argparse.Namespace, scenario: str) -> str:
    parts = [".venv/bin/python", "bench/chat.py", "--scenario", scenario, "--chats", str(args.chats)]
    parts += ["--duration", f"{args.duration:g}", "--messages", str(args.messages)]
    parts += ["--counsellors", str(args.counsellors), "--start-rate", f"{args.start_rate:g}"]
    parts += ["--timeout", f"{args.timeout:g}", "--seed", str(args.seed)]
    if args.reply_via != "socket":
        parts += ["--reply-via", args.reply_via]
    if args.settings != DEFAULT_SETTINGS:
        parts += ["--settings", args.settings]
    if scenario == "two":
        parts += ["--redis-db", str(args.redis_db)]
    return shlex.join(parts)


def run_scenario(args: argparse.Namespace, scenario: str) -> int:
    """0: targets met; EXIT_MISSED: a target missed; 1: could not run."""
    processes = 2 if scenario == "two" else 1
    if scenario == "two":
        if not redis_answers():
            print(f"two: SKIPPED, no Redis at {REDIS_HOST}:{REDIS_PORT}", flush=True)
            return 1
        error = prepare_postgres(PG_DATABASE)
        if error:
            print(f"two: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
            return 1
    fd_line = raise_fd_limit(args.chats * 2 + args.counsellors * 16 + 512)
    work = Path(tempfile.mkdtemp(prefix=f"helpline-bench-chat-{scenario}-"))
    data_dir = work / "data"
    data_dir.mkdir()
    prefix = f"helpline-bench-chat-{os.getpid()}-{secrets.token_hex(4)}"
    env = server_env(scenario, data_dir, prefix, args.redis_db, args.settings)
    db = Database(scenario, data_dir)
    print(f"== {scenario}: migrate, collectstatic, {args.counsellors} counsellors", flush=True)
    started = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")  # DEBUG off: the console page needs it
    out = manage(env, "shell", "-c", COUNSELLORS_SCRIPT.replace("COUNT", str(args.counsellors)))
    accounts = json.loads(next(line for line in out.splitlines() if line.startswith("COUNSELLORS "))[12:])
    setup_s = time.perf_counter() - started

    popen: list[subprocess.Popen[bytes]] = []
    servers: list[Server] = []
    logs = []
    run: Run | None = None
    error_text, loop_name, version = "", "asyncio", "?"
    load_before = load_after = "unknown"
    inbound: list[tuple[Any, ...]] = []
    outbound: list[tuple[Any, ...]] = []
    try:
        for index in range(processes):
            port = free_port()
            log = work / f"server-{index + 1}.log"
            handle = log.open("wb")
            logs.append(handle)
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"),
                    *("--port", str(port), "--no-server-header", "--proxy-headers", "--no-access-log"),
                    *("--ws-per-message-deflate", "false"),
                ],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            popen.append(process)
            servers.append(Server(index, f"http://127.0.0.1:{port}", port, process.pid, log))
        for server, process in zip(servers, popen, strict=True):
            wait_healthy(server.url, process, server.log)
        counsellors = [
            Counsellor(n, a["username"], a["session"], servers[n % processes]) for n, a in enumerate(accounts)
        ]
        run = Run(args, scenario, servers, counsellors)
        load_before = load_average()
        print(
            f"== {scenario}: {args.chats} chats over {processes} process(es), {args.counsellors} "
            f"counsellors, {args.messages} messages per chat over {args.duration:g} s",
            flush=True,
        )
        try:
            import uvloop

            runner: Any = uvloop.run
            loop_name = "uvloop"
        except ImportError:
            runner, loop_name = asyncio.run, "asyncio"
        try:
            runner(asyncio.wait_for(drive(run, db), args.duration + args.timeout * 3 + 900))
        except Exception as exc:  # reported with what was measured so far
            error_text = f"{type(exc).__name__}: {exc}"
        db.close()
        load_after = load_average()
        time.sleep(1)
        inbound = db.query(
            "SELECT conversation_id, provider_message_id FROM conversations_message "
            "WHERE direction = 'in' AND provider = 'webchat'"
        )
        outbound = db.query(
            "SELECT conversation_id, count(*) FROM conversations_message "
            "WHERE direction = 'out' AND provider = 'webchat' GROUP BY conversation_id"
        )
        version = db.version()
    finally:
        for process in reversed(popen):
            stop(process)
        for handle in logs:
            handle.close()
        if scenario == "two":
            with contextlib.suppress(Exception):
                forgotten = redis_forget(args.redis_db, prefix)
                if run is not None:
                    run.notes.append(f"deleted {forgotten} Redis keys of prefix {prefix} afterwards")

    text, ok = report(
        run,
        args,
        scenario,
        version=version,
        setup_s=setup_s,
        fd_line=fd_line,
        loop_name=loop_name,
        loads=(load_before, load_after),
        inbound=inbound,
        outbound=outbound,
        error_text=error_text,
    )
    print(text, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.settings == DEFAULT_SETTINGS else "-" + args.settings.replace(".", "-")
    suffix += "" if args.reply_via == "socket" else f"-reply-{args.reply_via}"
    (RESULTS / f"{RESULT_NAMES[scenario]}{suffix}.txt").write_text(text)
    if args.keep:
        print(f"kept: {work}", flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
        if scenario == "two":
            prepare_postgres(PG_DATABASE, drop_only=True)
    if error_text:
        return 1
    return 0 if ok else EXIT_MISSED


def log_findings(servers: Sequence[Server]) -> list[str]:
    lines = []
    for server in servers:
        try:
            text = server.log.read_text(errors="replace").splitlines()
        except OSError:
            continue
        kinds: Counter[str] = Counter()
        for line in text:
            if "Traceback (most recent call last)" in line:
                kinds["tracebacks"] += 1
            elif line.startswith("redis.exceptions.TimeoutError"):
                kinds["consumers crashed by redis TimeoutError"] += 1
            elif " ERROR " in line or line.startswith("ERROR:"):
                kinds["ERROR lines"] += 1
            elif "live push to" in line:
                kinds["live push failed"] += 1
            elif "chat frame refused" in line:
                kinds["chat frames refused"] += 1
            elif " WARNING " in line:
                kinds["other WARNING lines"] += 1
        found = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items())) or "no errors or warnings"
        lines.append(f"  server {server.index + 1} log: {found}")
    return lines


def report(
    run: Run | None,
    args: argparse.Namespace,
    scenario: str,
    *,
    version: str,
    setup_s: float,
    fd_line: str,
    loop_name: str,
    loads: tuple[str, str],
    inbound: list[tuple[Any, ...]],
    outbound: list[tuple[Any, ...]],
    error_text: str,
) -> tuple[str, bool]:
    assert run is not None
    processes = len(run.servers)
    children = run.children
    ours = {c.conversation for c in children}
    trips = run.trips
    planned = args.chats * args.messages
    # A message never sent because its chat's socket had been closed counts as not completed.
    never = [math.inf] * max(0, planned - len(trips))
    one_way = [t.t1 - t.t0 if not math.isnan(t.t1) else math.inf for t in trips] + never
    round_trip = [t.t2 - t.t0 if not math.isnan(t.t2) else math.inf for t in trips] + never
    acks = [t.ack - t.t0 for t in trips if not math.isnan(t.ack)]
    # p95 of the round trip per 10 s of the measured minute: a steady tail or bursts?
    windows: dict[int, list[float]] = {}
    began = min((t.t0 for t in trips), default=0.0)
    for t in trips:
        windows.setdefault(int(t.t0 - began) // 10, []).append(
            t.t2 - t.t0 if not math.isnan(t.t2) else math.inf
        )
    timeline = "; ".join(
        f"{w * 10}-{w * 10 + 10} s {fmt_ms(percentile(sorted(ts), 95))}" for w, ts in sorted(windows.items())
    )
    after_reply = [t.t2 - t.t1 for t in trips if not (math.isnan(t.t1) or math.isnan(t.t2))]
    completed = sum(1 for t in trips if not math.isnan(t.t2))

    # The database: every acknowledged message stored once; every reply stored.
    stored = [(str(uuid.UUID(str(c))), str(p)) for c, p in inbound if str(uuid.UUID(str(c))) in ours]
    stored_ids = {p for _c, p in stored}
    acked = {f"{c.conversation}:{i}" for c in children for i in c.acked_ids}
    sent = {f"{c.conversation}:{i}" for c in children for i in c.sent_ids}
    db_lost = len(acked - stored_ids)
    db_dup = len(stored) - len(stored_ids)
    stored_per_contact: Counter[str] = Counter()
    for conversation, _p in stored:
        stored_per_contact[conversation] += 1
    replies_stored = sum(int(n) for c, n in outbound if str(uuid.UUID(str(c))) in ours)

    # Frames: the holder's console socket should see one "message" event per stored message of
    # each chat it holds; other consoles none (a message goes to its holder and supervisors only).
    strays = owner_lost = owner_dup = 0
    for counsellor in run.counsellors:
        for child in children:
            expected = stored_per_contact[child.conversation]
            got = counsellor.events[(child.contact, "message")]
            if child.owner is counsellor:
                owner_lost += max(0, expected - got)
                owner_dup += max(0, got - expected)
            else:
                strays += got
    reply_posts = sum(1 for t in trips if t.reply_status in {"sent", "200"})
    child_lost = max(0, reply_posts - sum(c.helpline_frames for c in children))
    child_dup = sum(len(c.seqs) - len(set(c.seqs)) for c in children)
    child_unexpected = sum(c.unexpected_frames for c in children)
    closes = Counter(c.closed for c in children if c.closed and c.closed != "1000")
    refused = Counter(r for c in children for r in c.refused)
    takes = Counter(str(c.take_status) for c in children)
    lag = sorted(run.lag)
    by_reason: Counter[str] = Counter()
    measured: Counter[str] = Counter()
    for counsellor in run.counsellors:
        measured.update(counsellor.measured)
    pongs = [p for c in run.counsellors for p in c.pongs]
    deaf = sum(1 for c in run.counsellors if c.pongs and not c.measured["message"])
    for counsellor in run.counsellors:
        for (_contact, reason), n in counsellor.events.items():
            by_reason[reason] += n

    p95, p99 = percentile(sorted(round_trip), 95), percentile(sorted(round_trip), 99)
    o95, o99 = percentile(sorted(one_way), 95), percentile(sorted(one_way), 99)
    verdict = {
        "rt95": "OK" if p95 < TARGET_P95_MS / 1000 else "MISSED",
        "rt99": "OK" if p99 < TARGET_P99_MS / 1000 else "MISSED",
        "ow95": "OK" if o95 < TARGET_P95_MS / 1000 else "MISSED",
        "ow99": "OK" if o99 < TARGET_P99_MS / 1000 else "MISSED",
        "lost": "OK" if owner_lost == child_lost == db_lost == 0 and completed == planned else "FAILED",
        "dup": "OK" if owner_dup == child_dup == db_dup == 0 else "FAILED",
    }
    layer = "Redis channel layer (channels_redis)" if scenario == "two" else "in-memory channel layer"
    if args.reply_via == "socket":
        via, answer = 'over the console socket ({"type": "reply"}, confirmed by "reply.sent")', "confirmed"
    else:
        via, answer = "by POST /console/<id>/reply/ (the form's fallback)", "POST answered"
    lines = [
        f"Helpline web chat round-trip benchmark: {SCENARIOS[scenario]}",
        f"database: {version}; {layer}",
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        f"load average (1/5/15 min) before the run: {loads[0]}; after: {loads[1]}",
        f"open files: {fd_line}",
        f"command: {reproduce_command(args, scenario)}"
        + ("   (or: make bench-chat)" if args.reply_via == "socket" else ""),
        *(
            [
                f"SETTINGS: {args.settings} instead of {DEFAULT_SETTINGS} "
                "(a trial, not the application as it is)"
            ]
            if args.settings != DEFAULT_SETTINGS
            else []
        ),
        f"servers: {processes} x uvicorn config.asgi:application (--proxy-headers, --no-access-log, "
        "--ws-per-message-deflate false), "
        "DEBUG off, no task worker; load generator: this process, "
        f"{loop_name}, websockets + aiohttp, on the same machine",
        f"load: {args.chats} child sockets ("
        + (
            "spread over both processes; each chat's counsellor on the other process"
            if processes == 2
            else "one process"
        )
        + f"), arriving at {args.start_rate:g}/s; {args.counsellors} counsellors (console socket + HTTP), "
        f"{math.ceil(args.chats / max(1, args.counsellors))} chats each, each chat taken on arrival with "
        "POST /console/<id>/take/; with all chats active, "
        f"then {args.messages} messages per chat over {args.duration:g} s "
        f"(~{planned / args.duration:.1f} messages/s), each answered {via} as soon "
        f"as the counsellor's socket shows it; round trip timeout {args.timeout:g} s",
        f"setup (migrate, collectstatic, counsellors) {setup_s:.1f} s",
        "",
    ]
    if error_text:
        lines += [f"RUN ABORTED: {error_text}", ""]
    starts = sorted(c.started_in for c in children if not math.isnan(c.started_in))
    take_times = sorted(c.take_seconds for c in children if not math.isnan(c.take_seconds))
    lines += [
        f"arrivals: {len(starts)} chats started and {sum(takes.values()) - takes.get('None', 0)} taken "
        f"in {run.phases.get('arrive', math.nan):.1f} s",
        f"  chat start (socket opened -> 'started'): {spread(starts)}",
        f"  take (POST /console/<id>/take/): statuses {counts(takes)}; {spread(take_times)}",
        f"  chats that never became active: {counts(Counter(c.failed for c in children if c.failed))}",
        "",
        f"round trips: {len(trips)} begun of {planned} planned, {completed} completed, in "
        f"{run.phases.get('measure', math.nan):.1f} s (percentiles over all {planned}: one not "
        "completed or never begun counts as slower than any completed)",
        f"  child -> counsellor's socket (t1-t0): {spread(one_way)}",
        f"  child -> counsellor -> child  (t2-t0): {spread(round_trip)}",
        f"  completed ones only: t1-t0 {spread([x for x in one_way if not math.isinf(x)])}",
        f"                       t2-t0 {spread([x for x in round_trip if not math.isinf(x)])}",
        f"  round trip p95 by time sent: {timeline}",
        f"  breakdown: child's ack {spread(acks)}",
        f"             reply {answer} {spread(run.reply_seconds)}",
        f"             counsellor's socket -> child's reply frame (t2-t1, includes sending the reply) "
        f"{spread(after_reply)}",
        f"  reply errors: {counts(run.reply_errors)}",
        "",
        "frames (lost / duplicated):",
        f"  counsellor's own socket, 'message' events for their chats: {owner_lost} lost, "
        f"{owner_dup} duplicated",
        f"  other consoles' sockets: {strays} 'message' events for chats they do not hold "
        "(0 expected: a message goes to the chat's holder and supervisors only)",
        f"  children, reply frames: {child_lost} lost, {child_dup} duplicated seq, "
        f"{child_unexpected} late (after the child had given up waiting); {reply_posts} replies "
        f"confirmed, {replies_stored} stored",
        f"  database: {len(stored)} inbound rows for {len(stored_ids)} distinct ids; "
        f"{len(acked)} acknowledged, "
        f"{len(sent)} sent; {db_lost} acknowledged but not stored, {db_dup} duplicated rows",
        f"  chat sockets closed by the server (not 1000): "
        f"{', '.join(f'{k} x{v}' for k, v in sorted(closes.items())) or 'none'}; refused: "
        f"{', '.join(f'{k} x{v}' for k, v in sorted(refused.items())) or 'none'}; console sockets: "
        f"{', '.join(c.closed for c in run.counsellors if c.closed) or 'none closed'}",
        f"  console events received over the whole run (all sockets, by reason): {counts(by_reason)}; "
        f"while measuring: {counts(measured)}",
        f"  console sockets' own ping -> pong while measuring: {spread(pongs)}; "
        f"{sum(c.pings_unanswered for c in run.counsellors)} unanswered; "
        f"{deaf} of {len(run.counsellors)} sockets answered pings but got no 'message' event while measuring",
        "",
        "CPU seconds during the measured phase: "
        + ", ".join(f"{k} {v:.1f}" for k, v in run.cpu.items())
        + f" (of {run.phases.get('measure', math.nan):.0f} s wall, {len(os.sched_getaffinity(0))} CPUs)",
        f"load generator event-loop lag while measuring: p50 {fmt_ms(percentile(lag, 50))}, "
        f"p99 {fmt_ms(percentile(lag, 99))}, max {fmt_ms(lag[-1] if lag else math.nan)}",
        *log_findings(run.servers),
        *(
            [
                f"  PostgreSQL client connections (sampled each second): to {PG_DATABASE} max "
                f"{max(o for o, _a, _m in run.pg_connections)} (1 of them this script's watcher), all "
                f"databases max {max(a for _o, a, _m in run.pg_connections)} of max_connections "
                f"{run.pg_connections[0][2]}"
            ]
            if run.pg_connections
            else []
        ),
        *(f"  {note}" for note in run.notes),
        "",
        f"TARGET round trip p95 < {TARGET_P95_MS:.0f} ms: {verdict['rt95']} (p95 {fmt_ms(p95)})",
        f"TARGET round trip p99 < {TARGET_P99_MS:.0f} ms: {verdict['rt99']} (p99 {fmt_ms(p99)})",
        f"TARGET child -> counsellor's socket p95 < {TARGET_P95_MS:.0f} ms: {verdict['ow95']} "
        f"(p95 {fmt_ms(o95)})",
        f"TARGET child -> counsellor's socket p99 < {TARGET_P99_MS:.0f} ms: {verdict['ow99']} "
        f"(p99 {fmt_ms(o99)})",
        f"TARGET zero lost: {verdict['lost']}",
        f"TARGET zero duplicated: {verdict['dup']}",
    ]
    return "\n".join(lines) + "\n", all(v == "OK" for v in verdict.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--scenario", choices=["one", "two", "both"], default="both")
    parser.add_argument("--chats", type=int, default=500, help="concurrent chats (default 500)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument("--messages", type=int, default=5, help="messages per chat (default 5)")
    parser.add_argument("--counsellors", type=int, default=10, help="counsellors (default 10)")
    parser.add_argument("--start-rate", type=float, default=10.0, help="chats arriving a second (default 10)")
    parser.add_argument("--timeout", type=float, default=30.0, help="round trip timeout, s (default 30)")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database for scenario two")
    parser.add_argument("--seed", type=int, default=1280)
    parser.add_argument(
        "--reply-via",
        choices=["socket", "post"],
        default="socket",
        help="how counsellors send replies: over the console socket, as the console does while it is "
        "open (default), or by the form's POST, its fallback",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument(
        "--settings",
        default=DEFAULT_SETTINGS,
        help="settings module for the servers, to try a fix (importable with the inherited PYTHONPATH); "
        "results then go to chat-<scenario>-<module>.txt and say so",
    )
    parser.add_argument("--strict", action="store_true", help=f"exit {EXIT_MISSED} when a target is missed")
    args = parser.parse_args(argv)
    if not (1 <= args.chats <= 5000 and 1 <= args.messages <= 100 and 1 <= args.counsellors <= 200):
        parser.error("--chats 1..5000, --messages 1..100, --counsellors 1..200")
    if not (0 < args.duration <= 3600 and args.start_rate > 0 and 0 < args.timeout <= 300):
        parser.error("--duration in (0, 3600], --start-rate > 0, --timeout in (0, 300]")
    if args.duration / args.messages < 1.1:
        parser.error("at most one message per 1.1 s per chat (the server's flood limit is 10 frames in 10 s)")
    scenarios = ["one", "two"] if args.scenario == "both" else [args.scenario]
    if "two" in scenarios and args.counsellors < 2:
        parser.error("scenario two needs at least 2 counsellors (one on each process)")
    failed = missed = False
    for scenario in scenarios:
        code = run_scenario(args, scenario)
        failed |= code == 1
        missed |= code == EXIT_MISSED
    if failed:
        return 1
    return EXIT_MISSED if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
