"""A person's request to see what is held about them, or to have it erased, served by a supervisor.

The person is found by the number they used (the caller's keyed hash: every contact from it), by
a case number they were given (that case's own contacts, not those of others gathered into it) or
by an email address (the contacts from it, and the feedback or complaints they sent by the web
form or by email asking for a reply there, found by the address's keyed hash); the cases opened
from their contacts come too. What is shown is theirs: the contacts' coding and summaries, their
messages, their cases' profile and notes, feedback they gave during a contact or from the address.
Not shown: other people named on a case (family, an alleged perpetrator), another person's call
gathered into their case (a parent's), to whom a disclosure was made, who the staff were.

Erasure goes through each app's own service and spares what child protection needs kept (see
helpline.cases.erasure.erasure_exemptions): a held case, an open case at high or critical risk,
a case with a confidentiality break, and every contact and message linked to such a case. The
supervisor sees the exemptions before confirming; both the listing and the erasure are audited
(counts and case numbers, never the content, nor the number or address looked up). Erasure waits
while a conversation or call of theirs is still going on."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.erasure import cases_erase, cases_opened_from, erasure_exemptions, opening_links
from helpline.cases.models import Case, CaseContact, CaseNote
from helpline.contacts.erasure import contacts_erase
from helpline.contacts.identity import caller_lookup, parse_address
from helpline.contacts.models import Contact, Status
from helpline.conversations.erasure import conversations_forget_caller, messages_erase_text
from helpline.conversations.models import Conversation, Message
from helpline.feedback.erasure import feedback_erase, feedback_of_address, feedback_of_contacts
from helpline.feedback.models import OPEN_STATES, Feedback
from helpline.referrals.erasure import referrals_erase_for_cases
from helpline.voice.erasure import callbacks_erase_reasons

IN_PROGRESS = _("A conversation or call of this person is still going on: erase once it has ended.")


@dataclass
class Held:
    contacts: list[Contact] = field(default_factory=list)
    messages: dict[UUID, list[Message]] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)
    notes: dict[UUID, list[CaseNote]] = field(default_factory=dict)
    # Feedback or complaints they gave during their contacts or sent from their email address (one
    # still being handled waits).
    feedback: list[Feedback] = field(default_factory=list)
    exemptions: dict[UUID, list[str]] = field(default_factory=dict)  # of the person's own cases
    # Contacts linked to a case child protection keeps, the person's own or another child's.
    exempt_contact_ids: set[UUID] = field(default_factory=set)
    # A conversation or call of theirs still going on: erasure waits until it ends.
    in_progress: bool = False

    @property
    def feedback_open_ids(self) -> set[UUID]:
        return {f.pk for f in self.feedback if f.state in OPEN_STATES}

    @property
    def found(self) -> bool:
        return bool(self.contacts or self.cases or self.feedback)


class DataRequestRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _contacts_from(raw: str) -> set[UUID]:
    """Every contact from this address (a number, or `email:` and the address)."""
    try:
        caller = caller_lookup(parse_address(raw))
    except ValueError:
        return set()
    if caller is None:
        return set()
    return set(Contact.objects.filter(caller=caller).values_list("pk", flat=True))


def _theirs(number: str, case_number: str, email: str = "") -> tuple[set[UUID], set[UUID]]:
    """The person's contacts and cases. By number or email address: every contact from it. By case
    number: the case, the contacts it was opened from and the others from the same number; not a
    contact someone else made about them (a parent's call, a teacher's), which is that person's.
    Their cases are those opened from their contacts: a case their contact was merely linked to is
    another child's."""
    contact_ids: set[UUID] = set()
    case_ids: set[UUID] = set()
    if number:
        contact_ids |= _contacts_from(f"tel:{number}" if ":" not in number else number)
    if email:
        contact_ids |= _contacts_from(f"email:{email}")
    case = Case.objects.filter(number=case_number.upper()).first() if case_number else None
    if case is not None:
        case_ids.add(case.pk)
        opened_from = opening_links().filter(case=case).values("contact_id")
        callers = Contact.objects.filter(pk__in=opened_from).exclude(caller=None).values("caller_id")
        contact_ids |= set(
            CaseContact.objects.filter(case=case)
            .filter(Q(contact_id__in=opened_from) | Q(contact__caller_id__in=callers))
            .values_list("contact_id", flat=True)
        )
    return contact_ids, case_ids | cases_opened_from(contact_ids)


def subject_find(*, number: str = "", case_number: str = "", email: str = "") -> Held:
    contact_ids, case_ids = _theirs(number.strip(), case_number.strip(), email.strip())
    held = Held()
    held.contacts = list(
        Contact.objects.filter(pk__in=contact_ids)
        .select_related("gender", "province", "caller_type")
        .prefetch_related("reasons")
        .order_by("arrived_at")
    )
    messages = Message.objects.filter(conversation__contact_id__in=contact_ids).select_related("conversation")
    for message in messages.order_by("created_at"):
        held.messages.setdefault(message.conversation.contact_id, []).append(message)
    cases = Case.objects.filter(pk__in=case_ids).order_by("opened_at")
    held.cases = list(cases.select_related("gender", "province"))
    for note in CaseNote.objects.filter(case_id__in=case_ids).order_by("written_at"):
        held.notes.setdefault(note.case_id, []).append(note)
    feedback = feedback_of_contacts(contact_ids)
    if email.strip():
        feedback = feedback | feedback_of_address(email)
    held.feedback = list(feedback.order_by("received_at"))
    held.exemptions = erasure_exemptions(cases)
    linked = Case.objects.filter(Q(pk__in=case_ids) | Q(links__contact_id__in=contact_ids)).distinct()
    keeping = list(erasure_exemptions(linked))
    held.exempt_contact_ids = set(
        CaseContact.objects.filter(case_id__in=keeping, contact_id__in=contact_ids).values_list(
            "contact_id", flat=True
        )
    )
    held.in_progress = (
        Conversation.objects.filter(contact_id__in=contact_ids, is_open=True).exists()
        or Contact.objects.filter(pk__in=contact_ids, status__in=[Status.WAITING, Status.ACTIVE]).exists()
    )
    return held


def _looked_up_by(number: str, case_number: str, email: str) -> str:
    """What the person was looked up by, named (never the number or the address itself)."""
    given = (("phone number", number), ("case number", case_number), ("email address", email))
    return ", ".join(name for name, value in given if value.strip())


def data_request_view(
    actor: Staff,
    *,
    number: str = "",
    case_number: str = "",
    email: str = "",
    request: HttpRequest | None = None,
) -> Held:
    """The listing, audited: that it was made and how much it found (never the number or the
    email address looked up)."""
    held = subject_find(number=number, case_number=case_number, email=email)
    audit_record(
        actor,
        action=AuditAction.DATA_REQUEST_VIEW,
        record_type="data_request",
        request=request,
        detail={
            "by": _looked_up_by(number, case_number, email),
            "contacts": len(held.contacts),
            "feedback": len(held.feedback),
            "cases": [c.number for c in held.cases],
        },
    )
    return held


@dataclass(frozen=True)
class Erased:
    contacts: int
    messages: int
    cases: int
    kept_cases: list[str]
    feedback: int = 0
    feedback_open: int = 0  # still being handled: erased by retention once closed


def data_request_erase(
    actor: Staff,
    *,
    number: str = "",
    case_number: str = "",
    email: str = "",
    reason: str,
    request: HttpRequest | None = None,
) -> Erased:
    """Erase what is held, except what child protection keeps. `reason`: how the request came and
    how the person was checked (on the audit row: the supervisor's words, not the person's)."""
    with transaction.atomic():
        held = subject_find(number=number, case_number=case_number, email=email)
        if held.in_progress:
            # Erasing around a live conversation would blank half of it and leave the rest.
            raise DataRequestRefused(str(IN_PROGRESS))
        kept = held.exempt_contact_ids
        case_ids = [c.pk for c in held.cases if c.pk not in held.exemptions]
        # A contact shared with a case kept for another reason stays with that case.
        contact_ids = [c.pk for c in held.contacts if c.pk not in kept]
        cases = cases_erase(actor, case_ids=case_ids, request=request)
        referrals_erase_for_cases(actor, case_ids=case_ids, reason="erasure request")
        contacts = contacts_erase(actor, contact_ids=contact_ids, reason="erasure request")
        callbacks_erase_reasons(contact_ids=contact_ids)
        conversations_forget_caller(contact_ids=contact_ids)
        messages = messages_erase_text(actor, contact_ids=contact_ids, reason="erasure request")
        feedback = feedback_erase(actor, feedback_ids=[f.pk for f in held.feedback], reason="erasure request")
        feedback_open = len(held.feedback_open_ids)
        kept_cases = [c.number for c in held.cases if c.pk in held.exemptions]
        audit_record(
            actor,
            action=AuditAction.DATA_REQUEST_ERASE,
            record_type="data_request",
            request=request,
            reason=reason[:500],
            detail={
                "by": _looked_up_by(number, case_number, email),
                "contacts": contacts,
                "messages": messages,
                "cases": cases,
                "feedback": feedback,
                "kept_cases": kept_cases,
            },
        )
    return Erased(
        contacts=contacts,
        messages=messages,
        cases=cases,
        kept_cases=kept_cases,
        feedback=feedback,
        feedback_open=feedback_open,
    )
