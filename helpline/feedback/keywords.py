"""Feedback by SMS: a text whose first word is one of the configured keywords (Khmer or English)
becomes a feedback item linked to its contact, answered by SMS on the same thread. Conversations
sends `text_stored` for every child's text after commit; it never imports this app."""

from __future__ import annotations

import logging
from typing import Any

from helpline.common.text import normalise
from helpline.contacts.models import Channel, Contact
from helpline.feedback.models import FeedbackKind, ReplyChannel, Source
from helpline.feedback.services import MAX_TEXT, feedback_receive, feedback_settings

log = logging.getLogger("helpline.feedback")


def keyword_rest(text: str, keywords: str) -> str | None:
    """The words after a leading keyword, or None when the text starts with none. Case, Khmer
    spelling variants and invisible characters do not matter."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return None
    wanted = {normalise(k) for k in keywords.split() if k.strip()}
    if normalise(words[0]).rstrip(":.,!") in wanted:
        return words[1].strip() if len(words) > 1 else ""
    # Khmer is written without spaces between words: a Khmer keyword may run into the message.
    whole = normalise(text)
    if any(not k.isascii() and whole.startswith(k) for k in wanted):
        return text.strip()
    return None


def text_stored_seen(
    sender: Any, *, contact_id: Any, message_id: Any, channel: str, text: str, **_: Any
) -> None:
    if channel != Channel.SMS:
        return
    rest = keyword_rest(text, feedback_settings().sms_keywords)
    if rest is None:
        return
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return
    feedback_receive(
        "sms",
        source=Source.SMS,
        kind=FeedbackKind.FEEDBACK,
        text=(rest or text)[:MAX_TEXT],
        contact=contact,
        reply_channel=ReplyChannel.SMS,
        language=contact.language,
    )
