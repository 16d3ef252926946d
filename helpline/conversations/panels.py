"""The text thread and the reply box: fetched by the console with htmx (views.thread, views.reply_form),
or drawn inside the console's page for a browser without script (conversation_panel)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.panels import Panel
from helpline.conversations import services
from helpline.conversations.chat import children_left
from helpline.conversations.console_reply import writable_conversation
from helpline.conversations.models import CannedReply


def thread_context(
    staff: Staff, contact_id: UUID, *, request: HttpRequest, shown: str = ""
) -> dict[str, Any]:
    """The messages of the contact's conversation, its read audited (every read of a child's words
    is; the console fetches the thread again on each new message, and each fetch is a read)."""
    contact, conversation = writable_conversation(staff, contact_id)
    # In thread order (seq), the order the child sees; two messages can share a moment.
    messages = list(conversation.messages.select_related("author").order_by("seq")) if conversation else []
    detail: dict[str, Any] = {"messages": len(messages)}
    if shown:
        detail["for"] = shown
    audit_record(
        staff,
        action=AuditAction.THREAD_VIEW,
        record_type="contact",
        record_id=contact.pk,
        request=request,
        detail=detail,
    )
    return {"contact": contact, "messages": messages, "left_at": children_left([contact.pk]).get(contact.pk)}


def reply_context(staff: Staff, contact_id: UUID) -> dict[str, Any]:
    contact, conversation = writable_conversation(staff, contact_id)
    return {
        "contact": contact,
        "conversation": conversation,
        "left_at": children_left([contact.pk]).get(contact.pk),
        "canned": CannedReply.objects.filter(is_active=True),
        "max_length": services.MAX_REPLY,
    }


def conversation_panel(staff: Staff, contact_id: UUID, *, request: HttpRequest) -> Panel:
    """Thread and reply box in the page, for a browser without script: asked for by a link the
    console shows only then (<noscript>), so that a page with script never reads the thread twice.
    A reply sent from it comes back here."""
    back = reverse("console:contact", args=[contact_id]) + "?conversation=show"
    return Panel(
        "conversations/_conversation.html",
        thread_context(staff, contact_id, request=request, shown="no_script")
        | reply_context(staff, contact_id)
        | {"reply_next": back},
    )
