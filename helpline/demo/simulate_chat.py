"""Synthetic web chats over the real chat websocket (/ws/chat/) of a running Helpline.

    simulate_chats("http://127.0.0.1:8000", rate=2, duration=30)
    python manage.py simulate --chats --rate 2 --duration 30        # once wired (see below)

Each simulated child opens its own socket (with an Origin header equal to the server's address, as
the chat page sends), starts a chat ("start": mostly Khmer, sometimes English, sometimes with a
nickname and age), then sends a few short messages a child might write: a greeting, something
generic such as "I have a problem at school", now and then just "testing". Every message has its
own client id and waits for its "ack" before the next, with a short think-time pause between them.
At the end most children press "leave"; some simply close the page (the socket closes without
"leave").

Chats are started at `rate` a second for `duration` seconds and run concurrently (asyncio).
Only a loopback server is contacted unless allow_remote=True.

Addresses: the server allows a limited number of chat starts per address an hour
(settings.CHAT_STARTS_PER_ADDRESS_PER_HOUR). Real children arrive from many addresses, so by default each
simulated child sends an X-Forwarded-For header with its own documentation-range address
(RFC 5737 IPv4 / RFC 3849 IPv6, never a real one). uvicorn trusts that header from loopback peers
(its default, and `manage.py serve` runs it with --proxy-headers); against a server that does not,
every chat comes from this machine's address and those beyond the limit are refused, which the
summary reports. same_address=True sends no such header.

Wiring into `manage.py simulate` (one line each in the command):

    add_arguments(parser)                               # in Command.add_arguments
    if options["chats"]: return run_from_options(options, self.stdout)   # first in handle()

add_arguments adds --chats and the chat options, and --url/--rate/--duration/--seed/--allow-remote
only when the parser does not have them already.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import random
import socket
import sys
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

MAX_RATE = 200.0
MAX_DURATION = 3600.0
MAX_MESSAGES = 50
MAX_CHATS = 20_000
RECEIVE_TIMEOUT = 15.0  # seconds to wait for "started" or an "ack"
OPEN_TIMEOUT = 10.0
# The server closes a chat socket that sends more than FLOOD_FRAMES frames in FLOOD_SECONDS
# (consumers.py); the simulated children stay under it.
FLOOD_FRAMES, FLOOD_SECONDS = 10, 10.0
KHMER_SHARE = 0.8
LEAVE_SHARE = 0.75  # the others just close the socket
TESTING_SHARE = 0.08

# Generic and non-graphic on purpose: what children write first to a helpline chat.
GREETINGS_KM = [
    "សួស្តី",  # hello
    "សួស្តី មានអ្នកណានៅទីនោះទេ?",  # hello, is anyone there?
    "ជម្រាបសួរ",  # hello (polite)
    "សួស្តី បង",  # hello (to an older person)
]
GREETINGS_EN = ["hello", "hi", "Hello, is anyone there?", "hi, is this 1280?"]
TEXTS_KM = [
    "ខ្ញុំមានបញ្ហានៅសាលារៀន",  # I have a problem at school
    "ខ្ញុំត្រូវការជំនួយ",  # I need help
    "ខ្ញុំចង់និយាយជាមួយអ្នកណាម្នាក់",  # I want to talk to someone
    "ខ្ញុំមិនដឹងថាត្រូវធ្វើអ្វីទេ",  # I don't know what to do
    "មិត្តភក្តិរបស់ខ្ញុំត្រូវការជំនួយ",  # my friend needs help
    "ខ្ញុំព្រួយបារម្ភអំពីការប្រឡង",  # I am worried about my exams
    "ខ្ញុំមានបញ្ហាជាមួយគ្រួសារ",  # I have a problem with my family
    "តើខ្ញុំអាចសួរសំណួរមួយបានទេ?",  # can I ask a question?
    "បាទ",  # yes (boy)
    "ចាស",  # yes (girl)
    "អរគុណ",  # thank you
]
TEXTS_EN = [
    "I have a problem at school",
    "I need help",
    "can I talk to someone",
    "I don't know what to do",
    "my friend needs help",
    "I am worried about my exams",
    "can I ask a question?",
    "ok",
    "thank you",
]
TESTING = ["សាកល្បង", "testing", "test"]
NICKNAMES = ["Dara", "Sophea", "Bopha", "Vanna", "Mony", "Ratha", "Sokha", "Kosal", "Srey", "A", "B"]
# Documentation ranges only (RFC 5737, RFC 3849): addresses that belong to no one.
_TEST_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def is_loopback_host(host: str) -> bool:
    """True when every address the host name stands for is a loopback address."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def chat_endpoints(url: str, *, allow_remote: bool = False) -> tuple[str, str]:
    """(websocket address of /ws/chat/, Origin) for a server given as http(s):// or ws(s)://.
    Raises ValueError for anything else, and for a host off this machine unless allow_remote."""
    parts = urlsplit(url.strip().rstrip("/"))
    if parts.scheme not in {"http", "https", "ws", "wss"} or not parts.hostname:
        raise ValueError(f"the server must be an http(s) or ws(s) address, not {url!r}")
    if not allow_remote and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"refusing to open chats on {parts.hostname}: not a loopback address. Simulated chats go "
            "only to your own server; pass allow_remote (--allow-remote) if this is one."
        )
    secure = parts.scheme in {"https", "wss"}
    ws = f"{'wss' if secure else 'ws'}://{parts.netloc}/ws/chat/"
    origin = f"{'https' if secure else 'http'}://{parts.netloc}"
    return ws, origin


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not ordered:
        return math.nan
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


@dataclass(frozen=True)
class ChatPlan:
    at: float  # seconds after the first chat starts
    language: str
    nickname: str | None
    age: int | None
    texts: tuple[str, ...]
    pauses: tuple[float, ...]  # think time before each message
    leave: bool  # False: close the socket without "leave"
    address: str | None  # X-Forwarded-For, None for none


def _address(rng: random.Random) -> str:
    if rng.random() < 0.6:
        net = rng.choice(_TEST_NETS)
        return str(net[rng.randrange(1, 255)])
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | rng.getrandbits(96)))


def plan_chats(
    rng: random.Random,
    *,
    rate: float,
    duration: float,
    messages_per_chat: int,
    think: float = 1.0,
    same_address: bool = False,
) -> list[ChatPlan]:
    total = max(1, round(rate * duration))
    plans = []
    for n in range(total):
        khmer = rng.random() < KHMER_SHARE
        greetings, texts = (GREETINGS_KM, TEXTS_KM) if khmer else (GREETINGS_EN, TEXTS_EN)
        chosen: list[str] = []
        for i in range(messages_per_chat):
            if rng.random() < TESTING_SHARE:
                chosen.append(rng.choice(TESTING))
            else:
                chosen.append(rng.choice(greetings if i == 0 else texts))
        plans.append(
            ChatPlan(
                at=n / rate,
                language="km" if khmer else "en",
                nickname=rng.choice(NICKNAMES) if rng.random() < 0.4 else None,
                age=rng.randint(9, 17) if rng.random() < 0.5 else None,
                texts=tuple(chosen),
                pauses=tuple(rng.uniform(0.3, 1.2) * think for _ in chosen),
                leave=rng.random() < LEAVE_SHARE,
                address=None if same_address else _address(rng),
            )
        )
    return plans


@dataclass
class Tally:
    planned: int = 0
    started: int = 0
    left: int = 0
    disconnected: int = 0
    failed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    messages_sent: int = 0
    acknowledged: int = 0
    messages_refused: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    closes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    ack_seconds: list[float] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    acknowledged_ids: list[tuple[str, str]] = field(default_factory=list)  # (conversation, client id)
    languages: Counter[str] = field(default_factory=Counter)


def _answer_to(client_id: str) -> Callable[[dict[str, Any]], bool]:
    def answer(frame: dict[str, Any]) -> bool:
        return frame.get("id") == client_id and frame.get("type") in {"ack", "refused"}

    return answer


class _ServerClosed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed by the server ({code})")
        self.code = code


async def _run_chat(plan: ChatPlan, ws_url: str, origin: str, tally: Tally, timeout: float) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.typing import Origin

    loop = asyncio.get_running_loop()
    sent_at: deque[float] = deque()
    headers = {"X-Forwarded-For": plan.address} if plan.address else None

    async def send(ws: Any, frame: dict[str, Any]) -> None:
        # Stay under the server's flood limit, as a child typing could hardly exceed it.
        now = loop.time()
        while sent_at and now - sent_at[0] > FLOOD_SECONDS:
            sent_at.popleft()
        if len(sent_at) >= FLOOD_FRAMES - 1:
            await asyncio.sleep(FLOOD_SECONDS - (now - sent_at[0]) + 0.05)
        sent_at.append(loop.time())
        await ws.send(json.dumps(frame, ensure_ascii=False))

    async def until(ws: Any, want: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            try:
                raw = await asyncio.wait_for(ws.recv(), remaining)
            except ConnectionClosed as exc:
                raise _ServerClosed(exc.rcvd.code if exc.rcvd else None) from exc
            frame = json.loads(raw)
            if not isinstance(frame, dict):
                continue
            if frame.get("type") == "message" and frame.get("from") == "helpline":
                tally.replies += 1
            if want(frame):
                return frame

    stage = "connect"
    try:
        async with connect(
            ws_url,
            origin=Origin(origin),
            additional_headers=headers,
            proxy=None,
            open_timeout=OPEN_TIMEOUT,
            close_timeout=5,
        ) as ws:
            stage = "start"
            start: dict[str, Any] = {"type": "start", "language": plan.language}
            if plan.nickname:
                start["nickname"] = plan.nickname
            if plan.age is not None:
                start["age"] = plan.age
            await send(ws, start)
            answer = await until(ws, lambda f: f.get("type") in {"started", "refused"})
            if answer["type"] == "refused":
                tally.refused[str(answer.get("reason", "?"))] += 1
                return
            conversation = str(answer["conversation"])
            tally.started += 1
            tally.languages[plan.language] += 1
            tally.conversations.append(conversation)
            stage = "message"
            for text, pause in zip(plan.texts, plan.pauses, strict=True):
                await asyncio.sleep(pause)
                client_id = uuid.uuid4().hex
                began = time.perf_counter()
                await send(ws, {"type": "message", "id": client_id, "text": text})
                tally.messages_sent += 1
                reply = await until(ws, _answer_to(client_id))
                if reply.get("type") == "ack":
                    tally.ack_seconds.append(time.perf_counter() - began)
                    tally.acknowledged += 1
                    tally.acknowledged_ids.append((conversation, client_id))
                else:
                    tally.messages_refused[str(reply.get("reason", reply.get("type")))] += 1
            stage = "end"
            if plan.leave:
                await send(ws, {"type": "leave"})
                try:
                    await until(ws, lambda f: False)
                except _ServerClosed as closed:
                    tally.closes[str(closed.code)] += 1
                tally.left += 1
            else:
                tally.closes["closed by the child"] += 1
                tally.disconnected += 1
    except _ServerClosed as closed:
        tally.closes[str(closed.code)] += 1
        tally.failed += 1
        tally.errors[f"closed by the server during {stage}"] += 1
    except InvalidStatus as exc:
        tally.failed += 1
        tally.errors[f"handshake refused: HTTP {exc.response.status_code}"] += 1
    except (TimeoutError, OSError, ConnectionClosed, ValueError) as exc:
        tally.failed += 1
        tally.errors[f"{type(exc).__name__} during {stage}"] += 1


async def simulate_chats_async(
    url: str,
    *,
    rate: float,
    duration: float,
    messages_per_chat: int = 3,
    think: float = 1.0,
    seed: int | None = None,
    allow_remote: bool = False,
    same_address: bool = False,
    timeout: float = RECEIVE_TIMEOUT,
    stdout: Writer | None = None,
) -> dict[str, Any]:
    """As simulate_chats, inside a running event loop."""
    out: Writer = stdout if stdout is not None else sys.stdout
    ws_url, origin = chat_endpoints(url, allow_remote=allow_remote)
    if not 0 < rate <= MAX_RATE:
        raise ValueError(f"rate must be above 0 and at most {MAX_RATE:g} chats a second")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be above 0 and at most {MAX_DURATION:g} seconds")
    if not 1 <= messages_per_chat <= MAX_MESSAGES:
        raise ValueError(f"messages per chat must be between 1 and {MAX_MESSAGES}")
    if not 0 <= think <= 60:
        raise ValueError("think must be between 0 and 60 (a multiple of the default pauses)")
    if rate * duration > MAX_CHATS:
        raise ValueError(f"at most {MAX_CHATS} chats in one run")
    rng = random.Random(seed)
    plans = plan_chats(
        rng,
        rate=rate,
        duration=duration,
        messages_per_chat=messages_per_chat,
        think=think,
        same_address=same_address,
    )
    tally = Tally(planned=len(plans))
    out.write(
        f"Simulating {len(plans)} web chats at {ws_url} ({rate:g}/s for {duration:g} s, "
        f"{messages_per_chat} messages each, Origin {origin})\n"
    )
    began = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for plan in plans:
        pause = began + plan.at - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(_run_chat(plan, ws_url, origin, tally, timeout)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    summary = _summary(tally, elapsed, same_address=same_address)
    for line in summary_lines(summary):
        out.write(line + "\n")
    return summary


def simulate_chats(
    url: str,
    *,
    rate: float,
    duration: float,
    messages_per_chat: int = 3,
    stdout: Writer | None = None,
    think: float = 1.0,
    seed: int | None = None,
    allow_remote: bool = False,
    same_address: bool = False,
    timeout: float = RECEIVE_TIMEOUT,
) -> dict[str, Any]:
    """Open rate x duration chats against the Helpline at `url` and return what happened:
    chats started / refused / left / disconnected / failed, messages sent / acknowledged,
    closes by code, errors, and the acknowledgement time (p50, p95, p99, max in ms). The summary
    is also written to `stdout` (default sys.stdout). Raises ValueError for a bad argument or a
    server that is not on loopback (unless allow_remote)."""
    return asyncio.run(
        simulate_chats_async(
            url,
            rate=rate,
            duration=duration,
            messages_per_chat=messages_per_chat,
            think=think,
            seed=seed,
            allow_remote=allow_remote,
            same_address=same_address,
            timeout=timeout,
            stdout=stdout,
        )
    )


def _summary(tally: Tally, elapsed: float, *, same_address: bool) -> dict[str, Any]:
    ordered = sorted(s * 1000 for s in tally.ack_seconds)
    return {
        "chats_planned": tally.planned,
        "chats_started": tally.started,
        "chats_refused": dict(tally.refused),
        "chats_left": tally.left,
        "chats_disconnected": tally.disconnected,
        "chats_failed": tally.failed,
        "languages": dict(tally.languages),
        "messages_sent": tally.messages_sent,
        "messages_acknowledged": tally.acknowledged,
        "messages_refused": dict(tally.messages_refused),
        "replies_received": tally.replies,
        "closes": dict(tally.closes),
        "errors": dict(tally.errors),
        "ack_p50_ms": percentile(ordered, 50),
        "ack_p95_ms": percentile(ordered, 95),
        "ack_p99_ms": percentile(ordered, 99),
        "ack_max_ms": ordered[-1] if ordered else math.nan,
        "elapsed_s": elapsed,
        "same_address": same_address,
        "conversations": list(tally.conversations),
        "acknowledged_ids": list(tally.acknowledged_ids),
    }


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(counter.items())) or "none"


def summary_lines(summary: dict[str, Any]) -> list[str]:
    lines = [
        f"chats: {summary['chats_started']} of {summary['chats_planned']} started in "
        f"{summary['elapsed_s']:.1f} s ({_counts(summary['languages'])}); "
        f"{summary['chats_left']} left, {summary['chats_disconnected']} closed without leaving, "
        f"{summary['chats_failed']} failed",
        f"messages: {summary['messages_sent']} sent, {summary['messages_acknowledged']} acknowledged"
        + (f", refused: {_counts(summary['messages_refused'])}" if summary["messages_refused"] else "")
        + f"; {summary['replies_received']} replies from the helpline received",
        f"ack latency: p50 {summary['ack_p50_ms']:.1f} ms, p95 {summary['ack_p95_ms']:.1f} ms, "
        f"p99 {summary['ack_p99_ms']:.1f} ms, max {summary['ack_max_ms']:.1f} ms",
        f"closes by code: {_counts(summary['closes'])}",
    ]
    if summary["chats_refused"]:
        lines.append(f"chats refused: {_counts(summary['chats_refused'])}")
        if "too many chats from one address" in summary["chats_refused"] and not summary["same_address"]:
            lines.append(
                "  (the server limits chat starts per address an hour; it is not trusting the "
                "simulated X-Forwarded-For addresses: run uvicorn with --proxy-headers)"
            )
    if summary["errors"]:
        lines.append(f"errors: {_counts(summary['errors'])}")
    return lines


# --- manage.py simulate --chats -------------------------------------------------------------------


def _has_option(parser: argparse.ArgumentParser, flag: str) -> bool:
    return any(flag in action.option_strings for action in parser._actions)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--chats and its options; the shared ones (--url, --rate, --duration, --seed, --allow-remote)
    only when the parser has not defined them already."""
    group = parser.add_argument_group("web chats (--chats)")
    group.add_argument(
        "--chats",
        action="store_true",
        help="simulate children's web chats over the chat websocket instead of SMS; "
        "--rate and --duration then count chats started",
    )
    group.add_argument(
        "--messages-per-chat", type=int, default=3, help="messages each child sends (default 3)"
    )
    group.add_argument(
        "--think", type=float, default=1.0, help="scale of the pauses between messages (default 1)"
    )
    group.add_argument(
        "--same-address",
        action="store_true",
        help="send no X-Forwarded-For: every chat from this machine's address (the server "
        "refuses more than a few chat starts per address an hour)",
    )
    if not _has_option(parser, "--url"):
        group.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default %(default)s)")
    if not _has_option(parser, "--rate"):
        group.add_argument("--rate", type=float, default=2.0, help="chats started a second (default 2)")
    if not _has_option(parser, "--duration"):
        group.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    if not _has_option(parser, "--seed"):
        group.add_argument("--seed", type=int, default=None, help="repeatable chats")
    if not _has_option(parser, "--allow-remote"):
        group.add_argument(
            "--allow-remote", action="store_true", help="allow a server that is not on this machine"
        )


def _option(options: dict[str, Any], name: str, default: Any) -> Any:
    value = options.get(name)
    return default if value is None else value


def run_from_options(options: dict[str, Any], stdout: Writer) -> dict[str, Any]:
    """Run with the parsed options of add_arguments; raises CommandError for a bad option, a
    refused server, or chats and messages that did not all go through."""
    from django.core.management.base import CommandError

    try:
        summary = simulate_chats(
            str(_option(options, "url", "http://127.0.0.1:8000")),
            rate=float(_option(options, "rate", 2.0)),
            duration=float(_option(options, "duration", 30.0)),
            messages_per_chat=int(_option(options, "messages_per_chat", 3)),
            think=float(_option(options, "think", 1.0)),
            seed=options.get("seed"),
            allow_remote=bool(options.get("allow_remote")),
            same_address=bool(options.get("same_address")),
            stdout=stdout,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    not_started = summary["chats_planned"] - summary["chats_started"]
    not_acked = summary["messages_sent"] - summary["messages_acknowledged"]
    if not_started or not_acked or summary["chats_failed"]:
        raise CommandError(
            f"{not_started} of {summary['chats_planned']} chats did not start, "
            f"{not_acked} of {summary['messages_sent']} messages were not acknowledged, "
            f"{summary['chats_failed']} chats failed"
        )
    stdout.write(f"all {summary['messages_acknowledged']} messages acknowledged\n")
    return summary
