"""Feedback by email: the helpline's feedback mailbox, read over IMAP by the scheduler. Each unread
message becomes a feedback item (once: its Message-ID is unique), answered by email when staff
respond; then it is marked read. Nothing is deleted from the mailbox."""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import re
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError
from django.utils.html import strip_tags

from helpline.feedback.models import Feedback, FeedbackKind, ReplyChannel, Source
from helpline.feedback.services import MAX_TEXT, FeedbackError, feedback_receive

log = logging.getLogger("helpline.feedback")

BATCH = 50
MAX_MESSAGE_BYTES = 2_000_000
_KHMER = re.compile("[\u1780-\u17ff]")


def _connect() -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if settings.FEEDBACK_IMAP_SSL else imaplib.IMAP4
    conn = cls(settings.FEEDBACK_IMAP_HOST, settings.FEEDBACK_IMAP_PORT, timeout=30)
    conn.login(settings.FEEDBACK_IMAP_USER, settings.FEEDBACK_IMAP_PASSWORD)
    return conn


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = str(part.get_content())
    except (LookupError, UnicodeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return strip_tags(content) if part.get_content_type() == "text/html" else content


def message_to_feedback(raw: bytes) -> Feedback | None:
    """One mail as a feedback item; None for a mail already taken (same Message-ID) or empty."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = (
        str(message.get("Message-ID", "")).strip()[:250] or "sha256:" + hashlib.sha256(raw).hexdigest()
    )
    if Feedback.objects.filter(email_message_id=message_id).exists():
        return None
    subject = str(message.get("Subject", "")).strip()
    body = _body(message).strip()
    text = "\n\n".join(p for p in (subject, body) if p)[:MAX_TEXT]
    if not text:
        return None
    _name, address = parseaddr(str(message.get("Reply-To") or message.get("From", "")))
    try:
        return feedback_receive(
            "email",
            source=Source.EMAIL,
            kind=FeedbackKind.FEEDBACK,
            text=text,
            reply_channel=ReplyChannel.EMAIL if "@" in address else ReplyChannel.NONE,
            reply_address=address if "@" in address else "",
            language="km" if _KHMER.search(text) else "en",
            email_message_id=message_id,
        )
    except IntegrityError:  # another scheduler took it first
        return None
    except FeedbackError as exc:
        log.warning("feedback mail refused: %s", exc.field)
        return None


def feedback_mailbox_read() -> int:
    """For the scheduler: take up the unread mail of the feedback mailbox. The number of items made."""
    if not settings.FEEDBACK_IMAP_HOST:
        return 0
    made = 0
    conn = _connect()
    try:
        conn.select(settings.FEEDBACK_IMAP_FOLDER)
        _status, data = conn.uid("SEARCH", None, "UNSEEN")  # type: ignore[arg-type]
        uids = (data[0] or b"").split()[:BATCH]
        for uid in uids:
            _status, parts = conn.uid("FETCH", uid.decode(), "(RFC822.SIZE BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            if raw and len(raw) <= MAX_MESSAGE_BYTES and message_to_feedback(raw) is not None:
                made += 1
            conn.uid("STORE", uid.decode(), "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    return made
