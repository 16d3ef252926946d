"""Adding and editing a partner from the directory's pages: for those who keep the directory, a
refused form comes back as it was typed with the reason beside its field, a change is audited
field by field with its old and new value, and the search finds the partner by what it now says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals import directory
from helpline.referrals.directory import PartnerConflict
from helpline.referrals.models import Partner
from helpline.referrals.selectors import partner_search
from tests.factories import persona
from tests.partner_factories import add_partner

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


def form(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Siem Reap Children's Shelter",
        "name_km": "ទីជម្រកកុមារសៀមរាប",
        "services": ["shelter", "food"],
        "provinces": ["siem_reap"],
        "genders": [],
        "min_age": "6",
        "max_age": "17",
        "languages": "Khmer, English",
        "opening_hours": "24 hours",
        "phone": "063 555 123",
        "email": "intake@shelter.example.org",
        "contact_person": "Sokha",
        "emergency": "on",
        "monitoring_every_days": "180",
        "description": "Emergency shelter for girls and boys.",
    } | changes


def test_a_partner_is_added_not_yet_assessed_and_found_at_once(keeper: Staff, client_for: ClientFor) -> None:
    client = client_for(keeper)
    assert client.get("/partners/new/").status_code == 200
    response = client.post("/partners/new/", form())
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert response["Location"] == f"/partners/{partner.pk}/"
    assert partner.assessment == "not_assessed" and not partner.may_receive
    assert partner.phone == "+85563555123" and partner.emergency
    assert [p.name for p in partner_search(text="ទីជម្រកកុមារ", province="siem_reap", age=9)] == [partner.name]
    assert AuditEvent.objects.get(action=AuditAction.PARTNER_CREATE).record_id == str(partner.pk)


@pytest.mark.parametrize(
    ("changes", "field_text"),
    [
        ({"min_age": "18", "max_age": "6"}, "oldest age"),
        ({"email": "not an email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"services": ["no_such_service"]}, "no_such_service"),
        ({"name": "   "}, "name"),
    ],
)
def test_a_refused_partner_comes_back_as_typed_and_nothing_is_written(
    changes: dict[str, Any], field_text: str, keeper: Staff, client_for: ClientFor
) -> None:
    response = client_for(keeper).post("/partners/new/", form(**changes))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Khmer, English" in body  # what was typed is kept
    assert field_text.lower() in body.lower()
    assert (
        not Partner.objects.exists()
        and not AuditEvent.objects.filter(action=AuditAction.PARTNER_CREATE).exists()
    )


def test_a_name_already_in_the_directory_is_a_conflict(keeper: Staff, client_for: ClientFor) -> None:
    add_partner(keeper, "Siem Reap Children's Shelter")
    response = client_for(keeper).post("/partners/new/", form(name="siem reap  children's SHELTER"))
    assert response.status_code == 409 and Partner.objects.count() == 1


def test_an_edit_is_audited_field_by_field_and_an_unchanged_form_writes_nothing(
    keeper: Staff, client_for: ClientFor
) -> None:
    client = client_for(keeper)
    client.post("/partners/new/", form())
    partner = Partner.objects.get()
    page = client.get(f"/partners/{partner.pk}/edit/").content.decode()
    assert "intake@shelter.example.org" in page and 'value="shelter"' in page
    assert client.post(f"/partners/{partner.pk}/edit/", form()).status_code == 302
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNER_UPDATE).exists()
    response = client.post(
        f"/partners/{partner.pk}/edit/", form(services=["shelter", "legal_advice"], max_age="24")
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_UPDATE)
    assert event.changes == {
        "max_age": [17, 24],
        "services": [["food", "shelter"], ["legal_advice", "shelter"]],
    }
    assert [p.pk for p in partner_search(service="legal_advice", age=22)] == [partner.pk]


def test_only_those_who_keep_the_directory_add_or_edit(keeper: Staff, client_for: ClientFor) -> None:
    partner = add_partner(keeper)
    counsellor = client_for(persona(Role.COUNSELLOR, username="c"))
    assert counsellor.post("/partners/new/", form()).status_code == 403
    assert counsellor.post(f"/partners/{partner.pk}/edit/", form()).status_code == 403
    assert counsellor.get(f"/partners/{partner.pk}/").status_code == 200  # they may read it
    outsider = client_for(persona(Role.DATA_OFFICER, username="d"))
    assert outsider.get(f"/partners/{partner.pk}/").status_code == 403
    assert Partner.objects.count() == 1


def test_the_partner_page_shows_the_whole_partnership(keeper: Staff, client_for: ClientFor) -> None:
    partner = add_partner(keeper, name_km="ផ្ទះសុវត្ថិភាព", languages="Khmer", opening_hours="Mon-Fri 8-17")
    body = client_for(keeper).get(f"/partners/{partner.pk}/").content.decode()
    for text in (
        "ផ្ទះសុវត្ថិភាព",
        "Mon-Fri 8-17",
        "+85512345678",
        'id="assessments"',
        'id="visits"',
        'id="concerns"',
        'id="suspensions"',
        'id="documents"',
    ):
        assert text in body, text


def test_a_partner_is_retired_and_brought_back_from_its_page_each_change_audited(
    keeper: Staff, client_for: ClientFor
) -> None:
    partner = add_partner(keeper, "Kampot Youth Centre", provinces=["kampot"])
    client = client_for(keeper)
    assert client.post(f"/partners/{partner.pk}/retire/", {"reason": ""}).status_code == 400
    assert client.post(f"/partners/{partner.pk}/retire/", {"reason": "MOU ended."}).status_code == 302
    partner.refresh_from_db()
    assert not partner.is_active and not partner.may_receive
    retired = AuditEvent.objects.get(action=AuditAction.PARTNER_RETIRE)
    assert retired.reason == "MOU ended." and retired.record_id == str(partner.pk)
    # Not offered for a new referral, but still in the directory's list, marked retired.
    assert partner not in partner_search(service="shelter")
    listed = client.get("/partners/").content.decode()
    assert "Kampot Youth Centre" in listed and "partner-retired" in listed
    assert client.post(f"/partners/{partner.pk}/retire/", {"reason": "again"}).status_code == 409
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert f"/partners/{partner.pk}/reinstate/" in page
    assert client.post(f"/partners/{partner.pk}/reinstate/", {"reason": "New MOU."}).status_code == 302
    partner.refresh_from_db()
    assert partner.is_active and partner.may_receive
    assert AuditEvent.objects.filter(action=AuditAction.PARTNER_REINSTATE).count() == 1


def test_a_partner_is_retired_only_by_those_who_keep_the_directory(
    keeper: Staff, client_for: ClientFor
) -> None:
    partner = add_partner(keeper)
    counsellor = client_for(persona(Role.COUNSELLOR, username="c"))
    assert counsellor.post(f"/partners/{partner.pk}/retire/", {"reason": "x"}).status_code == 403
    assert "/retire/" not in counsellor.get(f"/partners/{partner.pk}/").content.decode()
    partner.refresh_from_db()
    assert partner.is_active and not AuditEvent.objects.filter(action=AuditAction.PARTNER_RETIRE).exists()


def test_a_retired_partner_whose_name_was_taken_meanwhile_is_not_brought_back(keeper: Staff) -> None:
    old = add_partner(keeper, "Safe Haven")
    directory.partner_retire(keeper, partner=old, reason="Closed.")
    add_partner(keeper, "Safe Haven")
    with pytest.raises(PartnerConflict):
        directory.partner_reinstate(keeper, partner=old, reason="Reopened.")
    old.refresh_from_db()
    assert not old.is_active


def test_the_add_form_shows_every_problem_at_once(keeper: Staff, client_for: ClientFor) -> None:
    response = client_for(keeper).post(
        "/partners/new/", form(phone="not a phone", email="not an email", min_age="17", max_age="6")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not a phone number" in page and "Not an email address" in page
    assert "The oldest age served is below the youngest" in page
    assert not Partner.objects.exists()
