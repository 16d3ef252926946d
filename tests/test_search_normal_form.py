"""Summary search compares words in the one normal form (helpline.common.text.normalise), and rows
stored before that form existed are brought to it."""

from __future__ import annotations

from django.core.management import call_command

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Contact
from helpline.contacts.search_index import rebuild_search_text, renormalised
from helpline.contacts.selectors import ContactFilters, contact_search
from tests.test_contact_records import record


def test_search_finds_a_summary_whatever_the_spelling_variant(counsellor: Staff, supervisor: Staff) -> None:
    hit = record(counsellor, summary="ម្ដាយវាយកូនរាល់ថ្ងៃ ហើយមិនឲ្យទៅសាលា")
    record(counsellor, summary="ក្មេងប្រុសមានបញ្ហានៅសាលារៀន")
    assert list(contact_search(supervisor, ContactFilters(text="ម្តាយ"))) == [hit]  # coeng ta typed
    assert list(contact_search(supervisor, ContactFilters(text="ម្\u200bដាយ"))) == [hit]  # zero-width space
    assert list(contact_search(supervisor, ContactFilters(text="SCHOOOL"))) == []


def test_rows_stored_in_the_old_form_are_rebuilt_in_batches(counsellor: Staff, supervisor: Staff) -> None:
    hit = record(counsellor, summary="Mother says she feels good. ម្ដាយ")
    other = record(counsellor, summary="nothing to see")
    # As stored before the normal form: lower-cased words only, coeng da kept.
    Contact.objects.filter(pk=hit.pk).update(search_text=" mother says she feels good ម្ដាយ ")
    assert list(contact_search(supervisor, ContactFilters(text="good"))) == []
    assert rebuild_search_text(Contact, batch=1) == 1  # one row changed, read one at a time
    assert list(contact_search(supervisor, ContactFilters(text="good ម្តាយ"))) == [hit]
    assert Contact.objects.get(pk=other.pk).search_text == renormalised(" nothing to see ")
    assert rebuild_search_text(Contact) == 0  # a second run changes nothing


def test_the_command_can_segment_every_summary_again(counsellor: Staff, supervisor: Staff) -> None:
    hit = record(counsellor, summary="ឪពុកវាយនាង")
    Contact.objects.filter(pk=hit.pk).update(search_text="")
    call_command("rebuild_search_text", "--resegment")
    assert list(contact_search(supervisor, ContactFilters(text="ឪពុក"))) == [hit]
    assert AuditEvent.objects.filter(action="contacts.search_text_rebuild").exists()
