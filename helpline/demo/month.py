"""Synthetic demo contacts: thirteen months of a child helpline's traffic, reproducible from a fixed
seed, so that a newcomer's first dashboard shows trends, a previous period and the same month last
year.

The volumes follow what Child Helpline Cambodia reports (about 2,000 calls and 200 SMS a month, a
few dozen web chats, a handful of walk-ins and emails) for the last month; earlier months are a
little quieter (a helpline that grows) and follow the seasons (busier around Khmer New Year and the
school holidays); most calls are silent, hang-up, testing or
other non-data contacts. Callers come back: a child may call silently several times before talking,
some people test or prank the line again and again, a few numbers are withheld.

Nothing here describes a real person: summaries are assembled from generic, non-graphic sentences
(the tables are in month_tables.py). The month is written by contacts' batch service
(contacts_seed_finished): rows built in memory and bulk inserted in one transaction, one audit
event for the whole batch.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.contacts.models import DATA_KINDS, NON_DATA_KINDS, Channel, Contact, Kind, Urgency
from helpline.contacts.services import ContactError, FinishedContact, contacts_seed_finished
from helpline.demo.month_tables import (
    AGES_ABOUT,
    AGES_SELF,
    BODIES,
    CALLER_TYPES,
    CITIES,
    CLOSINGS,
    DAYS_OF_WEEK,
    DAYS_OFFICE,
    DISABILITIES,
    GENDERS,
    HOURS_OFFICE,
    HOURS_TEXT,
    HOURS_VOICE,
    KINDS_EMAIL,
    KINDS_SMS,
    KINDS_VOICE,
    KINDS_WALK_IN,
    KINDS_WEBCHAT,
    LARGE_TOWNS,
    LIVING,
    LIVING_ADULT,
    OPENINGS,
    PHONE_PREFIXES,
    PROVINCES,
    REASONS_COUNSELLING,
    REASONS_INFORMATION,
    REASONS_REFERRAL,
    REFERRAL_FOR_CATEGORY,
    RELATIONSHIPS,
    SERIOUS_PREFIXES,
    THIRD_PARTY,
    VULNERABLE,
    Phrase,
)

SEED = 1280
DAYS = 30  # the month the volumes above describe: the last one
MONTHS = 13
# Relative volume by calendar month (Khmer New Year in April, school holidays in August to October).
SEASON = {
    1: 1.0,
    2: 0.95,
    3: 1.0,
    4: 1.12,
    5: 1.0,
    6: 0.95,
    7: 1.0,
    8: 1.06,
    9: 1.04,
    10: 1.06,
    11: 1.0,
    12: 0.94,
}
# The oldest month has this share of the last one's volume, rising steadily towards today.
OLDEST_VOLUME = 0.8


def months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = (dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


KEY_PREFIX = "demo-"
DEMO_COUNSELLORS = {"counsellor": 45.0, "volunteer": 35.0, "supervisor": 20.0}


class DemoDataError(RuntimeError):
    """Demo contacts cannot be created (the demo staff are missing)."""


# --- The generated month --------------------------------------------------------------------------


@dataclass
class DemoContact:
    channel: str
    kind: str
    arrived_at: dt.datetime
    counsellor: str = ""
    address: str | None = None  # a channel address URI; None: withheld or none (walk-in)
    withheld: bool = False
    wait_seconds: int = 0
    talk_seconds: int = 0
    language: str = "km"
    caller_type: str = ""
    relationship: str = ""
    gender: str = ""
    age: int | None = None
    age_over_25: bool = False
    province: str = ""
    region: str = ""
    living_situation: str = ""
    disability: str = ""
    vulnerable_groups: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    urgency: str = ""
    summary_parts: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return " ".join(self.summary_parts)


class _Picker:
    """Weighted choice with precomputed cumulative weights (rng.choices recomputes them per call)."""

    def __init__(self, weights: Mapping[Any, float]) -> None:
        self.values: list[Any] = list(weights)
        total = 0.0
        self.cum: list[float] = []
        for w in weights.values():
            total += w
            self.cum.append(total)

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]

    def many(self, rng: random.Random, k: int) -> list[Any]:
        return rng.choices(self.values, cum_weights=self.cum, k=k)


def _lognormal(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    return max(low, min(high, int(rng.lognormvariate(math.log(median), sigma))))


class MonthGenerator:
    """Builds the month in memory: DemoContact objects sorted by arrival, with callers linked."""

    def __init__(self, rng: random.Random, today: dt.date, tz: dt.tzinfo) -> None:
        self.rng = rng
        self.today = today
        self.tz = tz
        self.first_day = months_back(today, MONTHS)
        self.days = [self.first_day + dt.timedelta(days=i) for i in range((today - self.first_day).days)]
        span = max(1, len(self.days) - 1)
        # How busy each day is against the last month's volume: growth over the span, and seasons.
        self.volume = [
            (OLDEST_VOLUME + (1 - OLDEST_VOLUME) * i / span) * SEASON[d.month]
            for i, d in enumerate(self.days)
        ]
        self.scale = sum(self.volume) / DAYS  # the span's contacts per month-of-volume
        self.contacts: list[DemoContact] = []
        self.used_addresses: set[str] = set()
        self._pickers: dict[int, _Picker] = {}

    def pick(self, weights: Mapping[Any, float]) -> Any:
        picker = self._pickers.get(id(weights))
        if picker is None:
            picker = self._pickers[id(weights)] = _Picker(weights)
        return picker(self.rng)

    # -- arrivals and kinds

    def arrivals(self, n: int, hours: Sequence[float], days_of_week: Sequence[float]) -> list[dt.datetime]:
        rng = self.rng
        days = self.days
        day_weights = [
            days_of_week[d.weekday()] * v * rng.uniform(0.85, 1.15)
            for d, v in zip(days, self.volume, strict=True)
        ]
        chosen_days = rng.choices(days, weights=day_weights, k=n)
        chosen_hours = rng.choices(range(24), weights=hours, k=n)
        return [
            dt.datetime(d.year, d.month, d.day, h, rng.randrange(60), rng.randrange(60), tzinfo=self.tz)
            for d, h in zip(chosen_days, chosen_hours, strict=True)
        ]

    def add_channel(
        self,
        channel: str,
        n: int,
        kinds: dict[Kind, float],
        hours: Sequence[float],
        days_of_week: Sequence[float] = DAYS_OF_WEEK,
    ) -> None:
        chosen = _Picker(kinds).many(self.rng, n)
        for at, kind in zip(self.arrivals(n, hours, days_of_week), chosen, strict=True):
            self.contacts.append(DemoContact(channel=channel, kind=str(kind), arrived_at=at))

    def build(self) -> list[DemoContact]:
        rng = self.rng

        def spread(per_month: int) -> int:
            return round(per_month * self.scale)

        self.add_channel(Channel.VOICE, spread(2000 + rng.randint(-40, 40)), KINDS_VOICE, HOURS_VOICE)
        self.add_channel(Channel.SMS, spread(200 + rng.randint(-10, 10)), KINDS_SMS, HOURS_TEXT)
        self.add_channel(Channel.WEBCHAT, spread(60 + rng.randint(-5, 5)), KINDS_WEBCHAT, HOURS_TEXT)
        self.add_channel(Channel.WALK_IN, spread(rng.randint(3, 6)), KINDS_WALK_IN, HOURS_OFFICE, DAYS_OFFICE)
        self.add_channel(Channel.EMAIL, spread(rng.randint(4, 8)), KINDS_EMAIL, HOURS_TEXT)
        self.contacts.sort(key=lambda c: c.arrived_at)
        self.link_callers()
        now = timezone.now()
        for contact in self.contacts:
            contact.counsellor = self.pick(DEMO_COUNSELLORS)
            self.set_times(contact, now)
            if contact.kind in DATA_KINDS:
                self.classify(contact)
        return self.contacts

    # -- callers

    def new_phone(self) -> str:
        while True:
            prefix, digits = self.pick(PHONE_PREFIXES)
            number = f"tel:+855{prefix}{self.rng.randrange(10 ** (digits - 1), 10**digits)}"
            if number not in self.used_addresses:
                self.used_addresses.add(number)
                return number

    def new_token(self, scheme: str) -> str:
        token = f"{self.rng.getrandbits(64):016x}"
        address = f"email:demo.{token[:10]}@example.org" if scheme == "email" else f"{scheme}:{token}"
        self.used_addresses.add(address)
        return address

    def link_callers(self) -> None:
        """Give contacts their callers, telling a few stories: courage (silent calls, then talking),
        clients who come back, people who test or prank the line again and again."""
        rng = self.rng
        contacts = self.contacts
        times = [c.arrived_at for c in contacts]
        by_kind: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(contacts):
            by_kind.setdefault((c.channel, c.kind), []).append(i)

        def free(keys: Iterable[tuple[str, str]], lo: dt.datetime, hi: dt.datetime) -> list[int]:
            found: list[int] = []
            for key in keys:
                indexes = by_kind.get(key, [])
                start = bisect.bisect_left(indexes, lo, key=lambda i: times[i])
                stop = bisect.bisect_left(indexes, hi, key=lambda i: times[i])
                found.extend(i for i in indexes[start:stop] if contacts[i].address is None)
            return found

        def assign(indexes: Iterable[int], address: str) -> None:
            for i in indexes:
                contacts[i].address = address

        voice = Channel.VOICE
        quiet = [(voice, k) for k in (Kind.SILENT, Kind.HANG_UP, Kind.BLANK)]
        talk = [(voice, k) for k in (Kind.COUNSELLING, Kind.INFORMATION, Kind.REFERRAL)]
        day = dt.timedelta(days=1)

        # Courage: one or more silent, hang-up or blank calls in the fortnight before a counselling call;
        # some of those children call again later.
        for i in by_kind.get((voice, Kind.COUNSELLING), []):
            if contacts[i].address is not None or rng.random() > 0.3:
                continue
            address = self.new_phone()
            contacts[i].address = address
            before = free(quiet, times[i] - 14 * day, times[i] - dt.timedelta(hours=1))
            assign(rng.sample(before, min(len(before), rng.choice([1, 2, 2, 3, 3, 4, 5, 6]))), address)
            if rng.random() < 0.3:
                after = free(talk, times[i] + day, times[i] + 14 * day)
                assign(rng.sample(after, min(len(after), rng.choice([1, 1, 2]))), address)

        # Clients who come back to talk again (counselling, information or referral).
        for i in by_kind.get((voice, Kind.COUNSELLING), []):
            if contacts[i].address is not None or rng.random() > 0.1:
                continue
            address = self.new_phone()
            contacts[i].address = address
            after = free(talk, times[i] + day, times[i] + 20 * day)
            assign(rng.sample(after, min(len(after), rng.choice([1, 1, 2, 3]))), address)

        # Testers and pranksters: the same number many times across the month.
        repeat_kinds = [Kind.PRANK, Kind.TESTING, Kind.ABUSIVE, Kind.SILENT, Kind.HANG_UP]
        month = (times[0], times[-1] + dt.timedelta(seconds=1))
        for _ in range(35):
            main = rng.choice(repeat_kinds[:3])
            pool = free([(voice, main)], *month)
            if not pool:
                continue
            address = self.new_phone()
            assign(rng.sample(pool, min(len(pool), rng.randint(2, 10))), address)
            others = free([(voice, k) for k in repeat_kinds], *month)
            assign(rng.sample(others, min(len(others), rng.randint(0, 4))), address)

        # Everyone else: some numbers withheld, some returning, most new.
        seen_phones: list[str] = []
        seen_chats: list[str] = []
        for c in contacts:
            if c.address is not None:
                if c.address.startswith("tel:"):
                    seen_phones.append(c.address)
                continue
            if c.channel == Channel.VOICE:
                withheld = 0.12 if c.kind in NON_DATA_KINDS else 0.03
                if rng.random() < withheld:
                    c.withheld = True
                elif seen_phones and rng.random() < 0.1:
                    c.address = rng.choice(seen_phones)
                else:
                    c.address = self.new_phone()
                    seen_phones.append(c.address)
            elif c.channel == Channel.SMS:
                if rng.random() < 0.01:
                    c.withheld = True
                elif seen_phones and rng.random() < 0.2:
                    c.address = rng.choice(seen_phones)  # someone who called, or texted, before
                else:
                    c.address = self.new_phone()
                    seen_phones.append(c.address)
            elif c.channel == Channel.WEBCHAT:
                if seen_chats and rng.random() < 0.15:
                    c.address = rng.choice(seen_chats)
                else:
                    c.address = self.new_token("webchat")
                    seen_chats.append(c.address)
            elif c.channel == Channel.EMAIL:
                c.address = self.new_token("email")

    # -- times

    def set_times(self, c: DemoContact, now: dt.datetime) -> None:
        rng = self.rng
        data = c.kind in DATA_KINDS
        if c.channel == Channel.VOICE:
            c.wait_seconds = _lognormal(rng, 15, 0.8, 2, 150)
            if c.kind == Kind.COUNSELLING:
                c.talk_seconds = _lognormal(rng, 900, 0.5, 240, 3600)
            elif c.kind == Kind.INFORMATION:
                c.talk_seconds = _lognormal(rng, 240, 0.5, 60, 900)
            elif c.kind == Kind.REFERRAL:
                c.talk_seconds = _lognormal(rng, 720, 0.4, 240, 2400)
            else:
                low, high = {
                    Kind.SILENT: (15, 120),
                    Kind.BLANK: (5, 30),
                    Kind.HANG_UP: (1, 15),
                    Kind.TESTING: (5, 40),
                    Kind.PRANK: (15, 150),
                    Kind.WRONG_NUMBER: (5, 40),
                    Kind.ABUSIVE: (10, 90),
                }[Kind(c.kind)]
                c.talk_seconds = rng.randint(low, high)
        elif c.channel in {Channel.SMS, Channel.WEBCHAT}:
            sms = c.channel == Channel.SMS
            c.wait_seconds = _lognormal(rng, 90 if sms else 40, 0.8, 5, 900 if sms else 300)
            if c.kind == Kind.COUNSELLING:
                c.talk_seconds = _lognormal(rng, 1500, 0.5, 300, 5400)
            elif data:
                c.talk_seconds = _lognormal(rng, 500, 0.5, 120, 1800)
            else:
                c.talk_seconds = rng.randint(5, 120)
        elif c.channel == Channel.WALK_IN:
            c.wait_seconds = rng.randint(0, 600)
            c.talk_seconds = rng.randint(1800, 3600)
        else:  # email: answered within hours
            c.wait_seconds = rng.randint(600, 6 * 3600)
            c.talk_seconds = rng.randint(300, 1200)
        ended = c.arrived_at + dt.timedelta(seconds=c.wait_seconds + c.talk_seconds)
        if ended > now:  # a contact late yesterday evening, seeded just after midnight
            c.talk_seconds = max(0, int((now - c.arrived_at).total_seconds()) - c.wait_seconds)

    # -- coding

    def classify(self, c: DemoContact) -> None:
        rng = self.rng
        c.language = "km" if rng.random() < 0.92 else ("en" if rng.random() < 0.75 else "other")
        counselling = c.kind == Kind.COUNSELLING
        referral = c.kind == Kind.REFERRAL
        full = counselling or referral
        caller_type = self.pick(CALLER_TYPES) if full else rng.choice(["self", "about_child", "other"])
        c.caller_type = caller_type
        if caller_type == "about_child":
            c.relationship = self.pick(RELATIONSHIPS)
        if full or rng.random() < 0.5:
            roll = rng.random()
            if roll < (0.08 if caller_type == "self" else 0.15):
                c.age = None  # not said
            elif caller_type == "self" and roll > 0.985:
                c.age_over_25 = True
            else:
                c.age = self.pick(AGES_SELF if caller_type != "about_child" else AGES_ABOUT)
        if full or rng.random() < 0.7:
            c.gender = self.pick(GENDERS)
        if (full or rng.random() < 0.6) and rng.random() > 0.08:  # 8% say nothing of where they are
            c.province = self.pick(PROVINCES)
            if c.province in CITIES:
                regions = {"city": 85.0, "town": 12.0, "rural": 3.0}
            elif c.province in LARGE_TOWNS:
                regions = {"city": 35.0, "town": 30.0, "rural": 35.0}
            else:
                regions = {"city": 8.0, "town": 30.0, "rural": 62.0}
            if rng.random() < 0.85:
                c.region = self.pick_from(regions)
        if full:
            adult = c.age_over_25 or (c.age is not None and c.age >= 18)
            c.living_situation = self.pick(LIVING_ADULT if adult else LIVING)
            if rng.random() < 0.18:
                c.vulnerable_groups = [self.pick(VULNERABLE)]
                if rng.random() < 0.15:
                    second = self.pick(VULNERABLE)
                    if second not in c.vulnerable_groups:
                        c.vulnerable_groups.append(second)
            roll = rng.random()
            if "disability" in c.vulnerable_groups or roll < 0.1:
                c.disability = self.pick(DISABILITIES)
            elif roll < 0.5:
                c.disability = "none"
        reasons = (
            REASONS_COUNSELLING if counselling else REASONS_REFERRAL if referral else REASONS_INFORMATION
        )
        c.reasons = [self.pick(reasons)]
        if full and rng.random() < 0.3:
            second = self.pick(REASONS_COUNSELLING)
            if second.split(".")[0] != c.reasons[0].split(".")[0]:
                c.reasons.append(second)
        serious = any(r.startswith(SERIOUS_PREFIXES) for r in c.reasons)
        if counselling:
            urgency = (
                {"non_critical": 35.0, "urgent": 45.0, "critical": 20.0}
                if serious
                else {"non_critical": 85.0, "urgent": 13.0, "critical": 2.0}
            )
        elif referral:
            urgency = {"non_critical": 50.0, "urgent": 38.0, "critical": 12.0}
        else:
            urgency = {"non_critical": 97.0, "urgent": 3.0}
        c.urgency = self.pick_from(urgency)
        if c.caller_type == "self" and all(b[1] in THIRD_PARTY for b in _bodies(c.reasons[0])):
            # Only an adult would tell this (a missing child, a parent's question): someone else called.
            c.caller_type, c.relationship = "about_child", self.pick(RELATIONSHIPS)
        c.actions = self.actions_for(c)
        c.summary_parts = self.summary_for(c)

    def pick_from(self, weights: dict[str, float]) -> str:
        """A weighted choice from a one-off table (not cached by identity)."""
        return str(_Picker(weights)(self.rng))

    def actions_for(self, c: DemoContact) -> list[str]:
        rng = self.rng
        actions: list[str] = []
        high = c.urgency in {Urgency.URGENT, Urgency.CRITICAL}
        if c.kind == Kind.INFORMATION:
            actions.append("information")
            if rng.random() < 0.4:
                actions.append("resources")
            return actions
        if c.kind == Kind.COUNSELLING or rng.random() < 0.7:
            actions.append("emotional_support")
        if rng.random() < (0.6 if c.kind == Kind.REFERRAL else 0.35):
            actions.append("information")
        if rng.random() < 0.2:
            actions.append("resources")
        if c.kind == Kind.REFERRAL or (high and rng.random() < 0.5) or rng.random() < 0.06:
            category = c.reasons[0].split(".")[0]
            actions.append(REFERRAL_FOR_CATEGORY.get(category, "referral_other"))
        if c.urgency == Urgency.CRITICAL and rng.random() < 0.4:
            actions.append("direct_intervention")
        abuse_material = {"violence.online_sexual_abuse", "online_harms.image_abuse"}
        if any(r in abuse_material for r in c.reasons) and rng.random() < 0.3:
            actions.append("csam_report")
        if rng.random() < (0.5 if high else 0.08):
            actions.append("follow_up")
        return list(dict.fromkeys(actions))

    def summary_for(self, c: DemoContact) -> list[str]:
        rng = self.rng
        english = c.language != "km" or (c.counsellor == "counsellor" and rng.random() < 0.4)
        lang = 1 if english else 0
        parts: list[str] = []
        if c.kind != Kind.INFORMATION:
            parts.append(rng.choice(OPENINGS[c.caller_type or "other"])[lang])
        bodies = _bodies(c.reasons[0])
        # A sentence told by someone else about a child does not follow "the child called".
        fitting = [b for b in bodies if c.caller_type != "self" or b[1] not in THIRD_PARTY]
        parts.append(rng.choice(fitting or bodies)[lang])
        if any(a.startswith("referral_") for a in c.actions):
            parts.append(CLOSINGS["referral"][lang])
        elif "emotional_support" in c.actions:
            parts.append(CLOSINGS["emotional_support"][lang])
        else:
            parts.append(CLOSINGS["information"][lang])
        if "follow_up" in c.actions:
            parts.append(CLOSINGS["follow_up"][lang])
        elif c.kind == Kind.COUNSELLING and rng.random() < 0.3:
            parts.append(CLOSINGS["call_back"][lang])
        return parts


def _bodies(code: str) -> list[Phrase]:
    """Summary sentences for a reason: its own, else its category's."""
    return BODIES.get(code) or BODIES.get(code.split(".")[0]) or BODIES["non_counselling"]


def generate_month(today: dt.date, tz: dt.tzinfo, *, seed: int = SEED) -> list[DemoContact]:
    """The thirteen months before `today` (local dates from the same day thirteen months back to
    yesterday), sorted by arrival."""
    return MonthGenerator(random.Random(seed), today, tz).build()


# --- Writing (through contacts' own service) -----------------------------------------------------


def demo_contacts_present() -> bool:
    return Contact.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists()


def _finished(n: int, c: DemoContact, counsellor_id: uuid.UUID) -> FinishedContact:
    terms = {
        "caller_type": c.caller_type,
        "relationship": c.relationship,
        "gender": c.gender,
        "province": c.province,
        "region": c.region,
        "living_situation": c.living_situation,
        "disability": c.disability,
    }
    return FinishedContact(
        idempotency_key=f"{KEY_PREFIX}{n}",
        channel=c.channel,
        kind=c.kind,
        arrived_at=c.arrived_at,
        counsellor_id=counsellor_id,
        address=c.address,
        withheld=c.withheld,
        wait_seconds=c.wait_seconds,
        talk_seconds=c.talk_seconds,
        language=c.language,
        terms={name: code for name, code in terms.items() if code},
        reasons=c.reasons,
        actions=c.actions,
        vulnerable_groups=c.vulnerable_groups,
        age=c.age,
        age_over_25=c.age_over_25,
        urgency=c.urgency,
        summary_parts=c.summary_parts,
    )


def create_demo_contacts(*, today: dt.date | None = None, seed: int = SEED) -> int | None:
    """Write the demo month. Returns the number of contacts, or None if demo contacts exist."""
    today = today or timezone.localdate()
    tz = timezone.get_default_timezone()
    rng = random.Random(seed + 1)  # ids: reproducible, independent of the month's draws
    month = generate_month(today, tz, seed=seed)
    with transaction.atomic():
        if demo_contacts_present():
            return None
        staff = dict(Staff.objects.filter(username__in=DEMO_COUNSELLORS).values_list("username", "pk"))
        missing = sorted(set(DEMO_COUNSELLORS) - set(staff))
        if missing:
            raise DemoDataError(f"demo staff missing ({', '.join(missing)}): run seed_demo")
        try:
            return contacts_seed_finished(
                None,
                contacts=[_finished(n, c, staff[c.counsellor]) for n, c in enumerate(month, start=1)],
                action=AuditAction.DEMO_SEED_CONTACTS,
                detail={"months": MONTHS},
                new_id=lambda: uuid.UUID(int=rng.getrandbits(128), version=4),
            )
        except ContactError as exc:
            raise DemoDataError(str(exc)) from exc
