"""One queue across channels, in waiting_queue()'s order (urgency, risk, waiting time). Waiting
contacts are offered to an available counsellor with room for them; an offer not taken in time
returns to the queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import RULES, Permission
from helpline.accounts.vetting import vetted
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common import live
from helpline.contacts import services as contact_services
from helpline.contacts.intake import AssignRefused, contact_assign
from helpline.contacts.models import Channel, Contact, Status
from helpline.routing.models import DeclinedOffer, Offer, Presence, PresenceState
from helpline.routing.selectors import waiting_queue
from helpline.routing.triage import routing_settings

VOICE_CHANNELS = {Channel.VOICE}
DECLINE_MEMORY = dt.timedelta(minutes=2)


def presence_of(staff: Staff) -> Presence:
    found, _created = Presence.objects.get_or_create(staff=staff, defaults={"since": timezone.now()})
    return found


def presence_set(staff: Staff, state: str) -> Presence:
    if state not in PresenceState.values:
        raise ValueError("unknown presence")
    with transaction.atomic():
        presence = presence_of(staff)
        if presence.state != state:
            was = presence.state
            presence.state, presence.since = state, timezone.now()
            presence.save(update_fields=["state", "since"])
            audit_record(
                staff,
                action=AuditAction.PRESENCE_SET,
                detail={"state": state},
                changes={"state": (was, state)},
            )
    if state != PresenceState.AVAILABLE:
        Offer.objects.filter(staff=staff).delete()
    live.push(live.SUPERVISORS_GROUP, {"reason": "presence"})
    return presence


def load(staff: Staff) -> tuple[int, int]:
    """(calls, text conversations) this counsellor holds now, offers included."""
    active = Contact.objects.filter(counsellor=staff, status=Status.ACTIVE)
    voice = active.filter(channel__in=VOICE_CHANNELS).count()
    text = active.exclude(channel__in=VOICE_CHANNELS).count()
    for channel in Offer.objects.filter(staff=staff).values_list("contact__channel", flat=True):
        if channel in VOICE_CHANNELS:
            voice += 1
        else:
            text += 1
    return voice, text


def has_room(staff: Staff, presence: Presence, channel: str) -> bool:
    voice, text = load(staff)
    if channel in VOICE_CHANNELS:  # a call needs the counsellor's whole attention
        return text == 0 and voice < presence.voice_capacity
    return voice == 0 and text < presence.text_capacity


def remember_decline(offer_contact_id: object, staff: Staff, now: dt.datetime) -> None:
    """For a while, offer this contact to someone else before them."""
    DeclinedOffer.objects.update_or_create(
        contact_id=offer_contact_id, staff=staff, defaults={"declined_at": now}
    )


def _declined_pairs(now: dt.datetime) -> set[tuple[object, object]]:
    """Who declined what within DECLINE_MEMORY; older declines are forgotten (read first: a delete
    takes SQLite's write lock even when nothing matches)."""
    since = now - DECLINE_MEMORY
    old = DeclinedOffer.objects.filter(declined_at__lt=since)
    if old.exists():
        old.delete()
    return set(DeclinedOffer.objects.filter(declined_at__gte=since).values_list("contact_id", "staff_id"))


def _answered_since(staff: Staff, since: dt.datetime) -> bool:
    """They took (or were handed) a contact after this moment: someone is at the desk. Taking one
    stamps it (`updated_at`) even when it was answered before and went back to the queue."""
    return Contact.objects.filter(counsellor=staff, status=Status.ACTIVE, updated_at__gte=since).exists()


def expire_offers(now: dt.datetime) -> int:
    """Offers not taken in time go back to the queue; the counsellor who missed one is set away,
    so the next contact is not offered to an empty chair. One who took another contact since the
    offer was made is busy with it, not away: their offer simply lapses."""
    expired = list(Offer.objects.filter(expires_at__lte=now).select_related("staff"))
    for offer in expired:
        Offer.objects.filter(pk=offer.pk).delete()
        remember_decline(offer.contact_id, offer.staff, now)
        if not _answered_since(offer.staff, offer.offered_at):
            presence_set(offer.staff, PresenceState.AWAY)
        audit_record(
            offer.staff, action=AuditAction.OFFER_EXPIRED, record_type="contact", record_id=offer.contact_id
        )
    return len(expired)


def may_take_contacts() -> QuerySet[Staff]:
    """Who may be offered, assigned or transferred a contact: active, at the console, and through
    the safeguarding gate today (a lapsed or refused person's pages show only the block)."""
    return vetted(Staff.objects.filter(is_active=True, role__in=RULES[Permission.CONSOLE]))


def _candidates() -> list[tuple[Staff, Presence]]:
    rows = (
        Presence.objects.filter(state=PresenceState.AVAILABLE, staff__in=may_take_contacts())
        .select_related("staff")
        .order_by("since")
    )
    return [(p.staff, p) for p in rows]


def route(now: dt.datetime | None = None) -> list[Offer]:
    """Offer each waiting contact, in queue order, to the available counsellor idle longest."""
    now = now or timezone.now()
    expire_offers(now)
    declined = _declined_pairs(now)
    # An offer to someone whose vetting lapsed (or who left) since it was made goes back to the queue
    # (read first: a delete would take SQLite's write lock on every console refresh).
    stale = list(Offer.objects.exclude(staff__in=may_take_contacts()).values_list("pk", flat=True))
    if stale:
        Offer.objects.filter(pk__in=stale).delete()
    offers: list[Offer] = []
    candidates = _candidates()
    if not candidates:
        return offers
    seconds = routing_settings().offer_seconds
    for contact in waiting_queue().filter(offer__isnull=True)[:50]:
        for staff, presence in candidates:
            if (contact.pk, staff.pk) in declined or not has_room(staff, presence, contact.channel):
                continue
            try:
                with transaction.atomic():
                    offer = Offer.objects.create(
                        contact=contact,
                        staff=staff,
                        offered_at=now,
                        expires_at=now + dt.timedelta(seconds=seconds),
                    )
            except IntegrityError:
                break  # another process offered it meanwhile
            offers.append(offer)
            live.push(live.staff_group(staff.pk), {"reason": "offer", "contact": str(contact.pk)})
            break
    return offers


def offer_accept(staff: Staff, contact: Contact) -> Contact:
    with transaction.atomic():
        deleted, _ = Offer.objects.filter(contact=contact, staff=staff).delete()
        if not deleted:
            raise contact_services.AlreadyTaken
        taken = contact_services.contact_take(staff, contact=contact)  # announces it
    return taken


def offer_decline(staff: Staff, contact: Contact) -> None:
    with transaction.atomic():
        if Offer.objects.filter(contact=contact, staff=staff).delete()[0]:
            remember_decline(contact.pk, staff, timezone.now())
            audit_record(
                staff, action=AuditAction.OFFER_DECLINED, record_type="contact", record_id=contact.pk
            )
    route()


def assign(supervisor: Staff, *, contact: Contact, to: Staff) -> Contact:
    """A supervisor gives a waiting contact to a counsellor. One someone holds is reassigned with a
    reason (helpline.routing.transfer)."""
    with transaction.atomic():
        if not may_take_contacts().filter(pk=to.pk).exists():
            raise AssignRefused("they may not take contacts now")
        if contact.status != Status.WAITING or contact.counsellor_id is not None:
            raise AssignRefused("only a waiting contact is assigned; one someone holds is transferred")
        Offer.objects.filter(contact=contact).delete()
        locked, previous = contact_assign(contact_id=contact.pk, to=to)
        audit_record(
            supervisor,
            action=AuditAction.CONTACT_ASSIGN,
            record_type="contact",
            record_id=locked.pk,
            detail={"to": str(to.pk), "from": str(previous or "")},
            changes={"counsellor": (previous, to.pk)},
        )
    live.push(live.staff_group(to.pk), {"reason": "assigned", "contact": str(contact.pk)})
    live.contact_changed(contact.pk, reason="assigned")
    return locked


def waiting_counts() -> dict[str, int]:
    rows = waiting_queue().values("channel").annotate(n=Count("id")).order_by()
    return {r["channel"]: r["n"] for r in rows}


def offers_withdraw(contact_ids: Iterable[UUID]) -> None:
    """Contacts answered or gone elsewhere (a call picked up at a phone): no counsellor is offered them."""
    Offer.objects.filter(contact_id__in=list(contact_ids)).delete()
