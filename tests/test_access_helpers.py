"""access_contact: the same 404 for a contact that is missing, another's, or no id at all; a database
error is never turned into "not found"."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection
from django.http import Http404
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Channel, Contact, Status
from helpline.contacts.selectors import access_contact

pytestmark = pytest.mark.django_db


def _contact(**fields: object) -> Contact:
    return Contact.objects.create(
        channel=Channel.SMS, status=Status.ACTIVE, arrived_at=timezone.now(), **fields
    )


def test_a_counsellor_reaches_their_own_contact(counsellor: Staff) -> None:
    mine = _contact(counsellor=counsellor)
    assert access_contact(counsellor, mine.pk) == mine


@pytest.mark.parametrize("given", ["missing", "another's", "not-a-uuid", ""])
def test_missing_forbidden_and_malformed_are_the_same_404(
    counsellor: Staff, supervisor: Staff, given: str
) -> None:
    other = _contact(counsellor=supervisor)
    contact_id = {"missing": str(uuid.uuid4()), "another's": str(other.pk)}.get(given, given)
    with pytest.raises(Http404):
        access_contact(counsellor, contact_id)


def test_a_database_error_is_not_not_found(supervisor: Staff) -> None:
    contact = _contact(counsellor=supervisor)
    # A real failure of the database, inside the test's transaction (rolled back after it): the
    # table the query needs is not there.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE contacts_contact RENAME TO contacts_contact_away")
    with pytest.raises(DatabaseError):
        access_contact(supervisor, contact.pk)
