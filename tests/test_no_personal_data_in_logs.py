"""No personal data in the logs, the error reports or the audit trail: unique markers are put in
every personal field and message, the main flows run with every logger at DEBUG, and no marker
appears in anything logged, in any error report mailed to the administrators, or in the audit
trail (which is kept after the records it names are erased, so it must never hold their content)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from helpline.accounts.access import PUBLIC, access
from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.cases import services as case_services
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact
from helpline.conversations import chat, outbox
from helpline.conversations import services as text_services
from helpline.conversations.models import Message
from helpline.referrals import services as referral_services
from tests.referral_drafts import draft
from tests.referral_factories import partner
from tests.test_console import COUNSELLING_FORM
from tests.test_sms_outbox import SECRET, gateway  # noqa: F401  (the fixture, used by name)

ClientFor = Callable[[Staff], Client]


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text} {record.__dict__!r}")


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    loggers = [root] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in levels:
            logger.setLevel(level)


def marker(what: str) -> str:
    return f"MRK{what}{uuid.uuid4().hex[:10]}"


@access(PUBLIC)
def _fails(request: HttpRequest) -> HttpResponse:
    note = request.POST.get("note", "")  # a local holding the child's words when the view fails
    raise RuntimeError(f"failed after reading {len(note)} characters")


urlpatterns = [path("fails/", _fails), path("", include("config.urls"))]


@pytest.mark.usefixtures("gateway")
@override_settings(ADMINS=[("Ops", "ops@example.org")], ROOT_URLCONF=__name__)
def test_markers_in_every_personal_field_reach_no_log_no_error_report_and_no_audit_row(
    captured: Everything, client_for: ClientFor, counsellor: Staff, supervisor: Staff
) -> None:
    markers: list[str] = []

    def m(what: str) -> str:
        markers.append(marker(what))
        return markers[-1]

    number_digits = f"85512{uuid.uuid4().int % 10**6:06d}"
    markers.append(number_digits[3:])  # the subscriber part of the child's number
    # SMS in, through the gateway's webhook
    sms_text = m("sms")
    response = Client().get(
        "/hooks/sms/kannel",
        {"secret": SECRET, "from": number_digits, "to": "1280", "text": sms_text, "id": m("msgid")},
    )
    assert response.status_code == 200
    contact = Message.objects.get(text=sms_text).conversation.contact
    # The counsellor answers, replies, and the outbox sends it
    counsellor_client = client_for(counsellor)
    contact_services.contact_take(counsellor, contact=contact)
    response = counsellor_client.post(f"/console/{contact.pk}/reply/", {"text": m("reply")})
    assert response.status_code in {200, 204, 302}, response.status_code
    if not Message.objects.filter(text=markers[-1]).exists():  # the page's form moved: the service
        text_services.text_reply(counsellor, contact=contact, text=markers[-1])
    assert outbox.deliver_due().sent >= 1
    # Recording the contact through the console's form
    form = {**COUNSELLING_FORM, "summary": m("summary")}
    response = counsellor_client.post(f"/console/{contact.pk}/save/", form)
    assert response.status_code == 302, response.status_code
    assert Contact.objects.get(pk=contact.pk).summary == form["summary"]
    # A web chat: the child's nickname and message
    started = chat.chat_start(language="km", nickname=m("nick")[:40], age=13, client_address="10.77.66.55")
    markers.append("10.77.66.55")
    session = chat.chat_resume(started.token)
    chat.chat_receive(session, client_id="c1", text=m("chat"))
    # A case, a person in it, a note, a safety note on the caller
    case = case_services.case_open(counsellor, contacts=[contact], nickname=m("case")[:80])
    case_services.case_add_person(counsellor, case=case, role="household", name=m("person"), notes=m("pnote"))
    response = counsellor_client.post(f"/cases/{case.pk}/notes/", {"text": m("note")})
    if response.status_code not in {200, 302}:
        case_services.note_add(counsellor, case=case, text=markers[-1])
    contact_services.caller_safety_note_set(
        supervisor, caller=Contact.objects.get(pk=contact.pk).caller, note=m("safety")
    )
    # A referral drafted and sent to a partner
    referral = draft(counsellor, case, partner(), request=m("referral"))
    referral_services.referral_send(counsellor, referral)
    # A request that fails after reading the child's words: the error report must not carry them
    failing = Client(raise_request_exception=False)
    assert failing.post("/fails/", {"note": m("failing")}).status_code == 500

    logged = "\n".join(captured.lines)
    reports = "\n".join(
        f"{e.subject}\n{e.body}\n{e.alternatives!r}" for e in mail.outbox if "ops@" in str(e.to)
    )
    audit = "\n".join(repr(row.__dict__) for row in AuditEvent.objects.all())
    assert captured.lines and reports, "the flows logged nothing or no error report was sent"
    for value in markers:
        assert value not in logged, f"{value} appeared in the log"
        assert value not in reports, f"{value} appeared in an error report"
        assert value not in audit, f"{value} appeared in the audit trail"
