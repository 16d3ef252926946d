"""Writes to the rota. Each takes the acting principal first and writes its audit row in the same
transaction. Only staff who pass the safeguarding gate (accounts.vetting) are put on a shift; a
lapse takes them off every future shift and leaves a warning for supervisors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Role, Staff
from helpline.accounts.principals import Actor
from helpline.accounts.vetting import vetted, vetting_status
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.rota.models import Assignment, LapseWarning, Shift, ShiftPattern, ShiftRole, Swap, SwapStatus

# Those a shift is staffed with: people who answer contacts or supervise the floor.
ROTA_ROLES = (Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR)
PATTERN_DAYS_AHEAD = 14


class RotaError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def shift_add(
    actor: Actor,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    role: str = ShiftRole.COUNSELLING,
    minimum: int = 1,
    pattern: ShiftPattern | None = None,
) -> Shift:
    if ends_at <= starts_at:
        raise RotaError("ends_at", _("A shift ends after it starts."))
    if ends_at - starts_at > dt.timedelta(hours=24):
        raise RotaError("ends_at", _("A shift lasts at most 24 hours."))
    if role not in ShiftRole.values:
        raise RotaError("role", _("Choose a role for the shift."))
    with transaction.atomic():
        shift = Shift.objects.create(
            starts_at=starts_at, ends_at=ends_at, role=role, minimum=minimum, pattern=pattern
        )
        audit_record(
            actor,
            action=AuditAction.ROTA_SHIFT_ADD,
            record_type="shift",
            record_id=shift.pk,
            detail={"starts_at": starts_at.isoformat(), "role": role, "minimum": minimum},
        )
    return shift


def gate_refusal(staff: Staff, shift: Shift) -> str | None:
    """Why this person may not be put on this shift, or None. The gate is asked for today and for
    the shift's last day: a police check that runs out before the shift refuses it too."""
    if not staff.is_active or staff.role not in ROTA_ROLES:
        return _("Only active counsellors, volunteers and supervisors work shifts.")
    for day in {timezone.localdate(), _local_day(shift.ends_at)}:
        if vetting_status(staff, on=day).blocked:
            return _("%(name)s does not pass the safeguarding gate (vetting not current).") % {
                "name": staff.display_name
            }
    return None


def shift_assign(actor: Actor, *, shift: Shift, staff: Staff) -> Assignment:
    if shift.ends_at <= timezone.now():
        raise RotaError("shift", _("This shift is over."))
    refusal = gate_refusal(staff, shift)
    if refusal:
        raise RotaError("staff", refusal)
    with transaction.atomic():
        found = Assignment.objects.filter(shift=shift, staff=staff).first()
        if found is not None:
            return found
        assignment = Assignment.objects.create(
            shift=shift,
            staff=staff,
            assigned_by=actor if isinstance(actor, Staff) else staff,
            assigned_at=timezone.now(),
        )
        audit_record(
            actor,
            action=AuditAction.ROTA_ASSIGN,
            record_type="shift",
            record_id=shift.pk,
            detail={"staff": staff.username},
        )
    return assignment


def shift_unassign(actor: Actor, *, shift: Shift, staff: Staff) -> None:
    with transaction.atomic():
        deleted, _rows = Assignment.objects.filter(shift=shift, staff=staff).delete()
        if not deleted:
            return
        audit_record(
            actor,
            action=AuditAction.ROTA_UNASSIGN,
            record_type="shift",
            record_id=shift.pk,
            detail={"staff": staff.username},
        )


def pattern_add(
    actor: Actor,
    *,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    role: str = ShiftRole.COUNSELLING,
    minimum: int = 1,
) -> ShiftPattern:
    if not 0 <= weekday <= 6:
        raise RotaError("weekday", _("Choose a day of the week."))
    if role not in ShiftRole.values:
        raise RotaError("role", _("Choose a role for the shift."))
    with transaction.atomic():
        pattern = ShiftPattern.objects.create(
            weekday=weekday, start_time=start_time, end_time=end_time, role=role, minimum=minimum
        )
        audit_record(
            actor,
            action=AuditAction.ROTA_PATTERN_ADD,
            record_type="shift_pattern",
            record_id=pattern.pk,
            detail={"weekday": weekday, "start": start_time.isoformat(), "role": role, "minimum": minimum},
        )
    return pattern


def _pattern_times(pattern: ShiftPattern, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    starts = dt.datetime.combine(day, pattern.start_time, tzinfo=zone)
    ends = dt.datetime.combine(day, pattern.end_time, tzinfo=zone)
    if ends <= starts:  # a night shift ends the next day
        ends = dt.datetime.combine(day + dt.timedelta(days=1), pattern.end_time, tzinfo=zone)
    return starts, ends


def patterns_apply(actor: Actor, *, start: dt.date | None = None, days: int = PATTERN_DAYS_AHEAD) -> int:
    """Make the shifts the active weekly patterns call for, from `start` (today) for `days` days.
    Each pattern makes each of its shifts once: run again, it adds only what is missing."""
    start = start or timezone.localdate()
    made = 0
    patterns = list(ShiftPattern.objects.filter(is_active=True))
    with transaction.atomic():
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            for pattern in patterns:
                if pattern.weekday != day.weekday():
                    continue
                starts, ends = _pattern_times(pattern, day)
                if Shift.objects.filter(pattern=pattern, starts_at=starts).exists():
                    continue
                try:
                    with transaction.atomic():
                        Shift.objects.create(
                            starts_at=starts,
                            ends_at=ends,
                            role=pattern.role,
                            minimum=pattern.minimum,
                            pattern=pattern,
                        )
                except IntegrityError:  # another scheduler run made it meanwhile
                    continue
                made += 1
        if made:
            audit_record(
                actor,
                action=AuditAction.ROTA_PATTERNS_APPLY,
                record_type="shift_pattern",
                detail={"from": start.isoformat(), "days": days, "made": made},
            )
    return made


def patterns_apply_periodic() -> int:
    """The scheduler keeps the next fortnight made from the patterns."""
    return patterns_apply("rota")


def swap_request(staff: Staff, *, shift: Shift, to_staff: Staff) -> Swap:
    if not Assignment.objects.filter(shift=shift, staff=staff).exists():
        raise RotaError("shift", _("You are not on this shift."))
    if to_staff == staff or Assignment.objects.filter(shift=shift, staff=to_staff).exists():
        raise RotaError("to_staff", _("Choose a colleague who is not on this shift."))
    refusal = gate_refusal(to_staff, shift)
    if refusal:
        raise RotaError("to_staff", refusal)
    with transaction.atomic():
        swap = Swap.objects.create(shift=shift, from_staff=staff, to_staff=to_staff)
        audit_record(
            staff,
            action=AuditAction.ROTA_SWAP_REQUEST,
            record_type="shift",
            record_id=shift.pk,
            detail={"to": to_staff.username},
        )
    return swap


def swap_decide(supervisor: Staff, *, swap: Swap, approve: bool) -> Swap:
    """Approved, the colleague takes the place on the shift (if the gate still lets them)."""
    if swap.status != SwapStatus.REQUESTED:
        raise RotaError("swap", _("This swap has already been decided."))
    with transaction.atomic():
        if approve:
            refusal = gate_refusal(swap.to_staff, swap.shift)
            if refusal:
                raise RotaError("to_staff", refusal)
            Assignment.objects.filter(shift=swap.shift, staff=swap.from_staff).delete()
            Assignment.objects.get_or_create(
                shift=swap.shift,
                staff=swap.to_staff,
                defaults={"assigned_by": supervisor, "assigned_at": timezone.now()},
            )
        swap.status = SwapStatus.APPROVED if approve else SwapStatus.REFUSED
        swap.decided_by = supervisor
        swap.decided_at = timezone.now()
        swap.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(
            supervisor,
            action=AuditAction.ROTA_SWAP_DECIDE,
            record_type="shift",
            record_id=swap.shift_id,
            detail={"from": swap.from_staff.username, "to": swap.to_staff.username},
            changes={"status": (SwapStatus.REQUESTED, swap.status)},
        )
    return swap


def lapses_remove(actor: Actor, *, staff_ids: list[Any] | None = None) -> list[LapseWarning]:
    """Take everyone whose vetting has lapsed off the shifts not yet begun, with a lasting warning
    for supervisors. `staff_ids`: only these people (None: everyone on a future shift)."""
    now = timezone.now()
    future = Assignment.objects.filter(shift__starts_at__gt=now)
    if staff_ids is not None:
        future = future.filter(staff_id__in=staff_ids)
    on_rota = Staff.objects.filter(pk__in=future.values("staff_id"))
    lapsed = list(on_rota.exclude(pk__in=vetted(Staff.objects.all()).values("pk")))
    warnings = []
    for staff in lapsed:
        with transaction.atomic():
            theirs = future.filter(staff=staff)
            first = theirs.order_by("shift__starts_at").values_list("shift__starts_at", flat=True).first()
            removed, _rows = theirs.delete()
            if not removed:
                continue
            warning = LapseWarning.objects.create(staff=staff, shifts_removed=removed, first_shift_at=first)
            audit_record(
                actor,
                action=AuditAction.ROTA_LAPSE,
                record_type="staff",
                record_id=staff.pk,
                detail={"shifts_removed": removed},
            )
            warnings.append(warning)
    return warnings


def lapses_remove_periodic() -> int:
    """The scheduler's sweep: a police check runs out by the calendar, with no write to announce it."""
    return len(lapses_remove("rota"))


def on_access_changed(sender: Any, *, staff_ids: list[str] | None, **kwargs: Any) -> None:
    """accounts says someone's vetting or account changed (after its commit)."""
    lapses_remove("rota", staff_ids=staff_ids)


def lapse_acknowledge(supervisor: Staff, *, warning: LapseWarning) -> None:
    if warning.acknowledged_at is not None:
        return
    with transaction.atomic():
        warning.acknowledged_by = supervisor
        warning.acknowledged_at = timezone.now()
        warning.save(update_fields=["acknowledged_by", "acknowledged_at", "updated_at"])
        audit_record(
            supervisor,
            action=AuditAction.ROTA_LAPSE_ACKNOWLEDGE,
            record_type="staff",
            record_id=warning.staff_id,
        )
