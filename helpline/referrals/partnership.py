"""The partnership's life: assessments (with their documents), monitoring visits, concerns about a
partner and the suspensions a serious one starts.

Each function takes the acting staff member first and writes its rows and audit rows in one
transaction. The newest assessment decides whether referrals may go to the partner; a serious
concern suspends them in the same transaction that records it, and only a supervisor lifts a
suspension, with a reason. The scheduler reminds a visit's owner when it falls due (jobs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common import live
from helpline.common.bounds import EARLIEST_DATE, LATEST_DATE
from helpline.common.text import clean_text, storable
from helpline.referrals import documents
from helpline.referrals.directory import PartnerConflict, PartnerError, may_keep_directory
from helpline.referrals.models import (
    REFERRABLE_ASSESSMENTS,
    Assessment,
    ConcernSeverity,
    ConcernSource,
    MonitoringVisit,
    Partner,
    PartnerAssessment,
    PartnerConcern,
    PartnerDocument,
    PartnerSuspension,
    Referral,
)

MAX_TEXT = 20_000
VISIT_DUE = "partner_visit_due"  # the live event's reason when a monitoring visit falls due
OUTCOMES = frozenset(Assessment.values) - {Assessment.NOT_ASSESSED}


def _audit(
    actor: Staff | str,
    action: AuditAction,
    partner: Partner,
    *,
    request: HttpRequest | None = None,
    reason: str = "",
    changes: dict[str, tuple[Any, Any]] | None = None,
    **detail: Any,
) -> None:
    audit_record(
        actor,
        action=action,
        record_type="partner",
        record_id=partner.pk,
        request=request,
        reason=reason[:500],
        changes=changes,
        detail={"name": partner.name, **{k: str(v) for k, v in detail.items() if v not in (None, "")}},
    )


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    return clean_text(value, field, error=PartnerError, required=required, limit=limit)


def _require_keeper(actor: Staff) -> None:
    if not may_keep_directory(actor):
        raise PartnerError("actor", _("Your role does not keep the partner directory."))


def _past_day(day: dt.date, field: str) -> None:
    if not EARLIEST_DATE <= day <= timezone.localdate():
        raise PartnerError(field, _("Choose a day from 2000 up to today."))


def _lock(partner: Partner) -> Partner:
    return Partner.objects.select_for_update().get(pk=partner.pk)


# --- Documents ---------------------------------------------------------------------------------


class _Stored:
    """Files saved to storage inside a transaction, removed again if it does not commit."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __enter__(self) -> _Stored:
        return self

    def __exit__(self, kind: object, *_exc: object) -> None:
        if kind is not None:
            for name in self.names:
                default_storage.delete(name)


def _checked_document(upload: UploadedFile | None) -> documents.Kind | None:
    if upload is None:
        return None
    try:
        return documents.sniff(upload)
    except documents.DocumentRefused as exc:
        raise PartnerError("file", str(exc)) from exc


def _store(
    actor: Staff,
    stored: _Stored,
    *,
    partner: Partner,
    upload: UploadedFile,
    kind: documents.Kind,
    title: str,
    assessment: PartnerAssessment | None,
    request: HttpRequest | None,
) -> PartnerDocument:
    original = storable(upload.name or "")[-255:]
    document = PartnerDocument(
        partner=partner,
        assessment=assessment,
        title=title or original.rsplit(".", 1)[0][:200] or _("Document"),
        original_name=original,
        content_type=kind.content_type,
        size=upload.size or 0,
        sha256=documents.digest(upload),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    document.file.save(documents.storage_name(kind), upload, save=False)
    stored.names.append(document.file.name)
    document.save()
    _audit(
        actor,
        AuditAction.PARTNER_DOCUMENT_ADD,
        partner,
        request=request,
        document=document.pk,
        title=document.title,
        type=kind.content_type,
        size=document.size,
        sha256=document.sha256,
    )
    return document


def document_add(
    actor: Staff,
    *,
    partner: Partner,
    upload: UploadedFile,
    title: str = "",
    assessment: PartnerAssessment | None = None,
    request: HttpRequest | None = None,
) -> PartnerDocument:
    """A file about the partner, checked by size and content before anything is stored."""
    _require_keeper(actor)
    kind = _checked_document(upload)
    assert kind is not None
    label = _text(title, "title", required=False, limit=200)
    if assessment is not None and assessment.partner_id != partner.pk:
        raise PartnerError("assessment", _("This assessment is not of this partner."))
    with _Stored() as stored, transaction.atomic():
        return _store(
            actor,
            stored,
            partner=partner,
            upload=upload,
            kind=kind,
            title=label,
            assessment=assessment,
            request=request,
        )


def document_opened(actor: Staff, *, document: PartnerDocument, request: HttpRequest | None = None) -> None:
    """Who opened a document about a partner, and when: the download's one write."""
    _require_keeper(actor)
    partner = Partner.objects.get(pk=document.partner_id)
    _audit(
        actor,
        AuditAction.PARTNER_DOCUMENT_READ,
        partner,
        request=request,
        document=document.pk,
        title=document.title,
    )


# --- Assessments -------------------------------------------------------------------------------


def assessment_record(
    actor: Staff,
    *,
    partner: Partner,
    assessed_on: dt.date,
    assessor: Staff,
    outcome: str,
    notes: str = "",
    upload: UploadedFile | None = None,
    document_title: str = "",
    request: HttpRequest | None = None,
) -> PartnerAssessment:
    """An assessment, with a document if one is given (an MOU, the assessment form). The newest
    assessment (by its date) decides the partner's standing; an approval of a partner with no
    monitoring visit planned plans the first, monitoring_every_days after the assessment."""
    _require_keeper(actor)
    if outcome not in OUTCOMES:
        raise PartnerError("outcome", _("Not an assessment outcome."))
    _past_day(assessed_on, "assessed_on")
    if not assessor.is_active:
        raise PartnerError("assessor", _("No active staff member with this username."))
    text = _text(notes, "notes", required=False)
    kind = _checked_document(upload)
    title = _text(document_title, "document_title", required=False, limit=200)
    with _Stored() as stored, transaction.atomic():
        partner = _lock(partner)
        assessment = PartnerAssessment.objects.create(
            partner=partner,
            assessed_on=assessed_on,
            assessor=assessor,
            outcome=outcome,
            notes=text,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        before = partner.assessment
        newest = partner.assessments.order_by("-assessed_on", "-recorded_at").first()
        assert newest is not None
        if newest.outcome != before:
            partner.assessment = newest.outcome
            partner.save(update_fields=["assessment", "updated_at"])
        _audit(
            actor,
            AuditAction.PARTNER_ASSESS,
            partner,
            request=request,
            changes={"assessment": (before, partner.assessment)} if partner.assessment != before else None,
            assessment=assessment.pk,
            outcome=outcome,
            assessed_on=assessed_on.isoformat(),
        )
        if upload is not None and kind is not None:
            _store(
                actor,
                stored,
                partner=partner,
                upload=upload,
                kind=kind,
                title=title,
                assessment=assessment,
                request=request,
            )
        if partner.assessment in REFERRABLE_ASSESSMENTS and not _open_visit(partner):
            owner = assessor if may_keep_directory(assessor) else actor
            due = assessed_on + dt.timedelta(days=partner.monitoring_every_days)
            _plan(actor, partner, due_on=due, owner=owner, request=request)
    return assessment


# --- Monitoring visits -------------------------------------------------------------------------


def _open_visit(partner: Partner) -> MonitoringVisit | None:
    return partner.visits.filter(done_on__isnull=True).order_by("due_on").first()


def _plan(
    actor: Staff, partner: Partner, *, due_on: dt.date, owner: Staff, request: HttpRequest | None
) -> MonitoringVisit:
    visit = MonitoringVisit.objects.create(partner=partner, due_on=due_on, owner=owner, created_by=actor)
    _audit(
        actor,
        AuditAction.PARTNER_VISIT_PLAN,
        partner,
        request=request,
        visit=visit.pk,
        due_on=due_on.isoformat(),
        owner=owner.username,
    )
    return visit


def visit_plan(
    actor: Staff, *, partner: Partner, due_on: dt.date, owner: Staff, request: HttpRequest | None = None
) -> MonitoringVisit:
    """A monitoring visit, due on a day from today on, by someone who keeps the directory. One
    visit is planned at a time: record the planned one first."""
    _require_keeper(actor)
    if not timezone.localdate() <= due_on <= LATEST_DATE:
        raise PartnerError("due_on", _("The due date has passed: choose today or a later day."))
    if not may_keep_directory(owner):
        raise PartnerError("owner", _("This person does not keep the partner directory."))
    with transaction.atomic():
        partner = _lock(partner)
        if not partner.is_active:
            raise PartnerConflict("partner", _("This partner is no longer in the directory."))
        planned = _open_visit(partner)
        if planned is not None:
            raise PartnerConflict(
                "due_on",
                _("A visit is already planned (due %(day)s): record it first.")
                % {"day": planned.due_on.isoformat()},
            )
        return _plan(actor, partner, due_on=due_on, owner=owner, request=request)


def visit_done(
    actor: Staff,
    *,
    visit: MonitoringVisit,
    done_on: dt.date,
    findings: str,
    request: HttpRequest | None = None,
) -> MonitoringVisit | None:
    """Record a visit made, and plan the next, monitoring_every_days after it (for the same owner
    while they keep the directory). Returns the next visit (None: none planned, the partner having
    left the directory)."""
    _require_keeper(actor)
    _past_day(done_on, "done_on")
    text = _text(findings, "findings", limit=8000)
    with transaction.atomic():
        partner = _lock(visit.partner)
        visit = MonitoringVisit.objects.select_for_update().get(pk=visit.pk)
        if visit.done_on is not None:
            raise PartnerConflict("visit", _("This visit is already recorded."))
        visit.done_on, visit.findings = done_on, text
        visit.save(update_fields=["done_on", "findings", "updated_at"])
        _audit(
            actor, AuditAction.PARTNER_VISIT_DONE, partner, request=request, visit=visit.pk, done_on=done_on
        )
        if not partner.is_active or _open_visit(partner) is not None:
            return None
        owner = visit.owner if may_keep_directory(visit.owner) else actor
        due = done_on + dt.timedelta(days=partner.monitoring_every_days)
        return _plan(actor, partner, due_on=due, owner=owner, request=request)


def visits_remind_due(now: dt.datetime | None = None) -> int:
    """For the scheduler: each visit that fell due undone and was not yet announced is marked and
    its owner told (live, on commit). The number of reminders sent."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    sent = 0
    with transaction.atomic():
        due = list(
            MonitoringVisit.objects.select_for_update(skip_locked=True)
            .filter(
                done_on__isnull=True, due_on__lte=today, reminded_at__isnull=True, partner__is_active=True
            )
            .select_related("partner")
            .order_by("due_on")[:200]
        )
        for visit in due:
            visit.reminded_at = now
            visit.save(update_fields=["reminded_at"])
            _audit("scheduler", AuditAction.PARTNER_VISIT_REMIND, visit.partner, visit=visit.pk)
            event = {
                "reason": VISIT_DUE,
                "partner": str(visit.partner_id),
                "name": visit.partner.name,
                "due": visit.due_on.isoformat(),
            }
            group = live.staff_group(str(visit.owner_id))
            transaction.on_commit(lambda group=group, event=event: live.push(group, event))  # type: ignore[misc]
            sent += 1
    return sent


# --- Concerns and suspensions ------------------------------------------------------------------


def concerns_read(
    actor: Staff, *, partner: Partner, concerns: list[PartnerConcern], request: HttpRequest | None = None
) -> None:
    """Who read what was reported about a partner (it may quote a child), and when: the one write
    of a page that shows the concerns' words, to those who keep the directory only."""
    _require_keeper(actor)
    if not concerns:
        return
    _audit(
        actor,
        AuditAction.PARTNER_CONCERN_READ,
        partner,
        request=request,
        concerns=",".join(str(c.pk) for c in concerns),
    )


def concern_record(
    actor: Staff,
    *,
    partner: Partner,
    source: str,
    severity: str,
    description: str,
    referral: Referral | None = None,
    request: HttpRequest | None = None,
) -> PartnerConcern:
    """Concerning feedback about a partner, from a child, a family or staff: anyone who uses the
    directory records it. A serious one suspends referrals to the partner at once, in the same
    transaction (the suspension names the concern). The audit names the severity, never what was
    reported (it may be a child's words)."""
    if not (actor.is_active and role_has(actor.role, Permission.PARTNERS)):
        raise PartnerError("actor", _("Your role does not use the partner directory."))
    if source not in ConcernSource.values:
        raise PartnerError("source", _("Not a source of concern."))
    if severity not in ConcernSeverity.values:
        raise PartnerError("severity", _("Not a severity."))
    text = _text(description, "description", limit=8000)
    if referral is not None and referral.partner_id != partner.pk:
        raise PartnerError("referral", _("This referral did not go to this partner."))
    with transaction.atomic():
        partner = _lock(partner)
        now = timezone.now()
        concern = PartnerConcern.objects.create(
            partner=partner,
            source=source,
            severity=severity,
            description=text,
            referral=referral,
            reported_by=actor,
            reported_at=now,
        )
        _audit(
            actor,
            AuditAction.PARTNER_CONCERN,
            partner,
            request=request,
            concern=concern.pk,
            severity=severity,
            source=source,
        )
        if severity == ConcernSeverity.SERIOUS and partner.suspension_id is None:
            suspension = PartnerSuspension.objects.create(
                partner=partner,
                concern=concern,
                reason=_("A serious concern was recorded."),
                started_at=now,
                started_by=actor,
            )
            partner.suspension = suspension
            partner.save(update_fields=["suspension", "updated_at"])
            _audit(
                actor,
                AuditAction.PARTNER_SUSPEND,
                partner,
                request=request,
                reason="serious concern",
                changes={"suspended": (False, True)},
                concern=concern.pk,
                suspension=suspension.pk,
            )
    return concern


def suspension_lift(
    actor: Staff, *, partner: Partner, reason: str, request: HttpRequest | None = None
) -> PartnerSuspension:
    """Referrals may go to the partner again: a supervisor's decision, with its reason kept on
    the suspension and the audit trail."""
    if not (actor.is_active and role_has(actor.role, Permission.PARTNER_UNSUSPEND)):
        raise PartnerError("actor", _("Only a supervisor lifts a suspension."))
    why = _text(reason, "reason", limit=2000)
    with transaction.atomic():
        partner = _lock(partner)
        if partner.suspension_id is None:
            raise PartnerConflict("suspension", _("Referrals to this partner are not suspended."))
        suspension = PartnerSuspension.objects.select_for_update().get(pk=partner.suspension_id)
        suspension.lifted_at, suspension.lifted_by, suspension.lift_reason = timezone.now(), actor, why
        suspension.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        partner.suspension = None
        partner.save(update_fields=["suspension", "updated_at"])
        _audit(
            actor,
            AuditAction.PARTNER_UNSUSPEND,
            partner,
            request=request,
            reason=why,
            changes={"suspended": (True, False)},
            suspension=suspension.pk,
        )
    return suspension
