"""Writes to contacts and callers. Each writes its audit row in the same transaction, and only
these functions save a contact."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.principals import Principal
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common import live
from helpline.common.crypto import encrypt_text
from helpline.common.text import is_identifier, storable
from helpline.contacts import taxonomy
from helpline.contacts.forms import MULTI_TERMS, SINGLE_TERMS
from helpline.contacts.identity import (
    Address,
    address_hash,
    caller_address,
    caller_for_address,
    parse_address,
)
from helpline.contacts.models import (
    NON_DATA_KINDS,
    PHONE_CHANNELS,
    Caller,
    Channel,
    Contact,
    ContactDraft,
    Direction,
    Kind,
    Language,
    Status,
    Term,
    Vocabulary,
)
from helpline.contacts.search_text import index_text


class ContactConflict(Exception):
    """The contact changed since the form was loaded (someone else saved first)."""


class ContactError(ValueError):
    """A request that cannot be carried out; carries the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _staff_or_none(actor: Principal) -> Staff | None:
    return actor if isinstance(actor, Staff) else None


def _attach_caller(contact: Contact, address_uri: str | None) -> None:
    if address_uri:
        contact.caller = caller_for_address(parse_address(address_uri))
        contact.caller_withheld = False
    else:
        contact.caller = None
        contact.caller_withheld = contact.channel in PHONE_CHANNELS


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
                # The child's language, not the counsellor's screen: most children write and speak Khmer.
                language=Language.KHMER,
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
                action=AuditAction.CONTACT_START,
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
    transaction.on_commit(lambda: live.contact_changed(str(contact_id), reason=reason))


def contact_take(actor: Staff, *, contact: Contact, request: HttpRequest | None = None) -> Contact:
    """A counsellor answers a waiting contact. Only one can: the update is conditional."""
    now = timezone.now()
    with transaction.atomic():
        taken = Contact.objects.filter(pk=contact.pk, status=Status.WAITING, counsellor__isnull=True).update(
            status=Status.ACTIVE,
            counsellor=actor,
            # One handed back to the queue keeps its first answer and wait (the child's figures).
            answered_at=Coalesce(F("answered_at"), Value(now)),
            wait_seconds=Coalesce(
                F("wait_seconds"), Value(max(0, int((now - contact.arrived_at).total_seconds())))
            ),
            updated_at=now,
        )
        if not taken:
            raise AlreadyTaken
        contact.refresh_from_db()
        contact.handlers.add(actor)
        audit_record(
            actor,
            action=AuditAction.CONTACT_TAKE,
            record_type="contact",
            record_id=contact.pk,
            request=request,
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
            action=AuditAction.CONTACT_RECORD if was_open else AuditAction.CONTACT_UPDATE,
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
            action=AuditAction.CONTACT_RECORD,
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
            action=AuditAction.CONTACT_DRAFT_SAVE,
            record_type="contact",
            record_id=contact.pk,
            request=request,
            detail={"revision": draft.revision},
        )
    return draft


def contact_enter(
    actor: Principal,
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
                action=AuditAction.CONTACT_ENTER,
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
    actor: Principal,
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
            action=AuditAction.CONTACT_CORRECT,
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
        # all(), not values_list(): a page read with contact_page(coded=True) has them prefetched.
        data[name] = [term.code for term in getattr(contact, name).all()] if contact.pk else []
    return data


def caller_reveal(actor: Staff, *, caller: Caller, reason: str, request: HttpRequest | None = None) -> str:
    """The caller's clear address, for a stated reason that goes into the audit trail."""
    if not reason.strip():
        raise ContactError("reason", "a reason is required")
    with transaction.atomic():
        audit_record(
            actor,
            action=AuditAction.CALLER_REVEAL,
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
            actor,
            action=AuditAction.CALLER_SAFETY_NOTE,
            record_type="caller",
            record_id=caller.pk,
            request=request,
        )
    return caller


# --- Finished contacts written in bulk (the demo's month) ----------------------------------------

BATCH = 500
T = TypeVar("T")


@dataclass(frozen=True)
class FinishedContact:
    """A closed inbound contact for contacts_seed_finished. Terms are codes of the code lists;
    the summary is given as sentences, each indexed for search once per batch."""

    idempotency_key: str
    channel: str
    kind: str
    arrived_at: dt.datetime
    counsellor_id: uuid.UUID
    address: str | None = None  # a channel address URI; None: withheld or none (walk-in)
    withheld: bool = False
    wait_seconds: int = 0
    talk_seconds: int = 0
    language: str = "km"
    terms: Mapping[str, str] = field(default_factory=dict)  # single-term vocabulary -> code
    reasons: Sequence[str] = ()
    actions: Sequence[str] = ()
    vulnerable_groups: Sequence[str] = ()
    age: int | None = None
    age_over_25: bool = False
    urgency: str = ""
    summary_parts: Sequence[str] = ()


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _SearchText:
    """search_text of a summary made of parts: each part is segmented once (Khmer costs ~1 ms)."""

    def __init__(self) -> None:
        self.cache: dict[str, str] = {}

    def __call__(self, parts: Sequence[str]) -> str:
        found: list[str] = []
        for part in parts:
            words = self.cache.get(part)
            if words is None:
                words = self.cache[part] = index_text(part).strip()
            if words:
                found.append(words)
        return f" {' '.join(found)} " if found else ""


def _seed_callers(
    contacts: Sequence[FinishedContact], new_id: Callable[[], uuid.UUID]
) -> tuple[dict[str, uuid.UUID], int]:
    """Caller ids by address URI: one row per address, linked by keyed hash as
    identity.caller_for_address does; returns them and how many were new."""
    hashes: dict[str, str] = {}
    parsed: dict[str, Address] = {}
    for c in contacts:
        if c.address and c.address not in hashes:
            parsed[c.address] = parse_address(c.address)
            hashes[c.address] = address_hash(parsed[c.address])
    by_hash: dict[str, uuid.UUID] = {}
    for chunk in _chunks(list(hashes.values()), BATCH):
        by_hash.update(Caller.objects.filter(address_hash__in=chunk).values_list("address_hash", "pk"))
    new_callers = [
        Caller(
            id=new_id(),
            address_hash=digest,
            address_encrypted=encrypt_text(parsed[raw].uri),
            scheme=parsed[raw].scheme,
        )
        for raw, digest in hashes.items()
        if digest not in by_hash
    ]
    Caller.objects.bulk_create(new_callers, batch_size=BATCH)
    by_hash.update((c.address_hash, c.pk) for c in new_callers)
    return {raw: by_hash[digest] for raw, digest in hashes.items()}, len(new_callers)


class _Terms:
    """Term ids by vocabulary and code, read once for a batch."""

    def __init__(self) -> None:
        self.ids = {(v, code): pk for v, code, pk in Term.objects.values_list("vocabulary", "code", "pk")}

    def __call__(self, vocabulary: str, code: str) -> int | None:
        if not code:
            return None
        try:
            return self.ids[(vocabulary, code)]
        except KeyError:
            raise ContactError(vocabulary, f"code list term missing: {vocabulary} {code}") from None


def _finished_row(
    c: FinishedContact, *, id: uuid.UUID, caller_id: uuid.UUID | None, term: _Terms, search_text: _SearchText
) -> Contact:
    answered = c.arrived_at + dt.timedelta(seconds=c.wait_seconds)
    return Contact(
        id=id,
        channel=c.channel,
        direction=Direction.INBOUND,
        status=Status.CLOSED,
        kind=c.kind,
        caller_id=caller_id,
        caller_withheld=c.withheld,
        arrived_at=c.arrived_at,
        answered_at=answered,
        ended_at=answered + dt.timedelta(seconds=c.talk_seconds),
        wait_seconds=c.wait_seconds,
        talk_seconds=c.talk_seconds,
        counsellor_id=c.counsellor_id,
        created_by_id=c.counsellor_id,
        language=c.language,
        age=c.age,
        age_over_25=c.age_over_25,
        urgency=c.urgency,
        summary=" ".join(c.summary_parts),
        search_text=search_text(c.summary_parts),
        idempotency_key=c.idempotency_key,
        **{f"{name}_id": term(v, c.terms.get(name, "")) for name, v in SINGLE_TERMS.items()},
    )


def contacts_seed_finished(
    actor: Principal | None,
    *,
    contacts: Sequence[FinishedContact],
    action: AuditAction,
    detail: Mapping[str, Any] | None = None,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> int:
    """Write many closed contacts at once (rows built in memory, bulk inserts: the per-contact
    services would audit each one and take minutes), with one audit row `action` for the batch.
    new_id makes the ids (callers first, then contacts): a seeded one makes a batch reproducible.
    Raises ContactError when a code is not in the code lists; nothing is written then."""
    term = _Terms()
    search_text = _SearchText()
    many = (
        (Contact.reasons.through, Vocabulary.REASON, "reasons"),
        (Contact.actions.through, Vocabulary.ACTION, "actions"),
        (Contact.vulnerable_groups.through, Vocabulary.VULNERABLE_GROUP, "vulnerable_groups"),
    )
    with transaction.atomic():
        callers, new_callers = _seed_callers(contacts, new_id)
        rows: list[Contact] = []
        links: dict[Any, list[Any]] = {Contact.handlers.through: []} | {t: [] for t, _v, _n in many}
        for c in contacts:
            caller_id = callers[c.address] if c.address else None
            row = _finished_row(c, id=new_id(), caller_id=caller_id, term=term, search_text=search_text)
            rows.append(row)
            links[Contact.handlers.through].append(
                Contact.handlers.through(contact_id=row.pk, staff_id=c.counsellor_id)
            )
            for through, vocabulary, name in many:
                links[through].extend(
                    through(contact_id=row.pk, term_id=term(vocabulary, code)) for code in getattr(c, name)
                )
        Contact.objects.bulk_create(rows, batch_size=BATCH)
        for through, through_rows in links.items():
            through.objects.bulk_create(through_rows, batch_size=BATCH)
        audit_record(
            actor, action=action, detail={"contacts": len(rows), "callers": new_callers, **(detail or {})}
        )
    return len(rows)


__all__ = [
    "Channel", "ContactConflict", "ContactError", "FinishedContact", "Kind", "caller_reveal",
    "caller_safety_note_set", "contact_close_quick", "contact_correct", "contact_draft_save",
    "contact_enter", "contact_form_data", "contact_record", "contact_start", "contacts_seed_finished",
]  # fmt: skip
