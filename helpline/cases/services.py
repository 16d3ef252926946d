"""Writes to cases: the only code that saves a case, its links, plan, notes and people (follow-ups
in followups.py, confidentiality breaks in breaks.py, closure and supervision in supervision.py).

Each function takes the acting principal first, writes the change, its timeline entry and its audit
row in one transaction, and returns early when nothing changed. Audit rows on a child's record name
the fields that changed, never their values: the trail outlives the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.vetting import vetting_status
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.models import (
    TRANSITIONS,
    Case,
    CaseContact,
    CaseEvent,
    CaseHandler,
    CaseNote,
    CaseNumber,
    CasePerson,
    CaseStatus,
    EventKind,
    GoalStatus,
    NoteRevision,
    PersonRole,
    PlanGoal,
    Risk,
)
from helpline.common.text import clean_text as common_clean_text
from helpline.contacts.models import Contact, Term
from helpline.contacts.selectors import contacts_visible_to

MAX_TEXT = 20_000


class CaseError(ValueError):
    """A request that cannot be carried out (a 400); names the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CaseConflict(CaseError):
    """The case or note is not in the state the request assumed (a 409)."""


# --- Shared by every writer of the app -------------------------------------------------------


def record_event(
    case: Case,
    actor: Staff | None,
    kind: EventKind,
    *,
    summary: str = "",
    at: dt.datetime | None = None,
    by: str = "",
    **detail: Any,
) -> CaseEvent:
    """One timeline entry. Only the app's services call it, inside their transaction. `by` names
    who acted when no staff member did (a partner through its link); otherwise "scheduler".
    `summary` takes only words a person typed; a sentence the system says goes in as a line code
    and its codes (`line="risk", risk_old=…`), made into words when read (timeline.py)."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=at or timezone.now(),
        actor=actor,
        actor_label=actor.username if actor else (by or "scheduler"),
        summary=summary[:2000],
        detail={k: str(v) for k, v in detail.items() if v not in (None, "")},
    )


def audit_case(
    actor: Staff | str,
    action: AuditAction,
    case: Case,
    *,
    request: HttpRequest | None = None,
    fields: Sequence[str] = (),
    changes: dict[str, tuple[Any, Any]] | None = None,
    reason: str = "",
) -> None:
    detail = {"number": case.number} | ({"fields": sorted(fields)} if fields else {})
    audit_record(
        actor,
        action=action,
        record_type="case",
        record_id=case.pk,
        request=request,
        detail=detail,
        changes=changes,
        reason=reason[:500],
    )


def clean_text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    return common_clean_text(value, field, error=CaseError, required=required, limit=limit)


def lock(case: Case) -> Case:
    """The case row afresh, locked until the transaction ends: two writers of one case take turns."""
    return Case.objects.select_for_update().get(pk=case.pk)


def move(case: Case, actor: Staff, to: str, *, summary: str = "") -> None:
    """Change the status along the status machine, or CaseConflict. Caller saves the case."""
    if to not in TRANSITIONS.get(case.status, frozenset()):
        raise CaseConflict(
            "status",
            _("A case that is %(now)s cannot become %(to)s.")
            % {"now": CaseStatus(case.status).label, "to": CaseStatus(to).label},
        )
    record_event(case, actor, EventKind.STATUS_CHANGED, summary=summary, old=case.status, new=to)
    case.status = to


def case_record_referral(
    case: Case,
    actor: Staff | None,
    *,
    line: str,
    referral: str,
    partner: str,
    status: str,
    partner_km: str = "",
    note: str = "",
    by: str = "",
    at: dt.datetime | None = None,
) -> None:
    """A referral's step on the case timeline (helpline.referrals writes the referral itself, in
    the same transaction, and renders its `line` codes for the reader: timeline.LINES). `partner`,
    `partner_km`: the partner's name and its Khmer name if it has one, so that each reader sees
    the name of their language. `note`: words the partner typed, kept as typed. `by`: who acted
    when no staff member did ("partner", "scheduler"); `at`: when the step happened, if not now
    (history written afterwards: demo data)."""
    record_event(
        case,
        actor,
        EventKind.REFERRAL,
        summary=note,
        at=at,
        by=by,
        line=line,
        referral=referral,
        partner=partner,
        partner_km=partner_km,
        status=status,
    )


def works_on_cases(staff: Staff | None) -> bool:
    return staff is not None and staff.is_active and role_has(staff.role, Permission.CASES)


# --- Opening a case and linking contacts -----------------------------------------------------


def _next_number(now: dt.datetime) -> str:
    """The year's next number, safe under concurrency on both databases: the counter row's UPDATE
    holds its lock until the transaction ends (PostgreSQL), and SQLite transactions here begin
    IMMEDIATE, one writer at a time. The first case of a year inserts the row; a second opener
    racing it meets the unique key, and increments instead. Case.number is unique as a last guard."""
    year = timezone.localtime(now).year
    if not CaseNumber.objects.filter(year=year).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                CaseNumber.objects.create(year=year, last=1)
        except IntegrityError:
            CaseNumber.objects.filter(year=year).update(last=F("last") + 1)
    last = CaseNumber.objects.values_list("last", flat=True).get(year=year)
    return f"C-{year}-{last:05d}"


def _check_contacts(actor: Staff, contacts: Sequence[Contact]) -> None:
    ids = {c.pk for c in contacts}
    if len(ids) != contacts_visible_to(actor).filter(pk__in=ids).count():
        raise CaseError("contact", _("This contact is not one you may see."))


def case_open(
    actor: Staff,
    *,
    contacts: Sequence[Contact],
    nickname: str = "",
    risk: str = Risk.LOW,
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """A case gathered from one contact or several, assigned to whoever opens it. The profile
    starts from the newest contact's record (age, gender, province): one click at the console.
    `at`: when it was opened, for history written afterwards (demo data); never before its newest
    contact nor in the future. Pages and the API leave it out: now."""
    if not works_on_cases(actor):
        raise CaseError("actor", _("Your role does not work on cases."))
    if not contacts:
        raise CaseError("contact", _("A case is opened from at least one contact."))
    if risk not in Risk.values:
        raise CaseError("risk", _("Not a risk level."))
    _check_contacts(actor, contacts)
    newest = max(contacts, key=lambda c: c.arrived_at)
    now = timezone.now()
    if at is not None:
        if not newest.arrived_at <= at <= now:
            raise CaseError("at", _("A case is opened after its contacts and not later than now."))
        now = at
    with transaction.atomic():
        case = Case.objects.create(
            number=_next_number(now),
            status=CaseStatus.OPEN,
            risk=risk,
            nickname=clean_text(nickname, "nickname", required=False, limit=80),
            age=newest.age,
            gender_id=newest.gender_id,
            province_id=newest.province_id,
            assignee=actor,
            opened_by=actor,
            opened_at=now,
            last_touch_at=max(c.arrived_at for c in contacts),
        )
        record_event(case, actor, EventKind.OPENED, at=now, number=case.number)
        for contact in sorted(contacts, key=lambda c: c.arrived_at):
            CaseContact.objects.create(case=case, contact=contact, linked_by=actor, linked_at=now)
            record_event(case, actor, EventKind.CONTACT_LINKED, at=now, contact=contact.short_id)
        audit_case(actor, AuditAction.CASE_OPEN, case, request=request, fields=["contacts"])
    return case


def case_link_contact(
    actor: Staff, *, case: Case, contact: Contact, request: HttpRequest | None = None
) -> bool:
    """Gather a later contact into the case. False when it was already linked (nothing written).
    A first further contact makes an open or reopened case active."""
    if not works_on_cases(actor):
        raise CaseError("actor", _("Your role does not work on cases."))
    _check_contacts(actor, [contact])
    with transaction.atomic():
        case = lock(case)
        if not case.takes_new_work:
            raise CaseConflict(
                "case", _("Reopen the case, or have its closure sent back, before linking contacts.")
            )
        if CaseContact.objects.filter(case=case, contact=contact).exists():
            return False
        CaseContact.objects.create(case=case, contact=contact, linked_by=actor, linked_at=timezone.now())
        record_event(case, actor, EventKind.CONTACT_LINKED, contact=contact.short_id)
        fields = ["last_touch_at", "updated_at"]
        if case.status in {CaseStatus.OPEN, CaseStatus.REOPENED}:
            move(case, actor, CaseStatus.ACTIVE)
            fields.append("status")
        case.last_touch_at = max(case.last_touch_at, contact.arrived_at)
        case.save(update_fields=fields)
        audit_case(actor, AuditAction.CASE_CONTACT_LINK, case, request=request, fields=["contacts"])
    return True


# --- Profile and people ----------------------------------------------------------------------


def case_update_profile(
    actor: Staff,
    *,
    case: Case,
    nickname: str,
    age: int | None,
    gender: Term | None,
    province: Term | None,
    risk: str,
    request: HttpRequest | None = None,
) -> list[str]:
    """The fields that changed (none: nothing written)."""
    if risk not in Risk.values:
        raise CaseError("risk", _("Not a risk level."))
    if age is not None and not 0 <= age <= 25:
        raise CaseError("age", _("The helpline serves children and young people up to 25."))
    if gender is not None and gender.vocabulary != "gender":
        raise CaseError("gender", _("Not a gender from the code list."))
    if province is not None and province.vocabulary != "province":
        raise CaseError("province", _("Not a province from the code list."))
    wanted = {
        "nickname": clean_text(nickname, "nickname", required=False, limit=80),
        "age": age,
        "gender_id": gender.pk if gender else None,
        "province_id": province.pk if province else None,
        "risk": risk,
    }
    with transaction.atomic():
        case = lock(case)
        changed = [name for name, value in wanted.items() if getattr(case, name) != value]
        if not changed:
            return []
        old_risk = case.risk
        for name in changed:
            setattr(case, name, wanted[name])
        case.save(update_fields=[*changed, "updated_at"])
        names = [n.removesuffix("_id") for n in changed]
        risk_moved: dict[str, Any] = (
            {"line": "risk", "risk_old": old_risk, "risk_new": risk} if "risk" in changed else {}
        )
        record_event(case, actor, EventKind.PROFILE_CHANGED, fields=",".join(names), **risk_moved)
        audit_case(actor, AuditAction.CASE_PROFILE_UPDATE, case, request=request, fields=names)
    return names


def case_add_person(
    actor: Staff,
    *,
    case: Case,
    role: str,
    name: str,
    relationship: str = "",
    age: int | None = None,
    notes: str = "",
    request: HttpRequest | None = None,
) -> CasePerson:
    if role not in PersonRole.values:
        raise CaseError("role", _("Not a kind of person on a case."))
    if age is not None and not 0 <= age <= 120:
        raise CaseError("age", _("Not an age."))
    with transaction.atomic():
        person = CasePerson.objects.create(
            case=case,
            role=role,
            name=clean_text(name, "name", limit=200),
            relationship=clean_text(relationship, "relationship", required=False, limit=100),
            age=age,
            notes=clean_text(notes, "notes", required=False),
            added_by=actor,
        )
        record_event(case, actor, EventKind.PERSON_ADDED, line="person_role", role=role)
        audit_case(actor, AuditAction.CASE_PERSON_ADD, case, request=request, fields=["people"])
    return person


# --- Notes: append-only ------------------------------------------------------------------------


def note_add(actor: Staff, *, case: Case, text: str, request: HttpRequest | None = None) -> CaseNote:
    body = clean_text(text, "text")
    now = timezone.now()
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=actor, written_at=now, revision=1, text=body)
        NoteRevision.objects.create(note=note, revision=1, text=body, written_by=actor, written_at=now)
        record_event(case, actor, EventKind.NOTE_ADDED, at=now, note=note.pk)
        audit_case(actor, AuditAction.CASE_NOTE_ADD, case, request=request, fields=["notes"])
    return note


def note_edit(
    actor: Staff, *, note: CaseNote, text: str, revision: int, request: HttpRequest | None = None
) -> bool:
    """A new revision of the note; the earlier text stays (supervisors read it). Only its author
    edits a note, and only its newest text: `revision` is the one the editor saw. False when the
    text is unchanged (nothing written)."""
    body = clean_text(text, "text")
    with transaction.atomic():
        note = CaseNote.objects.select_for_update().select_related("case").get(pk=note.pk)
        if note.author_id != actor.pk:
            raise CaseError("note", _("Only the author of a note may edit it."))
        if revision != note.revision:
            raise CaseConflict(
                "revision", _("Only the newest text of a note can be edited. Reload to see it.")
            )
        if body == note.text:
            return False
        now = timezone.now()
        note.revision += 1
        note.text = body
        note.save(update_fields=["revision", "text"])
        NoteRevision.objects.create(
            note=note, revision=note.revision, text=body, written_by=actor, written_at=now
        )
        record_event(note.case, actor, EventKind.NOTE_EDITED, at=now, note=note.pk, revision=note.revision)
        audit_case(actor, AuditAction.CASE_NOTE_EDIT, note.case, request=request, fields=["notes"])
    return True


# --- The plan ----------------------------------------------------------------------------------


def _due_ok(due_on: dt.date | None) -> None:
    if due_on is not None and due_on < timezone.localdate():
        raise CaseError("due_on", _("The due date has passed: choose today or a later day."))


def goal_add(
    actor: Staff, *, case: Case, text: str, due_on: dt.date | None = None, request: HttpRequest | None = None
) -> PlanGoal:
    body = clean_text(text, "text", limit=500)
    _due_ok(due_on)
    with transaction.atomic():
        goal = PlanGoal.objects.create(case=case, text=body, due_on=due_on, created_by=actor)
        record_event(case, actor, EventKind.GOAL_ADDED, summary=body, goal=goal.pk)
        audit_case(actor, AuditAction.CASE_GOAL_ADD, case, request=request, fields=["goals"])
    return goal


def goal_change(
    actor: Staff,
    *,
    goal: PlanGoal,
    status: str,
    due_on: dt.date | None,
    request: HttpRequest | None = None,
) -> bool:
    if status not in GoalStatus.values:
        raise CaseError("status", _("Not a goal status."))
    with transaction.atomic():
        goal = PlanGoal.objects.select_for_update().select_related("case").get(pk=goal.pk)
        changed = [n for n, v in (("status", status), ("due_on", due_on)) if getattr(goal, n) != v]
        if not changed:
            return False
        if "due_on" in changed:
            _due_ok(due_on)
        old = goal.status
        goal.status, goal.due_on = status, due_on
        goal.save(update_fields=[*changed, "updated_at"])
        moved: dict[str, Any] = {"status_old": old, "status_new": status} if "status" in changed else {}
        if moved:
            moved["line"] = "goal_status"
        record_event(
            goal.case,
            actor,
            EventKind.GOAL_CHANGED,
            summary=goal.text,
            goal=goal.pk,
            fields=",".join(changed),
            **moved,
        )
        audit_case(actor, AuditAction.CASE_GOAL_CHANGE, goal.case, request=request, fields=["goals"])
    return True


# --- Assignment ----------------------------------------------------------------------------------


def case_assign(
    actor: Staff, *, case: Case, assignee: Staff, reason: str, request: HttpRequest | None = None
) -> bool:
    """Give the case to a counsellor or case manager, with a reason (on the timeline). Supervisors
    and case managers assign. False when it is theirs already."""
    if not role_has(actor.role, Permission.CASE_ASSIGN):
        raise CaseError("assignee", _("Only supervisors and case managers assign cases."))
    if not works_on_cases(assignee):
        raise CaseError("assignee", _("This person does not work on cases."))
    if vetting_status(assignee).blocked:
        # The page lists only those through the gate; the API names anyone active.
        raise CaseError("assignee", _("This person's vetting is not current: they could not open the case."))
    why = clean_text(reason, "reason", limit=500)
    with transaction.atomic():
        case = lock(case)
        if case.assignee_id == assignee.pk:
            return False
        if case.status == CaseStatus.CLOSED:
            raise CaseConflict("case", _("Reopen the case before assigning it."))
        old = case.assignee.username if case.assignee else None
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        record_event(case, actor, EventKind.ASSIGNED, summary=why, old=old, new=assignee.username)
        audit_case(
            actor,
            AuditAction.CASE_ASSIGN,
            case,
            request=request,
            changes={"assignee": (old, assignee.username)},
            reason=why,
        )
    return True


# --- Printing ------------------------------------------------------------------------------------


def case_record_print(
    actor: Staff, *, case: Case, language: str, at: dt.datetime, request: HttpRequest | None = None
) -> CaseEvent:
    """A printed summary leaves the system on paper: who printed it, when (the time on its
    watermark) and in which language go on the timeline and the audit trail together."""
    with transaction.atomic():
        event = record_event(case, actor, EventKind.PRINTED, at=at, language=language)
        audit_case(actor, AuditAction.CASE_PRINT, case, request=request, fields=["summary"])
    return event


# --- Who handled a case's contacts ---------------------------------------------------------------


def case_handlers_refresh(*, case_ids: Iterable[UUID | str]) -> None:
    """Make the CaseHandler rows of these cases say again who handled their linked contacts (each
    contact's counsellor and handlers): rows added for newcomers, removed for those no longer on
    any of them. Derived bookkeeping for cases_visible_to, called by the receivers
    (helpline.cases.receivers) in the transaction of the change; nothing to audit."""
    ids = {UUID(str(pk)) for pk in case_ids}
    if not ids:
        return
    links = CaseContact.objects.filter(case_id__in=ids)
    wanted: set[tuple[UUID, UUID]] = set()
    for field in ("contact__counsellor_id", "contact__handlers"):
        wanted |= {
            (case_id, staff_id)
            for case_id, staff_id in links.values_list("case_id", field)
            if staff_id is not None
        }
    have = set(CaseHandler.objects.filter(case_id__in=ids).values_list("case_id", "staff_id"))
    for case_id, staff_id in have - wanted:
        CaseHandler.objects.filter(case_id=case_id, staff_id=staff_id).delete()
    CaseHandler.objects.bulk_create(
        [CaseHandler(case_id=c, staff_id=s) for c, s in sorted(wanted - have)], ignore_conflicts=True
    )
