"""Closing text threads that went quiet, on the scheduler's clock rather than at the next message.

The rule is the one `services._open_conversation` applies when a message arrives: a thread closes
when its contact was closed or nothing was said for TextSettings.idle_close_hours; the next message
from that number opens a new one. Web chats close when the child leaves (chat.py), not here.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from helpline.contacts.models import Channel, Status
from helpline.conversations.models import Conversation
from helpline.conversations.services import text_settings


def close_quiet_conversations(now: dt.datetime | None = None) -> int:
    """Close every open text thread past the idle time or whose contact is closed; how many."""
    now = now or timezone.now()
    idle_since = now - dt.timedelta(hours=text_settings().idle_close_hours)
    due = Conversation.objects.filter(is_open=True).exclude(channel=Channel.WEBCHAT)
    due = due.filter(Q(last_message_at__lt=idle_since) | Q(contact__status=Status.CLOSED))
    # Read first: an UPDATE takes SQLite's write lock even when it matches nothing. The UPDATE
    # checks the rule again, so a message that arrived meanwhile keeps its thread open.
    ids = list(due.values_list("pk", flat=True)[:1000])
    if not ids:
        return 0
    return due.filter(pk__in=ids).update(is_open=False)
