"""Follow-ups: scheduled actions on a case (call the child back, check on a referral, a visit),
each with a due time, an owner and safe-contact instructions. The scheduler reminds the owner
when one falls due (jobs.py)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.cases.models import Case, EventKind, FollowUp, FollowUpKind, FollowUpStatus
from helpline.cases.selectors import cases_visible_to
from helpline.cases.services import CaseConflict, CaseError, audit_case, clean_text, lock, record_event
from helpline.common import live

FOLLOW_UP_DUE = "follow_up_due"  # the live event's reason: the owner's console panel reloads
# How far ahead a follow-up may be due. A case that needs nothing for a year is reviewed or closed,
# not kept open for one reminder; a date further off is nearly always a mistyped year (2062 for
# 2026), which would sit unseen on the case until long after the child needed the call.
FURTHEST_AHEAD = dt.timedelta(days=365)


def _tell(owner_id: object, case: Case, reason: str) -> None:
    event = {"reason": reason, "case": str(case.pk), "number": case.number}
    transaction.on_commit(lambda: live.push(live.staff_group(str(owner_id)), event))


def follow_up_schedule(
    actor: Staff | None,
    *,
    case: Case,
    kind: str,
    due_at: dt.datetime,
    owner: Staff,
    instructions: str = "",
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
    by: str = "",
) -> FollowUp:
    """`at`: when it was scheduled, for history written afterwards (demo data: a follow-up planned
    last week and now overdue); between the case's opening and now. Pages and the API leave it out.
    `actor` None: the system schedules it (the referral loop); the owner is then its creator, and
    `by` says who acted ("partner": its answer through its link set it off; else the scheduler)."""
    now = timezone.now()
    if at is not None:
        if not case.opened_at <= at <= now:
            raise CaseError("at", _("A follow-up is scheduled after the case opened and not later than now."))
        now = at
    if kind not in FollowUpKind.values:
        raise CaseError("kind", _("Not a kind of follow-up."))
    if due_at.tzinfo is None:
        raise CaseError("due_at", _("Give a time with its time zone."))
    if due_at < now - dt.timedelta(minutes=1):
        raise CaseError("due_at", _("The due time has passed: choose a time from now on."))
    if due_at > now + FURTHEST_AHEAD:
        raise CaseError("due_at", _("A follow-up is due within a year: choose an earlier time."))
    # The owner must be able to open the case they are to act on.
    if not cases_visible_to(owner).filter(pk=case.pk).exists():
        raise CaseError("owner", _("This person cannot see the case: assign it to them first."))
    text = clean_text(instructions, "instructions", required=False, limit=2000)
    with transaction.atomic():
        case = lock(case)
        if not case.takes_new_work:
            raise CaseConflict("case", _("A closed case, or one awaiting closure, takes no new follow-ups."))
        follow_up = FollowUp.objects.create(
            case=case, kind=kind, due_at=due_at, owner=owner, instructions=text, created_by=actor or owner
        )
        record_event(
            case,
            actor,
            EventKind.FOLLOW_UP_SCHEDULED,
            at=now,
            by=by,
            line="follow_up_kind",
            what=kind,
            follow_up=follow_up.pk,
            owner=owner.username,
            due=due_at.isoformat(timespec="minutes"),
        )
        audit_case(
            actor or by or "scheduler",
            AuditAction.CASE_FOLLOW_UP_SCHEDULE,
            case,
            request=request,
            fields=["follow_ups"],
        )
        if actor is None or owner.pk != actor.pk:
            _tell(owner.pk, case, "follow_up_new")
    return follow_up


def follow_up_done(
    actor: Staff, *, follow_up: FollowUp, outcome: str, request: HttpRequest | None = None
) -> None:
    """Record what happened; the case counts as touched today."""
    text = clean_text(outcome, "outcome", limit=4000)
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        case = lock(follow_up.case)
        if follow_up.status != FollowUpStatus.SCHEDULED:
            raise CaseConflict("follow_up", _("This follow-up is no longer open."))
        now = timezone.now()
        follow_up.status, follow_up.outcome, follow_up.done_at, follow_up.done_by = (
            FollowUpStatus.DONE,
            text,
            now,
            actor,
        )
        follow_up.save(update_fields=["status", "outcome", "done_at", "done_by", "updated_at"])
        case.last_touch_at = now
        case.save(update_fields=["last_touch_at", "updated_at"])
        record_event(case, actor, EventKind.FOLLOW_UP_DONE, at=now, summary=text, follow_up=follow_up.pk)
        audit_case(actor, AuditAction.CASE_FOLLOW_UP_DONE, case, request=request, fields=["follow_ups"])


def follow_ups_remind_due(now: dt.datetime | None = None) -> int:
    """For the scheduler: each open follow-up that fell due and was not yet announced is marked
    and its owner told (live, on commit). The number of reminders sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(  # locks the follow-ups only: never the case rows counsellors are writing
            FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now, reminded_at__isnull=True)
            .select_related("case")
            .order_by("due_at")[:200]
        )
        for follow_up in due:
            follow_up.reminded_at = now
            follow_up.save(update_fields=["reminded_at"])
            audit_case("scheduler", AuditAction.CASE_FOLLOW_UP_REMIND, follow_up.case, fields=["follow_ups"])
            _tell(follow_up.owner_id, follow_up.case, FOLLOW_UP_DUE)
            sent += 1
    return sent
