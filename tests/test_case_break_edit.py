"""A break's edit form is fetched when its "Edit" is opened, not drawn with the case page: each lists
every vetted staff member, and a long case has several breaks. Without script the same address is
a page of its own; a refused edit still comes back drawn in place, open, as it was sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import breaks
from helpline.cases.models import Case, ConfidentialityBreak
from tests.case_factories import open_case

pytestmark = pytest.mark.django_db


def record_break(counsellor: Staff, case: Case) -> ConfidentialityBreak:
    return breaks.break_record(
        counsellor,
        case=case,
        facts=breaks.BreakFacts(
            reason="emergency",
            disclosed="her address",
            recipient_kind="partner",
            recipient="Shelter of Hope",
            disclosed_at=timezone.now(),
            client_told_first=True,
            not_told_why="",
            decided_by=counsellor,
        ),
    )


def test_the_case_page_links_to_the_edit_form_instead_of_drawing_it(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    brk = record_break(counsellor, case)
    html = client_for(counsellor).get(f"/cases/{case.pk}/").content.decode()
    edit_url = f"/cases/{case.pk}/breaks/{brk.pk}/edit/"
    assert f'action="/cases/{case.pk}/breaks/{brk.pk}/"' not in html
    assert f'<a href="{edit_url}">' in html  # without script
    assert f'hx-get="{edit_url}"' in html


def test_the_edit_form_starts_from_what_the_break_says_and_its_fetch_is_audited(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    brk = record_break(counsellor, case)
    client = client_for(counsellor)
    edit_url = f"/cases/{case.pk}/breaks/{brk.pk}/edit/"
    before = AuditEvent.objects.filter(action=AuditAction.CASE_VIEW, detail__part="break").count()

    fragment = client.get(edit_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html
    assert f'action="/cases/{case.pk}/breaks/{brk.pk}/"' in html
    assert 'value="Shelter of Hope"' in html
    assert "her address</textarea>" in html
    assert f'id="id_break_{brk.pk}_recipient"' in html
    assert 'name="correction"' not in html  # awaiting sign-off: an edit, not a correction

    page = client.get(edit_url)
    assert page.status_code == 200
    assert "<html" in page.content.decode() and 'value="Shelter of Hope"' in page.content.decode()
    after = AuditEvent.objects.filter(action=AuditAction.CASE_VIEW, detail__part="break").count()
    assert after == before + 2


def test_an_approved_break_offers_a_correction(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    brk = record_break(counsellor, case)
    breaks.break_sign_off(supervisor, brk=brk, approve=True, comment="")
    html = client_for(counsellor).get(f"/cases/{case.pk}/breaks/{brk.pk}/edit/").content.decode()
    assert '<input type="hidden" name="correction" value="1">' in html


def test_someone_who_cannot_see_the_case_gets_the_same_404_for_its_break(
    counsellor: Staff, make_persona: Callable[..., Staff], client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    brk = record_break(counsellor, case)
    other = client_for(make_persona("counsellor", username="sokha"))
    assert other.get(f"/cases/{case.pk}/breaks/{brk.pk}/edit/").status_code == 404
    # A break of another case, under this one's address: not found either.
    mine = client_for(counsellor)
    elsewhere = open_case(counsellor, nickname="Vanna")
    assert mine.get(f"/cases/{elsewhere.pk}/breaks/{brk.pk}/edit/").status_code == 404


def test_a_refused_edit_comes_back_open_in_place_as_it_was_sent(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    brk = record_break(counsellor, case)
    page = client_for(counsellor).post(
        f"/cases/{case.pk}/breaks/{brk.pk}/",
        {"reason": "emergency", "disclosed": "", "recipient_kind": "partner", "recipient": "Typed again"},
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert f'action="/cases/{case.pk}/breaks/{brk.pk}/"' in html
    assert 'value="Typed again"' in html
    assert f'id="id_break_{brk.pk}_disclosed_error"' in html
