"""The post-contact survey through web chat, end to end over the child's real socket (the ASGI
application, as uvicorn speaks to it): a chat is answered and closed, the scheduler's survey job
sends the survey into the chat in the child's language, the child answers the questions it leads
to, the answers are stored against the contact and counted for the reports; a chat whose caller
has a safety note gets nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone, translation

from helpline.accounts.models import Staff
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact, Status
from helpline.conversations.models import ChatSession, Direction, Message
from helpline.feedback import services as feedback_services
from helpline.feedback.figures import survey_figures
from helpline.feedback.models import SurveyAnswer, SurveyInvite
from helpline.feedback.survey import surveys_send
from helpline.reports.figures_quality import quality_figures
from helpline.reports.selectors import Period
from tests.test_chat_socket import ChildSocket, db, run, start_chat

pytestmark = pytest.mark.django_db(transaction=True)
QUESTIONS = {
    "km": ["តើវាមានប្រយោជន៍ទេ?"],
    "en": ["Was it helpful?", "Did you feel heard?", "Would you contact us again?"],
}


def _invitation(language: str) -> str:
    with translation.override(language):
        return translation.gettext(
            "Child Helpline 1280: a few short questions about your conversation, if you like: %(link)s"
        )


def _contact_of(started: dict[str, Any]) -> Contact:
    session = ChatSession.objects.select_related("conversation__contact").get(
        conversation_id=started["conversation"]
    )
    return session.conversation.contact


def _answer_and_close(counsellor: Staff, contact: Contact, *, safety_note: str = "") -> None:
    """The counsellor takes the chat and saves the form (closed as counselling), as the console does;
    with a safety note written on the caller first when the child asked not to be contacted."""
    contact_services.contact_take(counsellor, contact=contact)
    if safety_note:
        assert contact.caller is not None
        contact_services.caller_safety_note_set(counsellor, caller=contact.caller, note=safety_note)
    fresh = Contact.objects.get(pk=contact.pk)
    data = contact_services.contact_form_data(fresh) | {"kind": "counselling"}
    contact_services.contact_record(counsellor, contact=fresh, data=data)


async def _survey_frame(child: ChildSocket) -> dict[str, Any]:
    """The next message from the helpline (the chat's end is said first)."""
    frame = await child.receive_until("message")
    assert frame["from"] == "helpline"
    return frame


@pytest.mark.parametrize("language", ["km", "en"])
def test_a_closed_chat_gets_the_survey_in_its_language_and_the_answers_are_counted(
    language: str, counsellor: Staff, supervisor: Staff
) -> None:
    feedback_services.settings_update(supervisor, changes={"survey_enabled": True})
    before = timezone.now() - dt.timedelta(minutes=1)

    async def scenario() -> None:
        child, started = await start_chat(language)
        contact = await db(_contact_of)(started)
        await db(_answer_and_close)(counsellor, contact)
        await child.receive_until("ended")
        assert await db(surveys_send)() == 1  # the scheduler's job
        frame = await _survey_frame(child)
        link = re.search(r"https?://\S+|/say/survey/\S+", frame["text"])
        assert link is not None, frame
        assert frame["text"] == _invitation(language) % {"link": link.group(0)}
        stored = await db(Message.objects.get)(direction=Direction.OUTBOUND, conversation__contact=contact)
        assert stored.is_automatic and stored.text == frame["text"]

        # The child opens the link: the questions, in the chat's language; two answered, one left.
        path = urlparse(link.group(0)).path

        def answer() -> None:
            page = Client().get(path)
            assert page.status_code == 200
            body = page.content.decode()
            assert f'lang="{language}"' in body
            assert all(q in body for q in QUESTIONS[language])
            assert Client().post(path, {"helpful": "yes", "heard": "somewhat"}).status_code == 200

        await db(answer)()
        await child.disconnect()

    run(scenario)
    contact = Contact.objects.get()
    assert contact.status == Status.CLOSED
    assert {(a.question, a.answer) for a in SurveyAnswer.objects.filter(contact=contact)} == {
        ("helpful", "yes"),
        ("heard", "somewhat"),
    }
    invite = SurveyInvite.objects.get(contact=contact)
    assert (invite.sent, invite.language) == (True, language)
    counted = survey_figures(before, timezone.now() + dt.timedelta(minutes=1))
    assert counted["helpful"] == {"yes": 1, "somewhat": 0, "no": 0}
    assert counted["heard"] == {"yes": 0, "somewhat": 1, "no": 0}
    assert sum(counted["again"].values()) == 0
    today = timezone.localdate()
    reported = quality_figures(supervisor, Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1)))
    assert reported.survey == counted


def test_no_survey_reaches_a_chat_whose_caller_must_not_be_contacted(
    counsellor: Staff, supervisor: Staff
) -> None:
    feedback_services.settings_update(supervisor, changes={"survey_enabled": True})

    async def scenario() -> None:
        child, started = await start_chat("km")
        contact = await db(_contact_of)(started)
        await db(_answer_and_close)(counsellor, contact, safety_note="Do not contact: a shared phone")
        await child.receive_until("ended")
        assert await db(surveys_send)() == 0
        # Nothing more comes into the chat: after a pause, the next frame is the answer to a ping.
        await asyncio.sleep(1.5)
        await child.send({"type": "ping"})
        assert await child.receive() == {"type": "pong"}
        await child.disconnect()

    run(scenario)
    contact = Contact.objects.get()
    assert not Message.objects.filter(direction=Direction.OUTBOUND, conversation__contact=contact).exists()
    assert SurveyInvite.objects.get(contact=contact).skipped_because == "safety_note"
    assert not SurveyAnswer.objects.exists()
