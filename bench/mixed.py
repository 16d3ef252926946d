#!/usr/bin/env python
"""Mixed load at twice the national-scale peak: console pages, SMS intake, chats and API reads
together, against PostgreSQL with one and then two server processes.

Issue wording: "a mixed load (console pages, SMS ingest, chats, API reads) at twice the
national-scale peak (about 30 requests/s of mixed traffic plus 700 open chats) for 5 minutes
against PostgreSQL with two application workers, and prints p50/p95/p99 and the error rate; target
p95 under 500 ms and errors under 0.1 %, and how the figures move from one to two workers."

    .venv/bin/python bench/mixed.py [--workers 1,2] [--duration 300] [--rate 30] [--chats 700]
    make bench-mixed

`--mix console=1` (or any weights of the kinds below) sends only some kinds: with the server's CPU
seconds printed beside the count of requests, that gives one kind's cost on its own.

Each run: a fresh PostgreSQL database (helpline_bench_mixed), Redis as the channel layer, N uvicorn
processes (production settings, as deploy/ runs them), the task worker and the scheduler. The load
generator (this process) first opens --chats children's chats (spread over the processes, each from
its own address, --start-rate a second), then for --duration seconds sends HTTP requests as a
Poisson stream of --rate a second, spread over the processes as nginx would:

    30 % SMS through the Kannel webhook (new and returning numbers)
    25 % the console page of one of --counsellors signed-in counsellors (GET /console/)
    15 % the console's lists (GET /console/lists/)
    20 % the contacts API (GET /api/v1/contacts?limit=20), with a token
    10 % the cases API (GET /api/v1/cases?limit=20), with a token

while every open chat sends a message every --chat-interval seconds (its ack is timed too).
An error is an answer of 5xx, an unexpected status, or no answer within 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
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
from chat import COUNSELLORS_SCRIPT, child_address, manage, raise_fd_limit, redis_answers, redis_forget
from chat import server_env as chat_server_env

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_DATABASE = "helpline_bench_mixed"
SECRET = "bench-mixed-kannel-secret-0123456789"
TIMEOUT = 10.0
TARGET_P95 = 0.5
TARGET_ERRORS = 0.001
MIX = [("sms", 30), ("console", 25), ("lists", 15), ("api_contacts", 20), ("api_cases", 10)]
EXPECTED = {"sms": {200}, "console": {200}, "lists": {200}, "api_contacts": {200}, "api_cases": {200}}
TOKEN_SCRIPT = (
    "from helpline.accounts.permissions import Scope\n"
    "from helpline.accounts.services import api_token_create\n"
    "print('TOKEN ' + api_token_create(None, name='bench', scopes=[s.value for s in Scope])[1])\n"
)


@dataclass
class Results:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter[str] = field(default_factory=Counter)
    chat_acks: list[float] = field(default_factory=list)
    chat_errors: Counter[str] = field(default_factory=Counter)
    chats_open: int = 0
    chats_failed: Counter[str] = field(default_factory=Counter)
    sent: int = 0


async def one_request(http: Any, kind: str, url: str, headers: dict[str, str], results: Results) -> None:
    began = time.perf_counter()
    try:
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            await response.read()
            status = response.status
    except Exception as exc:  # no answer in time, connection refused: an error
        results.errors[f"{kind}: {type(exc).__name__}"] += 1
        results.statuses[kind]["none"] += 1
        return
    results.seconds[kind].append(time.perf_counter() - began)
    results.statuses[kind][str(status)] += 1
    if status not in EXPECTED[kind]:
        results.errors[f"{kind}: {status}"] += 1


def request_for(
    kind: str, rng: random.Random, base: str, sessions: list[str], token: str, n: int
) -> tuple[str, dict[str, str]]:
    if kind == "sms":
        number = f"8551{rng.randrange(3000):07d}"  # a few thousand children: many write again
        text = rng.choice(["សួស្តី", "ខ្ញុំត្រូវការជំនួយ", "hello", "អរគុណ"])
        query = f"secret={SECRET}&from={number}&to=1280&id=mixed-{n}&text={text}"
        return f"{base}/hooks/sms/kannel?{query}", {}
    if kind in ("console", "lists"):
        path = "/console/" if kind == "console" else "/console/lists/"
        return base + path, {"Cookie": f"helpline_session={rng.choice(sessions)}"}
    path = "/api/v1/contacts?limit=20" if kind == "api_contacts" else "/api/v1/cases?limit=20"
    return base + path, {"Authorization": f"Bearer {token}"}


async def chat_child(
    index: int, base: str, ws_base: str, interval: float, stop_at: float, results: Results, rng: random.Random
) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    try:
        ws = await connect(
            f"{ws_base}/ws/chat/",
            origin=Origin(base),
            additional_headers={"X-Forwarded-For": child_address(rng, index)},
            proxy=None,
            open_timeout=60,
            max_queue=None,
        )
    except Exception as exc:
        results.chats_failed[type(exc).__name__] += 1
        return
    try:
        await ws.send(json.dumps({"type": "start", "language": "km"}))
        while json.loads(await asyncio.wait_for(ws.recv(), 60)).get("type") != "started":
            pass
        results.chats_open += 1
        await asyncio.sleep(rng.uniform(0, interval))
        number = 0
        while time.perf_counter() < stop_at:
            number += 1
            client_id = f"c{index}-{number}"
            began = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "id": client_id, "text": "សួស្តី"}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                if frame.get("type") == "ack" and frame.get("id") == client_id:
                    break
            results.chat_acks.append(time.perf_counter() - began)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))
    except Exception as exc:
        results.chat_errors[type(exc).__name__] += 1
    finally:
        await ws.close()


async def drive(
    args: argparse.Namespace, urls: list[str], sessions: list[str], token: str
) -> tuple[Results, dict[str, float]]:
    import aiohttp

    results = Results()
    rng = random.Random(args.seed)
    phases: dict[str, float] = {}
    began = time.perf_counter()
    chat_until = began + args.chats / args.start_rate + 5 + args.duration
    chats = []
    for index in range(args.chats):
        base = urls[index % len(urls)]
        ws_base = base.replace("http://", "ws://")
        chats.append(
            asyncio.ensure_future(
                chat_child(
                    index, base, ws_base, args.chat_interval, chat_until, results, random.Random(index)
                )
            )
        )
        await asyncio.sleep(1 / args.start_rate)
    await asyncio.sleep(5)
    phases["chats opened (s)"] = time.perf_counter() - began
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    kinds, weights = zip(*args.mix, strict=True)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        pending: set[asyncio.Task[None]] = set()
        load_began = time.perf_counter()
        end = load_began + args.duration
        next_at = load_began
        n = 0
        while next_at < end:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            kind = rng.choices(kinds, weights)[0]
            url, headers = request_for(kind, rng, urls[n % len(urls)], sessions, token, n)
            task = asyncio.ensure_future(one_request(http, kind, url, headers, results))
            pending.add(task)
            task.add_done_callback(pending.discard)
            results.sent += 1
            n += 1
            next_at += rng.expovariate(args.rate)
        phases["mixed load (s)"] = time.perf_counter() - load_began
        if pending:
            await asyncio.wait(pending, timeout=TIMEOUT + 5)
    if chats:  # none with --chats 0 (asyncio.wait refuses an empty set)
        await asyncio.wait(chats, timeout=TIMEOUT + 60)
    return results, phases


def fmt(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "none"
    p = [percentile(ordered, q) * 1000 for q in (50, 95, 99)]
    return f"p50 {p[0]:.0f} ms, p95 {p[1]:.0f} ms, p99 {p[2]:.0f} ms (n={len(ordered)})"


def run_once(args: argparse.Namespace, workers: int) -> tuple[str, bool]:
    error = prepare_postgres(PG_DATABASE)
    if error:
        return f"{workers} worker(s): SKIPPED, PostgreSQL: {error}", False
    work = Path(tempfile.mkdtemp(prefix=f"helpline-bench-mixed-{workers}-"))
    prefix = f"helpline-bench-mixed-{os.getpid()}-{secrets.token_hex(3)}"
    env = chat_server_env("two", work, prefix, args.redis_db)
    env.update(
        DATABASE_URL=f"{PG_SERVER.replace('postgresql', 'postgres')}/{PG_DATABASE}",
        HELPLINE_KANNEL_SECRET=SECRET,
    )
    env.update(HELPLINE_LOG_LEVEL="WARNING", HELPLINE_BEHIND_PROXY="1", HELPLINE_TRUSTED_PROXIES="127.0.0.1")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    out = manage(env, "shell", "-c", COUNSELLORS_SCRIPT.replace("COUNT", str(args.counsellors)))
    sessions = [
        a["session"]
        for a in json.loads(next(line for line in out.splitlines() if line.startswith("COUNSELLORS "))[12:])
    ]
    token = next(
        line for line in manage(env, "shell", "-c", TOKEN_SCRIPT).splitlines() if line.startswith("TOKEN ")
    )[6:]
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    urls = []
    cpu_before: dict[int, float] = {}
    client_before = time.process_time()
    try:
        for index in range(workers):
            port = free_port()
            log = work / f"server-{index + 1}.log"
            handle = log.open("wb")
            logs.append(handle)
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
            argv += ["--no-server-header", "--no-access-log", "--ws-per-message-deflate", "false"]
            argv += ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
            processes.append(
                subprocess.Popen(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
            )
            urls.append(f"http://127.0.0.1:{port}")
            wait_healthy(urls[-1], processes[-1], log)
        for name, argv in (
            ("worker", ["manage.py", "worker", "--interval", "1"]),
            ("scheduler", ["manage.py", "scheduler"]),
        ):
            handle = (work / f"{name}.log").open("wb")
            logs.append(handle)
            processes.append(
                subprocess.Popen(
                    [sys.executable, *argv], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
                )
            )
        load_before = load_average()
        for process in processes[:workers]:
            cpu_before[process.pid] = _cpu(process.pid)
        results, phases = asyncio.run(drive(args, urls, sessions, token))
        cpu = [_cpu(p.pid) - cpu_before[p.pid] for p in processes[:workers]]
        client_cpu = time.process_time() - client_before
        load_after = load_average()
    finally:
        for process in reversed(processes):
            stop(process)
        for handle in logs:
            handle.close()
        redis_forget(args.redis_db, prefix)
    everything = [s for values in results.seconds.values() for s in values]
    answered = sum(sum(c.values()) for c in results.statuses.values())
    error_count = sum(results.errors.values())
    error_rate = error_count / answered if answered else math.nan
    p95 = percentile(sorted(everything), 95)
    chat_messages = len(results.chat_acks) + sum(results.chat_errors.values())
    operations = results.sent + results.chats_open + chat_messages
    ok = p95 < TARGET_P95 and error_rate < TARGET_ERRORS and results.chats_open >= args.chats * 0.999
    lines = [
        f"-- {workers} server process(es), PostgreSQL, Redis, worker and scheduler --",
        f"load average before: {load_before}; after: {load_after}",
        f"chats open: {results.chats_open} of {args.chats}; "
        f"failed to open: {dict(results.chats_failed) or 'none'}",
        f"chat message acknowledged: {fmt(results.chat_acks)}; "
        f"chat errors: {dict(results.chat_errors) or 'none'}",
        f"HTTP requests sent: {results.sent} in {phases.get('mixed load (s)', 0):.1f} s "
        f"({results.sent / max(phases.get('mixed load (s)', 1), 1):.1f}/s)",
        f"all HTTP: {fmt(everything)}",
    ]
    for kind, _weight in args.mix:
        lines.append(f"  {kind:13s} {fmt(results.seconds[kind])}; statuses {dict(results.statuses[kind])}")
    lines += [
        f"errors: {error_count} of {answered} = {error_rate * 100:.3f} % ({dict(results.errors) or 'none'})",
        f"server CPU seconds during the run: {', '.join(f'{c:.1f}' for c in cpu)}; "
        f"{sum(cpu) / max(1, operations) * 1000:.1f} ms per operation ({operations} HTTP requests sent, "
        "chats opened and chat messages sent)",
        # The load generator shares the machine's CPUs: if it is near one CPU-second a second it,
        # not the server, is what limits the rate.
        f"load generator CPU seconds: {client_cpu:.1f} "
        f"({client_cpu / max(1.0, sum(phases.values())):.2f} a second)",
        f"target: p95 < {TARGET_P95 * 1000:.0f} ms, errors < {TARGET_ERRORS * 100:.1f} %: "
        + ("MET" if ok else "MISSED"),
    ]
    prepare_postgres(PG_DATABASE, drop_only=True)
    return "\n".join(lines), ok


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mix(text: str) -> list[tuple[str, int]]:
    mix = []
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind not in EXPECTED or not weight.isdigit() or int(weight) < 1:
            raise argparse.ArgumentTypeError(f"{part!r}: a kind of {', '.join(EXPECTED)} = a weight")
        mix.append((kind, int(weight)))
    return mix


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="server processes, one run each (comma-separated)")
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--rate", type=float, default=30.0, help="HTTP requests a second")
    parser.add_argument("--chats", type=int, default=700)
    parser.add_argument(
        "--start-rate", type=float, default=20.0, help="chats opened a second before the load"
    )
    parser.add_argument("--chat-interval", type=float, default=60.0, help="seconds between a chat's messages")
    parser.add_argument("--counsellors", type=int, default=20)
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1280)
    parser.add_argument(
        "--mix",
        type=_mix,
        default=MIX,
        help="kinds and weights, e.g. console=1 or sms=3,api_contacts=2 (default: the national mix)",
    )
    args = parser.parse_args()
    if not redis_answers():
        print("no Redis at 127.0.0.1:6379", file=sys.stderr)
        return 1
    fd_line = raise_fd_limit(args.chats * 2 + 1024)
    command = f".venv/bin/python bench/mixed.py {shlex.join(sys.argv[1:])}".strip()
    head = [
        "Helpline mixed-load benchmark (console pages, SMS, chats, API) against PostgreSQL",
        f"date: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        f"machine: {machine_line()}",
        f"open files: {fd_line}",
        f"command: {command}   (or: make bench-mixed)",
        f"load: {args.rate:g} HTTP requests/s (Poisson) for {args.duration:g} s, mix "
        + ", ".join(f"{k} {w * 100 / sum(w for _k, w in args.mix):g} %" for k, w in args.mix)
        + f"; {args.chats} open chats, one message each every {args.chat_interval:g} s"
        + f"; timeout {TIMEOUT:g} s",
        "",
    ]
    print("\n".join(head), flush=True)
    parts, all_ok = [], True
    for workers in (int(w) for w in args.workers.split(",")):
        text, ok = run_once(args, workers)
        print(text + "\n", flush=True)
        parts.append(text)
        all_ok &= ok
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "mixed-" + "-".join(args.workers.split(",")) + "-workers.txt"
    (RESULTS / name).write_text("\n".join(head) + "\n" + "\n\n".join(parts) + "\n")
    return 0 if all_ok else 3


if __name__ == "__main__":
    sys.exit(main())
