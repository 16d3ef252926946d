"""Feedback a person wrote themselves goes through the same risk triage as chat and SMS: at the
urgent score it is marked, listed first, raised to high severity, and the form answers with the
helpline's numbers. Also: the triage form offers as owners exactly those the service accepts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import PoliceCheck, Role, Staff
from helpline.feedback import public, services
from helpline.feedback.models import Feedback, Severity
from helpline.feedback.services import FeedbackError

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
ZWSP = "\u200b"
RISKY_KM = f"ខ្ញុំ{ZWSP}ចង់{ZWSP}ស្លាប់"  # "I want to die", written with zero-width spaces as phones do
FORM = {"kind": "complaint", "subject": "helpline", "name": "", "email": ""}


def send(text: str, **extra: str) -> object:
    return Client().post(reverse("feedback:public_form"), FORM | {"text": text} | extra)


def test_risky_khmer_feedback_is_marked_and_answered_with_the_helplines_numbers() -> None:
    answer = send(RISKY_KM)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    page = answer.content.decode()  # type: ignore[attr-defined]
    assert 'id="call-now"' in page and "1280" in page and 'lang="km"' in page
    item = Feedback.objects.get()
    assert item.shows_risk and item.severity == Severity.HIGH and item.risk_score >= 10
    assert any("ចង់ស្លាប់" in phrase for phrase in item.risk_explanation["matched"])
    assert "suicide" in item.risk_explanation["signals"]


def test_ordinary_feedback_is_not_marked_and_the_form_says_what_it_said() -> None:
    answer = send("ខ្ញុំរង់ចាំយូរពេក")
    assert answer.status_code == 302  # type: ignore[attr-defined]
    item = Feedback.objects.get()
    assert not item.shows_risk and item.severity == Severity.MEDIUM and item.risk_explanation == {}
    thanks = Client().get(answer.url).content.decode()  # type: ignore[attr-defined]
    assert 'id="call-now"' not in thanks


def test_risky_feedback_is_listed_first_and_explained_to_supervisors(
    supervisor: Staff, client_for: ClientFor
) -> None:
    send("I want to die", lang="en")
    send("The wait was too long", lang="en")
    send("ខ្ញុំរង់ចាំយូរពេក")
    risky = Feedback.objects.get(shows_risk=True)
    assert Feedback.objects.count() == 3 and risky.language == "en"
    client = client_for(supervisor)
    listing = client.get(reverse("feedback:list")).content.decode()
    rows = re.findall(r"<tr[^>]*>\s*<td><a href=\"/feedback/([0-9a-f-]+)/", listing)
    assert rows[0] == str(risky.pk)  # the newest two came after it, yet it comes first
    assert listing.count('class="badge risk"') == 1
    detail = client.get(reverse("feedback:detail", args=[risky.pk])).content.decode()
    assert 'id="risk"' in detail and "want to die" in detail and "Suicide (+20)" in detail


def test_the_explanation_is_shown_only_to_those_who_may_read_the_item(
    counsellor: Staff, data_officer: Staff, client_for: ClientFor
) -> None:
    send(RISKY_KM)
    item = Feedback.objects.get()
    for reader in (counsellor, data_officer):  # not theirs to read / no feedback permission at all
        client = client_for(reader)
        assert "ចង់ស្លាប់" not in client.get(reverse("feedback:list")).content.decode()
        assert client.get(reverse("feedback:detail", args=[item.pk])).status_code in (403, 404)


def test_the_owner_list_offers_exactly_whom_the_service_accepts(
    supervisor: Staff, make_persona: Callable[..., Staff], client_for: ClientFor
) -> None:
    staff = [supervisor] + [make_persona(role, username=f"p-{role}") for role in Role.values]
    lapsed = make_persona(Role.COUNSELLOR, username="p-lapsed")
    PoliceCheck.objects.filter(staff=lapsed).update(expires_on=timezone.localdate() - dt.timedelta(days=1))
    staff.append(lapsed)
    item = services.feedback_receive(supervisor, source="staff", kind="complaint", text="late")
    page = client_for(supervisor).get(reverse("feedback:detail", args=[item.pk])).content.decode()
    select = re.search(r'<select name="owner"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    offered = set(re.findall(r'<option value="([0-9a-f-]+)"', select.group(1)))
    accepted = set()
    for person in staff:
        try:
            with transaction.atomic():
                services.feedback_update(supervisor, feedback=item, owner=person)
                accepted.add(str(person.pk))
                transaction.set_rollback(True)
        except FeedbackError:
            pass
    refused = {str(s.pk) for s in staff} - accepted
    assert offered == accepted and refused  # the data officer and the administrator among the refused
    assert str(lapsed.pk) in refused  # police check lapsed: could not open what they would own


def test_risky_words_sent_twice_get_the_numbers_first_both_times_and_are_kept_once() -> None:
    client = Client()
    for answer in [client.post(reverse("feedback:public_form"), FORM | {"text": RISKY_KM}) for _ in range(2)]:
        assert answer.status_code == 200  # rendered in place, as the first send's answer is
        page = answer.content.decode()
        assert 'id="call-now"' in page and "1280" in page and "117" in page and 'lang="km"' in page
    assert Feedback.objects.count() == 1 and Feedback.objects.get().shows_risk


def test_ordinary_words_sent_twice_get_the_plain_thanks_both_times_and_are_kept_once() -> None:
    client = Client()
    answers = [client.post(reverse("feedback:public_form"), FORM | {"text": "ខ្ញុំរង់ចាំយូរពេក"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].url == answers[1].url  # type: ignore[attr-defined]
    thanks = client.get(answers[1].url).content.decode()  # type: ignore[attr-defined]
    assert 'id="call-now"' not in thanks
    assert Feedback.objects.count() == 1 and not Feedback.objects.get().shows_risk


def test_the_risky_repeat_says_nothing_the_sender_did_not_just_type() -> None:
    """The repeat's answer is the first's, byte for byte (in English too): it tells the sender
    nothing of the item kept, not its number, its words or anything about it."""
    client = Client()
    first, second = (
        client.post(reverse("feedback:public_form"), FORM | {"text": "I want to die", "lang": "en"})
        for _ in range(2)
    )
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and 'id="call-now"' in second.content.decode()
    item = Feedback.objects.get()
    assert str(item.pk) not in second.content.decode() and item.short_id not in second.content.decode()


def test_a_click_answered_while_the_first_is_still_being_kept_puts_the_numbers_first() -> None:
    """A double click: the second request arrives while the first still holds its claim on the
    words (nothing is kept yet); the browser shows the second's answer, so it must carry the numbers."""
    words = public.form_words(FORM | {"text": RISKY_KM})
    first_request = RequestFactory().post(reverse("feedback:public_form"), REMOTE_ADDR="127.0.0.1")
    assert not public.form_repeated(first_request, words)  # the first click's claim, still at work
    answer = Client(REMOTE_ADDR="127.0.0.1").post(reverse("feedback:public_form"), FORM | {"text": RISKY_KM})
    assert answer.status_code == 200 and 'id="call-now"' in answer.content.decode()
    assert not Feedback.objects.exists()  # the repeat kept nothing: the first click keeps it
