"""A refused police check or training record (the walk: a bare page listing "expires_on" and
"issued_on", the typed values gone): the staff page again, what was typed kept, the message by the
field and in the summary at the top, in Khmer for a Khmer administrator."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from helpline.accounts.models import PoliceCheck, Role, Staff, TrainingRecord
from tests.conftest import signed_in_client
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
KHMER = re.compile("[\u1780-\u17ff]")


def _field_block(page: str, field_id: str) -> str:
    """The field's <div> in the form (label, input, its errors)."""
    found = re.search(rf'<div>\s*<label for="{field_id}".*?</div>', page, re.S)
    assert found, field_id
    return found.group(0)


def test_a_police_check_expiring_before_issue_comes_back_on_the_staff_page(
    administrator: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    response = client_for(administrator).post(
        f"/accounts/staff/{counsellor.pk}/police-checks/",
        {"reference": "R-1", "issued_on": "2026-12-01", "expires_on": "2026-11-01", "notes": "paper copy"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h2>Police checks</h2>" in page  # the staff page, not a bare one
    assert 'id="error-summary"' in page and f'data-replace-url="/accounts/staff/{counsellor.pk}/"' in page
    assert '<a href="#police_expires_on">Expires on</a>' in page
    expires = _field_block(page, "police_expires_on")
    assert 'value="2026-11-01"' in expires and "The expiry date must be after the issue date." in expires
    assert 'value="2026-12-01"' in _field_block(page, "police_issued_on")
    assert 'value="R-1"' in _field_block(page, "police_reference")
    assert "paper copy" in _field_block(page, "police_notes")
    assert ">expires_on<" not in page and ">issued_on<" not in page
    assert not PoliceCheck.objects.filter(staff=counsellor, reference="R-1").exists()
    # The training form beside it is empty and keeps ids of its own.
    assert 'id="training_expires_on"' in page and 'id="police_expires_on"' in page


def test_an_impossible_date_is_said_by_the_field_in_khmer(counsellor: Staff, db: None) -> None:
    admin = signed_in_client(persona(Role.ADMINISTRATOR, username="kh_admin", language="km"))
    response = admin.post(
        f"/accounts/staff/{counsellor.pk}/police-checks/",
        {"reference": "R-2", "issued_on": "2026-02-30", "expires_on": "2028-01-01"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    issued = _field_block(page, "police_issued_on")
    assert 'value="2026-02-30"' in issued
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', issued, re.S)
    assert errors and all(KHMER.search(e) for e in errors), errors
    assert "មិនទាន់បានរក្សាទុកទេ" in page  # the summary's heading, in Khmer


def test_a_training_without_a_course_keeps_the_date(
    administrator: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    response = client_for(administrator).post(
        f"/accounts/staff/{counsellor.pk}/training/", {"course": "", "completed_on": "2026-11-20"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h2>Training</h2>" in page
    assert "This field is required." in _field_block(page, "training_course")
    assert 'value="2026-11-20"' in _field_block(page, "training_completed_on")
    assert '<a href="#training_course">Course</a>' in page
    assert not TrainingRecord.objects.filter(staff=counsellor).exists()
