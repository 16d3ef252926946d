"""Writes to referrals from the helpline's side: drafting (and editing the draft), sending, closing,
recording a partner's answer given by phone, a staff note, and the closed loop's settings. Status
changes go through lifecycle.referral_move, the one function that changes a referral's status.

Each function takes the acting staff member first and writes the referral, its timeline entry on
the case and its audit row in one transaction. Audit rows name the fields that changed, never
their values: a referral carries a child's details.

In referral_draft and referral_edit `request` is the model's field, what the partner is asked to
do; the HTTP request they were made in is `http_request`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.models import Case, ConfidentialityBreak
from helpline.cases.selectors import cases_visible_to
from helpline.cases.services import case_record_referral, works_on_cases
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals import delivery, sharing, timeline
from helpline.referrals.eligibility import gives_service, partner_refusal
from helpline.referrals.lifecycle import (
    ReferralConflict,
    ReferralError,
    clean_note,
    lock,
    referral_move,
    settings_row,
)
from helpline.referrals.loop import acknowledge_deadline
from helpline.referrals.models import (
    PARTNER_MOVES,
    Consent,
    Partner,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralNumber,
    ReferralSettings,
    ReferralStatus,
    ReferralUrgency,
)

MAX_REQUEST = 4000
MAX_CONSENT_NOTE = 2000
# What a draft holds, as the referral's fields: an edit compares these.
DRAFT_FIELDS = (
    "partner_id",
    "service_id",
    "urgency",
    "request",
    "shared_fields",
    "consent",
    "consent_note",
    "confidentiality_break_id",
)


# --- Shared by the writers here ------------------------------------------------------------------


def audit_referral(
    actor: Staff | str,
    action: AuditAction,
    referral: Referral,
    *,
    request: HttpRequest | None = None,
    fields: Iterable[str] = (),
    reason: str = "",
) -> None:
    detail: dict[str, Any] = {"number": referral.number, "case": referral.case.number}
    if fields:
        detail["fields"] = sorted(fields)
    audit_record(
        actor,
        action=action,
        record_type="referral",
        record_id=referral.pk,
        request=request,
        detail=detail,
        reason=reason[:500],
    )


def _timeline(
    referral: Referral, actor: Staff | None, line: str, *, by: str = "", at: dt.datetime | None = None
) -> None:
    case_record_referral(
        referral.case,
        actor,
        line=line,
        referral=referral.number,
        partner=referral.partner.name,
        partner_km=referral.partner.name_km,
        status=referral.status,
        by=by,
        at=at,
    )


def _may_work_on(actor: Staff, case: Case) -> None:
    if not works_on_cases(actor):
        raise ReferralError("actor", _("Your role does not work on cases."))
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise ReferralError("case", _("This case is not one you may see."))


def _next_number(now: dt.datetime) -> str:
    """The year's next number, safe under concurrency on both databases (as cases number theirs):
    the counter row's UPDATE holds its lock until the transaction ends (PostgreSQL), and SQLite
    transactions here begin IMMEDIATE. A first referral of a year racing another meets the unique
    key and increments instead; Referral.number is unique as a last guard."""
    year = timezone.localtime(now).year
    if not ReferralNumber.objects.filter(year=year).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                ReferralNumber.objects.create(year=year, last=1)
        except IntegrityError:
            ReferralNumber.objects.filter(year=year).update(last=F("last") + 1)
    last = ReferralNumber.objects.values_list("last", flat=True).get(year=year)
    return f"R-{year}-{last:05d}"


def _service(value: Term | str) -> Term:
    if isinstance(value, Term):
        if value.vocabulary == Vocabulary.SERVICE and value.is_active:
            return value
    else:
        found = Term.objects.filter(vocabulary=Vocabulary.SERVICE, code=value, is_active=True).first()
        if found is not None:
            return found
    raise ReferralError("service", _("Not a service from the code list."))


def _partner_for(partner: Partner, service: Term) -> Partner:
    """The partner afresh, refused unless it may receive referrals and gives the service."""
    fresh = Partner.objects.filter(pk=partner.pk).first()
    if fresh is None:
        raise ReferralError("partner", _("This partner is no longer in the directory."))
    why = partner_refusal(fresh)
    if why:
        raise ReferralError("partner", why)
    if not gives_service(fresh, service):
        raise ReferralError(
            "service",
            _("%(partner)s does not give this service: choose another partner or service.")
            % {"partner": fresh.label},
        )
    return fresh


def _shared_fields(keys: Iterable[str]) -> list[str]:
    chosen = list(keys)
    unknown = sorted({k for k in chosen if k not in sharing.BY_KEY}, key=str)
    if unknown:
        raise ReferralError(
            "shared_fields",
            _("Not a field a referral can share: %(fields)s") % {"fields": ", ".join(map(str, unknown))},
        )
    return sharing.clean_fields(chosen)


def _consent(
    case: Case, consent: str, brk: ConfidentialityBreak | None, note: str
) -> tuple[str, ConfidentialityBreak | None, str]:
    """Consent given needs nothing more; without it the referral is a disclosure, and the
    confidentiality break of this case that records it is required."""
    if consent not in Consent.values:
        raise ReferralError("consent", _("Say whether the child agreed to the referral."))
    if brk is not None:
        if brk.case_id != case.pk:
            raise ReferralError(
                "confidentiality_break", _("This confidentiality break belongs to another case.")
            )
    elif consent == Consent.NOT_GIVEN:
        raise ReferralError(
            "confidentiality_break",
            _(
                "Without the child's agreement a referral needs the confidentiality break that "
                "records it: record the break on the case first, then choose it here."
            ),
        )
    return consent, brk, clean_note(note, "consent_note", limit=MAX_CONSENT_NOTE)


def _draft_values(
    case: Case,
    *,
    partner: Partner,
    service: Term | str,
    urgency: str,
    request: str,
    shared_fields: Iterable[str],
    consent: str,
    consent_note: str,
    confidentiality_break: ConfidentialityBreak | None,
) -> dict[str, Any]:
    if not case.takes_new_work:
        raise ReferralConflict("case", _("A closed case, or one awaiting closure, takes no new referrals."))
    term = _service(service)
    fresh = _partner_for(partner, term)
    if urgency not in ReferralUrgency.values:
        raise ReferralError("urgency", _("Not an urgency."))
    text = clean_note(request, "request", required=True, limit=MAX_REQUEST)
    fields = _shared_fields(shared_fields)
    consent, brk, note = _consent(case, consent, confidentiality_break, consent_note)
    return {
        "partner_id": fresh.pk,
        "service_id": term.pk,
        "urgency": urgency,
        "request": text,
        "shared_fields": fields,
        "consent": consent,
        "consent_note": note,
        "confidentiality_break_id": brk.pk if brk is not None else None,
    }


def _frozen(case: Case, values: Mapping[str, Any]) -> dict[str, str]:
    """What the draft shares, frozen as codes and plain values: each reader's page names them."""
    return sharing.snapshot(case, values["shared_fields"])


# --- Drafting --------------------------------------------------------------------------------------


def referral_draft(
    actor: Staff,
    *,
    case: Case,
    partner: Partner,
    service: Term | str,
    urgency: str,
    request: str,
    shared_fields: Iterable[str],
    consent: str,
    consent_note: str = "",
    confidentiality_break: ConfidentialityBreak | None = None,
    http_request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> Referral:
    """A draft referral of `case` to `partner` for `service` (a Term or its code). Nothing reaches
    the partner until it is sent; the counsellor sees it first as the partner will. `at`: when it
    was drafted, for history written afterwards (demo data); pages and the API leave it out."""
    _may_work_on(actor, case)
    values = _draft_values(
        case,
        partner=partner,
        service=service,
        urgency=urgency,
        request=request,
        shared_fields=shared_fields,
        consent=consent,
        consent_note=consent_note,
        confidentiality_break=confidentiality_break,
    )
    now = at or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            number=_next_number(now),
            case=case,
            status=ReferralStatus.DRAFT,
            created_by=actor,
            shared=_frozen(case, values),  # the preview, sent as it is
            **values,
        )
        ReferralEvent.objects.create(referral=referral, kind=ReferralEventKind.CREATED, at=now, actor=actor)
        _timeline(referral, actor, timeline.STATUS, at=now)
        audit_referral(actor, AuditAction.REFERRAL_CREATE, referral, request=http_request, fields=["draft"])
    return referral


def referral_edit(
    actor: Staff,
    referral: Referral,
    *,
    partner: Partner,
    service: Term | str,
    urgency: str,
    request: str,
    shared_fields: Iterable[str],
    consent: str,
    consent_note: str = "",
    confidentiality_break: ConfidentialityBreak | None = None,
    http_request: HttpRequest | None = None,
) -> list[str]:
    """Change a draft (the whole of it, as its form sends it). The fields that changed; none:
    nothing written. A referral once sent is not edited: what the partner saw stays as it was."""
    _may_work_on(actor, referral.case)
    with transaction.atomic():
        referral = lock(referral)
        if referral.status != ReferralStatus.DRAFT:
            raise ReferralConflict("status", _("Only a draft is edited; this referral was sent."))
        values = _draft_values(
            referral.case,
            partner=partner,
            service=service,
            urgency=urgency,
            request=request,
            shared_fields=shared_fields,
            consent=consent,
            consent_note=consent_note,
            confidentiality_break=confidentiality_break,
        )
        # Saving the draft again takes the case as it stands now into the preview.
        values["shared"] = _frozen(referral.case, values)
        changed = [name for name in (*DRAFT_FIELDS, "shared") if getattr(referral, name) != values[name]]
        if not changed:
            return []
        for name in changed:
            setattr(referral, name, values[name])
        referral.save(update_fields=[*changed, "updated_at"])
        referral = lock(referral)  # with its partner afresh, for the timeline's words
        names = [n.removesuffix("_id") for n in changed]
        _timeline(referral, actor, timeline.DRAFT_CHANGED)
        audit_referral(actor, AuditAction.REFERRAL_UPDATE, referral, request=http_request, fields=names)
    return names


# --- Sending, closing, answers -------------------------------------------------------------------


def referral_send(
    actor: Staff, referral: Referral, *, request: HttpRequest | None = None, at: dt.datetime | None = None
) -> Referral:
    """Send a draft: checked again as it stands now (the partner may have been suspended since the
    draft, a break withdrawn), the shared values exactly as the counsellor previewed them (frozen
    when the draft was last saved: a later change to the case does not slip in unseen), the
    acknowledgement deadline set, and the partner's link issued and its email queued, all in one
    transaction: a referral is sent with its link or not at all. `at`: demo history only."""
    _may_work_on(actor, referral.case)
    with transaction.atomic():
        referral = lock(referral)
        if referral.status != ReferralStatus.DRAFT:
            raise ReferralConflict("status", _("This referral was sent already."))
        brk = (
            ConfidentialityBreak.objects.filter(pk=referral.confidentiality_break_id).first()
            if referral.confidentiality_break_id
            else None
        )
        _draft_values(
            referral.case,
            partner=referral.partner,
            service=referral.service,
            urgency=referral.urgency,
            request=referral.request,
            shared_fields=referral.shared_fields,
            consent=referral.consent,
            consent_note=referral.consent_note,
            confidentiality_break=brk,
        )
        if set(referral.shared) != set(referral.shared_fields):  # a draft saved before previews froze
            referral.shared = sharing.snapshot(referral.case, referral.shared_fields)
        referral.sent_by = actor
        referral.save(update_fields=["shared", "sent_by", "updated_at"])
        referral = referral_move(referral, ReferralStatus.SENT, actor=actor, request=request, at=at)
        assert referral.sent_at is not None  # referral_move stamps it
        referral.acknowledge_by = acknowledge_deadline(referral.sent_at, referral.urgency)
        referral.save(update_fields=["acknowledge_by", "updated_at"])
        delivery.send_partner_link(referral, actor=actor, request=request)
    return referral


def referral_close(
    actor: Staff, referral: Referral, reason: str, *, request: HttpRequest | None = None
) -> Referral:
    """Close a referral, whatever it came to (a draft not sent, a partner that never answered, a
    service delivered and followed up), with a reason."""
    _may_work_on(actor, referral.case)
    return referral_move(referral, ReferralStatus.CLOSED, actor=actor, note=reason, request=request)


def referral_record_answer(
    actor: Staff, referral: Referral, to: str, note: str, *, request: HttpRequest | None = None
) -> Referral:
    """The partner answered by phone or in person, not through its link: the counsellor records
    it (acknowledged, accepted, declined, delivered), saying how they heard of it."""
    _may_work_on(actor, referral.case)
    if to not in PARTNER_MOVES:
        raise ReferralConflict("status", _("Only a partner's answer is recorded this way."))
    clean_note(note, required=True)
    return referral_move(referral, to, actor=actor, note=note, request=request)


def referral_move_by_staff(
    actor: Staff, referral: Referral, to: str, note: str = "", *, request: HttpRequest | None = None
) -> Referral:
    """Any status change a staff member may make, by the service that makes it: send, close, or a
    partner's answer. Only the scheduler expires a referral; nothing goes back to a draft."""
    _may_work_on(actor, referral.case)
    if to == ReferralStatus.SENT:
        return referral_send(actor, referral, request=request)
    if to == ReferralStatus.CLOSED:
        return referral_close(actor, referral, note, request=request)
    if to in PARTNER_MOVES:
        return referral_record_answer(actor, referral, to, note, request=request)
    if to == ReferralStatus.EXPIRED:
        raise ReferralConflict("status", _("Only the scheduler expires a referral nobody answered."))
    return referral_move(referral, to, actor=actor, note=note, request=request)  # refused: no way back


def referral_note(
    actor: Staff, referral: Referral, text: str, *, request: HttpRequest | None = None
) -> ReferralEvent:
    """A staff note on the referral (a call to the partner, what was agreed). Never shown to the
    partner."""
    _may_work_on(actor, referral.case)
    body = clean_note(text, required=True)
    with transaction.atomic():
        referral = lock(referral)
        event = ReferralEvent.objects.create(
            referral=referral, kind=ReferralEventKind.NOTE, at=timezone.now(), actor=actor, note=body
        )
        _timeline(referral, actor, timeline.STAFF_NOTE)
        audit_referral(actor, AuditAction.REFERRAL_NOTE, referral, request=request, fields=["notes"])
    return event


# --- The closed loop's settings --------------------------------------------------------------------

SETTINGS_FIELDS = (
    "acknowledge_working_days",
    "acknowledge_urgent_hours",
    "link_valid_days",
    "expire_after_days",
    "follow_up_after_delivery_days",
)


def _bounds(name: str) -> tuple[int, int]:
    """The range the model allows a setting (its validators are the one statement of it)."""
    low, high = 0, 32767
    for validator in getattr(ReferralSettings._meta.get_field(name), "validators", []):
        if isinstance(validator, MinValueValidator):
            low = int(validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = int(validator.limit_value)
    return low, high


def referral_settings_update(
    actor: Staff, *, values: Mapping[str, int], request: HttpRequest | None = None
) -> list[str]:
    """Supervisors set the closed loop's clock. The fields that changed, each audited with its old
    and new value; a value out of its field's range is refused and nothing changes."""
    if not role_has(actor.role, Permission.CASE_SUPERVISE):
        raise ReferralError("actor", _("Only supervisors change the referral settings."))
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ReferralError(sorted(unknown)[0], _("Not a referral setting."))
    for name, value in values.items():
        low, high = _bounds(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ReferralError(name, _("Choose from %(low)d to %(high)d.") % {"low": low, "high": high})
    with transaction.atomic():
        row = ReferralSettings.objects.select_for_update().filter(pk=1).first()
        if row is None:
            row = settings_row()
            row.save()
            row = ReferralSettings.objects.select_for_update().get(pk=1)
        changes = {n: (getattr(row, n), v) for n, v in values.items() if getattr(row, n) != v}
        if not changes:
            return []
        for name, (_old, new) in changes.items():
            setattr(row, name, new)
        row.updated_by = actor
        row.save()
        audit_record(
            actor,
            action=AuditAction.REFERRAL_SETTINGS,
            record_type="referral_settings",
            record_id=1,
            request=request,
            changes=changes,
        )
    return sorted(changes)
