"""Demo rota, reviews and debriefs: next fortnight staffed with exactly one gap, reviews with
comments the counsellors read, a debrief asked for and one held; seeding twice changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from helpline.people.models import Debrief, Review
from helpline.rota.models import Shift
from helpline.rota.selectors import gaps_ahead, rota_days


def test_demo_rota_and_people_are_refused_without_helpline_demo(db: None) -> None:
    for command in ("seed_demo_rota", "seed_demo_people"):
        with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
            call_command(command)
    assert not Shift.objects.exists() and not Review.objects.exists()


@override_settings(DEMO=True)
def test_demo_fortnight_has_one_gap_reviews_and_debriefs_and_seeding_twice_changes_nothing(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo rota created" in out.getvalue() and "Demo people created: 5" in out.getvalue()

    days = rota_days()
    assert len(days) == 14 and all(day.shifts for day in days)
    gaps = gaps_ahead()
    assert len(gaps) == 1
    assert (gaps[0].minimum, gaps[0].assignments.count()) == (2, 1)

    scored = Review.objects.filter(scored_at__isnull=False)
    assert scored.count() == 4
    assert {r.counsellor.username for r in scored} == {"counsellor", "volunteer"}
    assert all(r.comment for r in scored)
    assert Review.objects.filter(scored_at__isnull=True).count() == 1
    assert Debrief.objects.filter(held_at__isnull=True).count() == 1
    assert Debrief.objects.filter(held_at__isnull=False, held_by__username="supervisor").count() == 1

    counts = (Shift.objects.count(), Review.objects.count(), Debrief.objects.count())
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Demo rota already present." in again.getvalue()
    assert "Demo people already present." in again.getvalue()
    assert (Shift.objects.count(), Review.objects.count(), Debrief.objects.count()) == counts
