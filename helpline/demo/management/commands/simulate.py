"""Synthetic SMS traffic through the real gateway webhooks, over HTTP, at a steady rate.

    python manage.py simulate --rate 2 --duration 30                 # Kannel webhook, local server
    python manage.py simulate --provider twilio --rate 5 --duration 10

Each message looks like what a gateway delivers: Kannel's get-url parameters (with the shared
secret) or a Twilio form post signed with the auth token; every one has its own provider id, so
none is a repeat. Texts are short Khmer and English messages a child might send; senders are
Cambodian mobile numbers, some sending several messages. No sender is given more messages a minute
than --per-sender-per-minute (below the default flood limit of 12), so the traffic is not refused
as a flood unless the settings say otherwise.

Only the server given with --url is contacted, and only a loopback one unless --allow-remote.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser
from twilio.request_validator import RequestValidator

from helpline.channels.config import kannel_config, short_codes, twilio_config
from helpline.demo import simulate_chat

MAX_RATE = 500.0
MAX_DURATION = 3600.0
TIMEOUT = (3.05, 15)

# What children write to a helpline short code first: greetings, tests, asking for help. Generic
# and non-graphic on purpose.
TEXTS_KM = [
    "សួស្តី",  # hello
    "សួស្តី មានអ្នកណានៅទីនោះទេ?",  # hello, is anyone there?
    "ខ្ញុំត្រូវការជំនួយ",  # I need help
    "ជួយខ្ញុំផង",  # please help me
    "ខ្ញុំចង់និយាយជាមួយអ្នកណាម្នាក់",  # I want to talk to someone
    "សាកល្បង",  # testing
    "ខ្ញុំខ្លាច",  # I am scared
    "ខ្ញុំមិនដឹងថាត្រូវធ្វើអ្វីទេ",  # I don't know what to do
    "មិត្តភក្តិរបស់ខ្ញុំត្រូវការជំនួយ",  # my friend needs help
    "អរគុណ",  # thank you
    "តើខ្ញុំអាចទូរស័ព្ទមកបានទេ?",  # can I call you?
]
TEXTS_EN = [
    "hello?",
    "Hi, is this 1280?",
    "I need help",
    "can someone talk to me",
    "testing",
    "is anyone there?",
    "I am sad today",
    "my friend needs help",
    "I don't know who to talk to",
    "thank you",
    "ok",
]
# Cambodian mobile prefixes and how many digits follow them.
MOBILE_PREFIXES = [("12", 6), ("10", 6), ("15", 6), ("16", 6), ("92", 6), ("96", 7), ("97", 7), ("88", 7)]


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[rank]


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer (connection refused, timeout)
    seconds: float
    error: str = ""


class Senders:
    """Distinct phone numbers; a few send a lot, most send once or twice, none above the cap."""

    def __init__(self, rng: random.Random, count: int, per_minute: int) -> None:
        numbers: set[str] = set()
        while len(numbers) < count:
            prefix, digits = rng.choice(MOBILE_PREFIXES)
            numbers.add(f"855{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}")
        self.numbers = sorted(numbers)
        rng.shuffle(self.numbers)
        # Zipf-like weights: the first numbers are the chatty ones.
        self.weights = [1.0 / (rank + 1) ** 0.8 for rank in range(count)]
        self.per_minute = per_minute
        self.rng = rng
        self.recent: dict[str, deque[float]] = {n: deque() for n in self.numbers}
        self.capped = 0

    def pick(self, at: float) -> str:
        for _ in range(20):
            number = self.rng.choices(self.numbers, weights=self.weights)[0]
            if self._room(number, at):
                return self._take(number, at)
        free = [n for n in self.numbers if self._room(n, at)]
        if free:
            return self._take(self.rng.choice(free), at)
        # Every sender is at its cap: the rate is too high for this many senders.
        self.capped += 1
        return self._take(min(self.numbers, key=lambda n: len(self.recent[n])), at)

    def _room(self, number: str, at: float) -> bool:
        window = self.recent[number]
        while window and at - window[0] >= 60.0:
            window.popleft()
        return len(window) < self.per_minute

    def _take(self, number: str, at: float) -> str:
        self.recent[number].append(at)
        return number


class Command(BaseCommand):
    help = "Send synthetic SMS traffic through the real Kannel or Twilio webhook of a running server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default=f"http://127.0.0.1:{os.environ.get('PORT') or 8000}",  # make run's port
            help="the server (default %(default)s)",
        )
        parser.add_argument("--provider", choices=["kannel", "twilio"], default="kannel")
        parser.add_argument("--rate", type=float, default=2.0, help="messages a second (default 2)")
        parser.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
        parser.add_argument("--senders", type=int, default=50, help="distinct phone numbers (default 50)")
        parser.add_argument(
            "--per-sender-per-minute",
            type=int,
            default=10,
            help="most messages one sender sends in a minute (default 10, under the flood limit of 12)",
        )
        parser.add_argument(
            "--secret", default="", help="Kannel shared secret (default: HELPLINE_KANNEL_SECRET)"
        )
        parser.add_argument(
            "--auth-token", default="", help="Twilio auth token (default: HELPLINE_TWILIO_AUTH_TOKEN)"
        )
        parser.add_argument("--to", default="", help="the short code texted (default: the first configured)")
        parser.add_argument(
            "--concurrency", type=int, default=32, help="most requests in flight (default 32)"
        )
        parser.add_argument("--seed", type=int, default=None, help="repeatable senders and texts")
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="allow a server that is not on this machine's loopback",
        )

        simulate_chat.add_arguments(parser)  # --chats: web chats over the chat websocket

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("chats"):
            simulate_chat.run_from_options(options, self.stdout)
            return
        url = str(options["url"]).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise CommandError(f"--url must be an http(s) address, not {url!r}")
        if not options["allow_remote"] and not simulate_chat.is_loopback_host(parts.hostname):
            raise CommandError(
                f"refusing to send to {parts.hostname}: not a loopback address. Simulated traffic goes "
                "only to your own server; pass --allow-remote if this is one."
            )
        rate, duration = float(options["rate"]), float(options["duration"])
        if not 0 < rate <= MAX_RATE:
            raise CommandError(f"--rate must be above 0 and at most {MAX_RATE:g} a second")
        if not 0 < duration <= MAX_DURATION:
            raise CommandError(f"--duration must be above 0 and at most {MAX_DURATION:g} seconds")
        if options["senders"] < 1 or options["per_sender_per_minute"] < 1 or options["concurrency"] < 1:
            raise CommandError("--senders, --per-sender-per-minute and --concurrency must be at least 1")
        total = max(1, round(rate * duration))
        to = options["to"] or sorted(short_codes())[0]
        provider: str = options["provider"]
        send = self._sender(provider, url, to, options)

        rng = random.Random(options["seed"])
        senders = Senders(rng, options["senders"], options["per_sender_per_minute"])
        self.stdout.write(
            f"Sending {total} SMS through the {provider} webhook at {url} ({rate:g}/s for {duration:g} s, "
            f"{len(senders.numbers)} senders, to {to})"
        )
        local = threading.local()
        outcomes: list[Outcome] = []
        lock = threading.Lock()
        languages: Counter[str] = Counter()
        used: Counter[str] = Counter()

        def one(sender: str, text: str, message_id: str) -> None:
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = requests.Session()
            started = time.perf_counter()
            try:
                status: int | None = send(session, sender, text, message_id)
                error = ""
            except requests.RequestException as exc:
                status, error = None, type(exc).__name__
            outcome = Outcome(status, time.perf_counter() - started, error)
            with lock:
                outcomes.append(outcome)

        started = time.monotonic()
        futures: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=options["concurrency"], thread_name_prefix="simulate") as pool:
            for n in range(total):
                due = started + n / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                sender = senders.pick(due - started)
                khmer = rng.random() < 0.6
                text = rng.choice(TEXTS_KM if khmer else TEXTS_EN)
                languages["Khmer" if khmer else "English"] += 1
                used[sender] += 1
                futures.append(pool.submit(one, sender, text, self._message_id(provider)))
        for future in futures:
            future.result()
        elapsed = time.monotonic() - started
        self._summary(outcomes, elapsed, languages, used, senders)

    def _message_id(self, provider: str) -> str:
        if provider == "twilio":
            return "SM" + uuid.uuid4().hex  # Twilio's MessageSid: SM + 32 hex digits
        return str(uuid.uuid4())  # Kannel's %I

    def _sender(
        self, provider: str, url: str, to: str, options: dict[str, Any]
    ) -> Callable[[requests.Session, str, str, str], int]:
        if provider == "kannel":
            secret = options["secret"] or kannel_config().secret
            if not secret:
                raise CommandError("no Kannel secret: pass --secret or set HELPLINE_KANNEL_SECRET")
            endpoint = f"{url}/hooks/sms/kannel"

            def kannel(session: requests.Session, sender: str, text: str, message_id: str) -> int:
                # As smsbox's get-url sends it (mo-recode on: text in UTF-8).
                params = {
                    "secret": secret,
                    "from": sender,
                    "to": to,
                    "text": text,
                    "id": message_id,
                    "coding": "0",
                    "charset": "UTF-8",
                }
                return session.get(endpoint, params=params, timeout=TIMEOUT).status_code

            return kannel
        token = options["auth_token"] or twilio_config().auth_token
        if not token:
            raise CommandError("no Twilio auth token: pass --auth-token or set HELPLINE_TWILIO_AUTH_TOKEN")
        validator = RequestValidator(token)
        endpoint = f"{url}/hooks/sms/twilio"
        account = twilio_config().account_sid or "AC" + "0" * 32

        def twilio(session: requests.Session, sender: str, text: str, message_id: str) -> int:
            form = {
                "MessageSid": message_id,
                "SmsSid": message_id,
                "AccountSid": account,
                "From": f"+{sender}",
                "To": to,
                "Body": text,
                "NumMedia": "0",
                "NumSegments": "1",
            }
            signature = validator.compute_signature(endpoint, form)
            headers = {"X-Twilio-Signature": signature}
            return session.post(endpoint, data=form, headers=headers, timeout=TIMEOUT).status_code

        return twilio

    def _summary(
        self,
        outcomes: list[Outcome],
        elapsed: float,
        languages: Counter[str],
        used: Counter[str],
        senders: Senders,
    ) -> None:
        statuses = Counter("no answer" if o.status is None else str(o.status) for o in outcomes)
        errors = Counter(o.error for o in outcomes if o.error)
        ordered = sorted(o.seconds * 1000 for o in outcomes)
        ok = sum(1 for o in outcomes if o.status is not None and 200 <= o.status < 300)
        busiest = used.most_common(1)[0][1] if used else 0
        self.stdout.write(
            f"sent: {len(outcomes)} in {elapsed:.1f} s ({len(outcomes) / max(elapsed, 1e-9):.1f}/s)"
        )
        self.stdout.write("HTTP status: " + ", ".join(f"{k} x{v}" for k, v in sorted(statuses.items())))
        if errors:
            self.stdout.write("errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(errors.items())))
        self.stdout.write(
            f"latency: p50 {percentile(ordered, 50):.1f} ms, p95 {percentile(ordered, 95):.1f} ms, "
            f"p99 {percentile(ordered, 99):.1f} ms, max {ordered[-1] if ordered else float('nan'):.1f} ms"
        )
        self.stdout.write(
            f"senders: {len(used)} used, at most {busiest} messages from one; "
            + ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
        )
        if senders.capped:
            self.stdout.write(
                f"warning: {senders.capped} messages went to a sender already at its per-minute cap "
                "(raise --senders or lower --rate); expect 429 answers for them"
            )
        if ok != len(outcomes):
            raise CommandError(f"{len(outcomes) - ok} of {len(outcomes)} messages were not acknowledged")
        self.stdout.write(self.style.SUCCESS(f"all {ok} messages acknowledged"))
