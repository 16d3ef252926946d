"""Demo reviews and debriefs: the supervisor has scored a handful of the demo counsellors' contacts
with comments they can read, has one sampled contact still to score, and there is a debrief asked
for and one already held. Everything goes through the people app's services."""

from __future__ import annotations

from django.db import transaction

from helpline.accounts.models import Staff
from helpline.contacts.models import Contact, Kind, Status
from helpline.people import services
from helpline.people.models import Debrief, Review

COMMENTS = [
    (
        "counsellor",
        {"listening": 5, "safety_assessment": 4, "information_accuracy": 4, "recording_quality": 3},
        "You let the child finish before asking anything: good. "
        "Write the safety plan into the summary, not only the outcome.",
    ),
    (
        "counsellor",
        {"listening": 4, "safety_assessment": 5, "information_accuracy": 5, "recording_quality": 4},
        "Clear check of where the child would sleep tonight. Well done.",
    ),
    (
        "volunteer",
        {"listening": 4, "safety_assessment": 3, "information_accuracy": 4, "recording_quality": 4},
        "Ask directly about self-harm when a child says they feel hopeless; "
        "the script is in the console's help.",
    ),
    (
        "volunteer",
        {"listening": 5, "safety_assessment": 4, "information_accuracy": 3, "recording_quality": 5},
        "The clinic's opening hours have changed: check the partner directory before giving them.",
    ),
]


class DemoPeopleError(Exception):
    pass


def demo_people_present() -> bool:
    return Review.objects.exists() or Debrief.objects.exists()


def _closed(counsellor: Staff) -> list[Contact]:
    return list(
        Contact.objects.filter(
            counsellor=counsellor, status=Status.CLOSED, kind=Kind.COUNSELLING, review__isnull=True
        ).order_by("-arrived_at")[:5]
    )


def create_demo_people() -> int | None:
    """The number of reviews made, or None when there are reviews or debriefs already."""
    staff = {
        s.username: s for s in Staff.objects.filter(username__in=["counsellor", "volunteer", "supervisor"])
    }
    if len(staff) != 3:
        raise DemoPeopleError("Create the demo staff first (seed_demo).")
    supervisor = staff["supervisor"]
    pools = {name: _closed(staff[name]) for name in ("counsellor", "volunteer")}
    if any(len(pool) < 3 for pool in pools.values()):
        raise DemoPeopleError("Create the demo contacts first (seed_demo_contacts).")
    with transaction.atomic():
        if demo_people_present():
            return None
        services.rubric_defaults_ensure()
        for name, scores, comment in COMMENTS:
            review = services.review_choose(supervisor, contact=pools[name].pop(0))
            services.review_score(supervisor, review=review, scores=scores, comment=comment)
        services.review_choose(supervisor, contact=pools["counsellor"].pop(0))  # still to score
        held = services.debrief_request(
            staff["counsellor"], reason="The call from the girl at the construction site stays with me."
        )
        services.debrief_hold(
            supervisor, debrief=held, notes="Talked it through; agreed a short break after such calls."
        )
        services.debrief_request(staff["volunteer"], contact=pools["volunteer"][0], reason="")
    return len(COMMENTS) + 1
