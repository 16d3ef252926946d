"""Dates at the ends of the calendar, typed or put in an address: the rota's week, a shift, a
review sample, a follow-up and a confidentiality break each answer with a page (the week as it
stands, or a 400 naming the field), never a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Staff
from helpline.cases.models import ConfidentialityBreak, FollowUp
from helpline.people.models import Review
from helpline.rota.models import Shift
from tests.case_factories import open_case

ClientFor = Callable[[Staff], Client]
FAR = ["9999-12-31", "0001-01-01"]


@pytest.mark.parametrize("day", FAR)
def test_the_rota_from_a_day_at_the_end_of_the_calendar_shows_this_week(
    counsellor: Staff, client_for: ClientFor, day: str
) -> None:
    response = client_for(counsellor).get("/rota/", {"start": day})
    assert response.status_code == 200
    assert response.context["start"].year not in (1, 9999)


@pytest.mark.parametrize("day", FAR)
def test_a_shift_at_the_end_of_the_calendar_is_refused(
    supervisor: Staff, client_for: ClientFor, day: str
) -> None:
    response = client_for(supervisor).post(
        "/rota/shifts/",
        {"starts_at": f"{day}T08:00", "ends_at": f"{day}T16:00", "role": "counselling", "minimum": "2"},
    )
    assert response.status_code == 400
    assert not Shift.objects.exists()


@pytest.mark.parametrize("day", FAR)
def test_a_review_sample_from_the_end_of_the_calendar_is_refused(
    supervisor: Staff, client_for: ClientFor, day: str
) -> None:
    response = client_for(supervisor).post(
        reverse("people:sample"), {"count": "1", "since": day, "until": day}
    )
    assert response.status_code in (302, 400)
    assert not Review.objects.exists()


@pytest.mark.parametrize("day", FAR)
def test_a_follow_up_or_break_at_the_end_of_the_calendar_is_refused(
    counsellor: Staff, client_for: ClientFor, day: str
) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    follow = client.post(
        f"/cases/{case.pk}/follow-ups/",
        {"kind": "call_back", "due_at": f"{day}T10:00", "owner": "counsellor"},
    )
    assert follow.status_code == 400
    brk = client.post(
        f"/cases/{case.pk}/breaks/",
        {
            "reason": "emergency",
            "disclosed": "her address",
            "recipient_kind": "partner",
            "recipient": "Shelter",
            "disclosed_at": f"{day}T10:00",
            "client_told_first": "on",
            "decided_by": "counsellor",
        },
    )
    assert brk.status_code == 400
    assert not FollowUp.objects.exists() and not ConfidentialityBreak.objects.exists()
