"""Demo contacts: a realistic month (volume, non-data calls, returning callers), idempotent, demo only."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F
from django.test import override_settings
from django.utils import timezone

from helpline.audit.models import AuditEvent
from helpline.contacts.models import NON_DATA_KINDS, Caller, Channel, Contact, Kind
from helpline.contacts.search_text import index_text
from helpline.demo.month import months_back


def test_demo_contacts_are_refused_without_helpline_demo(db: None) -> None:
    with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
        call_command("seed_demo_contacts")
    assert not Contact.objects.exists()


@override_settings(DEMO=True)
def test_demo_month_is_realistic_and_seeding_twice_changes_nothing(db: None) -> None:
    out = StringIO()
    started = time.monotonic()
    call_command("seed_demo", stdout=out)
    # A guard against a seed gone pathologically slow, not a benchmark: thirteen months of contacts
    # (about 27,000) seed in well under this on an idle 2-CPU machine; CI runs two suites beside it.
    assert time.monotonic() - started < 120
    assert "Demo contacts created: " in out.getvalue()

    # Thirteen months before today, local time: the last month at the reported volumes, earlier
    # ones a little quieter, so the first dashboard shows a trend and a previous period.
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    everything = Contact.objects.all()
    days = {at.astimezone(tz).date() for at in everything.values_list("arrived_at", flat=True)}
    assert min(days) >= months_back(today, 13) and min(days) <= months_back(today, 13) + dt.timedelta(days=3)
    assert max(days) < today
    assert len(days) >= 380
    since = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(), tzinfo=tz)
    contacts = everything.filter(arrived_at__gte=since)
    total = contacts.count()
    assert 2100 <= total <= 2600
    year_ago = dt.datetime.combine(months_back(today, 12), dt.time(), tzinfo=tz)
    then = everything.filter(
        arrived_at__gte=year_ago - dt.timedelta(days=30), arrived_at__lt=year_ago
    ).count()
    assert 0.7 * total <= then < total  # a year ago the line was quieter
    assert 12 * 2000 <= everything.count() <= 13 * 2600
    by_channel = dict(contacts.values_list("channel").annotate(n=Count("id")))
    assert 1850 <= by_channel[Channel.VOICE] <= 2150
    assert 150 <= by_channel[Channel.SMS] <= 250
    assert 40 <= by_channel[Channel.WEBCHAT] <= 80
    assert 1 <= by_channel.get(Channel.WALK_IN, 0) + by_channel.get(Channel.EMAIL, 0) <= 20
    assert not everything.exclude(status="closed").exists()
    assert not everything.filter(kind="").exists()

    # Most calls carry no data; of the rest, counselling > information > referral.
    voice_kinds = dict(contacts.filter(channel=Channel.VOICE).values_list("kind").annotate(n=Count("id")))
    non_data = sum(n for kind, n in voice_kinds.items() if kind in NON_DATA_KINDS)
    assert 0.55 <= non_data / by_channel[Channel.VOICE] <= 0.65
    assert voice_kinds[Kind.COUNSELLING] > voice_kinds[Kind.INFORMATION] > voice_kinds[Kind.REFERRAL]
    assert voice_kinds[Kind.SILENT] > voice_kinds.get(Kind.ABUSIVE, 0) > 0

    # More calls in the afternoon and evening than at night.
    hours = [at.astimezone(tz).hour for at in contacts.values_list("arrived_at", flat=True)]
    assert sum(14 <= h < 22 for h in hours) > 5 * sum(0 <= h < 5 for h in hours)

    # Returning callers, a child gathering courage, withheld numbers, web chat addresses.
    per_caller = Caller.objects.annotate(n=Count("contacts"))
    assert per_caller.filter(n__gte=3).count() >= 20
    assert Caller.objects.filter(scheme="webchat").exists()
    assert contacts.filter(caller_withheld=True, caller__isnull=True).exists()
    courage = 0
    for caller in per_caller.filter(n__gte=2)[:300]:
        kinds = list(caller.contacts.order_by("arrived_at").values_list("kind", flat=True))
        courage += kinds[0] == Kind.SILENT and Kind.COUNSELLING in kinds
    assert courage >= 5

    # Counselling contacts are coded: a reason (a subcategory) each, mostly Khmer, with times.
    counselling = contacts.filter(kind=Kind.COUNSELLING)
    assert not counselling.filter(reasons__isnull=True).exists()
    assert not counselling.filter(reasons__parent__isnull=True).exists()
    assert not counselling.filter(actions__isnull=True).exists()
    assert counselling.filter(language="km").count() > 0.8 * counselling.count()
    assert counselling.filter(age__gte=6, age__lte=17).count() > 0.5 * counselling.count()
    assert (
        counselling.filter(province__code="phnom_penh").count()
        > counselling.filter(province__code="kep").count()
    )
    assert not contacts.filter(counsellor__isnull=True).exists()
    assert not contacts.filter(answered_at__lt=F("arrived_at")).exists()
    assert not contacts.filter(ended_at__lt=F("answered_at")).exists()
    for contact in counselling.order_by("idempotency_key")[:25]:
        assert contact.summary
        assert contact.search_text == index_text(contact.summary)
    assert AuditEvent.objects.filter(action="demo.seed_contacts").count() == 1

    def counts() -> tuple[int, ...]:
        return (
            Contact.objects.count(),
            Caller.objects.count(),
            Contact.reasons.through.objects.count(),
            AuditEvent.objects.count(),
        )

    before = counts()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Demo contacts already present." in again.getvalue()
    assert counts() == before
