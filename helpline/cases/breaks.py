"""Confidentiality breaks: why, what, to whom, when, whether the child was told first, who
decided; a supervisor signs each off. An approved break is never edited: a correction follows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.cases.models import BreakReason, Case, ConfidentialityBreak, EventKind, Recipient, SignOff
from helpline.cases.services import CaseConflict, CaseError, audit_case, clean_text, lock, record_event
from helpline.common import live
from helpline.common.bounds import event_time_ok

FIELDS = (
    "reason",
    "disclosed",
    "recipient_kind",
    "recipient",
    "disclosed_at",
    "client_told_first",
    "not_told_why",
    "decided_by_id",
)


@dataclass(frozen=True)
class BreakFacts:
    reason: str
    disclosed: str
    recipient_kind: str
    recipient: str
    disclosed_at: dt.datetime
    client_told_first: bool
    not_told_why: str
    decided_by: Staff

    def cleaned(self) -> dict[str, object]:
        if self.reason not in BreakReason.values:
            raise CaseError("reason", _("Say why confidentiality was broken."))
        if self.recipient_kind not in Recipient.values:
            raise CaseError("recipient_kind", _("Say who was told."))
        if not event_time_ok(self.disclosed_at):
            raise CaseError("disclosed_at", _("Give the time it was disclosed (not later than now)."))
        if self.disclosed_at > timezone.now() + dt.timedelta(minutes=5):
            raise CaseError("disclosed_at", _("Give the time it was disclosed (not later than now)."))
        why_not = clean_text(
            self.not_told_why, "not_told_why", required=not self.client_told_first, limit=2000
        )
        return {
            "reason": self.reason,
            "disclosed": clean_text(self.disclosed, "disclosed", limit=4000),
            "recipient_kind": self.recipient_kind,
            "recipient": clean_text(self.recipient, "recipient", limit=200),
            "disclosed_at": self.disclosed_at,
            "client_told_first": self.client_told_first,
            "not_told_why": "" if self.client_told_first else why_not,
            "decided_by_id": self.decided_by.pk,
        }


def _announce() -> None:
    # Supervisors' boards list breaks awaiting sign-off.
    transaction.on_commit(lambda: live.push(live.SUPERVISORS_GROUP, {"reason": "case_break"}))


def break_record(
    actor: Staff, *, case: Case, facts: BreakFacts, request: HttpRequest | None = None
) -> ConfidentialityBreak:
    values = facts.cleaned()
    with transaction.atomic():
        case = lock(case)
        brk = ConfidentialityBreak.objects.create(case=case, recorded_by=actor, **values)  # type: ignore[arg-type]
        record_event(
            case,
            actor,
            EventKind.BREAK_RECORDED,
            line="break_reason",
            reason=facts.reason,
            brk=brk.pk,
            recipient=facts.recipient_kind,
        )
        audit_case(actor, AuditAction.CASE_BREAK_RECORD, case, request=request, fields=["breaks"])
        _announce()
    return brk


def break_edit(
    actor: Staff, *, brk: ConfidentialityBreak, facts: BreakFacts, request: HttpRequest | None = None
) -> list[str]:
    """Change a break not yet approved; it waits for sign-off again. The fields changed."""
    values = facts.cleaned()
    with transaction.atomic():
        brk = ConfidentialityBreak.objects.select_for_update().select_related("case").get(pk=brk.pk)
        if brk.sign_off == SignOff.APPROVED:
            raise CaseConflict("break", _("An approved break is not edited: record a correction."))
        changed = [name for name in FIELDS if getattr(brk, name) != values[name]]
        if not changed:
            return []
        for name in changed:
            setattr(brk, name, values[name])
        brk.sign_off, brk.signed_off_by, brk.signed_off_at = SignOff.PENDING, None, None
        brk.save(update_fields=[*changed, "sign_off", "signed_off_by", "signed_off_at", "updated_at"])
        names = [n.removesuffix("_id") for n in changed]
        record_event(brk.case, actor, EventKind.BREAK_EDITED, brk=brk.pk, fields=",".join(names))
        audit_case(actor, AuditAction.CASE_BREAK_RECORD, brk.case, request=request, fields=["breaks", *names])
        _announce()
    return names


def break_correct(
    actor: Staff, *, brk: ConfidentialityBreak, facts: BreakFacts, request: HttpRequest | None = None
) -> ConfidentialityBreak:
    """A correction of an approved break: a new break that names it, awaiting its own sign-off."""
    values = facts.cleaned()
    with transaction.atomic():
        case = lock(brk.case)
        brk = ConfidentialityBreak.objects.get(pk=brk.pk)
        if brk.sign_off != SignOff.APPROVED:
            raise CaseConflict("break", _("Edit this break instead: it is not approved yet."))
        correction = ConfidentialityBreak.objects.create(case=case, recorded_by=actor, corrects=brk, **values)  # type: ignore[arg-type]
        record_event(case, actor, EventKind.BREAK_CORRECTED, brk=correction.pk, corrects=brk.pk)
        audit_case(actor, AuditAction.CASE_BREAK_CORRECT, case, request=request, fields=["breaks"])
        _announce()
    return correction


def break_sign_off(
    actor: Staff,
    *,
    brk: ConfidentialityBreak,
    approve: bool,
    comment: str = "",
    request: HttpRequest | None = None,
) -> None:
    """A supervisor approves the break, or questions it with a comment (it may then be edited)."""
    if not role_has(actor.role, Permission.CASE_SUPERVISE):
        raise CaseError("actor", _("Only a supervisor may sign a break off."))
    text = clean_text(comment, "comment", required=not approve, limit=2000)
    with transaction.atomic():
        brk = ConfidentialityBreak.objects.select_for_update().select_related("case").get(pk=brk.pk)
        if brk.sign_off == SignOff.APPROVED:
            raise CaseConflict("break", _("This break is approved already."))
        brk.sign_off = SignOff.APPROVED if approve else SignOff.QUESTIONED
        brk.signed_off_by, brk.signed_off_at, brk.sign_off_comment = actor, timezone.now(), text
        brk.save(
            update_fields=["sign_off", "signed_off_by", "signed_off_at", "sign_off_comment", "updated_at"]
        )
        record_event(
            brk.case,
            actor,
            EventKind.BREAK_SIGNED_OFF,
            summary=text,
            line="sign_off",
            brk=brk.pk,
            decision=brk.sign_off,
        )
        audit_case(actor, AuditAction.CASE_BREAK_SIGN_OFF, brk.case, request=request, fields=["breaks"])
        _announce()
