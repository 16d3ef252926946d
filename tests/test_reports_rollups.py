"""The daily rollups always equal the aggregate of the raw contacts: after every create, classify,
correct, erase, abandon and triage step the scheduler's job has applied, and after a rebuild."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from helpline.accounts.models import Role
from helpline.contacts.identity import caller_for_address, parse_address
from helpline.contacts.intake import contact_abandon, contact_urgency_raise, contact_waiting_open
from helpline.contacts.models import Contact
from helpline.contacts.services import contact_correct, contact_record, contact_start
from helpline.reports import rollups
from helpline.reports.facts import contribution, facts_of
from helpline.reports.models import (
    ContactFact,
    DailyAllRollup,
    DailyRollup,
    MonthlyAllRollup,
    MonthlyRollup,
    RollupState,
)
from helpline.reports.rollups import rollups_rebuild, rollups_refresh
from tests import report_factories as rf
from tests.factories import persona

PP = ZoneInfo("Asia/Phnom_Penh")
BASE = dt.datetime(2026, 3, 1, 0, 0, tzinfo=PP)


def raw_aggregate(level: str = "day", *, across: bool = False) -> dict[tuple[Any, ...], tuple[int, int]]:
    """contribution() of every contact, summed by local day or by month (its first day); `across`:
    over every channel together, each channel's total as the dimension "channel" (summed here,
    not by facts.across_channels, so the test does not share the code it checks)."""
    total: Counter[Any] = Counter()
    for _id, fact in facts_of(Contact.objects.all()):
        total.update(contribution(fact))
    out: dict[tuple[Any, ...], list[int]] = {}
    for ((day, channel, dimension, value), measure), amount in total.items():
        at = day.replace(day=1) if level == "month" else day
        keys = [(at, channel, dimension, value)]
        if across:
            keys = [(at, dimension, value)] + ([(at, "channel", channel)] if dimension == "total" else [])
        for key in keys:
            out.setdefault(key, [0, 0])[0 if measure == "n" else 1] += amount
    return {k: (n, w) for k, (n, w) in out.items() if n or w}


def stored(level: str = "day", *, across: bool = False) -> dict[tuple[Any, ...], tuple[int, int]]:
    period = "month" if level == "month" else "day"
    rows: Any
    if across:
        rows = MonthlyAllRollup.objects.all() if level == "month" else DailyAllRollup.objects.all()
        names = [period, "dimension", "value"]
    else:
        rows = MonthlyRollup.objects.all() if level == "month" else DailyRollup.objects.all()
        names = [period, "channel", "dimension", "value"]
    out: dict[tuple[Any, ...], tuple[int, int]] = {}
    for *key, n, w in rows.values_list(*names, "contacts", "wait_seconds"):
        assert tuple(key) not in out, key
        if n or w:
            out[tuple(key)] = (n, w)
    return out


def both_levels_equal_the_raw_aggregate(note: object = None) -> None:
    """Daily and monthly, per channel and over every channel."""
    for across in (False, True):
        assert stored(across=across) == raw_aggregate(across=across), (note, across)
        assert stored("month", across=across) == raw_aggregate("month", across=across), (note, across)


codings = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(rf.KINDS),
        "gender": st.sampled_from(rf.GENDERS),
        "province": st.sampled_from(rf.PROVINCES),
        "region": st.sampled_from(rf.REGIONS),
        "caller_type": st.sampled_from(rf.CALLER_TYPES),
        "urgency": st.sampled_from(rf.URGENCIES),
        "age": st.one_of(st.none(), st.integers(0, 25)),
        "over_25": st.booleans(),
        "reasons": st.lists(st.sampled_from(rf.REASONS), min_size=1, max_size=3, unique=True),
        "actions": st.lists(st.sampled_from(rf.ACTIONS), max_size=2, unique=True),
    }
)
# Around midnight in Phnom Penh (17:00 UTC) and across a few days, a month's end among them.
moments = st.integers(0, 4 * 24 * 60).map(lambda m: BASE + dt.timedelta(minutes=m - 30))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(rf.CHANNELS), moments, codings),
        st.tuples(st.just("classify"), st.sampled_from(rf.CHANNELS), codings),
        st.tuples(st.just("correct"), st.integers(0, 50), codings),
        st.tuples(st.just("erase"), st.integers(0, 50)),
        st.tuples(st.just("abandon"), moments, st.integers(1, 60)),
        st.tuples(st.just("triage"), st.integers(0, 50), st.sampled_from(["urgent", "critical"])),
    ),
    min_size=1,
    max_size=12,
)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class RollupsFollowTheContacts(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps)
    def test_rollups_equal_the_raw_aggregate_after_every_step(self, plan: list[tuple[Any, ...]]) -> None:
        counsellor = persona(Role.COUNSELLOR, username="c1")
        supervisor = persona(Role.SUPERVISOR, username="s1")
        rollups_rebuild()
        made: list[Contact] = []
        # No overlap: each scan sees only what was stamped since the last, so a write path that
        # forgets `updated_at` fails here (the overlap is for transactions committing late).
        with mock.patch.object(rollups, "OVERLAP", dt.timedelta(0)):
            for step in plan:
                self._run(step, counsellor, supervisor, made)
                rollups_refresh()
                both_levels_equal_the_raw_aggregate(step)
        rollups_rebuild()
        both_levels_equal_the_raw_aggregate("rebuilt")

    def _run(self, step: tuple[Any, ...], counsellor: Any, supervisor: Any, made: list[Contact]) -> None:
        name = step[0]
        if name == "create":
            made.append(
                rf.enter(
                    counsellor, channel=step[1], arrived_at=step[2], address="tel:+85512345678", **step[3]
                )
            )
        elif name == "classify":
            contact = contact_start(counsellor, channel=step[1], address="tel:+85512000111")
            made.append(contact_record(counsellor, contact=contact, data=rf.coding(**step[2])))
        elif name == "correct" and made:
            target = made[step[1] % len(made)]
            if target.status == "closed":
                made[step[1] % len(made)] = contact_correct(
                    supervisor, contact=target, data=rf.coding(**step[2]), reason="recoded"
                )
        elif name == "erase" and made:
            rf.erase(made[step[1] % len(made)])
        elif name == "abandon":
            caller = caller_for_address(parse_address("tel:+85516000222"))
            waiting = contact_waiting_open(channel="sms", caller=caller, arrived_at=step[1])
            contact_abandon(contact_id=waiting.pk, at=step[1] + dt.timedelta(seconds=step[2]))
        elif name == "triage" and made:
            target = Contact.objects.get(pk=made[step[1] % len(made)].pk)
            contact_urgency_raise(contact=target, urgency=step[2])


@pytest.mark.django_db
def test_the_command_rebuilds_from_raw_rows_and_the_job_catches_up_from_its_watermark() -> None:
    counsellor = persona(Role.COUNSELLOR, username="c2")
    rf.enter(counsellor, channel="voice", arrived_at=BASE, kind="counselling", gender="female", age=14)
    call_command("reports_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    both_levels_equal_the_raw_aggregate()
    assert DailyRollup.objects.get(dimension="age_band", value="13-15").contacts == 1
    # A contact changed after the scan is picked up by the next tick, and only once.
    rf.enter(counsellor, channel="voice", arrived_at=BASE, kind="counselling", gender="female", age=15)
    rollups_refresh()
    rollups_refresh(timezone.now())
    assert DailyRollup.objects.get(dimension="age_band", value="13-15").contacts == 2
    assert DailyAllRollup.objects.get(dimension="age_band", value="13-15").contacts == 2
    both_levels_equal_the_raw_aggregate()


@pytest.mark.django_db
def test_a_contact_deleted_outright_leaves_the_figures_at_the_next_rebuild() -> None:
    counsellor = persona(Role.COUNSELLOR, username="c3")
    contact = rf.enter(counsellor, channel="sms", arrived_at=BASE, kind="prank")
    rollups_rebuild()
    Contact.handlers.through.objects.filter(contact_id=contact.pk).delete()
    Contact.objects.filter(pk=contact.pk).delete()
    rollups_rebuild()
    assert stored() == {} == raw_aggregate()
    assert stored(across=True) == {} == stored("month", across=True)


def _ledger() -> dict[Any, dict[str, Any]]:
    rows = {}
    for row in ContactFact.objects.values():
        row["reasons"] = sorted(row["reasons"].split(";")) if row["reasons"] else []
        row["actions"] = sorted(row["actions"].split(";")) if row["actions"] else []
        rows[row.pop("contact_id")] = row
    return rows


def _raw_ledger() -> dict[Any, dict[str, Any]]:
    rows = {}
    for contact_id, fact in facts_of(Contact.objects.all()):
        row = asdict(fact)
        row["reasons"] = sorted(fact.reasons.split(";")) if fact.reasons else []
        row["actions"] = sorted(fact.actions.split(";")) if fact.actions else []
        rows[contact_id] = row
    return rows


@pytest.mark.django_db
def test_the_set_based_rebuild_writes_the_same_ledger_as_the_contact_by_contact_rules() -> None:
    counsellor = persona(Role.COUNSELLOR, username="c4")
    rf.enter(
        counsellor, channel="voice", arrived_at=BASE - dt.timedelta(minutes=1), kind="counselling",
        gender="female", age=7, province="kep", region="rural", caller_type="self", urgency="urgent",
        reasons=["trafficking.forced_labour", "online_harms.online_addiction"], actions=["follow_up"],
    )  # fmt: skip
    rf.enter(counsellor, channel="sms", arrived_at=BASE, kind="information", over_25=True)
    rf.enter(counsellor, channel="webchat", arrived_at=BASE + dt.timedelta(hours=5), kind="hang_up")
    caller = caller_for_address(parse_address("tel:+85516000333"))
    waiting = contact_waiting_open(channel="voice", caller=caller, arrived_at=BASE)
    contact_abandon(contact_id=waiting.pk, at=BASE + dt.timedelta(seconds=4))
    rollups_rebuild()
    assert _ledger() == _raw_ledger()
    both_levels_equal_the_raw_aggregate()
    assert DailyRollup.objects.get(dimension="calls", value="short_abandon").contacts == 1
    # An SMS and a chat are contacts but not calls offered.
    assert (
        sum(DailyRollup.objects.filter(dimension="calls", value="offered").values_list("contacts", flat=True))
        == 2
    )


@pytest.mark.django_db
def test_the_first_run_rebuilds_a_month_per_step_and_then_applies_what_changed_meanwhile() -> None:
    counsellor = persona(Role.COUNSELLOR, username="c5")
    supervisor = persona(Role.SUPERVISOR, username="s5")
    made = [
        rf.enter(counsellor, channel="voice", arrived_at=BASE - dt.timedelta(days=40 - 30 * n),
                 kind="counselling", gender="male", age=9 + n)
        for n in range(3)
    ]  # fmt: skip
    RollupState.objects.update_or_create(pk=1, defaults={"watermark": None})
    assert rollups.rollups_rebuild_gradually(0) == 1  # one month, then the budget is spent
    state = RollupState.objects.get()
    assert state.watermark is None and state.rebuild_from == dt.date(2026, 2, 1)
    assert DailyRollup.objects.filter(dimension="total").count() == 1
    # Meanwhile: the rebuilt month's contact is recoded; another moves into a month not yet rebuilt.
    contact_correct(supervisor, contact=made[0], data=rf.coding(kind="prank"), reason="recoded")
    Contact.objects.filter(pk=made[1].pk).update(
        arrived_at=BASE + dt.timedelta(days=25), updated_at=timezone.now()
    )
    Contact.objects.filter(pk=made[2].pk).update(
        arrived_at=BASE - dt.timedelta(days=60), updated_at=timezone.now()
    )
    while RollupState.objects.get().watermark is None:
        rollups.rollups_rebuild_gradually(0)
    rollups_refresh()
    both_levels_equal_the_raw_aggregate()
    assert _ledger() == _raw_ledger()


@pytest.mark.django_db
def test_the_scheduler_job_rebuilds_gradually_when_there_is_no_watermark() -> None:
    counsellor = persona(Role.COUNSELLOR, username="c6")
    rf.enter(counsellor, channel="voice", arrived_at=BASE, kind="counselling", gender="male", age=9)
    RollupState.objects.update_or_create(pk=1, defaults={"watermark": None})
    with mock.patch.object(rollups, "REBUILD_BUDGET_SECONDS", 0):
        rollups_refresh()
    assert RollupState.objects.get().watermark is not None
    both_levels_equal_the_raw_aggregate()


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_all_channel_rows_from_the_per_channel_ones() -> None:
    counsellor = persona(Role.COUNSELLOR, username="c7")
    for n, channel in enumerate(["voice", "voice", "sms", "webchat"]):
        rf.enter(
            counsellor, channel=channel, arrived_at=BASE + dt.timedelta(days=15 * n), kind="counselling",
            gender="female", age=9 + n, reasons=["violence.physical"],
        )  # fmt: skip
    rollups_rebuild()
    call_command("migrate", "reports", "0003", verbosity=0)
    try:
        call_command("migrate", "reports", "0004", verbosity=0)
        both_levels_equal_the_raw_aggregate("migrated")
        assert stored(across=True)[(BASE.date(), "channel", "voice")] == (1, 0)
    finally:
        call_command("migrate", verbosity=0)
