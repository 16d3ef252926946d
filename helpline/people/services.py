"""Writes for reviews and debriefs: typed, keyword-only, the actor first, audited in the same
transaction. The audit rows name records, never what a debrief or a review comment says."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Contact, Status
from helpline.contacts.selectors import contacts_visible_to
from helpline.people.models import (
    SCORE_MAX,
    SCORE_MIN,
    Criterion,
    Debrief,
    Distressing,
    Review,
    ReviewHow,
    Score,
)

SAMPLE_MAX = 20


class PeopleError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SampleFilters:
    channel: str = ""
    counsellor: Staff | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def reviewable(reviewer: Staff, filters: SampleFilters) -> QuerySet[Contact]:
    """Closed contacts the reviewer may see, answered by a counsellor, not yet reviewed."""
    found = contacts_visible_to(reviewer).filter(
        status=Status.CLOSED, counsellor__isnull=False, review__isnull=True
    )
    if filters.channel:
        found = found.filter(channel=filters.channel)
    if filters.counsellor is not None:
        found = found.filter(counsellor=filters.counsellor)
    if filters.since is not None:
        found = found.filter(arrived_at__date__gte=filters.since)
    if filters.until is not None:
        found = found.filter(arrived_at__date__lte=filters.until)
    return found.exclude(counsellor=reviewer)


def _review_create(reviewer: Staff, contact: Contact, how: str) -> Review:
    assert contact.counsellor is not None
    return Review.objects.create(contact=contact, counsellor=contact.counsellor, reviewer=reviewer, how=how)


def review_sample(reviewer: Staff, *, filters: SampleFilters, count: int) -> list[Review]:
    """Draw up to `count` contacts at random among those the filters find, for the reviewer."""
    if not 1 <= count <= SAMPLE_MAX:
        raise PeopleError("count", _("Sample between 1 and %(max)d contacts.") % {"max": SAMPLE_MAX})
    with transaction.atomic():
        drawn = list(reviewable(reviewer, filters).order_by("?")[:count])
        reviews = [_review_create(reviewer, contact, ReviewHow.RANDOM) for contact in drawn]
        audit_record(
            reviewer,
            action=AuditAction.REVIEW_SAMPLE,
            record_type="review",
            detail={
                "asked": count,
                "drawn": len(reviews),
                "channel": filters.channel,
                "counsellor": filters.counsellor.username if filters.counsellor else "",
            },
        )
    return reviews


def review_choose(reviewer: Staff, *, contact: Contact) -> Review:
    """Review this contact (the caller found it through contacts_visible_to)."""
    if contact.status != Status.CLOSED or contact.counsellor_id is None:
        raise PeopleError("contact", _("Only a closed contact a counsellor answered can be reviewed."))
    if contact.counsellor_id == reviewer.pk:
        raise PeopleError("contact", _("Nobody reviews their own contacts."))
    with transaction.atomic():
        existing = Review.objects.filter(contact=contact).first()
        if existing is not None:
            return existing
        review = _review_create(reviewer, contact, ReviewHow.CHOSEN)
        audit_record(
            reviewer,
            action=AuditAction.REVIEW_SAMPLE,
            record_type="review",
            record_id=review.pk,
            detail={"chosen": str(contact.pk)},
        )
    return review


# The rubric a new installation starts with (migration people.0002 writes the same lines).
DEFAULT_RUBRIC = [
    ("listening", "Listening", "ការស្ដាប់", 10),
    ("safety_assessment", "Safety assessment", "ការវាយតម្លៃសុវត្ថិភាព", 20),
    ("information_accuracy", "Information accuracy", "ភាពត្រឹមត្រូវនៃព័ត៌មាន", 30),
    ("recording_quality", "Recording quality", "គុណភាពនៃការកត់ត្រា", 40),
]


RUBRIC_MAX_LINES = 12  # a review a supervisor can score in a few minutes


def criterion_add(supervisor: Staff, *, label_en: str, label_km: str) -> Criterion:
    """A new line at the end of the rubric; scored on every review from now on (reviews already
    scored keep their scores, and a line is never deleted, only retired)."""
    label_en, label_km = label_en.strip(), label_km.strip()
    if not label_en or not label_km:
        raise PeopleError(
            "label_en" if not label_en else "label_km", _("Give the line in English and in Khmer.")
        )
    if Criterion.objects.filter(is_active=True).count() >= RUBRIC_MAX_LINES:
        raise PeopleError(
            "label_en", _("The rubric has as many lines as a review can hold; retire one first.")
        )
    code = slugify(label_en)[:40] or "line"
    if (
        Criterion.objects.filter(code=code).exists()
        or Criterion.objects.filter(label_en__iexact=label_en).exists()
    ):
        raise PeopleError("label_en", _("The rubric already has this line."))
    with transaction.atomic():
        last = Criterion.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
        criterion = Criterion.objects.create(
            code=code, label_en=label_en, label_km=label_km, sort_order=last + 10
        )
        audit_record(
            supervisor, action=AuditAction.RUBRIC_ADD, record_type="criterion", record_id=criterion.pk,
            detail={"code": code},
        )  # fmt: skip
    return criterion


def criterion_set_active(supervisor: Staff, criterion: Criterion, *, active: bool) -> Criterion:
    """Retire a line (no longer scored; its past scores stay in the trends) or bring it back."""
    if not active and Criterion.objects.filter(is_active=True).exclude(pk=criterion.pk).count() == 0:
        raise PeopleError("criterion", _("A rubric needs at least one line."))
    with transaction.atomic():
        criterion.is_active = active
        criterion.save(update_fields=["is_active"])
        audit_record(
            supervisor, action=AuditAction.RUBRIC_ACTIVE, record_type="criterion", record_id=criterion.pk,
            detail={"code": criterion.code, "active": active},
        )  # fmt: skip
    return criterion


def rubric_defaults_ensure() -> int:
    """An empty rubric gets the default lines (the demo, a database emptied by hand); a rubric
    that has any line, retired or not, is the helpline's own and is left alone. How many were added."""
    if Criterion.objects.exists():
        return 0
    Criterion.objects.bulk_create(
        [Criterion(code=c, label_en=en, label_km=km, sort_order=o) for c, en, km, o in DEFAULT_RUBRIC]
    )
    return len(DEFAULT_RUBRIC)


def review_score(reviewer: Staff, *, review: Review, scores: dict[str, int], comment: str) -> Review:
    """Score every active criterion of the rubric (1 to 5) and leave a comment for the counsellor.
    A review scored again keeps one score per criterion, the latest."""
    criteria = {c.code: c for c in Criterion.objects.filter(is_active=True)}
    missing = sorted(set(criteria) - set(scores))
    if missing:
        raise PeopleError(missing[0], _("Score every line of the rubric."))
    for code, value in scores.items():
        if code not in criteria:
            raise PeopleError(code, _("Not a line of the rubric."))
        if not SCORE_MIN <= value <= SCORE_MAX:
            raise PeopleError(code, _("A score runs from 1 to 5."))
    with transaction.atomic():
        for code, value in scores.items():
            Score.objects.update_or_create(review=review, criterion=criteria[code], defaults={"score": value})
        before = review.scored_at
        review.comment = comment
        review.scored_at = timezone.now()
        review.save(update_fields=["comment", "scored_at", "updated_at"])
        audit_record(
            reviewer,
            action=AuditAction.REVIEW_SCORE,
            record_type="review",
            record_id=review.pk,
            detail={"counsellor": review.counsellor.username, "again": before is not None},
        )
    return review


def _own(counsellor: Staff, contact: Contact) -> bool:
    return contact.counsellor_id == counsellor.pk or contact.handlers.filter(pk=counsellor.pk).exists()


def distressing_mark(counsellor: Staff, *, contact: Contact) -> Distressing:
    """One click: this contact, one of the counsellor's own, was distressing for them. Marking it
    again changes nothing. The audit row names the contact, never why."""
    if not _own(counsellor, contact):
        raise PeopleError("contact", _("Choose one of your own contacts."))
    with transaction.atomic():
        mark, created = Distressing.objects.get_or_create(counsellor=counsellor, contact=contact)
        if created:
            audit_record(
                counsellor,
                action=AuditAction.DISTRESSING_MARK,
                record_type="contact",
                record_id=contact.pk,
            )
    return mark


def debrief_request(counsellor: Staff, *, contact: Contact | None = None, reason: str = "") -> Debrief:
    if contact is not None and not _own(counsellor, contact):
        raise PeopleError("contact", _("Choose one of your own contacts."))
    with transaction.atomic():
        debrief = Debrief.objects.create(counsellor=counsellor, contact=contact, reason=reason)
        audit_record(
            counsellor,
            action=AuditAction.DEBRIEF_REQUEST,
            record_type="debrief",
            record_id=debrief.pk,
        )
    return debrief


def debrief_hold(supervisor: Staff, *, debrief: Debrief, notes: str) -> Debrief:
    """Record that the debrief happened (once); the notes stay between the two people in it."""
    if debrief.held_at is not None:
        raise PeopleError("debrief", _("This debrief has already been recorded."))
    if debrief.counsellor_id == supervisor.pk:
        raise PeopleError("debrief", _("Someone else holds your own debrief."))
    with transaction.atomic():
        debrief.held_by = supervisor
        debrief.held_at = timezone.now()
        debrief.notes = notes
        debrief.save(update_fields=["held_by", "held_at", "notes", "updated_at"])
        audit_record(
            supervisor,
            action=AuditAction.DEBRIEF_HOLD,
            record_type="debrief",
            record_id=debrief.pk,
            detail={"counsellor": debrief.counsellor.username},
        )
    return debrief
