"""contacts_seed_finished: closed contacts written in bulk by contacts' own service (the demo month
uses it), with callers linked by address and one audit row; a code not in the code lists writes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Caller, Contact, Kind, Status
from helpline.contacts.search_text import index_text
from helpline.contacts.services import ContactError, FinishedContact, contacts_seed_finished

ADDRESS = "tel:+85512345678"
SEED = AuditAction.DEMO_SEED_CONTACTS


def finished(counsellor: Staff, key: str, **fields: object) -> FinishedContact:
    values: dict[str, object] = {
        "idempotency_key": key,
        "channel": "voice",
        "kind": Kind.COUNSELLING,
        "arrived_at": timezone.now() - dt.timedelta(days=2),
        "counsellor_id": counsellor.pk,
        "address": ADDRESS,
        "wait_seconds": 20,
        "talk_seconds": 300,
        "terms": {"gender": "female", "province": "phnom_penh"},
        "reasons": ["family.caregiver"],
        "actions": ["emotional_support"],
        "age": 14,
        "summary_parts": ["The child talked about home.", "She felt better after the call."],
    }
    values.update(fields)
    return FinishedContact(**values)  # type: ignore[arg-type]


def test_a_batch_writes_closed_coded_contacts_with_shared_callers_and_one_audit_row(
    counsellor: Staff,
) -> None:
    batch = [finished(counsellor, "seed-1"), finished(counsellor, "seed-2", address=None, withheld=True)]
    batch.append(finished(counsellor, "seed-3"))

    written = contacts_seed_finished(None, contacts=batch, action=SEED, detail={"days": 1})

    assert written == 3
    first = Contact.objects.get(idempotency_key="seed-1")
    assert first.status == Status.CLOSED and first.counsellor == counsellor
    assert first.answered_at == first.arrived_at + dt.timedelta(seconds=20)
    assert first.ended_at == first.answered_at + dt.timedelta(seconds=300)
    assert first.gender is not None and first.gender.code == "female"
    assert list(first.reasons.values_list("code", flat=True)) == ["family.caregiver"]
    assert list(first.actions.values_list("code", flat=True)) == ["emotional_support"]
    assert list(first.handlers.all()) == [counsellor]
    assert first.summary == "The child talked about home. She felt better after the call."
    assert first.search_text == index_text(first.summary)
    assert Caller.objects.count() == 1
    assert Contact.objects.get(idempotency_key="seed-3").caller == first.caller
    withheld = Contact.objects.get(idempotency_key="seed-2")
    assert withheld.caller is None and withheld.caller_withheld
    (event,) = AuditEvent.objects.filter(action=SEED)
    assert event.detail == {"contacts": 3, "callers": 1, "days": 1}


def test_a_caller_already_on_record_is_reused(counsellor: Staff) -> None:
    contacts_seed_finished(None, contacts=[finished(counsellor, "seed-1")], action=SEED)
    contacts_seed_finished(None, contacts=[finished(counsellor, "seed-2")], action=SEED)
    assert Caller.objects.count() == 1
    details = AuditEvent.objects.filter(action=SEED).order_by("seq").values_list("detail", flat=True)
    assert [d["callers"] for d in details] == [1, 0]


def test_a_code_not_in_the_code_lists_writes_nothing(counsellor: Staff) -> None:
    batch = [finished(counsellor, "seed-1"), finished(counsellor, "seed-2", reasons=["no.such_reason"])]
    events = AuditEvent.objects.count()
    with pytest.raises(ContactError, match=r"code list term missing: reason no\.such_reason"):
        contacts_seed_finished(None, contacts=batch, action=SEED)
    assert not Contact.objects.exists()
    assert not Caller.objects.exists()
    assert AuditEvent.objects.count() == events
