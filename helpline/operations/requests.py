"""A person's request to see what is held about them, or to have it erased, served by a supervisor.

The person is found by the number they used (the caller's keyed hash: every contact from it) or
by a case number they were given; the cases linked to those contacts come too. What is shown is
theirs: the contacts' coding and summaries, their messages, their cases' profile and notes. Not
shown: other people named on a case (family, an alleged perpetrator), to whom a disclosure was
made, who the staff were.

Erasure goes through each app's own service and spares what child protection needs kept (see
helpline.cases.erasure.erasure_exemptions): a held case, an open case at high or critical risk,
a case with a confidentiality break, and every contact and message linked to such a case. The
supervisor sees the exemptions before confirming; both the listing and the erasure are audited
(counts and case numbers, never the content)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.erasure import cases_erase, erasure_exemptions
from helpline.cases.models import Case, CaseContact, CaseNote
from helpline.contacts.erasure import contacts_erase
from helpline.contacts.identity import caller_lookup, parse_address
from helpline.contacts.models import Contact
from helpline.conversations.erasure import messages_erase_text
from helpline.conversations.models import Message
from helpline.referrals.erasure import referrals_erase_for_cases


@dataclass
class Held:
    contacts: list[Contact] = field(default_factory=list)
    messages: dict[UUID, list[Message]] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)
    notes: dict[UUID, list[CaseNote]] = field(default_factory=dict)
    exemptions: dict[UUID, list[str]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.contacts or self.cases)

    @property
    def exempt_contact_ids(self) -> set[UUID]:
        return set(
            CaseContact.objects.filter(case_id__in=list(self.exemptions)).values_list("contact_id", flat=True)
        )


def _contacts_for(number: str, case_number: str) -> list[UUID]:
    ids: set[UUID] = set()
    if number:
        try:
            caller = caller_lookup(parse_address(f"tel:{number}" if ":" not in number else number))
        except ValueError:
            caller = None
        if caller is not None:
            ids |= set(Contact.objects.filter(caller=caller).values_list("pk", flat=True))
    if case_number:
        ids |= set(
            CaseContact.objects.filter(case__number=case_number.strip().upper()).values_list(
                "contact_id", flat=True
            )
        )
    return list(ids)


def subject_find(*, number: str = "", case_number: str = "") -> Held:
    contact_ids = _contacts_for(number.strip(), case_number.strip())
    case_ids = set(CaseContact.objects.filter(contact_id__in=contact_ids).values_list("case_id", flat=True))
    if case_number:
        case_ids |= set(Case.objects.filter(number=case_number.strip().upper()).values_list("pk", flat=True))
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
    held.exemptions = erasure_exemptions(cases)
    return held


def data_request_view(
    actor: Staff, *, number: str = "", case_number: str = "", request: HttpRequest | None = None
) -> Held:
    """The listing, audited: that it was made and how much it found (never the number looked up)."""
    held = subject_find(number=number, case_number=case_number)
    audit_record(
        actor,
        action=AuditAction.DATA_REQUEST_VIEW,
        record_type="data_request",
        request=request,
        detail={
            "by": "case number" if case_number else "phone number",
            "contacts": len(held.contacts),
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


def data_request_erase(
    actor: Staff, *, number: str = "", case_number: str = "", reason: str, request: HttpRequest | None = None
) -> Erased:
    """Erase what is held, except what child protection keeps. `reason`: how the request came and
    how the person was checked (on the audit row: the supervisor's words, not the person's)."""
    with transaction.atomic():
        held = subject_find(number=number, case_number=case_number)
        kept = held.exempt_contact_ids
        case_ids = [c.pk for c in held.cases if c.pk not in held.exemptions]
        # A contact shared with a case kept for another reason stays with that case.
        contact_ids = [c.pk for c in held.contacts if c.pk not in kept]
        cases = cases_erase(actor, case_ids=case_ids, request=request)
        referrals_erase_for_cases(actor, case_ids=case_ids, reason="erasure request")
        contacts = contacts_erase(actor, contact_ids=contact_ids, reason="erasure request")
        messages = messages_erase_text(actor, contact_ids=contact_ids, reason="erasure request")
        # Open conversations keep their text until they close: say so by counting what is left.
        kept_cases = [c.number for c in held.cases if c.pk in held.exemptions]
        audit_record(
            actor,
            action=AuditAction.DATA_REQUEST_ERASE,
            record_type="data_request",
            request=request,
            reason=reason[:500],
            detail={"contacts": contacts, "messages": messages, "cases": cases, "kept_cases": kept_cases},
        )
    return Erased(contacts=contacts, messages=messages, cases=cases, kept_cases=kept_cases)
