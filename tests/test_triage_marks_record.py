"""A triage marked wrong from the contact's record page, once the contact is closed: the counsellor
who handled it sees the triage explained and the buttons there, marks with or without script and
comes back to the record; whoever the page does not offer the buttons to is refused the mark too,
by the same rule (routing.marks.may_mark: the console and the right to write the contact)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services as contact_services
from helpline.contacts.forms import ClassificationForm
from helpline.contacts.models import Contact, Status
from helpline.contacts.transfer import contact_transfer
from helpline.routing.marks import may_mark
from helpline.routing.models import Triage, TriageMark
from tests.factories import persona
from tests.test_triage_review import PLAN, sms_contact

ClientFor = Callable[[Staff], Client]
HX = {"HTTP_HX_REQUEST": "true"}


def triaged(counsellor: Staff, *, minutes_ago: int = 0) -> Contact:
    """An SMS the counsellor took, whose triage scored 30."""
    contact = sms_contact(PLAN, minutes_ago=minutes_ago)
    contact_services.contact_take(counsellor, contact=contact)
    Triage.objects.create(
        contact=contact,
        score=30,
        matched=["x"],
        explanation={"signals": {"running_away": 10, "suicide": 20}},
        scored_at=timezone.now(),
    )
    return contact


def closed(counsellor: Staff, *, minutes_ago: int = 0) -> Contact:
    contact = triaged(counsellor, minutes_ago=minutes_ago)
    form = ClassificationForm({"kind": "counselling", "reasons": ["mental_health.other"]})
    assert form.is_valid(), form.errors
    return contact_services.contact_record(counsellor, contact=contact, data=form.cleaned_data)


def mark_url(contact: Contact) -> str:
    return f"/console/{contact.pk}/triage-mark/"


def test_the_counsellor_marks_a_closed_contacts_triage_from_its_record_page_without_script(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = closed(counsellor)
    client = client_for(counsellor)
    record = f"/contacts/{contact.pk}/"
    page = client.get(record).content.decode()
    assert "Risk score 30" in page and 'value="too_high"' in page and 'value="too_low"' in page
    assert f'name="next" value="{record}"' in page
    answer = client.post(mark_url(contact), {"verdict": "too_high", "next": record})
    assert answer.status_code == 302 and answer["Location"] == record
    mark = TriageMark.objects.get(contact=contact, staff=counsellor)
    assert mark.verdict == "too_high" and mark.score == 30
    event = AuditEvent.objects.get(action="triage.mark", actor=counsellor)
    assert event.record_id == str(contact.pk)
    assert event.detail == {"verdict": "too_high", "before": "", "score": 30}
    page = client.get(record).content.decode()
    assert "You marked this triage too high." in page and 'value="withdraw"' in page
    assert "supervisors will review this triage" in page  # said once, on the page it came back to


def test_the_counsellor_marks_from_the_record_page_with_script_and_the_box_is_redrawn(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = closed(counsellor)
    client = client_for(counsellor)
    record = f"/contacts/{contact.pk}/"
    box = client.post(mark_url(contact), {"verdict": "too_low", "next": record}, **HX)
    assert box.status_code == 200
    html = box.content.decode()
    assert html.startswith('<div class="triage-box"')
    assert "You marked this triage too low." in html and "supervisors will review this triage" in html
    # The redrawn box still returns to the record page when the next click has no script.
    assert f'name="next" value="{record}"' in html
    assert client.post(mark_url(contact), {"verdict": "withdraw", "next": record}, **HX).status_code == 200
    assert not TriageMark.objects.filter(contact=contact).exists()
    assert AuditEvent.objects.filter(action="triage.mark_withdraw", actor=counsellor).count() == 1


def test_a_mark_goes_back_only_to_a_page_of_this_site(counsellor: Staff, client_for: ClientFor) -> None:
    contact = closed(counsellor)
    client = client_for(counsellor)
    answer = client.post(mark_url(contact), {"verdict": "too_low", "next": "https://evil.example/"})
    assert answer["Location"] == f"/console/{contact.pk}/"  # which sends a closed contact to its record
    answer = client.post(mark_url(contact), {"verdict": "too_high", "next": "//evil.example/x"})
    assert answer["Location"] == f"/console/{contact.pk}/"


def test_a_contact_closed_long_ago_can_still_be_marked(counsellor: Staff, client_for: ClientFor) -> None:
    contact = closed(counsellor, minutes_ago=400 * 24 * 60)
    client = client_for(counsellor)
    assert 'value="too_low"' in client.get(f"/contacts/{contact.pk}/").content.decode()
    assert client.post(mark_url(contact), {"verdict": "too_low"}, **HX).status_code == 200
    assert TriageMark.objects.filter(contact=contact, staff=counsellor).exists()


@pytest.mark.parametrize(
    ("who", "sees_box", "marks", "refused_with"),
    [
        ("handler", True, True, 0),
        ("supervisor", True, True, 0),  # corrects any contact, at the console or from its record
        ("other_counsellor", False, False, 404),  # cannot open the contact at all
        ("case_manager", False, False, 403),  # reads the record, works no console
        ("administrator", False, False, 403),
    ],
)
def test_whoever_the_record_page_offers_no_buttons_is_refused_the_mark(
    counsellor: Staff,
    client_for: ClientFor,
    who: str,
    sees_box: bool,
    marks: bool,
    refused_with: int,
) -> None:
    contact = closed(counsellor)
    staff = {
        "handler": counsellor,
        "supervisor": persona(Role.SUPERVISOR, username="boss"),
        "other_counsellor": persona(Role.COUNSELLOR, username="colleague"),
        "case_manager": persona(Role.CASE_MANAGER, username="cm"),
        "administrator": persona(Role.ADMINISTRATOR, username="adm"),
    }[who]
    client = client_for(staff)
    page = client.get(f"/contacts/{contact.pk}/")
    if who == "other_counsellor":
        assert page.status_code == 404
    else:
        html = page.content.decode()
        assert page.status_code == 200
        assert ("Risk score 30" in html) is sees_box
        assert ('value="too_low"' in html) is marks
    assert may_mark(staff, contact) is marks
    answer = client.post(mark_url(contact), {"verdict": "too_low"}, **HX)
    assert answer.status_code == (200 if marks else refused_with)
    assert TriageMark.objects.filter(contact=contact, staff=staff).exists() is marks
    if marks:  # a supervisor is the reviewer: not told that supervisors will review their mark
        said = answer.content.decode()
        reviewer = who == "supervisor"
        assert ("supervisors will review this triage" in said) is not reviewer
        assert ("counted with the others on the Risk signals page" in said) is reviewer
    if refused_with == 403:
        assert AuditEvent.objects.filter(actor=staff, action="access.refused").exists()


def test_a_counsellor_who_handed_an_open_contact_on_sees_its_triage_but_cannot_mark_it(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = triaged(counsellor)
    colleague = persona(Role.COUNSELLOR, username="colleague")
    contact_transfer(counsellor, contact=contact, to=colleague, reason="My shift ends")
    assert contact.status == Status.ACTIVE
    client = client_for(counsellor)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Risk score 30" in html and 'value="too_low"' not in html
    assert client.post(mark_url(contact), {"verdict": "too_low"}, **HX).status_code == 404
    assert not TriageMark.objects.exists()
    # The colleague holding it marks it, from the console as before.
    assert client_for(colleague).post(mark_url(contact), {"verdict": "too_low"}, **HX).status_code == 200
