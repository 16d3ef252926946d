"""Contacts waiting in the queue, for the routing and queue-order tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from helpline.contacts.models import Channel, Contact, Status
from helpline.routing.models import Triage


def waiting(
    channel: str = Channel.SMS, *, minutes_ago: int = 0, urgency: str = "", score: int = 0
) -> Contact:
    """A contact waiting since `minutes_ago`, with an urgency and a triage score if given."""
    contact = Contact.objects.create(
        channel=channel,
        status=Status.WAITING,
        urgency=urgency,
        arrived_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )
    if score:
        Triage.objects.create(contact=contact, score=score, scored_at=timezone.now())
    return contact
