"""A refused "Save and close": the page says at the top that nothing was kept and which fields to
fix, each a link to an element on the page, in the counsellor's language; and it names the
contact's own page for the address bar, so that Back later does not land on a POST's result.
The focus and the sticky bar are checked in a browser in tests/browser/test_console_refused_save.py."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.contacts.models import Status
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.test_console import COUNSELLING_FORM, start

ClientFor = Callable[[Staff], Client]


def _summary(page: str) -> str:
    found = re.search(r'<div class="error-summary" id="error-summary"(.*?)</div>', page, re.S)
    assert found, "no error summary on the refused page"
    return found.group(0)


def test_a_refused_save_names_each_field_with_a_link_to_it(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    response = client.post(
        f"/console/{contact.pk}/save/", {**COUNSELLING_FORM, "kind": "", "age": "-5", "reasons": []}
    )
    assert response.status_code == 400
    page = response.content.decode()
    summary = _summary(page)
    assert "The contact was not saved" in summary
    assert f'data-replace-url="/console/{contact.pk}/"' in summary
    assert 'tabindex="-1"' in summary and 'role="alert"' in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert [label for _, label in links] == ["Kind of contact", "Age"]
    for anchor, _label in links:  # every link leads somewhere on the page
        assert re.search(rf'\bid="{re.escape(anchor)}"', page), anchor
    assert summary.index("Kind of contact") < summary.index("Age")
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE


def test_a_counselling_contact_without_a_reason_links_to_the_reason_finder(
    counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    contact = start(client)
    page = client.post(f"/console/{contact.pk}/save/", {**COUNSELLING_FORM, "reasons": []}).content.decode()
    assert '<a href="#reason-filter">Reasons for contact</a>' in _summary(page)


def test_the_summary_is_in_khmer_on_a_khmer_console(db: None) -> None:
    client = signed_in_client(persona(Role.COUNSELLOR, username="kh", language="km"))
    contact = start(client)
    page = client.post(f"/console/{contact.pk}/save/", {**COUNSELLING_FORM, "kind": ""}).content.decode()
    summary = _summary(page)
    assert "ការទាក់ទងនេះមិនទាន់បានរក្សាទុកទេ" in summary
    assert "ត្រូវបំពេញចន្លោះនេះ" in summary  # "This field is required", by the field's Khmer label
    assert "not saved" not in summary


def test_a_page_that_was_not_refused_has_no_summary(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    assert 'id="error-summary"' not in client.get(f"/console/{contact.pk}/").content.decode()
