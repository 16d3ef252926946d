"""Who handled a case's contacts (CaseHandler), which cases_visible_to reads instead of every contact a
counsellor took: kept true by the receivers as contacts are linked and handed on, in bulk too, and
filled for the cases already there by the migration that made it."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.cases import services
from helpline.cases.models import CaseContact, CaseHandler
from helpline.cases.selectors import cases_visible_to
from helpline.contacts.intake import Batch, contacts_write_batch
from helpline.contacts.transfer import contact_transfer
from tests.case_factories import contact_for, open_case
from tests.factories import persona


def handlers_of(case_id: object) -> set[str]:
    return set(CaseHandler.objects.filter(case_id=case_id).values_list("staff__username", flat=True))


@pytest.mark.django_db
def test_a_contact_handed_on_after_it_was_linked_shows_the_case_to_whoever_holds_it(
    counsellor: Staff,
) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    contact = contact_for(counsellor)
    case = services.case_open(counsellor, contacts=[contact])
    assert handlers_of(case.pk) == {"counsellor"}
    assert not cases_visible_to(colleague).filter(pk=case.pk).exists()

    contact_transfer(counsellor, contact=contact, to=colleague, reason="my shift ends")

    assert "colleague" in handlers_of(case.pk)
    assert cases_visible_to(colleague).filter(pk=case.pk).exists()


@pytest.mark.django_db
def test_handlers_written_in_bulk_by_a_call_batch_count_too(counsellor: Staff) -> None:
    colleague = persona(Role.VOLUNTEER, username="colleague")
    case = open_case(counsellor)
    contact = case.contacts.get()

    contacts_write_batch(Batch(handlers={(contact.pk, colleague.pk)}))

    assert handlers_of(case.pk) == {"counsellor", "colleague"}
    assert list(cases_visible_to(colleague)) == [case]


@pytest.mark.django_db
def test_a_handler_removed_from_every_linked_contact_no_longer_sees_the_case(counsellor: Staff) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    case = open_case(counsellor)
    theirs = contact_for(colleague)
    services.case_link_contact(counsellor, case=case, contact=contact_for(counsellor))
    CaseContact.objects.create(case=case, contact=theirs, linked_by=counsellor, linked_at=timezone.now())
    assert cases_visible_to(colleague).filter(pk=case.pk).exists()

    theirs.handlers.remove(colleague)  # still its counsellor: still sees it
    assert cases_visible_to(colleague).filter(pk=case.pk).exists()
    colleague.handled_contacts.add(theirs)
    assert handlers_of(case.pk) == {"counsellor", "colleague"}

    CaseContact.objects.filter(case=case, contact=theirs).delete()
    assert handlers_of(case.pk) == {"counsellor"}
    assert not cases_visible_to(colleague).filter(pk=case.pk).exists()


@pytest.mark.django_db
def test_the_migration_fills_who_handled_the_cases_already_there(counsellor: Staff) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    case = open_case(counsellor)
    contacts_write_batch(Batch(handlers={(case.contacts.get().pk, colleague.pk)}))
    other = open_case(colleague)
    CaseHandler.objects.all().delete()
    assert not cases_visible_to(colleague).filter(pk=case.pk).exists()

    migration = importlib.import_module("helpline.cases.migrations.0003_case_handlers")
    # It uses the schema editor for its connection only (SQLite opens no editor inside a test's
    # transaction).
    migration.backfill(apps, SimpleNamespace(connection=connection))

    assert handlers_of(case.pk) == {"counsellor", "colleague"}
    assert handlers_of(other.pk) == {"colleague"}
    assert set(cases_visible_to(colleague)) == {case, other}
