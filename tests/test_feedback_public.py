"""The public feedback form and the survey: no account, Khmer first, plain forms with CSRF, and bad
input refused or made harmless, never a 500, never shown raw to staff. Also the post-contact
survey: sent when asked for, never to a caller whose safety note forbids contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Channel, Contact, Status
from helpline.conversations.models import Direction, Message
from helpline.feedback import figures, public, services
from helpline.feedback.models import Feedback, SurveyAnswer, SurveyInvite
from helpline.feedback.survey import surveys_send
from tests.case_factories import caller

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
FORM = {"kind": "complaint", "subject": "helpline", "text": "ខ្ញុំរង់ចាំយូរពេក", "name": "", "email": ""}


def post(client: Client, data: dict[str, str], **extra: str) -> object:
    return client.post(reverse("feedback:public_form"), data, **extra)


def test_the_form_opens_in_khmer_without_an_account() -> None:
    page = Client().get(reverse("feedback:public_form"))
    assert page.status_code == 200
    assert 'lang="km"' in page.content.decode()
    assert "<script" not in page.content.decode()  # works without JavaScript


def test_a_complaint_sent_through_the_form_is_received(supervisor: Staff, client_for: ClientFor) -> None:
    response = post(Client(), FORM | {"email": "me@example.org"})
    assert response.status_code == 302  # type: ignore[attr-defined]
    item = Feedback.objects.get()
    assert (item.source, item.kind, item.state, item.reply_channel) == (
        "web_form",
        "complaint",
        "received",
        "email",
    )
    assert "me@example.org" not in item.reply_address_encrypted
    assert client_for(supervisor).get(reverse("feedback:detail", args=[item.pk])).status_code == 200


def test_the_form_needs_its_csrf_token() -> None:
    response = post(Client(enforce_csrf_checks=True), FORM)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


def test_a_flood_from_one_address_is_refused(settings: object) -> None:
    settings.FEEDBACK_FORM_PER_HOUR = 3  # type: ignore[attr-defined]
    client = Client()
    codes = [post(client, FORM | {"text": f"ខ្ញុំរង់ចាំយូរពេក {i}"}).status_code for i in range(5)]  # type: ignore[attr-defined]
    assert codes == [302, 302, 302, 429, 429]
    assert Feedback.objects.count() == 3


def test_a_flood_of_refused_attempts_is_refused_too(settings: object) -> None:
    settings.FEEDBACK_FORM_PER_HOUR = 3  # type: ignore[attr-defined]
    client = Client()
    settings.FEEDBACK_FORM_REFUSED_PER_HOUR = 12  # type: ignore[attr-defined]
    limit = 12
    codes = [post(client, FORM | {"email": "not an address"}).status_code for _ in range(limit + 1)]  # type: ignore[attr-defined]
    assert codes == [400] * limit + [429]
    assert post(client, FORM).status_code == 429  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


def test_a_child_who_mistypes_a_few_times_still_gets_through(settings: object) -> None:
    """Refused attempts do not use up what an address may send."""
    settings.FEEDBACK_FORM_PER_HOUR = 3  # type: ignore[attr-defined]
    client = Client()
    for _ in range(4):
        assert post(client, FORM | {"email": "me@example"}).status_code == 400  # type: ignore[attr-defined]
    assert post(client, FORM | {"email": "me@example.org"}).status_code == 302  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 1


def test_a_child_with_five_refused_attempts_can_still_send(settings: object) -> None:
    """Refused attempts have their own count, several times the messages an address may send:
    mistakes never use up what may be sent, even where only one message an hour is allowed."""
    settings.FEEDBACK_FORM_PER_HOUR = 1  # type: ignore[attr-defined]
    client = Client()
    for _ in range(5):
        assert post(client, FORM | {"email": "me@example"}).status_code == 400  # type: ignore[attr-defined]
    assert post(client, FORM | {"email": "me@example.org"}).status_code == 302  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 1
    assert post(client, FORM | {"text": "ខ្ញុំចង់ប្ដឹង"}).status_code == 429  # type: ignore[attr-defined]


def test_at_a_shared_address_others_mistakes_do_not_stop_a_child_sending(settings: object) -> None:
    """A school's address: others sent some and mistyped often; what may be sent is still there."""
    settings.FEEDBACK_FORM_PER_HOUR = 3  # type: ignore[attr-defined]
    client = Client()
    for i in range(2):
        assert post(client, FORM | {"text": f"ខ្ញុំរង់ចាំ {i}"}).status_code == 302  # type: ignore[attr-defined]
    for _ in range(12):
        assert post(client, FORM | {"text": ""}).status_code == 400  # type: ignore[attr-defined]
    assert post(client, FORM | {"text": "ខ្ញុំចង់ប្ដឹង"}).status_code == 302  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 3


def _flooded_client(settings: object) -> Client:
    settings.FEEDBACK_FORM_PER_HOUR = 1  # type: ignore[attr-defined]
    client = Client()
    assert post(client, FORM).status_code == 302  # type: ignore[attr-defined]
    return client


def test_a_flooded_page_keeps_what_was_typed_and_keeps_nothing(settings: object) -> None:
    client = _flooded_client(settings)
    typed = FORM | {"text": "ខ្ញុំមិនពេញចិត្តទេ សូមជួយ", "subject_words": "សាលារៀន", "name": "ដារ៉ា"}
    page = post(client, typed)
    html = page.content.decode()  # type: ignore[attr-defined]
    assert page.status_code == 429  # type: ignore[attr-defined]
    assert "ខ្ញុំមិនពេញចិត្តទេ សូមជួយ" in html and "សាលារៀន" in html and "ដារ៉ា" in html
    assert "1280" in html and "117" in html
    assert 'id="call-now"' not in html  # nothing showing risk: the numbers stay where they were
    assert Feedback.objects.count() == 1  # only the message sent before the flood


def test_a_flooded_page_puts_the_numbers_first_for_words_showing_risk(settings: object) -> None:
    client = _flooded_client(settings)
    risky = "ខ្ញុំចង់សម្លាប់ខ្លួន ពិតមែន"  # "I want to kill myself, really"
    assert services.feedback_would_show_risk(source="web_form", text=risky)
    page = post(client, FORM | {"text": risky, "lang": "en"})
    html = page.content.decode()  # type: ignore[attr-defined]
    assert page.status_code == 429  # type: ignore[attr-defined]
    assert risky in html
    assert html.index('id="call-now"') < html.index("Too many messages") < html.index("<form")
    assert "call 1280 or the police on 117" in html
    assert Feedback.objects.count() == 1


def test_a_flood_of_flooded_attempts_is_no_longer_read_and_gets_the_numbers_first(settings: object) -> None:
    """Past as many flooded attempts as refused ones may be made, the words are not read by the
    triage any more (a flood cannot make it run without end): the numbers come first for all."""
    client = _flooded_client(settings)
    settings.FEEDBACK_FORM_REFUSED_PER_HOUR = 2  # type: ignore[attr-defined]
    pages = [post(client, FORM).content.decode() for _ in range(3)]  # type: ignore[attr-defined]
    assert ['id="call-now"' in html for html in pages] == [False, False, True]
    assert FORM["text"] in pages[-1]


def test_a_double_click_keeps_one_message_and_thanks_both(settings: object) -> None:
    settings.FEEDBACK_FORM_PER_HOUR = 2  # type: ignore[attr-defined]
    client = Client()
    assert [post(client, FORM).status_code for _ in range(2)] == [302, 302]  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 1
    # The repeat used none of the address's allowance: another message still goes through.
    assert post(client, FORM | {"text": "ខ្ញុំចង់ប្ដឹង"}).status_code == 302  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 2


def test_the_same_words_sent_again_with_an_address_to_answer_are_kept_with_it() -> None:
    """A child who sent words without an address, then wants an answer after all: the resend
    with the address is not a double click, so the address is not lost with it."""
    client = Client()
    assert post(client, FORM).status_code == 302  # type: ignore[attr-defined]
    assert post(client, FORM | {"email": "me@example.org"}).status_code == 302  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 2
    assert Feedback.objects.filter(reply_channel="email").count() == 1


def test_words_not_kept_may_be_sent_again() -> None:
    """Nothing kept (the database refused the write): the same words sent again are kept, not
    thanked away as a double click."""
    from django.db import OperationalError, connection

    def refuse_feedback_writes(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("INSERT") and "feedback_feedback" in sql:
            raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(refuse_feedback_writes):
        refused = post(client, FORM)
    assert refused.status_code in {500, 503}  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()
    assert post(client, FORM).status_code == 302  # type: ignore[attr-defined]
    assert Feedback.objects.count() == 1


def test_oversized_text_is_refused_and_nothing_kept() -> None:
    response = post(Client(), FORM | {"text": "ក" * 2001})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


def test_a_huge_body_is_refused_without_a_500() -> None:
    response = post(Client(), FORM | {"text": "a" * 3_000_000})
    assert response.status_code in {400, 413}  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


def test_script_and_html_are_shown_to_staff_as_text(supervisor: Staff, client_for: ClientFor) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert post(Client(), FORM | {"text": attack, "subject_words": "<b>bold</b>"}).status_code == 302  # type: ignore[attr-defined]
    item = Feedback.objects.get()
    page = client_for(supervisor).get(reverse("feedback:detail", args=[item.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;" in page


def test_invalid_utf8_is_repaired_or_refused_never_a_500() -> None:
    body = b"kind=complaint&subject=helpline&text=caf\xc3\x28\xff\xfe+ok&name=&email="
    response = Client().post(
        reverse("feedback:public_form"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in {302, 400}
    for item in Feedback.objects.all():
        assert "\x00" not in item.text and "ok" in item.text


def test_a_nul_character_is_refused() -> None:
    response = post(Client(), FORM | {"text": "hello\x00world"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


def test_a_robot_filling_the_hidden_field_is_thanked_and_nothing_kept() -> None:
    assert post(Client(), FORM | {"website": "http://spam.example"}).status_code == 302  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


def test_an_odd_choice_is_refused() -> None:
    assert post(Client(), FORM | {"kind": "<script>"}).status_code == 400  # type: ignore[attr-defined]
    assert not Feedback.objects.exists()


# --- The survey ------------------------------------------------------------------------------------


def _closed_sms_contact(number: str, *, safety_note: str = "") -> Contact:
    from helpline.conversations.models import Conversation

    who = caller(number)
    if safety_note:
        who.safety_note = safety_note
        who.save(update_fields=["safety_note"])
    now = timezone.now()
    contact = Contact.objects.create(
        channel=Channel.SMS,
        status=Status.CLOSED,
        kind="counselling",
        arrived_at=now,
        ended_at=now,
        caller=who,
    )
    Conversation.objects.create(
        channel=Channel.SMS,
        gateway="kannel",
        local_address="1280",
        caller=who,
        contact=contact,
        last_message_at=now,
    )
    return contact


def test_no_survey_is_sent_unless_the_service_asks_for_it() -> None:
    _closed_sms_contact("+85512000001")
    assert surveys_send() == 0
    assert not SurveyInvite.objects.exists()


def test_the_survey_goes_after_a_closed_sms_but_never_against_a_safety_note(supervisor: Staff) -> None:
    services.settings_update(supervisor, changes={"survey_enabled": True})
    plain = _closed_sms_contact("+85512000002")
    careful = _closed_sms_contact("+85512000003", safety_note="Do not contact: the phone is the father's")
    assert surveys_send() == 1
    assert surveys_send() == 0
    assert Message.objects.filter(direction=Direction.OUTBOUND, conversation__contact=plain).count() == 1
    assert not Message.objects.filter(conversation__contact=careful).exists()
    assert SurveyInvite.objects.get(contact=careful).skipped_because == "safety_note"


def test_survey_answers_are_stored_against_the_contact_and_counted(supervisor: Staff) -> None:
    services.settings_update(supervisor, changes={"survey_enabled": True})
    contact = _closed_sms_contact("+85512000004")
    surveys_send()
    url = reverse("feedback:survey", args=[public.survey_token(contact.pk)])
    page = Client().get(url)
    assert page.status_code == 200 and 'lang="km"' in page.content.decode()
    assert Client().post(url, {"helpful": "yes", "again": "no"}).status_code == 200  # "heard" left out
    assert {(a.question, a.answer) for a in SurveyAnswer.objects.filter(contact=contact)} == {
        ("helpful", "yes"),
        ("again", "no"),
    }
    start = timezone.now() - timezone.timedelta(hours=1)
    counted = figures.survey_figures(start, timezone.now() + timezone.timedelta(minutes=1))
    assert counted["helpful"]["yes"] == 1 and counted["again"]["no"] == 1 and counted["heard"]["yes"] == 0


def test_a_forged_survey_link_finds_nothing() -> None:
    assert Client().get(reverse("feedback:survey", args=["not-a-token"])).status_code == 404
