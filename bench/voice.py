#!/usr/bin/env python
"""Calls from the PBX at speed, through the real code paths, against a server that speaks Asterisk's manager
protocol over TCP (tests/ami_server.py) replaying app_queue events (tests/ami_scenarios.py):

* throughput: the real connector (`voice_ami.run`: panoramisk, then `voice_events` through `sync_to_async`,
  one transaction for the events that arrived while the last batch was applied) reads
  a stream of N answered calls (6 AMI events each: QueueCallerJoin, AgentCalled, AgentConnect,
  AgentComplete, plus Newchannel noise and the caller's Hangup, read and ignored once the call has
  completed) sent as fast as it reads them; the clock runs from the
  first byte sent until the database shows every call completed. Target: at least 500 AMI events/s.
* screen-pop latency: a real server process (uvicorn `--lifespan on`, with ASTERISK_AMI_URL, so the
  connector runs inside it as in production without Redis) and a counsellor's real websocket
  (/ws/staff/, signed in with a session cookie); for each call the join and ring go first, then the clock
  runs from sending AgentConnect until the socket receives the screen_pop frame. Target: p95 < 300 ms.

    .venv/bin/python bench/voice.py [--engine sqlite|postgres|both] [--calls 5000] [--pops 250]
    make bench-voice

Each engine runs on a fresh database: SQLite under var/bench/voice-sqlite/ (production SQLite settings),
PostgreSQL in helpline_bench_voice at 127.0.0.1:5432 (dropped and created for each part). DEBUG is off.
Results are printed and written to bench/results/voice-<engine>.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchlib import PG_SERVER, machine_line, prepare_postgres

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import ami_scenarios as sc  # noqa: E402
from tests.ami_server import ConnectorThread, ThreadedAMIServer, encode  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VAR = ROOT / "var" / "bench"
PG_DATABASE = "helpline_bench_voice"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
TARGET_EVENTS_PER_SECOND = 500.0
TARGET_POP_P95_MS = 300.0
EXIT_MISSED = 3
# Production mode (DEBUG off) needs these; bench-only values.
BENCH_KEYS = {
    "SECRET_KEY": "bench-voice-secret-key-" + "k" * 40,
    "HELPLINE_FIELD_KEYS": "YmVuY2gtdm9pY2UtZmllbGQta2V5LTMyLWJ5dGVzISE=",
    "HELPLINE_DEBUG": "0",
    "HELPLINE_HTTPS": "0",
    "HELPLINE_LOG_LEVEL": "WARNING",
}


# --- Machine and database -------------------------------------------------------------------------------


def engine_env(engine: str, part: str) -> dict[str, str]:
    """Environment for a Helpline process on a fresh database of this engine."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env = {k: v for k, v in env.items() if not k.startswith("HELPLINE_") and k != "ASTERISK_AMI_URL"}
    data_dir = VAR / f"voice-{engine}-{part}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(BENCH_KEYS, DJANGO_SETTINGS_MODULE="config.settings", HELPLINE_DATA_DIR=str(data_dir))
    env["PYTHONPATH"] = str(ROOT)
    if engine == "postgres":
        env["DATABASE_URL"] = PG_URL
    return env


def engine_version(engine: str) -> str:
    if engine == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return f"PostgreSQL {row[0] if row else '?'}"
    except psycopg.OperationalError:
        return "PostgreSQL (unreachable)"


def fmt_load(load: Sequence[float]) -> str:
    return "/".join(f"{x:.1f}" for x in load)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


# --- Part 1: throughput (runs in a child process with Django set up on the engine's database) -----------


def throughput_worker(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from helpline.accounts.models import Role, Staff
    from helpline.audit.models import AuditEvent
    from helpline.contacts.models import Contact
    from helpline.voice.models import CallState, VoiceCall, VoiceEvent

    load_before = os.getloadavg()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    extensions = sc.bench_agents(args.agents)
    unusable = make_password(None)
    Staff.objects.bulk_create(
        [
            Staff(
                username=f"agent{e}",
                full_name=f"Agent {e}",
                role=Role.COUNSELLOR,
                extension=e,
                password=unusable,
            )
            for e in extensions
        ]
    )
    blocks = list(sc.many_calls(args.calls, extensions))
    queue_events = sum(1 for b in blocks if b[0][1] in sc.EVENT_NAMES_FOLLOWED)
    data = b"".join(encode(b) for b in blocks)

    problems: list[str] = []

    class Problems(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING and len(problems) < 20:
                problems.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    logging.getLogger().addHandler(Problems())

    samples: list[tuple[float, int]] = []  # (seconds since start, stored queue events)
    with ThreadedAMIServer() as pbx:
        connector = ConnectorThread(pbx.url).start()
        pbx.wait_for_logins(1)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        sending = asyncio.run_coroutine_threadsafe(pbx.server.send_raw(data), pbx.loop)
        sent_at: float | None = None
        deadline = t0 + args.timeout
        completed = 0
        while time.perf_counter() < deadline:
            if sent_at is None and sending.done():
                sent_at = time.perf_counter() - t0
            completed = VoiceCall.objects.filter(state=CallState.COMPLETED).count()
            samples.append((time.perf_counter() - t0, VoiceEvent.objects.count()))
            if completed >= args.calls:
                break
            time.sleep(0.25)
        wall = time.perf_counter() - t0
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        connector.stop()
        connector_alive_until_stop = connector.error is None

    calls = VoiceCall.objects.count()
    contacts = Contact.objects.count()
    stored = VoiceEvent.objects.count()
    without_counsellor = Contact.objects.filter(counsellor__isnull=True).count()
    audited = AuditEvent.objects.filter(action__startswith="call.").count()
    # Sustained: the rate over 5-second windows of the run (stored queue events, scaled to all events).
    windows = []
    per_event = len(blocks) / max(1, queue_events)
    step = max(1, int(5 / 0.25))
    for i in range(0, len(samples) - step, step):
        (ta, ea), (tb, eb) = samples[i], samples[i + step]
        if tb > ta:
            windows.append((eb - ea) / (tb - ta) * per_event)
    result = {
        "engine_vendor": connection.vendor,
        "calls": args.calls,
        "agents": args.agents,
        "events": len(blocks),
        "queue_events": queue_events,
        "bytes": len(data),
        "wall_s": wall,
        "sent_s": sent_at,
        "migrate_s": migrate_s,
        "completed": completed,
        "calls_stored": calls,
        "contacts": contacts,
        "voice_events": stored,
        "without_counsellor": without_counsellor,
        "audited": audited,
        "windows": windows,
        "problems": problems,
        "connector_ok": connector_alive_until_stop,
        "load": [load_before, os.getloadavg()],
        "cpu_s": (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime),
        "window_starts": [samples[i][0] for i in range(0, len(samples) - step, step)],
    }
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def run_throughput(args: argparse.Namespace, engine: str) -> dict[str, Any] | None:
    if engine == "postgres":
        error = prepare_postgres(PG_DATABASE)
        if error:
            print(f"postgres: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
            return None
    env = engine_env(engine, "throughput")
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--calls",
        str(args.calls),
        "--agents",
        str(args.agents),
        "--timeout",
        str(args.timeout),
    ]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    print(f"{engine}: the throughput run failed (exit {result.returncode}):\n{result.stdout[-3000:]}")
    print(result.stderr[-5000:])
    return None


# --- Part 2: screen-pop latency through a real server process and websocket -------------------------------

SIGN_IN = """
import datetime as dt
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from helpline.accounts import services
from helpline.accounts.models import Role, Staff
today = timezone.localdate()
staff = Staff.objects.create_user("bench-counsellor", "a long enough passphrase", role=Role.COUNSELLOR)
staff.extension = "1001"
staff.save()
policy = services.policy_publish(None, version="b1", title="Policy", text="x", effective_date=today)
services.policy_sign(staff, policy=policy)
services.police_check_record(staff, staff=staff, issued_on=today - dt.timedelta(days=1),
                             expires_on=today + dt.timedelta(days=300))
device = TOTPDevice.objects.create(user=staff, name="t", confirmed=True)
client = Client()
client.force_login(staff)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
print(client.cookies["helpline_session"].value)
"""


def run_screen_pops(args: argparse.Namespace, engine: str) -> dict[str, Any] | None:
    from websockets.sync.client import connect

    from tests.servers import Children, free_port, manage, wait_until_healthy

    if engine == "postgres":
        error = prepare_postgres(PG_DATABASE)
        if error:
            print(f"postgres: SKIPPED, cannot reach {PG_SERVER}: {error}", flush=True)
            return None
    env = engine_env(engine, "screenpop")
    base = Path(env["HELPLINE_DATA_DIR"])
    children = Children()
    latencies: list[float] = []
    other_frames = 0
    load_before = os.getloadavg()
    with ThreadedAMIServer() as pbx:
        env["ASTERISK_AMI_URL"] = pbx.url
        env["HELPLINE_LOG_LEVEL"] = "WARNING"
        manage(env, "migrate", "--noinput", "-v", "0")
        session_key = manage(env, "shell", "-c", SIGN_IN).stdout.strip().splitlines()[-1]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = base / "server.log"
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-server-header",
            "--lifespan",
            "on",
        ]
        server_command = f"ASTERISK_AMI_URL={pbx.url.replace(pbx.server.secret, '***')} " + shlex.join(
            ["python", *argv[1:]]
        )
        try:
            process = children.start("helpline server", argv, log_path, env=env)
            wait_until_healthy(url, process, log_path)
            pbx.wait_for_logins(1, timeout=30)  # the connector inside the server logged in
            ws = connect(
                f"ws://127.0.0.1:{port}/ws/staff/",
                origin=url,
                additional_headers={"Cookie": f"helpline_session={session_key}"},
            ).__enter__()
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"

            def frame_until(pred: Any, timeout: float = 10) -> dict[str, Any]:
                nonlocal other_frames
                end = time.perf_counter() + timeout
                while True:
                    frame = json.loads(ws.recv(timeout=max(0.01, end - time.perf_counter())))
                    if pred(frame):
                        return frame
                    other_frames += 1

            renderer = sc.Renderer()
            for n in range(args.warmup + args.pops):
                _call, blocks = renderer.render(sc.ANSWERED, start=sc.T0 + n * 30)
                before, after = sc.split_at(blocks, "AgentConnect")
                connect_block, rest = before[-1], after
                pbx.send(before[:-1])
                frame_until(lambda f: f.get("reason") == "call_ring")  # join and ring are in
                t0 = time.perf_counter()
                pbx.send([connect_block])
                frame_until(lambda f: f.get("reason") == "screen_pop")
                elapsed = (time.perf_counter() - t0) * 1000
                if n >= args.warmup:
                    latencies.append(elapsed)
                pbx.send(rest)
                frame_until(lambda f: f.get("reason") == "call_complete")
            ws.close()
        finally:
            children.stop_all()
    return {
        "latencies_ms": latencies,
        "other_frames": other_frames,
        "server_command": server_command,
        "load": [load_before, os.getloadavg()],
    }


# --- Report ----------------------------------------------------------------------------------------------


def report(
    args: argparse.Namespace, engine: str, tp: dict[str, Any] | None, pops: dict[str, Any] | None
) -> bool:
    lines = [
        f"Helpline voice benchmark: {engine} ({engine_version(engine)})",
        f"date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {machine_line()}",
        "command: "
        + shlex.join(
            [
                ".venv/bin/python",
                "bench/voice.py",
                "--engine",
                engine,
                "--calls",
                str(args.calls),
                "--agents",
                str(args.agents),
                "--pops",
                str(args.pops),
            ]
        )
        + "   (or: make bench-voice)",
        "settings: config.settings with DEBUG off, in-memory channel layer (no REDIS_URL)",
        "",
    ]
    missed = False
    if tp is not None:
        rate = tp["events"] / tp["wall_s"]
        queue_rate = tp["queue_events"] / tp["wall_s"]
        windows = tp["windows"]
        lines += [
            "AMI throughput: the real connector (voice_ami.run) reading the AMI server over TCP",
            f"  stream: {tp['calls']:,} answered calls x 6 events = {tp['events']:,} AMI events "
            f"({tp['queue_events']:,} queue events the connector records, the rest noise), "
            f"{tp['bytes'] / 1e6:.1f} MB; {tp['agents']} agents",
            "  clock: first byte sent -> the database shows every call completed"
            f" (the server finished writing after {tp['sent_s'] or 0:.1f} s)",
            f"  wall time {tp['wall_s']:.1f} s: {rate:,.0f} AMI events/s ({queue_rate:,.0f} queue events/s, "
            f"{tp['calls'] / tp['wall_s']:,.1f} calls/s)",
        ]
        lines.append(
            f"  load average (1/5/15 min) before {fmt_load(tp['load'][0])}, after {fmt_load(tp['load'][1])}"
        )
        if windows:
            lines.append(
                f"  sustained (5 s windows, AMI events/s): min {min(windows):,.0f}, "
                f"median {statistics.median(windows):,.0f}, max {max(windows):,.0f}"
            )
        if "cpu_s" in tp:
            cpu = tp["cpu_s"]
            lines.append(
                f"  CPU of this process (connector, its database calls, the AMI server): {cpu:.1f} s over "
                f"{tp['wall_s']:.1f} s wall = {cpu / tp['events'] * 1000:.2f} ms per AMI event "
                f"({cpu / tp['queue_events'] * 1000:.2f} ms per queue event): "
                f"at most ~{tp['events'] / cpu:,.0f} AMI events/s with a CPU to itself"
                + (" (PostgreSQL's own CPU not included)" if tp["engine_vendor"] == "postgresql" else "")
            )
            slow = [w for w in windows if w < TARGET_EVENTS_PER_SECOND]
            lines.append(f"  5 s windows under the target: {len(slow)} of {len(windows)}")
        checks = (
            tp["completed"] == tp["calls"]
            and tp["calls_stored"] == tp["calls"]
            and tp["contacts"] == tp["calls"]
            and tp["voice_events"] == tp["queue_events"]
            and tp["without_counsellor"] == 0
        )
        lines.append(
            f"  records: {tp['calls_stored']:,} calls, {tp['contacts']:,} contacts, "
            f"{tp['voice_events']:,} events stored, {tp['without_counsellor']} contacts without counsellor "
            f"-> {'OK' if checks else 'WRONG'}"
        )
        if "audited" in tp:  # each contact's creation, answer and end (rings change no client record)
            lines.append(
                f"  audit trail: {tp['audited']:,} call.* rows ({tp['audited'] / tp['calls']:.1f} per call)"
            )
        for problem in tp["problems"]:
            lines.append(f"  logged: {problem}")
        sustained = min(windows) if windows else rate
        ok = rate >= TARGET_EVENTS_PER_SECOND and sustained >= TARGET_EVENTS_PER_SECOND and checks
        missed |= not ok
        lines.append(
            f"  TARGET >= {TARGET_EVENTS_PER_SECOND:.0f} AMI events/s sustained: "
            f"{'OK' if ok else 'MISSED'} ({rate:,.0f}/s overall, {sustained:,.0f}/s slowest 5 s window)"
        )
        lines.append("")
    if pops is not None:
        values = pops["latencies_ms"]
        p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
        lines += [
            "screen-pop latency: AgentConnect sent by the AMI server -> screen_pop frame on the counsellor's "
            "websocket",
            f"  server: {pops['server_command']} (connector inside the server: helpline/voice/in_process.py)",
            f"  calls: {len(values)} timed after {args.warmup} warm-up, one at a time (join and ring first)",
            f"  p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   p99 {p99:7.2f} ms   max {max(values):7.2f} ms   "
            f"mean {statistics.fmean(values):7.2f} ms",
            f"  load average (1/5/15 min) before {fmt_load(pops['load'][0])}, "
            f"after {fmt_load(pops['load'][1])}",
        ]
        ok = p95 < TARGET_POP_P95_MS
        missed |= not ok
        lines.append(
            f"  TARGET p95 < {TARGET_POP_P95_MS:.0f} ms: {'OK' if ok else 'MISSED'} (p95 {p95:.2f} ms)"
        )
    text = "\n".join(lines).rstrip() + "\n"
    print(text, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"voice-{engine}.txt").write_text(text)
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--calls", type=int, default=5000, help="answered calls streamed (6 events each)")
    parser.add_argument("--agents", type=int, default=20, help="counsellors with extensions")
    parser.add_argument("--pops", type=int, default=250, help="timed screen-pops")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--part", choices=["throughput", "screenpop", "both"], default="both")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before the throughput run gives up"
    )
    parser.add_argument("--strict", action="store_true", help=f"exit {EXIT_MISSED} when a target is missed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return throughput_worker(args)
    missed = failed = False
    for engine in ["sqlite", "postgres"] if args.engine == "both" else [args.engine]:
        tp = run_throughput(args, engine) if args.part in {"throughput", "both"} else None
        pops = run_screen_pops(args, engine) if args.part in {"screenpop", "both"} else None
        if (args.part != "screenpop" and tp is None) or (args.part != "throughput" and pops is None):
            failed = True
        if tp is not None or pops is not None:
            missed |= report(args, engine, tp, pops)
        if engine == "postgres":
            prepare_postgres(PG_DATABASE, drop_only=True)
    if failed:
        return 1
    return EXIT_MISSED if missed and args.strict else 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    raise SystemExit(main())
