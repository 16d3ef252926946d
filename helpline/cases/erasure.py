"""Legal holds and erasure of cases: the cases app's own writers for retention
(helpline.operations.retention) and for a person's erasure request (helpline.operations.requests).

Erasing a case blanks every text a person wrote or is named in (the nickname, notes and their
revisions, people, plan goals, follow-up instructions and outcomes, what a confidentiality break
disclosed and to whom, the timeline's lines) and keeps the codes (status, risk, age, gender,
province, dates), so every count stays right. The rows stay: a case number that was given out
still resolves, and the timeline says when and that it was erased."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.cases.models import (
    HIGH_RISKS,
    LIVE_STATUSES,
    Case,
    CaseContact,
    CaseEvent,
    CaseNote,
    CasePerson,
    ConfidentialityBreak,
    EventKind,
    FollowUp,
    NoteRevision,
    PlanGoal,
)
from helpline.cases.services import CaseError, audit_case, clean_text, lock, record_event


def case_legal_hold_set(
    actor: Staff, *, case: Case, hold: bool, reason: str, request: HttpRequest | None = None
) -> Case:
    """Set or lift a legal hold. A supervisor's decision, with a reason on the case's timeline (the
    audit row says only that it changed: the reason may name people, and the trail outlives them)."""
    if not role_has(actor.role, Permission.CASE_SUPERVISE):
        raise CaseError("actor", _("Only a supervisor sets or lifts a legal hold."))
    text = clean_text(reason, "reason", limit=2000)
    with transaction.atomic():
        case = lock(case)
        held = case.legal_hold_at is not None
        if held == hold:
            return case
        now = timezone.now()
        case.legal_hold_at = now if hold else None
        case.legal_hold_by = actor if hold else None
        case.legal_hold_reason = text if hold else ""
        case.save(update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"])
        kind = EventKind.LEGAL_HOLD_SET if hold else EventKind.LEGAL_HOLD_LIFTED
        record_event(case, actor, kind, at=now, summary=text)
        audit_case(
            actor, AuditAction.CASE_LEGAL_HOLD, case, request=request, changes={"legal_hold": (held, hold)}
        )
    return case


def erasure_exemptions(cases: QuerySet[Case]) -> dict[UUID, list[str]]:
    """Why each of these cases may not be erased now (no entry: it may). Child protection comes
    first: a held case, a live case whose risk is high or critical, and a case with a
    confidentiality break (a disclosure others may still act on) are kept."""
    found: dict[UUID, list[str]] = {}
    broken = set(ConfidentialityBreak.objects.filter(case__in=cases).values_list("case_id", flat=True))
    for case in cases:
        reasons = []
        if case.legal_hold_at is not None:
            reasons.append(str(_("a legal hold")))
        if case.status in LIVE_STATUSES and case.risk in HIGH_RISKS:
            reasons.append(str(_("an open case at high or critical risk")))
        if case.pk in broken:
            reasons.append(str(_("a confidentiality break")))
        if reasons:
            found[case.pk] = reasons
    return found


def opening_links() -> QuerySet[CaseContact]:
    """The links of the contacts each case was opened from. case_open links them at the moment it
    opens the case; a contact gathered later (a parent's call, a teacher's) is linked after it."""
    return CaseContact.objects.filter(linked_at=F("case__opened_at"))


def cases_opened_from(contact_ids: Iterable[UUID]) -> set[UUID]:
    """The cases opened from one of these contacts: a person's own cases, where merely being linked
    to a case (someone else's child) does not make it theirs."""
    return set(opening_links().filter(contact_id__in=list(contact_ids)).values_list("case_id", flat=True))


def erasable_closed_cases(*, closed_before: object) -> QuerySet[Case]:
    """Closed before the cut-off, not held, not erased yet: what retention erases."""
    return Case.objects.filter(
        status="closed", closed_at__lt=closed_before, legal_hold_at__isnull=True, erased_at__isnull=True
    )


def held_closed_cases(*, closed_before: object) -> QuerySet[Case]:
    return Case.objects.filter(status="closed", closed_at__lt=closed_before, legal_hold_at__isnull=False)


def cases_erase(actor: Staff | str, *, case_ids: Iterable[UUID], request: HttpRequest | None = None) -> int:
    """Blank the personal text of these cases (a held one is skipped, always). Returns how many.
    One audit row per case: the number and that it was erased, nothing of what was there."""
    ids = list(case_ids)
    now = timezone.now()
    erased = 0
    with transaction.atomic():
        cases = list(Case.objects.select_for_update().filter(pk__in=ids, legal_hold_at__isnull=True))
        for case in cases:
            CaseNote.objects.filter(case=case).update(text="")
            NoteRevision.objects.filter(note__case=case).update(text="")
            CasePerson.objects.filter(case=case).update(name="", relationship="", notes="", age=None)
            PlanGoal.objects.filter(case=case).update(text="")
            FollowUp.objects.filter(case=case).update(instructions="", outcome="")
            ConfidentialityBreak.objects.filter(case=case).update(
                disclosed="", recipient="", not_told_why="", sign_off_comment=""
            )
            CaseEvent.objects.filter(case=case).filter(~Q(summary="")).update(summary="")
            Case.objects.filter(pk=case.pk).update(
                nickname="", closure_reason="", erased_at=now, updated_at=now
            )
            record_event(
                case, actor if isinstance(actor, Staff) else None, EventKind.ERASED, at=now, by="retention"
            )
            audit_case(actor, AuditAction.CASE_ERASE, case, request=request)
            erased += 1
    return erased
