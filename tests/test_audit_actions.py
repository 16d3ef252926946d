"""Audit actions are an enum with old and new values for changes: a free string is refused, a change
says what it changed, and rows with changes hash-chain like any other."""

from __future__ import annotations

import pytest
from django.utils import timezone

from helpline.accounts import services as staff_services
from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.audit.services import audit_record
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact, Status
from helpline.routing.queue import presence_set

pytestmark = pytest.mark.django_db


def test_a_free_string_action_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(ValueError):
        audit_record(None, action="contact.veiw")  # type: ignore[arg-type]
    assert not AuditEvent.objects.exists()


def test_a_staff_change_records_old_and_new(administrator: Staff, counsellor: Staff) -> None:
    staff_services.staff_update(
        administrator, staff=counsellor, role=Role.SUPERVISOR, is_active=True, full_name=counsellor.full_name
    )
    event = AuditEvent.objects.get(action=AuditAction.STAFF_UPDATE)
    assert event.changes == {"role": ["counsellor", "supervisor"]}


def test_presence_records_the_state_it_left(counsellor: Staff) -> None:
    presence_set(counsellor, "available")
    presence_set(counsellor, "away")
    event = AuditEvent.objects.filter(action=AuditAction.PRESENCE_SET).order_by("-seq").first()
    assert event is not None and event.changes == {"state": ["available", "away"]}


def test_a_recorded_contact_names_what_changed_but_holds_none_of_the_childs_record(
    counsellor: Staff,
) -> None:
    # The audit trail is append-only and hash-chained: what it holds cannot be erased with the
    # contact, so it names the fields that changed and never their values (age, place, reasons).
    contact = Contact.objects.create(
        channel=Channel.SMS, status=Status.ACTIVE, arrived_at=timezone.now(), counsellor=counsellor
    )
    data = contact_services.contact_form_data(contact) | {
        "kind": "information",
        "age": 14,
        "summary": "a child's story",
    }
    contact_services.contact_record(counsellor, contact=contact, data=data)
    event = AuditEvent.objects.get(action=AuditAction.CONTACT_RECORD)
    assert {"age", "summary"} <= set(event.detail["fields"])
    assert event.changes is None
    assert "14" not in str(event.detail) and "a child's story" not in str(event.detail)


def test_rows_with_and_without_changes_chain_and_verify(administrator: Staff, counsellor: Staff) -> None:
    audit_record(administrator, action=AuditAction.AUDIT_BROWSE)
    staff_services.staff_update(
        administrator, staff=counsellor, role=Role.VOLUNTEER, is_active=True, full_name="x"
    )
    audit_record(administrator, action=AuditAction.AUDIT_BROWSE)
    assert audit_chain_verify().intact
    # The hash covers the changes: a row whose changes were altered no longer verifies.
    event = AuditEvent.objects.get(action=AuditAction.STAFF_UPDATE)
    event.changes = {"role": ["counsellor", "administrator"]}
    assert event.compute_hash() != event.hash
