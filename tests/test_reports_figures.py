"""Each dashboard figure against counts made independently here: plain Python over the dataset the
test builds (every channel and kind, categories local and CHI, ages at each band's edge, provinces,
contacts either side of midnight in Phnom Penh, a reclassified contact, one caller many times,
calls abandoned quickly and not), never the selectors' SQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from helpline.accounts.models import ApiToken, Role, Staff
from helpline.contacts.identity import caller_for_address, parse_address
from helpline.contacts.intake import contact_abandon, contact_waiting_open
from helpline.contacts.services import contact_correct
from helpline.reports.rollups import rollups_refresh
from helpline.reports.selectors import (
    Cover,
    Period,
    dashboard,
    figures,
    may_see_statistics,
    rollups_visible_to,
    series,
)
from tests import report_factories as rf
from tests.factories import persona

UTC = dt.UTC


@dataclass
class Spec:
    channel: str
    at: dt.datetime  # UTC
    local_day: dt.date  # written by hand: the day in Phnom Penh (UTC+7)
    local_hour: int
    code: dict[str, Any] = field(default_factory=dict)


def _u(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def dataset() -> list[Spec]:
    d = dt.date
    specs = [
        # Midnight edges: 16:59 UTC is 23:59 the same day, 17:00 UTC is 00:00 the next.
        Spec(
            "voice",
            _u(10, 16, 59),
            d(2026, 5, 10),
            23,
            {
                "kind": "counselling",
                "gender": "female",
                "age": 6,
                "province": "phnom_penh",
                "region": "city",
                "caller_type": "self",
                "urgency": "critical",
                "reasons": ["violence.physical", "trafficking.forced_labour"],
                "actions": ["emotional_support"],
            },
        ),
        Spec(
            "voice",
            _u(10, 17, 0),
            d(2026, 5, 11),
            0,
            {
                "kind": "counselling",
                "gender": "male",
                "age": 7,
                "province": "battambang",
                "region": "rural",
                "caller_type": "about_child",
                "reasons": ["online_harms.online_addiction"],
                "actions": ["follow_up", "information"],
            },
        ),
        Spec(
            "sms",
            _u(11, 2),
            d(2026, 5, 11),
            9,
            {
                "kind": "information",
                "gender": "non_binary",
                "age": 15,
                "province": "siem_reap",
                "region": "town",
                "caller_type": "self",
                "reasons": ["grief.general"],
            },
        ),
        Spec(
            "webchat",
            _u(11, 3),
            d(2026, 5, 11),
            10,
            {
                "kind": "referral",
                "gender": "female",
                "age": 16,
                "province": "kep",
                "caller_type": "other",
                "urgency": "urgent",
                "reasons": ["trafficking.domestic_servitude", "violence.child_labour"],
            },
        ),
        Spec(
            "walk_in",
            _u(12, 5),
            d(2026, 5, 12),
            12,
            {"kind": "counselling", "age": 17, "gender": "male", "reasons": ["online_harms.cyberbullying"]},
        ),
        Spec(
            "email",
            _u(12, 6),
            d(2026, 5, 12),
            13,
            {"kind": "counselling", "age": 18, "reasons": ["family.other"]},
        ),
        Spec(
            "social",
            _u(12, 7),
            d(2026, 5, 12),
            14,
            {"kind": "counselling", "age": 25, "over_25": False, "reasons": ["mental_health.other"]},
        ),
        Spec(
            "other",
            _u(13, 8),
            d(2026, 5, 13),
            15,
            {"kind": "counselling", "over_25": True, "age": None, "reasons": ["violence.physical"]},
        ),
        Spec(
            "voice",
            _u(13, 9),
            d(2026, 5, 13),
            16,
            {"kind": "counselling", "age": 12, "reasons": ["violence.physical"]},
        ),
        Spec(
            "voice",
            _u(13, 10),
            d(2026, 5, 13),
            17,
            {"kind": "counselling", "age": 13, "reasons": ["violence.physical"]},
        ),
    ]
    # Every non-data kind, silent and hang-up and prank included: counted, never dropped.
    for i, kind in enumerate(["silent", "blank", "hang_up", "testing", "prank", "wrong_number", "abusive"]):
        specs.append(Spec("voice" if i % 2 else "sms", _u(14, i), d(2026, 5, 14), 7 + i, {"kind": kind}))
    # The last day of the period, just before midnight there; and one just after (outside it).
    specs.append(Spec("voice", _u(20, 16, 30), d(2026, 5, 20), 23, {"kind": "prank"}))
    specs.append(Spec("voice", _u(20, 17, 30), d(2026, 5, 21), 0, {"kind": "prank"}))
    # The previous period (as long as 11..20 May): 1..10 May local.
    specs.append(Spec("sms", _u(2, 17, 5), d(2026, 5, 3), 0, {"kind": "silent"}))
    specs.append(Spec("sms", _u(2, 16, 55), d(2026, 5, 2), 23, {"kind": "silent"}))
    return specs


PERIOD = Period(dt.date(2026, 5, 11), dt.date(2026, 5, 20))
PREVIOUS = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 10))


def _band(code: dict[str, Any]) -> str:
    if code.get("kind") not in rf.DATA_KINDS:
        return "unknown"
    if code.get("over_25"):
        return "over_25"
    age = code.get("age")
    if age is None:
        return "unknown"
    return next(
        b for top, b in [(6, "0-6"), (12, "7-12"), (15, "13-15"), (17, "16-17"), (25, "18-25")] if age <= top
    )


CATEGORY_OF = {  # local parent, and the CHI category the subcategory's own CHI code names
    "violence.physical": ("violence", "violence.physical"),
    "violence.child_labour": ("violence", "violence.child_labour"),
    "trafficking.forced_labour": ("trafficking", "violence.child_labour"),
    "trafficking.domestic_servitude": ("trafficking", "violence.child_labour"),
    "online_harms.online_addiction": ("online_harms", "mental_health.substance_use"),
    "online_harms.cyberbullying": ("online_harms", "violence.bullying"),
    "mental_health.other": ("mental_health", "mental_health.other"),
    "grief.general": ("grief", "mental_health.other"),
    "family.other": ("family", "family.other"),
}


@dataclass
class Built:
    specs: list[Spec]
    abandoned: list[tuple[dt.datetime, int]]  # arrival (UTC), seconds before leaving
    supervisor: Staff


@pytest.fixture
def built(db: None) -> Built:
    counsellor = persona(Role.COUNSELLOR, username="c")
    supervisor = persona(Role.SUPERVISOR, username="s")
    specs = dataset()
    contacts = []
    for i, spec in enumerate(specs):
        # One caller many times (a repeat caller counts once per contact), the others distinct.
        address = "tel:+85512000999" if i % 3 == 0 else f"tel:+8551200{i:04d}"
        contacts.append(
            rf.enter(counsellor, channel=spec.channel, arrived_at=spec.at, address=address, **spec.code)
        )
    # Reclassified: the walk-in recoded from counselling to information about a 14-year-old girl.
    recoded = {"kind": "information", "gender": "female", "age": 14, "reasons": ["grief.general"]}
    contact_correct(supervisor, contact=contacts[4], data=rf.coding(**recoded), reason="recoded")
    specs[4].code = recoded
    abandoned = [(_u(15, 1), 4), (_u(15, 2), 45), (_u(16, 17, 1), 3)]
    caller = caller_for_address(parse_address("tel:+85516000123"))
    for at, seconds in abandoned:
        waiting = contact_waiting_open(channel="voice", caller=caller, arrived_at=at)
        contact_abandon(contact_id=waiting.pk, at=at + dt.timedelta(seconds=seconds))
    rollups_refresh()
    return Built(specs, abandoned, supervisor)


def _local(at: dt.datetime) -> dt.date:
    return (at + dt.timedelta(hours=7)).date()


def _expected(built: Built, period: Period) -> dict[str, Counter[str]]:
    """Counts by plain Python over the specs."""
    inside = [s for s in built.specs if period.start <= s.local_day <= period.end]
    gone = [(at, sec) for at, sec in built.abandoned if period.start <= _local(at) <= period.end]
    by: dict[str, Counter[str]] = {
        name: Counter()
        for name in [
            "channel",
            "kind",
            "gender",
            "age_band",
            "province",
            "region",
            "caller_type",
            "urgency",
            "hour",
            "category",
            "subcategory",
            "chi_category",
            "chi_subcategory",
            "action",
        ]
    }
    for s in inside:
        c = s.code
        data = c["kind"] in rf.DATA_KINDS
        by["channel"][s.channel] += 1
        by["kind"][c["kind"]] += 1
        for name in ["gender", "province", "region", "caller_type", "urgency"]:
            by[name][c.get(name, "") if data else ""] += 1
        by["age_band"][_band(c)] += 1
        by["hour"][f"{s.local_hour:02d}"] += 1
        reasons = c.get("reasons", []) if data else []
        for value in set(reasons) or {""}:
            by["subcategory"][value] += 1
        for value in {CATEGORY_OF[r][0] for r in reasons} or {""}:
            by["category"][value] += 1
        for value in {CATEGORY_OF[r][1] for r in reasons} or {""}:
            by["chi_subcategory"][value] += 1
        for value in {CATEGORY_OF[r][1].split(".")[0] for r in reasons} or {""}:
            by["chi_category"][value] += 1
        for value in set(c.get("actions", []) if data else []) or {""}:
            by["action"][value] += 1
    for at, _sec in gone:
        by["channel"]["voice"] += 1
        by["kind"][""] += 1
        for name in [
            "gender",
            "province",
            "region",
            "caller_type",
            "urgency",
            "subcategory",
            "category",
            "chi_subcategory",
            "chi_category",
            "action",
        ]:
            by[name][""] += 1
        by["age_band"]["unknown"] += 1
        by["hour"][f"{(at + dt.timedelta(hours=7)).hour:02d}"] += 1
    return by


def test_every_breakdown_matches_counts_made_independently(built: Built) -> None:
    for period in (PERIOD, PREVIOUS):
        got = figures(built.supervisor, period)
        want = _expected(built, period)
        assert got.total == sum(want["channel"].values())
        for dimension, counts in want.items():
            assert got.by.get(dimension, {}) == dict(counts), dimension
        per_channel = {ch: figures(built.supervisor, period, channel=ch).total for ch in rf.CHANNELS}
        assert {k: v for k, v in per_channel.items() if v} == dict(want["channel"])


def test_silent_hang_up_and_prank_are_counted_and_split_from_counselling(built: Built) -> None:
    got = figures(built.supervisor, PERIOD)
    assert got.by["kind"]["silent"] == 1 and got.by["kind"]["hang_up"] == 1 and got.by["kind"]["prank"] == 2
    inside = [s for s in built.specs if PERIOD.start <= s.local_day <= PERIOD.end]
    assert got.data_contacts == sum(s.code["kind"] in rf.DATA_KINDS for s in inside)
    assert got.non_data_contacts == sum(s.code["kind"] not in rf.DATA_KINDS for s in inside)


def test_call_measures_and_service_level(built: Built) -> None:
    calls = figures(built.supervisor, PERIOD).calls
    inside = [s for s in built.specs if PERIOD.start <= s.local_day <= PERIOD.end and s.channel == "voice"]
    abandoned = [(at, sec) for at, sec in built.abandoned if PERIOD.start <= _local(at) <= PERIOD.end]
    # Calls are phone calls only: an SMS, a chat or a walk-in is a contact, never a call offered.
    # Every inbound phone call is offered; those entered by hand were answered at once (wait 0).
    assert 0 < len(inside) < len([s for s in built.specs if PERIOD.start <= s.local_day <= PERIOD.end])
    assert calls.offered == len(inside) + len(abandoned)
    assert calls.answered == len(inside)
    assert calls.abandoned == 3 and calls.short_abandons == 2  # 4 s and 3 s; 45 s is not short
    assert calls.wait_buckets == {"0-10": len(inside)}
    assert calls.service_level == len(inside) / (len(inside) + len(abandoned) - 2)
    assert calls.average_wait == 0


def test_a_period_across_months_reads_whole_months_and_the_days_around_them_alike(built: Built) -> None:
    d = dt.date
    across = Period(d(2026, 4, 20), d(2026, 6, 2))
    # April and June mostly outside: their days inside; May whole.
    assert across.cover() == Cover(
        (d(2026, 5, 1), d(2026, 6, 1)),
        [Period(d(2026, 4, 20), d(2026, 4, 30)), Period(d(2026, 6, 1), d(2026, 6, 2))],
        [],
    )
    # May mostly inside: the whole month less its first two days (2 May 23:55 is taken away, 3 May
    # 00:05 kept: the midnight edge in Phnom Penh).
    most_of_may = Period(d(2026, 5, 3), d(2026, 6, 2))
    assert most_of_may.cover() == Cover(
        (d(2026, 5, 1), d(2026, 6, 1)),
        [Period(d(2026, 6, 1), d(2026, 6, 2))],
        [Period(d(2026, 5, 1), d(2026, 5, 2))],
    )
    inside_one_month = Period(d(2026, 5, 2), d(2026, 5, 30))
    assert inside_one_month.cover().less == [
        Period(d(2026, 5, 1), d(2026, 5, 1)),
        Period(d(2026, 5, 31), d(2026, 5, 31)),
    ]
    for period in (across, most_of_may, inside_one_month, PERIOD):
        got = figures(built.supervisor, period)
        want = _expected(built, period)
        assert got.total == sum(want["channel"].values()) > 0
        for dimension, counts in want.items():
            assert got.by.get(dimension, {}) == dict(counts), (period, dimension)
        by_month = series(built.supervisor, period, grain="month")
        assert sum(v[""] for v in by_month.values()) == got.total
        by_kind = series(built.supervisor, period, grain="month", dimension="kind")
        assert {k: sum(v.get(k, 0) for v in by_kind.values()) for k in want["kind"]} == dict(want["kind"])
        per_channel = {ch: figures(built.supervisor, period, channel=ch).total for ch in rf.CHANNELS}
        assert {k: v for k, v in per_channel.items() if v} == dict(want["channel"])


def test_previous_period_sits_beside_and_series_group_by_day_week_and_month(built: Built) -> None:
    both = dashboard(built.supervisor, PERIOD)
    assert both.previous.period == PREVIOUS
    assert both.previous.total == 3  # 10 May 23:59, 3 May 00:05 and 2 May 23:55 local
    by_day = series(built.supervisor, PERIOD, grain="day")
    want_days = Counter(s.local_day for s in built.specs if PERIOD.start <= s.local_day <= PERIOD.end)
    want_days.update(_local(at) for at, _ in built.abandoned)
    assert {day: v[""] for day, v in by_day.items()} == dict(want_days)
    by_month = series(built.supervisor, Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31)), grain="month")
    assert by_month == {dt.date(2026, 5, 1): {"": len(built.specs) + 3}}
    weeks = series(built.supervisor, PERIOD, grain="week", dimension="kind")
    assert set(weeks) == {dt.date(2026, 5, 11), dt.date(2026, 5, 18)}  # Mondays
    assert sum(sum(v.values()) for v in weeks.values()) == figures(built.supervisor, PERIOD).total


def test_only_statistics_roles_and_scoped_tokens_see_figures(built: Built) -> None:
    for role in Role:
        staff = persona(role, username=f"r-{role}")
        allowed = role in {Role.SUPERVISOR, Role.DATA_OFFICER, Role.ADMINISTRATOR}
        assert may_see_statistics(staff) is allowed
        assert (figures(staff, PERIOD).total > 0) is allowed
    token = ApiToken(name="t", scopes=["statistics:read"])
    assert may_see_statistics(token) and not may_see_statistics(ApiToken(name="u", scopes=["contacts:read"]))
    assert not rollups_visible_to(ApiToken(name="u", scopes=["contacts:read"])).exists()
