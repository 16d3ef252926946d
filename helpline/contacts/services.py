"""Writes to contacts and callers. Each writes its audit row in the same transaction, and only
these functions save a contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.services import audit_record
from helpline.common.text import is_identifier, storable
from helpline.contacts import taxonomy
from helpline.contacts.forms import MULTI_TERMS, SINGLE_TERMS
from helpline.contacts.identity import caller_address, caller_for_address, parse_address
from helpline.contacts.models import (
    NON_DATA_KINDS,
    Caller,
    Channel,
    Contact,
    ContactDraft,
    Direction,
    Kind,
    Status,
    Vocabulary,
)
from helpline.contacts.search_text import index_text

Actor = Staff | Any  # a Staff member or an ApiToken (integrations)


class ContactConflict(Exception):
    """The contact changed since the form was loaded (someone else saved first)."""


class ContactError(ValueError):
    """A request that cannot be carried out; carries the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _staff_or_none(actor: Any) -> Staff | None:
    return actor if isinstance(actor, Staff) else None


def _attach_caller(contact: Contact, address_uri: str | None) -> None:
    if address_uri:
        contact.caller = caller_for_address(parse_address(address_uri))
        contact.caller_withheld = False
    else:
        contact.caller = None
        contact.caller_withheld = contact.channel in {Channel.VOICE, Channel.SMS}


def _existing_for_key(key: str | None) -> Contact | None:
    return Contact.objects.filter(idempotency_key=key).first() if key else None


def contact_start(
    actor: Staff,
    *,
    channel: str,
    address: str | None = None,
    caller: Caller | None = None,
    direction: str = Direction.INBOUND,
    arrived_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
    request: HttpRequest | None = None,
) -> Contact:
    """A counsellor begins recording a contact that is happening now, with a caller known by
    address or already on record (`caller`)."""
    existing = _existing_for_key(idempotency_key)
    if existing is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            contact = Contact(
                channel=channel,
                direction=direction,
                status=Status.ACTIVE,
                counsellor=actor,
                created_by=actor,
                arrived_at=arrived_at or now,
                answered_at=now,
                idempotency_key=idempotency_key or None,
                language=actor.language or "km",
            )
            contact.wait_seconds = max(0, int((now - contact.arrived_at).total_seconds()))
            if caller is not None:
                contact.caller = caller
            else:
                _attach_caller(contact, address)
            contact.save()
            contact.handlers.add(actor)
            audit_record(
                actor,
                action="contact.start",
                record_type="contact",
                record_id=contact.pk,
                request=request,
                detail={"channel": channel},
            )
    except IntegrityError:
        found = _existing_for_key(idempotency_key)
        if found is None:
            raise
        return found
    return contact


class AlreadyTaken(Exception):
    """Another counsellor took this waiting contact first."""


def _announce(contact_id: object, reason: str) -> None:
    """After commit, tell consoles (and a child waiting in a chat) that the contact changed."""
    from helpline.conversations import live  # consoles and sockets sit above contacts

    transaction.on_commit(lambda: live.contact_changed(str(contact_id), reason=reason))


def contact_take(actor: Staff, *, contact: Contact, request: HttpRequest | None = None) -> Contact:
    """A counsellor answers a waiting contact. Only one can: the update is conditional."""
    now = timezone.now()
    with transaction.atomic():
        taken = Contact.objects.filter(pk=contact.pk, status=Status.WAITING, counsellor__isnull=True).update(
            status=Status.ACTIVE,
            counsellor=actor,
            answered_at=now,
            wait_seconds=max(0, int((now - contact.arrived_at).total_seconds())),
            updated_at=now,
        )
        if not taken:
            raise AlreadyTaken
        contact.refresh_from_db()
        contact.handlers.add(actor)
        audit_record(
            actor, action="contact.take", record_type="contact", record_id=contact.pk, request=request
        )
        _announce(contact.pk, "taken")
    return contact


def _apply_classification(contact: Contact, data: dict[str, Any]) -> list[str]:
    """Set coded fields from cleaned form data; return the names of fields that changed."""
    changed: list[str] = []

    def set_field(name: str, value: Any) -> None:
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)

    set_field("kind", data["kind"])
    if data.get("language"):
        set_field("language", data["language"])
    single_codes = {name: data.get(name) or "" for name in SINGLE_TERMS}
    for name, vocabulary in SINGLE_TERMS.items():
        code = single_codes[name]
        term = taxonomy.resolve(vocabulary, [code]).get(code) if code else None
        if code and term is None:
            raise ContactError(name, "unknown code")
        if getattr(contact, f"{name}_id") != (term.pk if term else None):
            setattr(contact, name, term)
            changed.append(name)
    set_field("age", data.get("age"))
    set_field("age_over_25", bool(data.get("age_over_25")))
    set_field("urgency", data.get("urgency") or "")
    summary = data.get("summary") or ""
    if contact.summary != summary:
        contact.summary = summary
        contact.search_text = index_text(summary)
        changed.append("summary")
    return changed


def _apply_many(contact: Contact, data: dict[str, Any]) -> list[str]:
    changed: list[str] = []
    for name, vocabulary in [*MULTI_TERMS.items(), ("reasons", Vocabulary.REASON)]:
        codes = list(data.get(name) or [])
        terms = taxonomy.resolve(vocabulary, codes)
        if len(terms) != len(set(codes)):
            raise ContactError(name, "unknown code")
        if name == "reasons" and any(t.parent_id is None for t in terms.values()):
            raise ContactError(name, "choose a subcategory, not a category")
        manager = getattr(contact, name)
        before = set(manager.values_list("pk", flat=True))
        after = {t.pk for t in terms.values()}
        if before != after:
            manager.set(list(terms.values()))
            changed.append(name)
    return changed


def _close_times(contact: Contact, now: dt.datetime) -> None:
    if contact.ended_at is None:
        contact.ended_at = now
    start = contact.answered_at or contact.arrived_at
    contact.talk_seconds = max(0, int((contact.ended_at - start).total_seconds()))


def contact_record(
    actor: Staff,
    *,
    contact: Contact,
    data: dict[str, Any],
    version: int | None = None,
    request: HttpRequest | None = None,
) -> Contact:
    """Save the counsellor's form and close the contact (cleaned ClassificationForm data)."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if version is not None and locked.version != version:
            raise ContactConflict
        changed = _apply_classification(locked, data) + _apply_many(locked, data)
        was_open = locked.status != Status.CLOSED
        if was_open:
            locked.status = Status.CLOSED
            _close_times(locked, timezone.now())
        locked.version += 1
        locked.save()
        if actor.pk not in set(locked.handlers.values_list("pk", flat=True)):
            locked.handlers.add(actor)
        ContactDraft.objects.filter(contact=locked).delete()
        audit_record(
            actor,
            action="contact.record" if was_open else "contact.update",
            record_type="contact",
            record_id=locked.pk,
            request=request,
            detail={"kind": locked.kind, "fields": sorted(changed)},
        )
        if was_open:
            _announce(locked.pk, "closed")
    return locked


def contact_close_quick(
    actor: Staff, *, contact: Contact, kind: str, request: HttpRequest | None = None
) -> Contact:
    """One click for a silent, blank, hang-up, testing, prank, wrong-number or abusive contact."""
    if kind not in NON_DATA_KINDS:
        raise ContactError("kind", "not a one-click kind")
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.status == Status.CLOSED:
            return locked  # a double click changes nothing
        locked.kind = kind
        locked.status = Status.CLOSED
        _close_times(locked, timezone.now())
        locked.version += 1
        locked.save()
        ContactDraft.objects.filter(contact=locked).delete()
        audit_record(
            actor,
            action="contact.record",
            record_type="contact",
            record_id=locked.pk,
            request=request,
            detail={"kind": kind, "one_click": True},
        )
        _announce(locked.pk, "closed")
    return locked


def _storable_value(value: Any) -> Any:
    """A draft keeps the counsellor's words as typed, a NUL (PostgreSQL's JSON takes none) repaired."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [_storable_value(item) for item in value]
    return value


def contact_draft_save(
    actor: Staff,
    *,
    contact: Contact,
    data: dict[str, Any],
    revision: int,
    request: HttpRequest | None = None,
) -> ContactDraft:
    """Keep the form in progress. An older revision arriving late never overwrites a newer one."""
    clean = {
        k: _storable_value(v)
        for k, v in data.items()
        if isinstance(k, str) and len(k) < 64 and is_identifier(k)
    }
    with transaction.atomic():
        draft = ContactDraft.objects.select_for_update().filter(contact=contact).first()
        if draft is None:
            draft = ContactDraft.objects.create(
                contact=contact, data=clean, revision=revision, saved_by=actor
            )
        elif revision >= draft.revision:
            draft.data, draft.revision, draft.saved_by = clean, revision, actor
            draft.save()
        audit_record(
            actor,
            action="contact.draft_save",
            record_type="contact",
            record_id=contact.pk,
            request=request,
            detail={"revision": draft.revision},
        )
    return draft


def contact_enter(
    actor: Any,
    *,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> tuple[Contact, bool]:
    """Enter a finished contact by hand or from an integration (cleaned ContactEntryForm data).
    Returns (contact, created); a repeated idempotency key returns the first contact unchanged."""
    key = data.get("idempotency_key") or None
    existing = _existing_for_key(key)
    if existing is not None:
        return existing, False
    staff = _staff_or_none(actor)
    arrived: dt.datetime = data["arrived_at"]
    minutes = data.get("duration_minutes")
    try:
        with transaction.atomic():
            contact = Contact(
                channel=data["channel"],
                direction=data.get("direction") or Direction.INBOUND,
                status=Status.CLOSED,
                arrived_at=arrived,
                answered_at=arrived,
                ended_at=arrived + dt.timedelta(minutes=minutes) if minutes is not None else arrived,
                talk_seconds=minutes * 60 if minutes is not None else None,
                wait_seconds=0,
                counsellor=staff,
                created_by=staff,
                idempotency_key=key,
                kind=data["kind"],
            )
            _attach_caller(contact, data.get("address") or None)
            _apply_classification(contact, data)
            contact.save()
            _apply_many(contact, data)
            if staff is not None:
                contact.handlers.add(staff)
            audit_record(
                actor,
                action="contact.enter",
                record_type="contact",
                record_id=contact.pk,
                request=request,
                detail={"channel": contact.channel, "kind": contact.kind},
            )
    except IntegrityError:
        found = _existing_for_key(key)
        if found is None:
            raise
        return found, False
    return contact, True


def contact_correct(
    actor: Any,
    *,
    contact: Contact,
    data: dict[str, Any],
    reason: str = "",
    version: int | None = None,
    request: HttpRequest | None = None,
) -> Contact:
    """Change the coding of a contact (its counsellor, a supervisor, or an integration)."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if version is not None and locked.version != version:
            raise ContactConflict
        merged = contact_form_data(locked) | data
        changed = _apply_classification(locked, merged) + _apply_many(locked, merged)
        if not changed and locked.status == Status.CLOSED:
            return locked  # nothing changed: no new version, no audit row
        if locked.status != Status.CLOSED:
            locked.status = Status.CLOSED
            _close_times(locked, timezone.now())
            _announce(locked.pk, "closed")
        locked.version += 1
        locked.save()
        audit_record(
            actor,
            action="contact.correct",
            record_type="contact",
            record_id=locked.pk,
            reason=reason,
            request=request,
            detail={"fields": sorted(changed)},
        )
    return locked


def contact_form_data(contact: Contact) -> dict[str, Any]:
    """The contact's current coding in the form's terms (codes, not ids)."""
    data: dict[str, Any] = {
        "kind": contact.kind,
        "language": contact.language,
        "age": contact.age,
        "age_over_25": contact.age_over_25,
        "urgency": contact.urgency,
        "summary": contact.summary,
    }
    for name in SINGLE_TERMS:
        term = getattr(contact, name)
        data[name] = term.code if term else ""
    for name in [*MULTI_TERMS, "reasons"]:
        data[name] = list(getattr(contact, name).values_list("code", flat=True)) if contact.pk else []
    return data


def caller_reveal(actor: Staff, *, caller: Caller, reason: str, request: HttpRequest | None = None) -> str:
    """The caller's clear address, for a stated reason that goes into the audit trail."""
    if not reason.strip():
        raise ContactError("reason", "a reason is required")
    with transaction.atomic():
        audit_record(
            actor,
            action="caller.reveal",
            record_type="caller",
            record_id=caller.pk,
            reason=reason.strip()[:500],
            request=request,
        )
        return caller_address(caller)


def caller_safety_note_set(
    actor: Staff, *, caller: Caller, note: str, request: HttpRequest | None = None
) -> Caller:
    with transaction.atomic():
        Caller.objects.filter(pk=caller.pk).update(safety_note=note, updated_at=timezone.now())
        caller.safety_note = note
        audit_record(
            actor, action="caller.safety_note", record_type="caller", record_id=caller.pk, request=request
        )
    return caller


__all__ = [
    "Channel", "ContactConflict", "ContactError", "Kind", "caller_reveal", "caller_safety_note_set",
    "contact_close_quick", "contact_correct", "contact_draft_save", "contact_enter",
    "contact_form_data", "contact_record", "contact_start",
]  # fmt: skip
