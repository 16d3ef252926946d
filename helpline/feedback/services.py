"""Feedback and complaints: received from any channel, moved through their course by staff, and
answered by the channel they came from. Each function writes its rows, the item's history and the
audit row in one transaction; the audit names the item and what changed, never what was said."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.vetting import vetted, vetting_status
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common import live
from helpline.common.crypto import decrypt_text, encrypt_text
from helpline.common.text import storable
from helpline.contacts.models import Contact
from helpline.conversations.services import text_reply
from helpline.feedback import history
from helpline.feedback.addresses import reply_address_hash
from helpline.feedback.models import (
    Feedback,
    FeedbackEvent,
    FeedbackKind,
    FeedbackSettings,
    ReplyChannel,
    Severity,
    Source,
    State,
    Subject,
)
from helpline.referrals.directory import PartnerError
from helpline.referrals.models import ConcernSeverity, ConcernSource, Partner
from helpline.referrals.partnership import concern_record
from helpline.rota.selectors import on_shift_now
from helpline.routing.models import Presence, PresenceState
from helpline.routing.triage import routing_settings, score_text

log = logging.getLogger("helpline.feedback")

MAX_TEXT = 4000
MAX_RESPONSE = 1000  # it may go back by SMS
SETTINGS_CACHE_KEY = "feedback:settings"
# What a person wrote that shows risk is acknowledged within this, not the settings' days: a child
# may be in danger now. An hour lets the supervisor on shift finish the call in hand and still
# acts within that shift; once it passes, the overdue check (every five minutes) tells every
# supervisor again.
RISK_ACKNOWLEDGE_WITHIN = dt.timedelta(hours=1)
# The live notice's reason for an item that shows risk: the one routing gives a contact at risk.
HIGH_RISK = "high_risk"

# The course of a complaint: one step at a time; feedback that needs no answer may close early.
NEXT_STATE: dict[str, frozenset[str]] = {
    State.RECEIVED: frozenset({State.ACKNOWLEDGED, State.CLOSED}),
    State.ACKNOWLEDGED: frozenset({State.INVESTIGATING, State.RESPONDED, State.CLOSED}),
    State.INVESTIGATING: frozenset({State.RESPONDED}),
    State.RESPONDED: frozenset({State.CLOSED, State.INVESTIGATING}),
    State.CLOSED: frozenset(),
}
CONCERN_SEVERITY = {
    Severity.LOW: ConcernSeverity.LOW,
    Severity.MEDIUM: ConcernSeverity.MEDIUM,
    Severity.HIGH: ConcernSeverity.SERIOUS,
}


class FeedbackError(Exception):
    """A refusal naming the field at fault; `conflict` when the item's state forbids it (409)."""

    def __init__(self, field: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.conflict = conflict


def feedback_settings() -> FeedbackSettings:
    found = cache.get(SETTINGS_CACHE_KEY)
    if found is None:
        found, _created = FeedbackSettings.objects.get_or_create(pk=1)
        cache.set(SETTINGS_CACHE_KEY, found, 30)
    return found  # type: ignore[no-any-return]


def settings_update(
    actor: Staff, *, changes: dict[str, Any], request: HttpRequest | None = None
) -> FeedbackSettings:
    with transaction.atomic():
        current, _created = FeedbackSettings.objects.select_for_update().get_or_create(pk=1)
        changed = {k: (getattr(current, k), v) for k, v in changes.items() if getattr(current, k) != v}
        if not changed:
            return current
        for key, (_old, new) in changed.items():
            setattr(current, key, new)
        current.save(update_fields=list(changed))
        audit_record(
            actor,
            action=AuditAction.FEEDBACK_SETTINGS,
            record_type="feedback_settings",
            request=request,
            changes=changed,
        )
    cache.delete(SETTINGS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SETTINGS_CACHE_KEY))  # and what was read meanwhile
    return current


def manages(staff: Staff | None) -> bool:
    return staff is not None and staff.is_active and role_has(staff.role, Permission.FEEDBACK_MANAGE)


def may_own(staff: Staff) -> bool:
    """Who may be given a complaint to own: the one rule the triage form's list and
    feedback_update both apply. Through the safeguarding gate too: one whose police check lapsed
    cannot open the complaint (it may hold a child's words), so it would sit unanswered."""
    return staff.is_active and role_has(staff.role, Permission.FEEDBACK) and not vetting_status(staff).blocked


def owner_candidates() -> list[Staff]:
    cleared = vetted(Staff.objects.filter(is_active=True)).order_by("username")
    return [s for s in cleared if role_has(s.role, Permission.FEEDBACK)]


# What a person wrote themselves is triaged as chat and SMS are; a counsellor's words (staff, or a
# contact's summary, whose conversation was triaged already) are not.
TRIAGED_SOURCES = frozenset({Source.WEB_FORM, Source.EMAIL, Source.SMS, Source.API})


def _risk(source: str, words: str, subject_words: str) -> tuple[int, dict[str, Any]]:
    """The risk triage's score and explanation of what was written (the text, already made
    storable, and the person's own words for what it is about); (0, {}) when it found nothing."""
    if source not in TRIAGED_SOURCES:
        return 0, {}
    found = score_text(f"{subject_words}\n{words}")
    if not found.found_anything:
        return 0, {}
    explanation: dict[str, Any] = {"signals": dict(found.points), "matched": sorted(set(found.matched))}
    if found.model is not None and found.model_points:
        explanation["model"] = {**found.model.as_dict(), "points": found.model_points}
    return found.score, explanation


def feedback_would_show_risk(*, source: str, text: str, subject_words: str = "") -> bool:
    """Whether these words, received, would be marked as showing risk: the reading
    feedback_receive gives them, for an answer to words already kept once (the public form's
    double click), which must put the helpline's numbers first exactly as the first answer did.
    It reads only the words given, never the item kept from them."""
    score, _explanation = _risk(source, storable(text or "").strip(), subject_words)
    return score >= routing_settings().high_risk_score


def _text(value: str, field: str, *, limit: int, required: bool = True) -> str:
    text = storable(value or "").strip()
    if required and not text:
        raise FeedbackError(field, _("This field is required."))
    if len(text) > limit:
        raise FeedbackError(field, _("Too long: at most %(n)d characters.") % {"n": limit})
    return text


def _event(
    feedback: Feedback,
    actor: Staff | str | None,
    *,
    at: dt.datetime,
    state: str = "",
    note: str = "",
    line: str = "",
    **detail: Any,
) -> None:
    """One step of the history. What the system says of the step is a `line` code with its
    parameters (`detail`), made into words in each reader's language (helpline.feedback.history);
    `note` is only ever what a person typed."""
    FeedbackEvent.objects.create(
        feedback=feedback,
        at=at,
        actor=actor if isinstance(actor, Staff) else None,
        actor_label=actor if isinstance(actor, str) else "",
        state=state,
        line=line,
        detail=detail,
        note=note,
    )


def _audit(
    actor: Staff | str | None,
    action: AuditAction,
    feedback: Feedback,
    *,
    request: HttpRequest | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    **detail: Any,
) -> None:
    audit_record(
        actor,
        action=action,
        record_type="feedback",
        record_id=feedback.pk,
        request=request,
        changes=changes,
        detail={"kind": feedback.kind, "source": feedback.source, **{k: str(v) for k, v in detail.items()}},
    )


def _tell_supervisors(feedback: Feedback, reason: str) -> None:
    """Each supervisor's own consoles, never the one a complaint is about. An item received that
    shows risk is told as routing tells a contact at risk (reason high_risk), marked urgent, with
    a notice in each reader's language saying so, and to its owner that it is theirs; told again,
    urgently, when its hour passes unacknowledged."""
    hidden = feedback.subject_staff_id
    # Only those through the safeguarding gate: one whose police check lapsed could not open it.
    told = [
        s
        for s in vetted(Staff.objects.filter(is_active=True))
        if role_has(s.role, Permission.FEEDBACK_MANAGE) and s.pk != hidden
    ]
    event = {"kind": "feedback", "reason": reason, "id": str(feedback.pk)}
    # Received, or past its hour unacknowledged: a child's words showing risk are told urgently.
    # Overdue on its response (acknowledged, then not answered in the settings' days) is told as
    # any complaint is: someone has already read it.
    unread = reason == "received" or (reason == "overdue" and feedback.state == State.RECEIVED)
    if not (feedback.shows_risk and unread):
        groups = [live.staff_group(s.pk) for s in told]
        transaction.on_commit(lambda: live.push_to(groups, event))
        return
    by_notice: dict[tuple[str, bool], list[str]] = {}
    for person in told:
        key = (person.language, person.pk == feedback.owner_id)
        by_notice.setdefault(key, []).append(live.staff_group(person.pk))
    for (language, owns), groups in by_notice.items():
        urgent = event | {
            "reason": HIGH_RISK,
            "urgent": True,
            "message": _risk_notice(feedback, language, owns, overdue=reason == "overdue"),
        }
        transaction.on_commit(lambda groups=groups, urgent=urgent: live.push_to(groups, urgent))  # type: ignore[misc]


def _risk_notice(feedback: Feedback, language: str, owns: bool, *, overdue: bool = False) -> str:
    """What the urgent notice says: never the words written, which stay behind the item's gate."""
    with translation.override(language if language in ("km", "en") else "km"):
        named = {"kind": FeedbackKind(feedback.kind).label, "number": feedback.short_id}
        if overdue:
            return (
                _(
                    "Urgent: %(kind)s %(number)s shows risk and nobody has acknowledged it. "
                    "A child may be in danger: read it now."
                )
                % named
            )
        if owns:
            due = timezone.localtime(feedback.acknowledge_by).strftime("%H:%M")
            return _(
                "Urgent: %(kind)s %(number)s shows risk and is yours, as the supervisor on shift. "
                "A child may be in danger: read it and acknowledge it by %(time)s."
            ) % (named | {"time": due})
        return _("Urgent: %(kind)s %(number)s shows risk. A child may be in danger: read it now.") % named


def _owner_on_shift(subject_staff: Staff | None) -> Staff | None:
    """The supervisor the rota has on shift now who may own the item, or None: one signed in to
    the console (any presence but Offline) before one who is not, then first by name."""
    able = [p for p in on_shift_now() if manages(p) and may_own(p) and p != subject_staff]
    present = set(
        Presence.objects.filter(staff__in=able)
        .exclude(state=PresenceState.OFFLINE)
        .values_list("staff_id", flat=True)
    )
    return next((p for p in able if p.pk in present), able[0] if able else None)


def _check_subject(subject: str, staff: Staff | None, partner: Partner | None) -> None:
    if subject not in Subject.values:
        raise FeedbackError("subject", _("Not a subject."))
    if staff is not None and subject != Subject.STAFF:
        raise FeedbackError("subject_staff", _("Name a staff member only for a complaint about one."))
    if partner is not None and subject != Subject.PARTNER:
        raise FeedbackError("subject_partner", _("Name a partner only for a complaint about one."))


def _partner_concern(actor: Staff | None, feedback: Feedback, request: HttpRequest | None) -> None:
    """A complaint about a partner lands in that partner's concerns log, recorded by the staff
    member who named the partner (a concern is always someone's record)."""
    if actor is None or feedback.subject_partner is None or feedback.partner_concern_id is not None:
        return
    source = ConcernSource.STAFF if feedback.source == Source.STAFF else ConcernSource.CHILD
    try:
        concern = concern_record(
            actor,
            partner=feedback.subject_partner,
            source=source,
            severity=CONCERN_SEVERITY[Severity(feedback.severity)],
            description=_("From complaint %(id)s: %(text)s")
            % {"id": feedback.short_id, "text": feedback.text},
            request=request,
        )
    except PartnerError as exc:
        raise FeedbackError("subject_partner", exc.message) from exc
    feedback.partner_concern = concern
    feedback.save(update_fields=["partner_concern", "updated_at"])


def feedback_receive(
    actor: Staff | str | None,
    *,
    source: str,
    kind: str,
    text: str,
    subject: str = Subject.HELPLINE,
    subject_staff: Staff | None = None,
    subject_partner: Partner | None = None,
    subject_words: str = "",
    severity: str = Severity.MEDIUM,
    contact: Contact | None = None,
    reply_channel: str = ReplyChannel.NONE,
    reply_address: str = "",
    name: str = "",
    language: str = "km",
    email_message_id: str | None = None,
    received_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Feedback:
    """Record feedback or a complaint as it arrives. `actor` is the staff member who entered it,
    or the channel it came by ("web form", "sms", "email")."""
    if kind not in FeedbackKind.values:
        raise FeedbackError("kind", _("Not a kind of feedback."))
    if source not in Source.values:
        raise FeedbackError("source", _("Not a source."))
    if severity not in Severity.values:
        raise FeedbackError("severity", _("Not a severity."))
    if reply_channel not in ReplyChannel.values:
        raise FeedbackError("reply_channel", _("Not a way to reply."))
    _check_subject(subject, subject_staff, subject_partner)
    words = _text(text, "text", limit=MAX_TEXT)
    if reply_channel == ReplyChannel.EMAIL and not reply_address:
        raise FeedbackError("reply_address", _("Give an email address to reply to."))
    if reply_channel == ReplyChannel.SMS and (contact is None or contact.channel != "sms"):
        raise FeedbackError("reply_channel", _("An SMS reply goes only to feedback that came by SMS."))
    staff = actor if isinstance(actor, Staff) else None
    config = feedback_settings()
    now = received_at or timezone.now()
    # CPU work (segmenting, the classifier): before the transaction, never holding the write lock.
    risk_score, risk_explanation = _risk(source, words, subject_words)
    shows_risk = risk_score >= routing_settings().high_risk_score
    acknowledge_within = dt.timedelta(days=config.acknowledge_days)
    owner = None
    if shows_risk:
        severity = Severity.HIGH
        acknowledge_within = min(acknowledge_within, RISK_ACKNOWLEDGE_WITHIN)
        owner = _owner_on_shift(subject_staff)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            kind=kind,
            source=source,
            subject=subject,
            subject_staff=subject_staff,
            subject_partner=subject_partner,
            subject_words=_text(subject_words, "subject_words", limit=200, required=False),
            severity=severity,
            text=words,
            language=language if language in ("km", "en") else "km",
            name=_text(name, "name", limit=100, required=False),
            contact=contact,
            reply_channel=reply_channel,
            reply_address_encrypted=encrypt_text(reply_address.strip()) if reply_address else "",
            reply_address_hash=reply_address_hash(reply_address),
            email_message_id=email_message_id,
            recorded_by=staff,
            received_at=now,
            acknowledge_by=now + acknowledge_within,
            respond_by=now + dt.timedelta(days=config.respond_days),
            shows_risk=shows_risk,
            risk_score=risk_score,
            risk_explanation=risk_explanation,
            owner=owner,
        )
        _event(feedback, actor, at=now, state=State.RECEIVED)
        if owner is not None:
            _event(feedback, actor, at=now, line=history.RISK_OWNER, name=owner.display_name)
        _partner_concern(staff, feedback, request)
        given: dict[str, Any] = {"owner": owner.username} if owner is not None else {}
        _audit(
            actor,
            AuditAction.FEEDBACK_RECEIVE,
            feedback,
            request=request,
            subject=subject,
            risk=shows_risk,
            **given,
        )
        _tell_supervisors(feedback, "received")
    return feedback


def _lock(feedback: Feedback) -> Feedback:
    return (
        Feedback.objects.select_for_update(of=("self",)).select_related("subject_partner").get(pk=feedback.pk)
    )


def _may_work(actor: Staff, feedback: Feedback) -> None:
    if feedback.subject_staff_id == actor.pk:
        raise FeedbackError("actor", _("You may not work on a complaint about yourself."))
    if not (manages(actor) or feedback.owner_id == actor.pk):
        raise FeedbackError("actor", _("Only a supervisor or the complaint's owner works on it."))


def feedback_update(
    actor: Staff,
    *,
    feedback: Feedback,
    severity: str | None = None,
    owner: Staff | str | None = "keep",
    subject: str | None = None,
    subject_staff: Staff | str | None = "keep",
    subject_partner: Partner | str | None = "keep",
    request: HttpRequest | None = None,
) -> Feedback:
    """Triage: the severity, the owner (a supervisor gives it) and what it is about."""
    with transaction.atomic():
        locked = _lock(feedback)
        _may_work(actor, locked)
        new: dict[str, Any] = {}
        if severity is not None:
            if severity not in Severity.values:
                raise FeedbackError("severity", _("Not a severity."))
            new["severity"] = severity
        if owner != "keep":
            if not manages(actor):
                raise FeedbackError("owner", _("Only a supervisor gives a complaint an owner."))
            if isinstance(owner, Staff) and not may_own(owner):
                raise FeedbackError("owner", _("This person cannot own a complaint."))
            new["owner"] = owner
        if subject is not None:
            new["subject"] = subject
        if subject_staff != "keep":
            new["subject_staff"] = subject_staff
        if subject_partner != "keep":
            new["subject_partner"] = subject_partner
        merged_subject = new.get("subject", locked.subject)
        merged_staff = new.get("subject_staff", locked.subject_staff)
        merged_partner = new.get("subject_partner", locked.subject_partner)
        if merged_subject != Subject.STAFF:
            new["subject_staff"] = merged_staff = None
        if merged_subject != Subject.PARTNER:
            new["subject_partner"] = merged_partner = None
        _check_subject(merged_subject, merged_staff, merged_partner)
        merged_owner = new.get("owner", locked.owner)
        if merged_staff is not None and merged_owner is not None and merged_staff.pk == merged_owner.pk:
            raise FeedbackError("owner", _("Nobody owns a complaint about themselves."))
        if merged_staff is not None and merged_staff.pk == actor.pk:
            raise FeedbackError("subject_staff", _("You may not work on a complaint about yourself."))
        changes = {
            k: (_shown(getattr(locked, k)), _shown(v)) for k, v in new.items() if getattr(locked, k) != v
        }
        if not changes:
            return locked
        for key, value in new.items():
            setattr(locked, key, value)
        locked.version += 1
        locked.save()
        now = timezone.now()
        shown = {k: "" if new_v is None else str(new_v) for k, (_o, new_v) in changes.items()}
        _event(locked, actor, at=now, line=history.CHANGED, changes=shown)
        _partner_concern(actor, locked, request)
        _audit(actor, AuditAction.FEEDBACK_CHANGE, locked, request=request, changes=changes)
    return locked


def _shown(value: Any) -> Any:
    if isinstance(value, Staff):
        return value.username
    if isinstance(value, Partner):
        return value.name
    return value


def feedback_advance(
    actor: Staff,
    *,
    feedback: Feedback,
    state: str,
    note: str = "",
    response: str = "",
    request: HttpRequest | None = None,
) -> Feedback:
    """Move the item one step on its course. Responding records the response given and, when the
    person asked for a reply, sends it back by the channel it came from."""
    if state not in State.values:
        raise FeedbackError("state", _("Not a state."))
    note = _text(note, "note", limit=MAX_TEXT, required=False)
    with transaction.atomic():
        locked = _lock(feedback)
        _may_work(actor, locked)
        if state not in NEXT_STATE[locked.state]:
            raise FeedbackError(
                "state",
                _("A complaint that is %(now)s cannot become %(next)s.")
                % {"now": State(locked.state).label, "next": State(state).label},
                conflict=True,
            )
        now = timezone.now()
        old = locked.state
        locked.state = state
        locked.overdue_flagged_at = None  # the next deadline is flagged afresh when it passes
        fields = ["state", "overdue_flagged_at", "version", "updated_at"]
        if state == State.ACKNOWLEDGED and locked.acknowledged_at is None:
            locked.acknowledged_at = now
            fields.append("acknowledged_at")
        if state == State.RESPONDED:
            locked.response = _text(response, "response", limit=MAX_RESPONSE)
            locked.responded_at = now
            fields += ["response", "responded_at"]
        if state == State.CLOSED:
            locked.closed_at = now
            fields.append("closed_at")
        if locked.owner_id is None and manages(actor):
            locked.owner = actor  # whoever first moves it on owns it until a supervisor says otherwise
            fields.append("owner")
        locked.version += 1
        locked.save(update_fields=fields)
        _event(locked, actor, at=now, state=state, note=note)
        _audit(actor, AuditAction.FEEDBACK_STATE, locked, request=request, changes={"state": (old, state)})
        if state == State.RESPONDED and locked.reply_channel:
            _reply(actor, locked, now=now, request=request)
    return locked


def _reply(actor: Staff, feedback: Feedback, *, now: dt.datetime, request: HttpRequest | None) -> None:
    """The response, back by the way it came: SMS through the conversations outbox (queued in this
    transaction, sent by the worker), email through Django's mail after commit."""
    if feedback.reply_channel == ReplyChannel.SMS and feedback.contact is not None:
        text_reply(actor, contact=feedback.contact, text=feedback.response)
        feedback.reply_sent_at = now
        feedback.save(update_fields=["reply_sent_at", "updated_at"])
        _event(feedback, actor, at=now, line=history.REPLY_SMS)
        _audit(actor, AuditAction.FEEDBACK_REPLY, feedback, request=request, channel="sms")
    elif feedback.reply_channel == ReplyChannel.EMAIL and feedback.reply_address_encrypted:
        feedback_id = feedback.pk
        transaction.on_commit(lambda: feedback_mail_reply(feedback_id))


def feedback_mail_reply(feedback_id: UUID) -> bool:
    """Send the response by email (after the commit that recorded it); the outcome is kept on the
    item and audited. False when the mail server refused it (the item says so to staff)."""
    feedback = Feedback.objects.get(pk=feedback_id)
    address = decrypt_text(feedback.reply_address_encrypted)
    subject = _("Your message to Child Helpline Cambodia 1280")
    message = EmailMessage(subject=subject, body=feedback.response, to=[address])
    now = timezone.now()
    try:
        message.send()
    except Exception as exc:
        log.warning("feedback %s: reply by email failed: %s", feedback.pk, type(exc).__name__)
        Feedback.objects.filter(pk=feedback.pk).update(reply_error=type(exc).__name__[:200], updated_at=now)
        return False
    with transaction.atomic():
        Feedback.objects.filter(pk=feedback.pk).update(reply_sent_at=now, reply_error="", updated_at=now)
        _event(feedback, "mail", at=now, line=history.REPLY_EMAIL)
        _audit("mail", AuditAction.FEEDBACK_REPLY, feedback, channel="email")
    return True


def feedback_flag_overdue(now: dt.datetime | None = None) -> int:
    """For the scheduler: each open complaint past its acknowledgement or response date, not yet
    flagged, is marked (the supervisors' overdue list shows it from then on), put on its history
    and audited, and the supervisors told live. The number flagged."""
    now = now or timezone.now()
    due = list(
        Feedback.objects.filter(overdue_flagged_at__isnull=True)
        .filter(
            Q(state=State.RECEIVED, acknowledge_by__lte=now)
            | Q(state__in=[State.RECEIVED, State.ACKNOWLEDGED, State.INVESTIGATING], respond_by__lte=now)
        )
        .values_list("pk", flat=True)[:200]
    )
    flagged = 0
    for pk in due:
        with transaction.atomic():
            item = (
                Feedback.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, overdue_flagged_at__isnull=True)
                .first()
            )
            if item is None:
                continue
            item.overdue_flagged_at = now
            item.save(update_fields=["overdue_flagged_at", "updated_at"])
            unacknowledged = item.state == State.RECEIVED and item.acknowledge_by <= now
            late = "acknowledgement" if unacknowledged else "response"
            _event(item, "scheduler", at=now, line=history.OVERDUE, what=late)
            _audit("scheduler", AuditAction.FEEDBACK_OVERDUE, item)
            _tell_supervisors(item, "overdue")
            flagged += 1
    return flagged
