"""A counsellor's reply from the console, by form post or over the console's socket: the same
checks either way (the contact is theirs to write to, it has a thread, the text fits)."""

from __future__ import annotations

from uuid import UUID

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.contacts.models import Channel, Contact
from helpline.contacts.selectors import access_contact
from helpline.conversations.models import Conversation, Message
from helpline.conversations.services import MAX_REPLY, text_reply


class ReplyRefused(Exception):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


def writable_conversation(staff: Staff, contact_id: UUID | str) -> tuple[Contact, Conversation | None]:
    """The contact (Http404 unless this person may write to it) and its text thread, if any."""
    contact = access_contact(staff, contact_id, for_write=True, with_caller=False)
    conversation = Conversation.objects.filter(contact=contact).first()
    if conversation is not None:
        conversation.contact = contact  # read once, above
    return contact, conversation


def console_reply(staff: Staff, contact_id: UUID | str, text: str, *, client_ip: str | None) -> Message:
    """Raises Http404 for a contact this person may not write to (missing or not theirs alike),
    ReplyRefused for a reply that cannot be sent."""
    contact, conversation = writable_conversation(staff, contact_id)
    if conversation is None:
        raise ReplyRefused(_("This contact has no conversation to reply to."))
    # A chat's thread closes when, and only when, its child leaves (chat.chat_leave): already read.
    if conversation.channel == Channel.WEBCHAT and not conversation.is_open:
        raise ReplyRefused(_("The child left the chat: a reply would not reach them."))
    if not text.strip() or len(text) > MAX_REPLY:
        raise ReplyRefused(_("Write a reply of up to %(n)d characters.") % {"n": MAX_REPLY})
    return text_reply(staff, contact=contact, text=text, conversation=conversation, client_ip=client_ip)
