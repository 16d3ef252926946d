"""Feedback taken up from contacts: a contact recorded as "complaint about the helpline" or
"feedback" (non-counselling kinds, counted under CHI's non-counselling reasons) becomes an item to
answer. The scheduler takes them up, so contacts never needs to know of this app."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.contacts.models import FEEDBACK_KINDS, Contact, Kind, Status
from helpline.feedback.models import Feedback, FeedbackKind, Source
from helpline.feedback.services import MAX_TEXT, feedback_receive

LOOK_BACK = dt.timedelta(days=7)
BATCH = 200


def feedback_from_contacts(now: dt.datetime | None = None) -> int:
    """For the scheduler: each complaint or feedback contact closed lately without an item gets
    one, recorded by the counsellor who took the contact. The number taken up."""
    now = now or timezone.now()
    contacts = (
        Contact.objects.filter(kind__in=FEEDBACK_KINDS, status=Status.CLOSED, ended_at__gte=now - LOOK_BACK)
        .exclude(pk__in=Feedback.objects.filter(source=Source.CONTACT).values("contact"))
        .select_related("counsellor")
        .order_by("ended_at")[:BATCH]
    )
    taken = 0
    for contact in contacts:
        text = contact.summary.strip() or _("(The counsellor wrote no summary.)")
        try:
            feedback_receive(
                contact.counsellor if contact.counsellor is not None else "contacts",
                source=Source.CONTACT,
                kind=FeedbackKind.COMPLAINT if contact.kind == Kind.COMPLAINT else FeedbackKind.FEEDBACK,
                text=text[:MAX_TEXT],
                contact=contact,
                language=contact.language,
                received_at=contact.ended_at or now,
            )
        except IntegrityError:  # another scheduler took it up first
            continue
        taken += 1
    return taken
