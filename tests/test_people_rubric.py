"""Supervisors keep the review rubric: add a line (in English and Khmer), retire one, bring it
back; every review scores the active lines, past scores stay; each change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Channel, Contact, Kind, Status
from helpline.people import services
from helpline.people.models import Criterion
from helpline.people.services import PeopleError

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
FOURS = {"listening": 4, "safety_assessment": 4, "information_accuracy": 4, "recording_quality": 4}


@pytest.fixture(autouse=True)
def rubric(db: None) -> None:
    services.rubric_defaults_ensure()  # a transactional test elsewhere may have emptied the table


def closed(counsellor: Staff) -> Contact:
    contact = Contact.objects.create(
        channel=Channel.VOICE,
        status=Status.CLOSED,
        kind=Kind.COUNSELLING,
        arrived_at=timezone.now() - dt.timedelta(days=1),
        counsellor=counsellor,
    )
    contact.handlers.add(counsellor)
    return contact


def test_a_supervisor_adds_a_line_and_the_next_review_must_score_it(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(supervisor)
    response = client.post(reverse("people:rubric_add"), {"label_en": "Empathy", "label_km": "ការយល់ចិត្ត"})
    assert response.status_code == 302
    line = Criterion.objects.get(code="empathy")
    assert (line.label_en, line.label_km, line.is_active) == ("Empathy", "ការយល់ចិត្ត", True)
    assert AuditEvent.objects.filter(action="rubric.add", record_id=str(line.pk)).exists()
    page = client.get(reverse("people:quality")).content.decode()
    assert "ការយល់ចិត្ត" in page and "Empathy" in page
    review = services.review_choose(supervisor, contact=closed(counsellor))
    with pytest.raises(PeopleError):
        services.review_score(supervisor, review=review, scores=FOURS, comment="")
    services.review_score(supervisor, review=review, scores=FOURS | {"empathy": 5}, comment="")


def test_a_retired_line_is_no_longer_scored_and_its_past_scores_stay(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    first = services.review_choose(supervisor, contact=closed(counsellor))
    services.review_score(supervisor, review=first, scores=FOURS, comment="")
    recording = Criterion.objects.get(code="recording_quality")
    client = client_for(supervisor)
    assert (
        client.post(reverse("people:rubric_active", args=[recording.pk]), {"active": "0"}).status_code == 302
    )
    recording.refresh_from_db()
    assert not recording.is_active
    assert first.scores.filter(criterion=recording, score=4).exists()
    second = services.review_choose(supervisor, contact=closed(counsellor))
    without = {k: v for k, v in FOURS.items() if k != "recording_quality"}
    services.review_score(supervisor, review=second, scores=without, comment="")
    assert not second.scores.filter(criterion=recording).exists()
    assert (
        client.post(reverse("people:rubric_active", args=[recording.pk]), {"active": "1"}).status_code == 302
    )
    recording.refresh_from_db()
    assert recording.is_active
    assert AuditEvent.objects.filter(action="rubric.active", record_id=str(recording.pk)).count() == 2


def test_bad_lines_are_refused_and_nothing_changes(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    before = Criterion.objects.count()
    for data in (
        {"label_en": "", "label_km": "ការយល់ចិត្ត"},
        {"label_en": "Empathy", "label_km": "   "},
        {"label_en": "Listening", "label_km": "ការស្ដាប់"},  # already there
        {"label_en": "x" * 201, "label_km": "ក"},
    ):
        assert client.post(reverse("people:rubric_add"), data).status_code == 400, data
    assert Criterion.objects.count() == before
    for line in Criterion.objects.exclude(code="listening"):
        services.criterion_set_active(supervisor, line, active=False)
    last = Criterion.objects.get(code="listening")
    assert client.post(reverse("people:rubric_active", args=[last.pk]), {"active": "0"}).status_code == 400
    last.refresh_from_db()
    assert last.is_active  # a rubric keeps at least one line
    assert client.post(reverse("people:rubric_active", args=[999_999]), {"active": "0"}).status_code == 404


def test_counsellors_cannot_change_the_rubric(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    line = Criterion.objects.get(code="listening")
    assert client.post(
        reverse("people:rubric_add"), {"label_en": "Tone", "label_km": "សំឡេង"}
    ).status_code in {
        403,
        404,
    }
    assert client.post(reverse("people:rubric_active", args=[line.pk]), {"active": "0"}).status_code in {
        403,
        404,
    }
    line.refresh_from_db()
    assert line.is_active and not Criterion.objects.filter(code="tone").exists()
