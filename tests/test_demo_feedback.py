"""Demo feedback: complaints in every state, one overdue, one about a partner (in its concerns
log), survey answers; demo only; seeding twice changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from helpline.feedback.models import Feedback, State, Subject, SurveyAnswer
from helpline.referrals.models import PartnerConcern


def test_demo_feedback_is_refused_without_helpline_demo(db: None) -> None:
    with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
        call_command("seed_demo_feedback")
    assert not Feedback.objects.exists()


@override_settings(DEMO=True)
def test_demo_feedback_covers_every_state_one_overdue_one_about_a_partner(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    assert set(Feedback.objects.values_list("state", flat=True)) == set(State.values)
    overdue = Feedback.objects.filter(overdue_flagged_at__isnull=False, state=State.RECEIVED)
    assert overdue.count() == 1
    about_partner = Feedback.objects.get(subject=Subject.PARTNER)
    assert PartnerConcern.objects.filter(partner=about_partner.subject_partner).exists()
    assert SurveyAnswer.objects.exists()
    count = Feedback.objects.count()
    out = StringIO()
    call_command("seed_demo_feedback", stdout=out)
    assert "already present" in out.getvalue() and Feedback.objects.count() == count
