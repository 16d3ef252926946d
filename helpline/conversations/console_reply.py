"""A counsellor's reply from the console, by form post or over the console's socket: the same
checks either way (the contact is theirs to write to, it has a thread, the text fits)."""

from __future__ import annotations

import re
from uuid import UUID

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.contacts.selectors import access_contact
from helpline.conversations.models import Conversation, Message
from helpline.conversations.services import MAX_REPLY, text_reply

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


class ReplyRefused(Exception):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


def console_reply(staff: Staff, contact_id: UUID | str, text: str, *, client_ip: str | None) -> Message:
    """Raises Http404 for a contact this person may not write to (missing or not theirs alike),
    ReplyRefused for a reply that cannot be sent."""
    contact = access_contact(staff, contact_id, for_write=True)
    conversation = Conversation.objects.filter(contact=contact).first()
    if conversation is None:
        raise ReplyRefused(_("This contact has no conversation to reply to."))
    if not text.strip() or len(text) > MAX_REPLY:
        raise ReplyRefused(_("Write a reply of up to %(n)d characters.") % {"n": MAX_REPLY})
    if _UNSTORABLE.search(text):  # a NUL, or half of a broken emoji: no database takes them
        raise ReplyRefused(_("This reply contains characters that cannot be sent. Type it again."))
    return text_reply(staff, contact=contact, text=text, conversation=conversation, client_ip=client_ip)
