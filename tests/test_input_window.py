"""Times, dates, identifiers and sizes from outside are checked where they come in: a time outside the
sane window (helpline/common/bounds.py), a NUL or half an emoji in an identifier, a body too large,
an unbounded setting all get a clear 4xx and change nothing; none of them breaks a page later."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from twilio.request_validator import RequestValidator

from helpline.accounts.models import Staff
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from helpline.channels.calls import CallEvent
from helpline.channels.voice_http import sign
from helpline.common import bounds
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact, Kind
from helpline.conversations.models import Message
from helpline.routing.models import RiskSignal
from helpline.voice.models import VoiceCall, VoiceEvent, VoiceSettings
from helpline.voice.services import EventRejected, voice_event

ClientFor = Callable[[Staff], Client]
VOICE_SECRET = "voice-test-secret-0123456789"
KANNEL_SECRET = "kannel-test-secret-0123456789"
TWILIO_TOKEN = "twilio-test-token-0123456789"
ENV = {
    "HELPLINE_VOICE_SECRET": VOICE_SECRET,
    "HELPLINE_KANNEL_SECRET": KANNEL_SECRET,
    "HELPLINE_SMS_SHORT_CODES": "1280",
}


@pytest.fixture(autouse=True)
def secrets() -> Iterator[None]:
    with override_settings(HELPLINE_ENV=ENV, PUBLIC_URL=""):
        yield


def token(*scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(None, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def voice_post(event: dict[str, Any]) -> Any:
    body = json.dumps(event).encode()
    return Client().post(
        "/hooks/voice/events",
        body,
        content_type="application/json",
        HTTP_X_HELPLINE_SIGNATURE=sign(body, VOICE_SECRET),
    )


def call_event(**changes: Any) -> dict[str, Any]:
    return {
        "call_id": "c1",
        "event": "join",
        "time": timezone.now().isoformat(),
        "queue": "1280",
        "caller": "+85512345678",
    } | changes


# --- The one window ---------------------------------------------------------------------------


def test_the_window_is_one_place_and_says_what_it_holds() -> None:
    now = timezone.now()
    assert bounds.event_time_ok(now) and bounds.event_time_ok(now + dt.timedelta(hours=23))
    assert not bounds.event_time_ok(now + dt.timedelta(days=2))
    assert not bounds.event_time_ok(dt.datetime(1999, 12, 31, 23, 59, tzinfo=dt.UTC))
    assert not bounds.event_time_ok(dt.datetime(2026, 1, 1))  # naive: no zone, no sense
    assert bounds.date_ok(dt.date(2000, 1, 1)) and bounds.date_ok(dt.date(2100, 12, 31))
    assert not bounds.date_ok(dt.date(1999, 12, 31)) and not bounds.date_ok(dt.date(2101, 1, 1))


# --- Voice events -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "1968-05-01T00:00:00+07:00"],
    ids=["year-9999", "year-1", "year-1968"],
)
def test_a_signed_voice_event_outside_the_window_is_refused_and_pages_still_work(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor, when: str
) -> None:
    response = voice_post(call_event(time=when))
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "bad or missing field: time"}
    assert not VoiceEvent.objects.exists() and not VoiceCall.objects.exists()
    assert not Contact.objects.exists()
    # What the year-9999 event broke: the supervisors' list and everyone's missed calls.
    assert client_for(supervisor).get("/contacts/").status_code == 200
    assert client_for(counsellor).get("/calls/missed/").status_code == 200


def test_every_source_of_call_events_shares_the_window(db: None) -> None:
    """AMI and queue_log events go through voice_event as the HTTP ones do."""
    far = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    with pytest.raises(EventRejected):
        voice_event(CallEvent(call_id="c1", kind="join", at=far, source="ami"))
    assert not VoiceEvent.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [{"call_id": "c\x001"}, {"queue": "12\x0080"}, {"call_id": "c\ud8001"}, {"agent": "10\x0001"}],
    ids=["nul-call-id", "nul-queue", "surrogate-call-id", "nul-agent"],
)
def test_a_voice_identifier_with_a_nul_or_half_an_emoji_is_refused(db: None, changes: dict[str, str]) -> None:
    response = voice_post(call_event(**changes))
    assert response.status_code == 400, response.content
    assert not VoiceEvent.objects.exists() and not Contact.objects.exists()


# --- Date filters and cursors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_from": "1999-12-31"},
        {"date_to": "2101-01-01"},
    ],
    ids=["to-9999", "from-0001", "from-1999", "to-2101"],
)
def test_a_date_filter_outside_the_window_is_a_400_on_page_and_api(
    supervisor: Staff, client_for: ClientFor, query: dict[str, str]
) -> None:
    page = client_for(supervisor).get("/contacts/", query)
    assert page.status_code == 400
    api = Client().get("/api/v1/contacts", query, **token("contacts:read"))
    assert api.status_code == 422 and next(iter(query)) in api.content.decode()


def test_the_window_edges_are_accepted(supervisor: Staff, client_for: ClientFor) -> None:
    query = {"date_from": "2000-01-01", "date_to": "2100-12-31"}
    assert client_for(supervisor).get("/contacts/", query).status_code == 200
    assert Client().get("/api/v1/contacts", query, **token("contacts:read")).status_code == 200


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(["2026-11-20T10:00:00+00:00", 12345]),
        _cursor(["2026-11-20T10:00:00+00:00", None]),
        _cursor([12, str(uuid.uuid4())]),
        _cursor(["0001-01-01T00:00:00+00:00", str(uuid.uuid4())]),
        _cursor(["2026-11-20T10:00:00", str(uuid.uuid4())]),
        _cursor({"a": 1}),
        _cursor([1, 2, 3]),
    ],
    ids=["numeric-id", "null-id", "numeric-time", "year-1", "naive-time", "object", "three"],
)
def test_a_forged_cursor_is_a_4xx_not_a_500(supervisor: Staff, client_for: ClientFor, cursor: str) -> None:
    assert client_for(supervisor).get("/contacts/", {"cursor": cursor}).status_code == 400
    assert Client().get("/api/v1/contacts", {"cursor": cursor}, **token("contacts:read")).status_code == 422


# --- Contacts through the API ---------------------------------------------------------------------

WALK_IN: dict[str, Any] = {"channel": "walk_in", "kind": "silent", "summary": ""}


@pytest.mark.parametrize(
    "when", ["0068-01-01T10:00:00+07:00", "1999-12-31T10:00:00+07:00", "9999-01-01T00:00:00+00:00"]
)
def test_api_arrived_at_outside_the_window_is_refused(db: None, when: str) -> None:
    response = Client().post(
        "/api/v1/contacts",
        {**WALK_IN, "arrived_at": when},
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 422 and "arrived_at" in response.content.decode()
    assert not Contact.objects.exists()


def test_a_walk_in_form_outside_the_window_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(counsellor).post(
        "/contacts/new/",
        {"channel": "walk_in", "direction": "inbound", "arrived_at": "0068-01-01T10:00", "kind": "silent"},
    )
    assert response.status_code in {200, 400} and not Contact.objects.exists()


def _closed_contact(counsellor: Staff) -> Contact:
    contact = contact_services.contact_start(counsellor, channel=Channel.VOICE, address="tel:+85512345678")
    return contact_services.contact_close_quick(counsellor, contact=contact, kind=Kind.SILENT)


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"x"', "null", "1", "true"], ids=["list", "string", "null", "number", "bool"]
)
def test_a_patch_that_is_not_an_object_is_refused_and_changes_nothing(counsellor: Staff, body: str) -> None:
    contact = _closed_contact(counsellor)
    before = contact.version
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        body,
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 422, response.content
    contact.refresh_from_db()
    assert contact.version == before
    assert not AuditEvent.objects.filter(action="contact.correct").exists()


@pytest.mark.parametrize(
    "body", [{}, {"reason": "looked again"}, {"kind": "silent"}], ids=["empty", "reason-only", "same-kind"]
)
def test_a_patch_that_changes_nothing_writes_nothing(counsellor: Staff, body: dict[str, Any]) -> None:
    contact = _closed_contact(counsellor)
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        body,
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == contact.version
    contact.refresh_from_db()
    assert contact.version == response.json()["version"]
    assert not AuditEvent.objects.filter(action="contact.correct").exists()
    # What it answered is a read of the contact, audited as one.
    assert AuditEvent.objects.filter(action="contact.view", record_id=str(contact.pk)).count() == 1


def test_a_patch_that_changes_something_still_writes_a_version_and_an_audit_row(counsellor: Staff) -> None:
    contact = _closed_contact(counsellor)
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        {"kind": "prank"},
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 200 and response.json()["version"] == contact.version + 1
    assert AuditEvent.objects.filter(action="contact.correct").count() == 1


# --- SMS gateway ----------------------------------------------------------------------------------


def kannel(params: dict[str, str], path: str = "/hooks/sms/kannel") -> Any:
    return Client().get(path, {"secret": KANNEL_SECRET, **params})


@pytest.mark.parametrize(
    "msg", ["a" * 36, "", "x", "0" * 36 + "0"], ids=["36-letters", "empty", "short", "37"]
)
def test_a_kannel_delivery_report_for_no_message_id_is_a_400(db: None, msg: str) -> None:
    assert kannel({"msg": msg, "type": "1"}, "/hooks/sms/kannel/dlr").status_code == 400


def test_a_kannel_delivery_report_for_an_unknown_message_is_a_404(db: None) -> None:
    assert kannel({"msg": str(uuid.uuid4()), "type": "1"}, "/hooks/sms/kannel/dlr").status_code == 404


@pytest.mark.parametrize("message_id", ["k\x001", "k\x1b1", "k\x7f1"], ids=["nul", "escape", "delete"])
def test_a_kannel_message_id_with_a_control_character_is_refused(db: None, message_id: str) -> None:
    response = Client().get(
        "/hooks/sms/kannel",
        {"secret": KANNEL_SECRET, "from": "85512345678", "to": "1280", "text": "hello", "id": message_id},
    )
    assert response.status_code == 400
    assert not Message.objects.exists() and not Contact.objects.exists()


# --- Body size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(
    "path", ["/api/v1/contacts", "/hooks/voice/events", "/hooks/sms/kannel", "/accounts/sign-in/"]
)
def test_a_body_over_the_limit_is_a_413_in_every_mode(
    db: None, settings: Any, debug: bool, path: str
) -> None:
    settings.DEBUG = debug
    body = json.dumps({"summary": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = Client(raise_request_exception=False).post(
        path, body, content_type="application/json", **token("contacts:write")
    )
    assert response.status_code == 413, response.content[:300]
    assert b"Traceback" not in response.content and b'File "' not in response.content
    assert not Contact.objects.exists()


# --- Settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/calls/figures/", {"service_level_seconds": "10000000000", "short_abandon_seconds": "5"}),
        ("/calls/figures/", {"service_level_seconds": "20", "short_abandon_seconds": "100000"}),
    ],
)
def test_a_numeric_setting_out_of_bounds_is_refused(
    supervisor: Staff, client_for: ClientFor, url: str, form: dict[str, str]
) -> None:
    response = client_for(supervisor).post(url, form)
    assert response.status_code == 400
    stored = VoiceSettings.objects.first()
    assert stored is None or (stored.service_level_seconds, stored.short_abandon_seconds) == (20, 5)


@pytest.mark.parametrize("value", ["-5", "10000000"])
def test_a_bounded_setting_says_its_bound_once(db: None, value: str) -> None:
    """Every numeric setting with bounds, on every form that sets one: a model's positive field
    brings its own least value, which the bounds replace rather than repeat."""
    from helpline.conversations.views_settings import TextSettingsForm
    from helpline.routing.views import SignalForm
    from helpline.voice.views import VoiceSettingsForm

    for form_class in (SignalForm, VoiceSettingsForm, TextSettingsForm):
        names = [name for name in form_class.base_fields if name in bounds.SETTING_LIMITS]
        assert names, form_class
        form = form_class(dict.fromkeys(names, value))
        assert not form.is_valid()
        for name in names:
            assert len(form.errors[name]) == 1, (form_class.__name__, name, form.errors[name])


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_body_over_the_limit_to_the_api_is_answered_in_json(db: None, settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    body = json.dumps({"summary": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = Client(raise_request_exception=False).post(
        "/api/v1/contacts", body, content_type="application/json", **token("contacts:write")
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Request body too large."}
    assert not Contact.objects.exists()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("sent", ["form", "file-and-long-field"])
@pytest.mark.parametrize(
    ("language", "said"),
    [("km", "អ្វីដែលបានផ្ញើមានទំហំធំពេក"), ("en", "What was sent is too large")],
    ids=["km", "en"],
)
def test_a_form_over_the_limit_at_an_upload_address_gets_the_too_large_page(
    db: None,
    settings: Any,
    tmp_path: Any,
    client_for: ClientFor,
    debug: bool,
    sent: str,
    language: str,
    said: str,
) -> None:
    """An address that takes a file lets a signed-in person's body past the usual limit; the form's
    other fields are still held to it, and Django refused them with its bare 400 (a debug page
    when debug is on) once the view read them, in English whatever the reader's language."""
    from helpline.accounts.models import Role
    from helpline.referrals.models import PartnerDocument
    from tests.factories import persona
    from tests.partner_factories import PDF_BYTES, add_partner, upload

    settings.DEBUG = debug
    settings.MEDIA_ROOT = tmp_path
    keeper = persona(Role.CASE_MANAGER, username="keeper", language=language)
    partner = add_partner(keeper, approved=False)
    client = client_for(keeper)
    client.raise_request_exception = False
    long_text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    url = f"/partners/{partner.pk}/documents/"
    if sent == "form":
        response = client.post(url, f"title={long_text}", content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(url, {"title": long_text, "file": upload("mou.pdf", PDF_BYTES)})
    assert response.status_code == 413
    page = response.content.decode()
    assert said in page and '<nav aria-label="' in page and f'<html lang="{language}"' in page
    assert "Traceback" not in page and "RequestDataTooBig" not in page
    assert not PartnerDocument.objects.exists() and not any(p.is_file() for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("saved", "cookie", "said"),
    [
        ("en", None, "What was sent is too large"),
        ("en", "km", "What was sent is too large"),
        ("km", "en", "អ្វីដែលបានផ្ញើមានទំហំធំពេក"),
    ],
    ids=["en-no-cookie", "en-over-a-km-cookie", "km-over-an-en-cookie"],
)
def test_the_too_large_page_is_in_the_signed_in_persons_own_language(
    db: None, settings: Any, client_for: ClientFor, saved: str, cookie: str | None, said: str
) -> None:
    """As every other page: the person's saved language first, the cookie only without one (it
    is answered before the language middleware, which had left it to the cookie alone)."""
    from helpline.accounts.models import Role
    from tests.factories import persona

    client = client_for(persona(Role.SUPERVISOR, username="reader", language=saved))
    client.raise_request_exception = False
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    else:
        client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    long_text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = client.post("/cases/", f"note={long_text}", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    page = response.content.decode()
    assert said in page and f'<html lang="{saved}"' in page


def test_a_stranger_gets_the_too_large_page_in_the_cookies_language(db: None, settings: Any) -> None:
    client = Client()
    long_text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    body = f"username={long_text}"
    kinds = "application/x-www-form-urlencoded"
    assert '<html lang="km"' in client.post("/accounts/sign-in/", body, content_type=kinds).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post("/accounts/sign-in/", body, content_type=kinds).content.decode()
    assert '<html lang="en"' in english and "What was sent is too large" in english


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("path", ["/api/v1/contacts", "/hooks/sms/kannel", "/accounts/sign-in/"])
def test_a_body_over_the_limit_sent_without_a_length_is_a_413_too(
    settings: Any, debug: bool, path: str
) -> None:
    """Chunked, as a client may send it behind uvicorn: the size is known only once read."""
    from asgiref.sync import async_to_sync
    from asgiref.testing import ApplicationCommunicator

    from config.asgi import application

    settings.DEBUG = debug
    chunk = b"x" * 100_000
    chunks = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // len(chunk) + 2

    async def send() -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/x-www-form-urlencoded")],
            "client": ("127.0.0.1", 50123),
            "server": ("127.0.0.1", 8000),
        }
        app = ApplicationCommunicator(application, scope)
        for n in range(chunks):
            await app.send_input({"type": "http.request", "body": chunk, "more_body": n < chunks - 1})
        start = await app.receive_output(10)
        body = await app.receive_output(10)
        return start["status"], body.get("body", b"")

    status, body = async_to_sync(send)()
    assert status == 413, body[:300]
    assert b"Traceback" not in body


# --- Lookups by a code or an id from outside --------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["exam\x00stress", "\x00", "exam\x1bstress"], ids=["nul", "only-nul", "escape"]
)
def test_a_risk_signal_code_with_a_nul_is_a_400_on_page_and_toggle(
    supervisor: Staff, client_for: ClientFor, code: str
) -> None:
    client = client_for(supervisor)
    assert client.get("/risk-signals/", {"edit": code}).status_code == 400
    before = list(RiskSignal.objects.values_list("code", "is_active"))
    assert client.post("/risk-signals/", {"toggle": code}).status_code == 400
    assert list(RiskSignal.objects.values_list("code", "is_active")) == before


def twilio_status(params: dict[str, str]) -> Any:
    url = "http://testserver/hooks/sms/twilio/status"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return Client().post("/hooks/sms/twilio/status", params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.parametrize("sid", ["SM\x001", "SM\x1b1", "\x00"], ids=["nul", "escape", "only-nul"])
def test_a_twilio_status_with_a_control_character_in_the_message_sid_is_a_400(db: None, sid: str) -> None:
    with override_settings(HELPLINE_ENV=ENV | {"HELPLINE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}):
        response = twilio_status({"MessageSid": sid, "MessageStatus": "delivered"})
    assert response.status_code == 400


def test_a_twilio_status_for_an_unknown_message_is_still_a_404(db: None) -> None:
    with override_settings(HELPLINE_ENV=ENV | {"HELPLINE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}):
        response = twilio_status({"MessageSid": "SM0001", "MessageStatus": "delivered"})
    assert response.status_code == 404
