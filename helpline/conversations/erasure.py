"""Erasing message text: the conversations app's writer for retention and for a person's erasure
request. The rows stay (direction, times, delivery status, parts: what the figures count); the
words go, and with them a chat's nickname, the hash of the address it came from, and what triage
kept of the words (helpline.routing.erasure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet

from helpline.accounts.principals import Actor
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.conversations.models import ChatSession, Conversation, Message
from helpline.routing.erasure import triage_erase_text


def messages_erase_text(
    actor: Actor,
    *,
    contact_ids: Iterable[UUID] | None = None,
    before: dt.datetime | None = None,
    keep_contact_ids: Iterable[UUID] | QuerySet[Any] = (),
    reason: str = "",
) -> int:
    """Blank the text of the messages of these contacts (None: any contact's) written before
    `before` (None: all), except in open conversations and those of `keep_contact_ids`. Returns how
    many; one audit row with the count."""
    messages = Message.objects.exclude(text="").filter(conversation__is_open=False)
    if contact_ids is not None:
        messages = messages.filter(conversation__contact_id__in=list(contact_ids))
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    if keep_contact_ids:
        messages = messages.exclude(conversation__contact_id__in=keep_contact_ids)
    with transaction.atomic():
        conversations = set(messages.values_list("conversation_id", flat=True))
        erased = Message.objects.filter(pk__in=messages.values("pk")).update(text="")
        ChatSession.objects.filter(conversation_id__in=conversations).filter(
            ~Q(nickname="") | ~Q(origin_hash="")
        ).update(nickname="", origin_hash="")
        # The matched phrases and weighed words are the message's own words.
        triage_erase_text(
            contact_ids=Conversation.objects.filter(pk__in=conversations).values_list("contact_id", flat=True)
        )
        if erased:
            audit_record(
                actor,
                action=AuditAction.MESSAGES_ERASE,
                record_type="message",
                reason=reason[:200],
                detail={"messages": erased},
            )
    return erased


def conversations_forget_caller(*, contact_ids: Iterable[UUID]) -> int:
    """Unlink the ended threads of erased contacts from their caller: the contact's own link went
    (helpline.contacts.erasure), and a thread still naming the caller would tie the erased contact
    to the number's history whenever the caller is kept for another contact. Returns how many. No
    audit row of its own: the contacts' erasure writes one."""
    return (
        Conversation.objects.filter(contact_id__in=list(contact_ids), is_open=False)
        .exclude(caller=None)
        .update(caller=None)
    )
