"""Reads of feedback. Every list, page, API answer and export starts from feedback_visible_to(), so
none shows what access_feedback() refuses. A complaint about a staff member is never visible to
that staff member, whatever their role."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import Http404

from helpline.accounts.models import ApiToken, Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.principals import Principal
from helpline.accounts.vetting import vetting_status
from helpline.feedback.models import OPEN_STATES, Feedback


def _reader(principal: Principal) -> Staff | None:
    """The staff member whose sight applies: the person, or for a token the active staff member who
    created it; None when nobody may read feedback through this principal."""
    staff = principal.created_by if isinstance(principal, ApiToken) else principal
    if not isinstance(staff, Staff) or not staff.is_active or not role_has(staff.role, Permission.FEEDBACK):
        return None
    return None if vetting_status(staff).blocked else staff


def feedback_visible_to(principal: Principal) -> QuerySet[Feedback]:
    """Supervisors see every item; others those they recorded or own; nobody an item about
    themselves."""
    qs = Feedback.objects.all()
    staff = _reader(principal)
    if staff is None:
        return qs.none()
    qs = qs.exclude(subject_staff=staff)
    if role_has(staff.role, Permission.FEEDBACK_MANAGE):
        return qs
    return qs.filter(Q(recorded_by=staff) | Q(owner=staff))


def access_feedback(principal: Principal, feedback_id: UUID | str) -> Feedback:
    """The item, or the same 404 whether it is missing or not for this principal."""
    try:
        return (
            feedback_visible_to(principal)
            .select_related("owner", "subject_staff", "subject_partner", "recorded_by", "contact")
            .get(pk=feedback_id)
        )
    except (Feedback.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such feedback") from exc


def feedback_overdue(principal: Principal) -> QuerySet[Feedback]:
    """The lasting list of items the scheduler flagged overdue and still open."""
    return feedback_visible_to(principal).filter(state__in=OPEN_STATES, overdue_flagged_at__isnull=False)


def risk_first(items: QuerySet[Feedback]) -> QuerySet[Feedback]:
    """Open items the risk triage marked come first, newest first within each part; once closed
    they fall back into their place."""
    return items.annotate(
        risk_open=Case(
            When(shows_risk=True, state__in=OPEN_STATES, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    ).order_by("-risk_open", "-received_at", "-id")
