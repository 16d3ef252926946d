"""One queue across channels, in waiting_queue()'s order (urgency, risk, waiting time). Waiting
contacts are offered to an available counsellor with room for them; an offer not taken in time
returns to the queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


def presence_set(staff: Staff, state: str, *, missed_offers: int = 0) -> Presence:
    """`missed_offers`: routing sets them Away because that many offers ran out unanswered (their
    console says so until they choose a presence again); 0 when they choose it themselves."""
    if state not in PresenceState.values:
        raise ValueError("unknown presence")
    with transaction.atomic():
        presence = presence_of(staff)
        if presence.state != state or presence.missed_offers != missed_offers:
            was = presence.state
            presence.state, presence.missed_offers = state, missed_offers
            if was != state:
                presence.since = timezone.now()
            presence.save(update_fields=["state", "since", "missed_offers"])
            if was != state:
                audit_record(
                    staff,
                    action=AuditAction.PRESENCE_SET,
                    detail={"state": state} | ({"missed_offers": missed_offers} if missed_offers else {}),
                    changes={"state": (was, state)},
                )
    if state != PresenceState.AVAILABLE:
        Offer.objects.filter(staff=staff).delete()
    if missed_offers:
        live.push(live.staff_group(staff.pk), {"reason": "set_away", "missed": missed_offers})
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


def _fits(is_call: bool, voice: int, text: int, presence: Presence) -> bool:
    if is_call:  # a call needs the counsellor's whole attention
        return text == 0 and voice < presence.voice_capacity
    return voice == 0 and text < presence.text_capacity


def has_room(staff: Staff, presence: Presence, channel: str) -> bool:
    return _fits(channel in VOICE_CHANNELS, *load(staff), presence)


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


# A counsellor who replied in a conversation this recently is at the desk, busy with a child, even
# if an offer of another contact lapsed while they typed (a reply can take minutes to write).
DESK_RECENT = dt.timedelta(minutes=3)
# Upper layers record what a counsellor does at the desk (conversations: replies written) and say
# whether they did something since a moment; routing reads them through these checks, registered
# at start-up, since it may not import those layers.
DeskActivity = Callable[[Staff, dt.datetime], bool]
_desk_activity: list[DeskActivity] = []


def desk_activity_register(check: DeskActivity) -> None:
    if check not in _desk_activity:
        _desk_activity.append(check)


def _at_the_desk(staff: Staff, offered_at: dt.datetime, now: dt.datetime) -> bool:
    """They took a contact since the offer was made, or wrote to a child a moment ago: busy, not away."""
    if _answered_since(staff, offered_at):
        return True
    return any(check(staff, now - DESK_RECENT) for check in _desk_activity)


def _answered_since(staff: Staff, since: dt.datetime) -> bool:
    """They took (or were handed) a contact after this moment: someone is at the desk. Taking one
    stamps it (`updated_at`) even when it was answered before and went back to the queue."""
    return Contact.objects.filter(counsellor=staff, status=Status.ACTIVE, updated_at__gte=since).exists()


def expire_offers(now: dt.datetime) -> int:
    """Offers not taken in time go back to the queue; the counsellor who missed one is set away,
    so the next contact is not offered to an empty chair, and told how many they missed. One who
    took another contact since the offer was made, or is writing to a child in another conversation,
    is busy, not away: their offer simply lapses."""
    expired = list(Offer.objects.filter(expires_at__lte=now).select_related("staff"))
    by_staff: dict[object, list[Offer]] = {}
    for offer in expired:
        by_staff.setdefault(offer.staff_id, []).append(offer)
    lapsed_total = 0
    for offers in by_staff.values():
        staff = offers[0].staff
        # Each is deleted before their presence changes (which drops their other offers unheard);
        # one accepted or withdrawn meanwhile is not theirs to miss.
        lapsed = [o for o in offers if Offer.objects.filter(pk=o.pk).delete()[0]]
        for offer in lapsed:
            remember_decline(offer.contact_id, staff, now)
            audit_record(
                staff, action=AuditAction.OFFER_EXPIRED, record_type="contact", record_id=offer.contact_id
            )
        # Answered since the newest of them (at the desk since every one was made), or replying
        # to a child in another conversation: the offer lapses and goes to someone else.
        if lapsed and not _at_the_desk(staff, max(o.offered_at for o in lapsed), now):
            presence_set(staff, PresenceState.AWAY, missed_offers=len(lapsed))
        lapsed_total += len(lapsed)
    return lapsed_total


def may_take_contacts() -> QuerySet[Staff]:
    """Who may be offered, assigned or transferred a contact: active, at the console, and through
    the safeguarding gate today (a lapsed or refused person's pages show only the block)."""
    return vetted(Staff.objects.filter(is_active=True, role__in=RULES[Permission.CONSOLE]))


def _candidates(allowed: QuerySet[Staff]) -> list[tuple[Staff, Presence]]:
    rows = (
        Presence.objects.filter(state=PresenceState.AVAILABLE, staff__in=allowed)
        .select_related("staff")
        .order_by("since")
    )
    return [(p.staff, p) for p in rows]


def route(now: dt.datetime | None = None) -> list[Offer]:
    """Offer each waiting contact, in queue order, to the available counsellor idle longest; one
    that finds nobody with room takes the place of less urgent offers (_preempt)."""
    now = now or timezone.now()
    expire_offers(now)
    allowed = may_take_contacts()  # the current policy is read once, not for each use
    # An offer to someone whose vetting lapsed (or who left) since it was made goes back to the queue
    # (read first: a delete would take SQLite's write lock on every console refresh).
    stale = list(Offer.objects.exclude(staff__in=allowed).values_list("pk", flat=True))
    if stale:
        Offer.objects.filter(pk__in=stale).delete()
    candidates = _candidates(allowed)
    if not candidates:  # nobody to offer to: who declined what does not matter (route runs often)
        return []
    declined = _declined_pairs(now)
    offers, withdrew = _offer_waiting(candidates, declined, now)
    if withdrew:  # what made way goes to anyone with room now, not at the next tick
        offers += _offer_waiting(candidates, declined, now, preempt=False)[0]
    return offers


def _offer_waiting(
    candidates: list[tuple[Staff, Presence]],
    declined: set[tuple[object, object]],
    now: dt.datetime,
    *,
    preempt: bool = True,
) -> tuple[list[Offer], bool]:
    """One pass over the head of the queue: the offers made, and whether any offer made way."""
    offers: list[Offer] = []
    withdrew = False
    seconds = routing_settings().offer_seconds
    # Only a contact placed above the least urgent offer can make way for itself; the queue is in
    # that order, so on a full floor of ordinary contacts nothing more is read.
    least = max((_rank(c) for c in _offered()), default=None) if preempt else None
    for contact in waiting_queue().filter(offer__isnull=True)[:50]:
        allowed = [(s, p) for s, p in candidates if (contact.pk, s.pk) not in declined]
        staff = next((s for s, p in allowed if has_room(s, p, contact.channel)), None)
        making_way: list[Held] = []
        if staff is None and least is not None and _rank(contact) < least:
            staff, making_way = _preempt(contact, allowed)
        if staff is None:
            continue
        try:
            with transaction.atomic():
                for held in making_way:
                    _withdraw(held, for_contact=contact)
                offer = Offer.objects.create(
                    contact=contact,
                    staff=staff,
                    offered_at=now,
                    expires_at=now + dt.timedelta(seconds=seconds),
                )
        except (IntegrityError, _Moved):
            continue  # another process offered it, or an offer making way was taken: as it stands
        withdrew = withdrew or bool(making_way)
        offers.append(offer)
        live.push(live.staff_group(staff.pk), {"reason": "offer", "contact": str(contact.pk)})
    return offers, withdrew


@dataclass(frozen=True)
class Held:
    """An offer a counsellor holds now, with its contact's place in the queue."""

    offer_id: int
    contact_id: UUID
    channel: str
    rank: tuple[int, int]  # (urgency rank, minus risk): lower is answered first
    arrived_at: dt.datetime


class _Moved(Exception):
    """An offer that was to make way was accepted, declined or ran out meanwhile."""


def _rank(contact: Contact) -> tuple[int, int]:
    """A contact's place by urgency and risk (from waiting_queue()'s annotations). Waiting time is
    left out: among equals it decides who is offered first, never that an offer is taken back."""
    return int(getattr(contact, "urgency_rank", 2)), -int(getattr(contact, "risk", 0) or 0)


def _offered() -> QuerySet[Contact]:
    return waiting_queue().filter(offer__isnull=False)


def _held_offers(staff: Staff) -> list[Held]:
    rows = _offered().filter(offer__staff=staff).select_related("offer")
    return [Held(c.offer.pk, c.pk, c.channel, _rank(c), c.arrived_at) for c in rows]


def _making_way(contact: Contact, staff: Staff, presence: Presence) -> list[Held] | None:
    """The fewest of this counsellor's offers, least urgent first, whose withdrawal gives the
    contact room by the usual rule (has_room); only offers of strictly lower urgency or risk make
    way. None if that cannot give room (a contact they hold is in the way, or the offers are as
    urgent)."""
    voice, text = load(staff)
    is_call = contact.channel in VOICE_CHANNELS
    lower = [h for h in _held_offers(staff) if h.rank > _rank(contact)]
    lower.sort(key=lambda h: (h.rank, h.arrived_at), reverse=True)  # the least urgent first
    out: list[Held] = []
    for held in lower:
        if _fits(is_call, voice, text, presence):
            break
        held_is_call = held.channel in VOICE_CHANNELS
        if is_call:  # every text is in the way of a call; a call only beyond the calls allowed
            in_the_way = not held_is_call or voice >= presence.voice_capacity
        else:
            in_the_way = held_is_call or text >= presence.text_capacity
        if in_the_way:
            out.append(held)
            voice, text = (voice - 1, text) if held_is_call else (voice, text - 1)
    return out if out and _fits(is_call, voice, text, presence) else None


def _preempt(contact: Contact, allowed: list[tuple[Staff, Presence]]) -> tuple[Staff | None, list[Held]]:
    """Nobody has room for this contact: the available counsellor who can be given it by
    withdrawing the fewest less urgent offers (then the one idle longest). Contact centres route
    a priority contact this way: a pending offer is not yet work begun, so it goes back to the
    queue, in its own place; a contact someone has accepted is never interrupted."""
    best: tuple[Staff | None, list[Held]] = (None, [])
    for staff, presence in allowed:
        way = _making_way(contact, staff, presence)
        if way is not None and (best[0] is None or len(way) < len(best[1])):
            best = (staff, way)
    return best


def _withdraw(held: Held, *, for_contact: Contact) -> None:
    """Take back a pending offer to make way for a more urgent contact: it waits again in its
    own place (its urgency, risk and arrival are unchanged), and no decline is remembered."""
    if not Offer.objects.filter(pk=held.offer_id).delete()[0]:
        raise _Moved
    audit_record(
        "routing",
        action=AuditAction.OFFER_WITHDRAWN,
        record_type="contact",
        record_id=held.contact_id,
        detail={"for": str(for_contact.pk)},
    )


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
