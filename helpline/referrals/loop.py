"""The closed loop: a partner that has not acknowledged a referral in time is chased, and a referral
nobody answered expires.

The deadline is working time from sending, counted on the helpline's local clock (Asia/Phnom_Penh
unless the deployment sets another zone): a routine referral has N working days, each a whole day
that is neither a Saturday, a Sunday nor a holiday of the text channels' calendar
(helpline.conversations Holiday); an urgent one has a number of hours, weekends or not. The
scheduler (jobs.py) raises the alarm once per referral and expires the silent ones; pages never do."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.followups import follow_up_schedule
from helpline.cases.models import FollowUpKind
from helpline.cases.services import CaseError, case_record_referral
from helpline.common import live
from helpline.conversations.models import Holiday
from helpline.referrals import timeline
from helpline.referrals.delivery import partner_links_release
from helpline.referrals.lifecycle import ReferralConflict, referral_move, referral_takers, settings_row
from helpline.referrals.models import (
    OPEN_STATUSES,
    PartnerSuspension,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralSettings,
    ReferralStatus,
    ReferralUrgency,
    overdue_q,
)

log = logging.getLogger("helpline.referrals")

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
# However the calendar is filled in, the count ends: a year of holidays is a mistake, not a wait.
_LONGEST = 366
OVERDUE = "referral_overdue"  # the live event's reason: the consoles of those told reload
EXPIRED = "referral_expired"
SUSPENDED = "referral_partner_suspended"
RESUMED = "referral_partner_resumed"
BATCH = 200


def _holidays(first: dt.date, last: dt.date) -> set[dt.date]:
    return set(Holiday.objects.filter(date__gte=first, date__lte=last).values_list("date", flat=True))


def acknowledge_deadline(
    sent_at: dt.datetime, urgency: str, config: ReferralSettings | None = None
) -> dt.datetime:
    """When the partner should have acknowledged a referral sent at `sent_at`."""
    config = config or settings_row()
    if urgency == ReferralUrgency.URGENT:
        return sent_at + dt.timedelta(hours=config.acknowledge_urgent_hours)
    zone = timezone.get_default_timezone()
    local = timezone.localtime(sent_at, zone)
    holidays = _holidays(local.date(), local.date() + dt.timedelta(days=_LONGEST))
    remaining = dt.timedelta(days=config.acknowledge_working_days)
    cursor = local
    for _day in range(_LONGEST):
        day = cursor.date()
        next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        if day.weekday() not in WEEKEND and day not in holidays:
            available = next_midnight - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = next_midnight
    return cursor + remaining


def _tell(staff_ids: list[object], event: dict[str, str], *, supervisors: bool) -> None:
    groups = [live.staff_group(str(pk)) for pk in dict.fromkeys(staff_ids) if pk is not None]
    if supervisors:
        groups.append(live.SUPERVISORS_GROUP)
    transaction.on_commit(lambda: live.push_to(groups, event))


def referrals_alert_overdue(now: dt.datetime | None = None) -> int:
    """For the scheduler: each sent referral past its acknowledgement deadline, not yet alarmed,
    is marked, put on its history and the case timeline, given a follow-up on the case (check on
    the referral, with the partner) and its counsellor and the supervisors told, live. The number
    of referrals alarmed."""
    now = now or timezone.now()
    due = list(
        Referral.objects.filter(overdue_q(now), overdue_alerted_at__isnull=True)
        .order_by("acknowledge_by")
        .values_list("pk", flat=True)[:BATCH]
    )
    alerted = 0
    for pk in due:
        with transaction.atomic():
            referral = (
                Referral.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case", "partner")
                .filter(pk=pk, status=ReferralStatus.SENT, overdue_alerted_at__isnull=True)
                .first()
            )
            if referral is None:  # answered or alarmed meanwhile, or another scheduler holds it
                continue
            _alert(referral, now)
            alerted += 1
    return alerted


def _alert(referral: Referral, now: dt.datetime) -> None:
    referral.overdue_alerted_at = now
    referral.save(update_fields=["overdue_alerted_at", "updated_at"])
    ReferralEvent.objects.create(referral=referral, kind=ReferralEventKind.ALERTED, at=now)
    case_record_referral(
        referral.case,
        None,
        line=timeline.OVERDUE,
        referral=referral.number,
        partner=referral.partner.name,
        partner_km=referral.partner.name_km,
        status=referral.status,
    )
    audit_record(
        "scheduler",
        action=AuditAction.REFERRAL_ALERT,
        record_type="referral",
        record_id=referral.pk,
        detail={"number": referral.number, "case": referral.case.number},
    )
    takers = referral_takers(referral)  # every owner who can still open the case is told
    _follow_up(referral, takers, now)
    event = {"reason": OVERDUE, "referral": str(referral.pk), "number": referral.number}
    _tell([t.pk for t in takers], event, supervisors=True)


def _follow_up(referral: Referral, takers: list[Staff], now: dt.datetime) -> None:
    """A follow-up on the case (check on the referral, with the partner) for the first who can
    take it; a closing case takes none, and a refused follow-up leaves the alarm standing."""
    if not takers:
        log.info("referral %s: none of its owners can take its case", referral.number)
        return
    try:
        with transaction.atomic():
            follow_up_schedule(
                None,
                case=referral.case,
                kind=FollowUpKind.REFERRAL_CHECK,
                due_at=max(now, timezone.now()),
                owner=takers[0],
            )
    except CaseError as exc:
        log.info("referral %s: no follow-up on its case (%s)", referral.number, exc.message)


# --- A partner suspended after a serious concern, and the suspension lifted ---------------------


def referrals_partner_suspended(partner_id: UUID | str, *, actor: Staff | None, at: dt.datetime) -> int:
    """The partner was suspended: its links stop working (the partner's page and the sending of
    links check the suspension, so nothing is revoked), and each referral still waiting for it
    gets the step on its history and case timeline, a follow-up (check on the referral) for the
    first owner who can take it, and its owners told live. The number of referrals held."""
    held = 0
    for referral in _waiting(partner_id):
        _step(referral, ReferralEventKind.SUSPENDED, actor, at, timeline.SUSPENDED)
        takers = referral_takers(referral)
        _follow_up(referral, takers, at)
        event = {"reason": SUSPENDED, "referral": str(referral.pk), "number": referral.number}
        _tell([t.pk for t in takers], event, supervisors=False)
        held += 1
    return held


def referrals_partner_resumed(partner_id: UUID | str, *, actor: Staff | None, at: dt.datetime) -> int:
    """The suspension was lifted: the links of referrals still waiting work again, links held
    unsent are sent now, and each such referral's owners hear of it. The number resumed."""
    resumed = 0
    for referral in _waiting(partner_id):
        _step(referral, ReferralEventKind.RESUMED, actor, at, timeline.RESUMED)
        event = {"reason": RESUMED, "referral": str(referral.pk), "number": referral.number}
        _tell([t.pk for t in referral_takers(referral)], event, supervisors=False)
        resumed += 1
    partner_links_release(partner_id)
    return resumed


def _waiting(partner_id: UUID | str) -> list[Referral]:
    return list(
        Referral.objects.select_for_update(of=("self",))
        .select_related("case", "case__assignee", "partner", "sent_by", "created_by")
        .filter(partner_id=partner_id, status__in=OPEN_STATUSES)
        .order_by("sent_at")
    )


def _step(referral: Referral, kind: str, actor: Staff | None, at: dt.datetime, line: str) -> None:
    ReferralEvent.objects.create(referral=referral, kind=kind, at=at, actor=actor)
    case_record_referral(
        referral.case,
        None,
        line=line,
        referral=referral.number,
        partner=referral.partner.name,
        partner_km=referral.partner.name_km,
        status=referral.status,
        at=at,
    )
    audit_record(
        actor if actor is not None else "scheduler",
        action=AuditAction.REFERRAL_STATUS,
        record_type="referral",
        record_id=referral.pk,
        detail={"number": referral.number, "step": kind},
    )


def on_suspension_saved(
    sender: type[PartnerSuspension],
    instance: PartnerSuspension,
    created: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    """post_save of a PartnerSuspension (written by helpline.referrals.partnership, in the
    transaction that records the concern or the lift): hold or resume the partner's referrals."""
    if kwargs.get("raw"):
        return
    if created:
        referrals_partner_suspended(instance.partner_id, actor=instance.started_by, at=instance.started_at)
    elif instance.lifted_at is not None and (update_fields is None or "lifted_at" in update_fields):
        referrals_partner_resumed(instance.partner_id, actor=instance.lifted_by, at=instance.lifted_at)


def referrals_expire(now: dt.datetime | None = None) -> int:
    """For the scheduler: referrals still waiting for the partner's decision (sent, or only
    acknowledged) `expire_after_days` after they were sent expire; their counsellor is told. The
    number expired."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings_row().expire_after_days)
    stale = list(
        Referral.objects.filter(
            status__in=[ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED], sent_at__lte=cutoff
        )
        .order_by("sent_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    expired = 0
    for pk in stale:
        referral = Referral.objects.select_related("sent_by").get(pk=pk)
        try:
            with transaction.atomic():
                referral = referral_move(referral, ReferralStatus.EXPIRED, at=now)
                event = {"reason": EXPIRED, "referral": str(referral.pk), "number": referral.number}
                _tell([referral.sent_by_id, referral.case.assignee_id], event, supervisors=False)
        except ReferralConflict:  # the partner answered meanwhile
            continue
        expired += 1
    return expired
