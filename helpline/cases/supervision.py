"""Closing and reopening a case (a request a supervisor approves or sends back), and the board's
settings. Writes, each with its timeline entry and audit row in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.models import Case as CaseModel
from helpline.cases.models import CaseSettings, CaseStatus, EventKind, FollowUpStatus
from helpline.cases.services import CaseConflict, CaseError, audit_case, clean_text, lock, move, record_event


def _supervisor(actor: Staff) -> None:
    if not role_has(actor.role, Permission.CASE_SUPERVISE):
        raise CaseError("actor", _("Only a supervisor may do this."))


def closure_request(
    actor: Staff, *, case: CaseModel, reason: str, request: HttpRequest | None = None
) -> None:
    """Ask a supervisor to close the case. Follow-ups still open need a reason for leaving them."""
    why = clean_text(reason, "reason", required=False, limit=2000)
    with transaction.atomic():
        case = lock(case)
        open_follow_ups = case.follow_ups.filter(status=FollowUpStatus.SCHEDULED).count()
        if open_follow_ups and not why:
            raise CaseError(
                "reason",
                _("This case has %(n)d follow-up(s) still open: say why it may close without them.")
                % {"n": open_follow_ups},
            )
        move(case, actor, CaseStatus.PENDING_CLOSURE)
        case.closure_reason, case.closure_requested_by = why, actor
        case.save(update_fields=["status", "closure_reason", "closure_requested_by", "updated_at"])
        record_event(case, actor, EventKind.CLOSURE_REQUESTED, summary=why)
        audit_case(actor, AuditAction.CASE_CLOSURE_REQUEST, case, request=request, fields=["status"])


def closure_approve(actor: Staff, *, case: CaseModel, request: HttpRequest | None = None) -> None:
    """Close the case; follow-ups still open are cancelled (the request said why)."""
    _supervisor(actor)
    with transaction.atomic():
        case = lock(case)
        move(case, actor, CaseStatus.CLOSED)
        case.closed_at = timezone.now()
        case.save(update_fields=["status", "closed_at", "updated_at"])
        cancelled = case.follow_ups.filter(status=FollowUpStatus.SCHEDULED).update(
            status=FollowUpStatus.CANCELLED, updated_at=case.closed_at
        )
        record_event(case, actor, EventKind.CLOSURE_APPROVED, cancelled_follow_ups=cancelled or None)
        audit_case(actor, AuditAction.CASE_CLOSURE_APPROVE, case, request=request, fields=["status"])


def closure_send_back(
    actor: Staff, *, case: CaseModel, reason: str, request: HttpRequest | None = None
) -> None:
    _supervisor(actor)
    why = clean_text(reason, "reason", limit=2000)
    with transaction.atomic():
        case = lock(case)
        move(case, actor, CaseStatus.ACTIVE)
        case.save(update_fields=["status", "updated_at"])
        record_event(case, actor, EventKind.CLOSURE_SENT_BACK, summary=why)
        audit_case(
            actor, AuditAction.CASE_CLOSURE_SEND_BACK, case, request=request, fields=["status"], reason=why
        )


def case_reopen(actor: Staff, *, case: CaseModel, reason: str, request: HttpRequest | None = None) -> None:
    """A closed case comes back with all its history; the reason goes on the timeline."""
    why = clean_text(reason, "reason", limit=2000)
    with transaction.atomic():
        case = lock(case)
        if case.status != CaseStatus.CLOSED:
            raise CaseConflict("status", _("Only a closed case is reopened."))
        move(case, actor, CaseStatus.REOPENED)
        case.closed_at = None
        case.last_touch_at = timezone.now()
        case.save(update_fields=["status", "closed_at", "last_touch_at", "updated_at"])
        record_event(case, actor, EventKind.REOPENED, summary=why)
        audit_case(actor, AuditAction.CASE_REOPEN, case, request=request, fields=["status"], reason=why)


def case_settings_update(actor: Staff, *, stale_days: int, request: HttpRequest | None = None) -> bool:
    _supervisor(actor)
    if not 1 <= stale_days <= 365:
        raise CaseError("stale_days", _("Choose from 1 to 365 days."))
    with transaction.atomic():
        settings, _created = CaseSettings.objects.select_for_update().get_or_create(pk=1)
        if settings.stale_days == stale_days:
            return False
        old = settings.stale_days
        settings.stale_days, settings.updated_by = stale_days, actor
        settings.save()
        audit_record(
            actor,
            action=AuditAction.CASE_SETTINGS_UPDATE,
            record_type="case_settings",
            record_id=1,
            request=request,
            changes={"stale_days": (old, stale_days)},
        )
    return True
