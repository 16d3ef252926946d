"""The first words of a text contact offered to a counsellor, so that among several offers they can
tell an "ok thanks" from a disclosure before accepting one. Only the counsellor it is offered to
sees them, only if their role may read what children write, and every showing is an audited read
(the console shows offers for at most the seconds an offer lasts)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from uuid import UUID

from django.http import HttpRequest

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Channel
from helpline.conversations.models import Direction, Message
from helpline.routing.models import Offer

PREVIEW_CHARS = 80  # about two lines of the offers panel
MESSAGES_READ = 3  # a child who writes "hello" first says more in the next message or two
PREVIEWS_SEEN = "offer_previews_seen"  # session key: contacts whose words this session was shown
_COENG = "\u17d2"  # the Khmer sign that stacks the next consonant under this one


def shorten(text: str, limit: int = PREVIEW_CHARS) -> str:
    """Spaces collapsed, and cut at `limit` characters where no Khmer cluster is split: never
    before a vowel sign or other mark, never after a coeng (the consonant it stacks would be
    lost and the rest drawn as a dotted circle)."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = limit
    while cut > 0 and (unicodedata.category(words[cut]).startswith("M") or words[cut - 1] == _COENG):
        cut -= 1
    return words[:cut].rstrip() + "…"


def offer_previews(
    staff: Staff, contact_ids: Iterable[UUID], *, request: HttpRequest | None = None
) -> dict[UUID, str]:
    """contact id -> the child's first words, for those of these contacts offered to this staff
    member now by SMS or chat. Each one shown is audited as a read of that contact."""
    if not role_has(staff.role, Permission.CLIENT_DATA):
        return {}
    offered = list(
        Offer.objects.filter(
            staff=staff,
            contact_id__in=list(contact_ids),
            contact__channel__in=[Channel.SMS, Channel.WEBCHAT],
        ).values_list("contact_id", flat=True)
    )
    # Audited when this session first shows a contact's words, not at every refresh of the lists
    # (every ten seconds on every open console): the same read, once.
    session = getattr(request, "session", None)
    seen = set(session.get(PREVIEWS_SEEN, [])) if session is not None else set()
    previews: dict[UUID, str] = {}
    for contact_id in offered:
        texts = Message.objects.filter(
            conversation__contact_id=contact_id, direction=Direction.INBOUND
        ).order_by("seq", "created_at")
        words = shorten(" / ".join(t for t in texts.values_list("text", flat=True)[:MESSAGES_READ] if t))
        if not words:  # nothing written yet, or erased
            continue
        previews[contact_id] = words
        if str(contact_id) in seen:
            continue
        audit_record(
            staff,
            action=AuditAction.OFFER_PREVIEW,
            record_type="contact",
            record_id=contact_id,
            request=request,
        )
    shown = sorted(str(c) for c in previews)  # only what is still offered
    if session is not None and session.get(PREVIEWS_SEEN) != shown:
        # Saved only when it changed: an unchanged list would write the session at every refresh.
        session[PREVIEWS_SEEN] = shown
    return previews
