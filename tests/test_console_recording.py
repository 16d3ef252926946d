"""Recording a contact quickly: every reason on the page and findable in either language, a new
contact in the child's language, the caller pane naming earlier contacts only, and a visible word
that a contact was kept. The keyboard itself is driven in tests/browser/test_recording.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.common.text import normalise
from helpline.contacts import intake
from helpline.contacts.identity import caller_for_address, parse_address
from helpline.contacts.models import Channel, Contact, Language, Term, Vocabulary
from helpline.contacts.selectors import caller_history
from tests.factories import persona
from tests.test_console import COUNSELLING_FORM, start

ClientFor = Callable[[Staff], Client]


def test_a_new_contact_is_in_khmer_whatever_the_counsellors_screen_language(
    counsellor: Staff, client_for: ClientFor
) -> None:
    assert counsellor.language == "en"
    client = client_for(counsellor)
    contact = start(client)
    assert contact.language == Language.KHMER
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert re.search(r'<option value="km" selected>', page)
    entry = client.get("/contacts/new/").context["form"]
    assert entry.initial["language"] == Language.KHMER


def test_every_reason_is_on_the_page_with_its_words_in_both_languages(
    counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    contact = start(client)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    subcategories = Term.objects.filter(vocabulary=Vocabulary.REASON, is_active=True, parent__isnull=False)
    boxes = re.findall(r'<input type="checkbox" name="reasons" value="([^"]+)" data-search="([^"]*)"', page)
    assert len(boxes) == subcategories.count() > 80
    search = dict(boxes)
    bullying = Term.objects.get(vocabulary=Vocabulary.REASON, code="violence.bullying")
    assert normalise(bullying.label_en) in search["violence.bullying"]
    assert normalise(bullying.label_km) in search["violence.bullying"]
    # The typed words as the filter puts them: "bully", "suic", "រំលោភ" each find something.
    for needle, code in [("bully", "violence.bullying"), ("suic", None), ("រំលោភ", None)]:
        found = [c for c, words in boxes if normalise(needle) in words]
        assert found, needle
        if code:
            assert code in found
    assert 'id="reason-filter"' in page and 'data-hotkey="r"' in page


def test_a_refused_save_keeps_the_reasons_ticked(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    response = client.post(f"/console/{contact.pk}/save/", {**COUNSELLING_FORM, "age": "99"})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'value="violence\.physical"[^>]*checked', page)
    assert re.search(r'value="family\.caregiver"[^>]*checked', page)
    assert not re.search(r'value="violence\.bullying"[^>]*checked', page)


def test_saving_says_so_on_the_next_page(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    response = client.post(f"/console/{contact.pk}/save/", COUNSELLING_FORM, follow=True)
    page = response.content.decode()
    assert f"Contact #{contact.short_id} saved." in page
    assert re.search(r'<ul class="messages" role="status">', page)


def test_a_one_click_close_says_what_was_recorded(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    contact = start(client)
    page = client.post(f"/console/{contact.pk}/quick/silent/", follow=True).content.decode()
    assert f"Contact #{contact.short_id} recorded: Silent." in page


def test_the_console_has_skip_links(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    assert 'href="#main"' in client.get("/console/").content.decode()
    contact = start(client)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert page.index('href="#contact-form"') < page.index('href="#main"') < page.index('class="topbar"')


def _contact_from(number: str, at: dt.datetime) -> Contact:
    caller = caller_for_address(parse_address(number))
    return intake.contact_waiting_open(channel=Channel.SMS, caller=caller, arrived_at=at)


def test_the_caller_pane_names_earlier_contacts_only_as_links(
    counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    now = timezone.now()
    earlier = _contact_from("012 345 678", now - dt.timedelta(days=2))
    earlier.handlers.add(counsellor)
    contact = start(client, address="012 345 678")
    later = _contact_from("012 345 678", now + dt.timedelta(minutes=5))
    later.handlers.add(counsellor)

    history = caller_history(counsellor, contact.caller, beside=contact)
    assert [p.id for p in history.last] == [earlier.pk]
    assert history.total == 1
    page = client.get(f"/console/{contact.pk}/").content.decode()
    pane = page[page.index('<aside class="panel history"') :]
    assert f'href="/contacts/{earlier.pk}/"' in pane
    assert str(later.pk) not in pane
    assert "1 earlier contact in all" in pane


def test_a_chat_is_not_called_a_first_contact_from_a_number(counsellor: Staff, client_for: ClientFor) -> None:
    caller = caller_for_address(parse_address("webchat:3f1c"))
    chat = intake.contact_waiting_open(channel=Channel.WEBCHAT, caller=caller, arrived_at=timezone.now())
    lines = caller_history(counsellor, caller, beside=chat).gentle_lines()
    assert not any("number" in line for line in lines), lines
    assert "web chat" in lines[0]
    phone = caller_for_address(parse_address("012 000 111"))
    assert caller_history(counsellor, phone).gentle_lines() == ["First contact from this number."]


def test_khmer_counsellors_see_the_filter_in_khmer(client_for: ClientFor, db: None) -> None:
    staff = persona("counsellor", username="kh", language="km")
    client = client_for(staff)
    contact = start(client)
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert "Find a reason" not in page and "Skip to" not in page
