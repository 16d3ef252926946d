"""Reads of conversations that other apps need without importing them."""

from __future__ import annotations

import datetime as dt

from helpline.accounts.models import Staff
from helpline.conversations.models import Direction, Message


def replied_since(staff: Staff, since: dt.datetime) -> bool:
    """They wrote to a child (SMS or chat) at or after `since`: routing reads it as at the desk."""
    return Message.objects.filter(
        author=staff, direction=Direction.OUTBOUND, is_automatic=False, created_at__gte=since
    ).exists()
