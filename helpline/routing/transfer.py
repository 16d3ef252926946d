"""Transfers as the floor sees them: who may receive a contact now, and the transfer itself with its
offers and routing (helpline.contacts.transfer writes the contact).

Who may receive one: nobody outside the safeguarding gate (active, a console role, vetted today),
ever. A counsellor hands a contact only to a colleague who is Available and has room for it by the
same rule as an offer (one call, or up to three text conversations), so a transfer never lands on
an empty chair or an overfull desk. A supervisor may reassign to anyone at the console (any
presence but Offline) beyond their usual room: they see each person's presence and load in the
picker and on the wallboard, and may need to give a critical chat to the one person who can take it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.contacts.models import Contact, ContactTransfer, Status
from helpline.contacts.transfer import TransferRefused, contact_transfer, refusable, transfers_any
from helpline.routing import queue
from helpline.routing.models import Presence, PresenceState


@dataclass(frozen=True)
class Receiver:
    staff: Staff
    state: PresenceState
    active: int  # contacts they hold now


def receivers(contact: Contact) -> list[Receiver]:
    """Everyone who may be handed this contact, whatever their presence, by name (the picker says
    each one's presence and load; the transfer checks them)."""
    who = queue.may_take_contacts()
    if contact.counsellor_id is not None:
        who = who.exclude(pk=contact.counsellor_id)
    people = list(who.order_by("full_name", "username"))
    states = dict(Presence.objects.filter(staff__in=people).values_list("staff_id", "state"))
    active = dict(
        Contact.objects.filter(status=Status.ACTIVE, counsellor__in=people)
        .values_list("counsellor")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        Receiver(s, PresenceState(states.get(s.pk, PresenceState.OFFLINE)), int(active.get(s.pk, 0)))
        for s in people
    ]


def _check_receiver(actor: Staff, to: Staff, channel: str) -> None:
    if not queue.may_take_contacts().filter(pk=to.pk).exists():
        raise TransferRefused(
            _("%(name)s may not take contacts now.") % {"name": to.display_name}, field="to"
        )
    presence = Presence.objects.select_for_update().filter(staff=to).first()  # one transfer at a time
    state = presence.state if presence is not None else PresenceState.OFFLINE
    if transfers_any(actor):
        if state == PresenceState.OFFLINE:
            raise TransferRefused(
                _("%(name)s is not at the console.") % {"name": to.display_name}, field="to"
            )
        return
    if presence is None or state != PresenceState.AVAILABLE:
        raise TransferRefused(
            _("%(name)s is not available (%(state)s).")
            % {"name": to.display_name, "state": PresenceState(state).label},
            field="to",
        )
    if not queue.has_room(to, presence, channel):
        raise TransferRefused(
            _("%(name)s has no room for another contact of this kind now.") % {"name": to.display_name},
            field="to",
        )


def transfer(
    actor: Staff, *, contact: Contact, to: Staff | None, reason: str, request: HttpRequest | None = None
) -> ContactTransfer:
    """Hand `contact` to `to`, or back to the queue (None), where it is offered again at once to
    someone other than the counsellor who gave it back."""
    refusable(contact, reason)  # what the contact and the reason alone refuse, before the colleague
    with transaction.atomic():
        if to is not None:
            _check_receiver(actor, to, contact.channel)
        queue.offers_withdraw([contact.pk])
        done = contact_transfer(actor, contact=contact, to=to, reason=reason, request=request)
        if to is None and done.from_staff is not None:
            queue.remember_decline(contact.pk, done.from_staff, timezone.now())
    if to is None:
        queue.route()
    return done
