"""The partner's page: a signed link opens one referral without an account, shows what the
counsellor chose to share, and lets the partner answer; every other link gets a plain refusal,
and an address that keeps guessing is held back."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.cases.models import CaseEvent, EventKind, FollowUp
from helpline.referrals.links import link_issue, link_revoke
from helpline.referrals.models import (
    LinkChannel,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralToken,
)
from tests.case_factories import open_case
from tests.referral_factories import referral

pytestmark = pytest.mark.django_db

REFUSED_KM = "មិនអាចបើកតំណនេះបានទេ"
REFUSED_EN = "This link cannot be opened"


def make_link(counsellor: Staff, **kwargs: object) -> tuple[Referral, ReferralToken, str]:
    case = open_case(counsellor, nickname="Sophea")
    case.age = 14
    case.save(update_fields=["age"])
    ref = referral(case, counsellor, **kwargs)  # type: ignore[arg-type]
    Referral.objects.filter(pk=ref.pk).update(shared={"age": "14"}, request="zq9 a bed for two nights")
    ref.refresh_from_db()
    token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    return ref, token, value


def url(value: str) -> str:
    return f"/partner/{value}/"


def csrf_of(response: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found, "the page carries no form token"
    return found.group(1)


def partner_client() -> Client:
    return Client(enforce_csrf_checks=True)


def act(client: Client, value: str, action: str, note: str = "", lang: str = "km") -> Any:
    page = client.get(url(value) + f"?lang={lang}")
    assert page.status_code == 200
    return client.post(
        url(value), {"csrfmiddlewaretoken": csrf_of(page), "action": action, "note": note, "lang": lang}
    )


def test_the_partner_opens_its_referral_in_khmer_without_an_account(counsellor: Staff) -> None:
    ref, token, value = make_link(counsellor)
    client = partner_client()
    response = client.get(url(value))
    assert response.status_code == 200
    body = response.content.decode()
    assert response["Content-Language"] == "km" and '<html lang="km">' in body
    assert ref.number in body and "zq9 a bed for two nights" in body and "14" in body
    assert ref.service.label_km in body and "ការបញ្ជូនបន្ត" in body
    # Only what was shared: not the child's name, not the case.
    assert "Sophea" not in body and ref.case.number not in body
    assert "no-store" in response["Cache-Control"]
    assert django_settings.SESSION_COOKIE_NAME not in client.cookies  # no session made
    assert "<script" not in body  # works without JavaScript
    # Its address stays on this site; "no-referrer" would make a browser's forms fail CSRF.
    assert '<meta name="referrer" content="same-origin">' in body and "endcomment" not in body
    # The read is audited by the link's id; a look is not a use and writes nothing else.
    row = AuditEvent.objects.get(action="referral.portal_view")
    assert (row.actor_label, row.record_id) == (f"partner-link:{token.pk}", str(ref.pk))
    assert row.detail == {"token": str(token.pk)}
    token.refresh_from_db()
    assert token.last_used_at is None
    assert not ReferralEvent.objects.filter(referral=ref).exclude(kind=ReferralEventKind.LINK_SENT).exists()


def test_the_page_switches_to_english_by_a_plain_link(counsellor: Staff) -> None:
    ref, _token, value = make_link(counsellor)
    khmer = Client().get(url(value)).content.decode()
    assert f'href="/partner/{value}/?lang=en"' in khmer
    response = Client().get(url(value) + "?lang=en")
    body = response.content.decode()
    assert response["Content-Language"] == "en" and '<html lang="en">' in body
    assert ref.service.label_en in body and "We received this referral" in body
    assert Client().get(url(value) + "?lang=fr")["Content-Language"] == "km"


def test_the_partner_acknowledges_accepts_and_marks_delivered_with_csrf_and_no_session(
    counsellor: Staff,
) -> None:
    ref, token, value = make_link(counsellor)
    client = partner_client()
    for action in ("acknowledged", "accepted", "delivered"):
        response = act(client, value, action, lang="en")
        assert response.status_code == 302, response.content
        assert response["Location"] == f"/partner/{value}/?lang=en&done={action}"
        ref.refresh_from_db()
        assert ref.status == action
    assert django_settings.SESSION_COOKIE_NAME not in client.cookies
    assert "will check with the child" in client.get(url(value) + "?lang=en&done=delivered").content.decode()
    moves = ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.STATUS)
    assert [(e.new_status, e.token_id, e.actor_id) for e in moves] == [
        ("acknowledged", token.pk, None),
        ("accepted", token.pk, None),
        ("delivered", token.pk, None),
    ]
    acts = AuditEvent.objects.filter(action="referral.portal_act", record_id=str(ref.pk))
    assert acts.count() == 3 and {a.actor_label for a in acts} == {f"partner-link:{token.pk}"}
    steps = CaseEvent.objects.filter(case=ref.case, kind=EventKind.REFERRAL).order_by("at")
    assert [s.detail["status"] for s in steps] == ["acknowledged", "accepted", "delivered"]
    assert {s.actor_label for s in steps} == {"partner"}
    assert FollowUp.objects.filter(case=ref.case, owner=counsellor).exists()  # check with the child
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_browsers_form_from_the_page_itself_passes_and_from_nowhere_is_refused(counsellor: Staff) -> None:
    ref, _token, value = make_link(counsellor)
    client = partner_client()
    page = client.get(url(value))
    data = {"csrfmiddlewaretoken": csrf_of(page), "action": "acknowledged"}
    assert client.post(url(value), data, HTTP_ORIGIN="null").status_code == 403
    assert client.post(url(value), data, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert client.post(url(value), data, HTTP_ORIGIN="http://testserver").status_code == 302
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.ACKNOWLEDGED


def test_a_form_without_its_token_is_refused_and_changes_nothing(counsellor: Staff) -> None:
    ref, _token, value = make_link(counsellor)
    client = partner_client()
    client.get(url(value))
    response = client.post(url(value), {"action": "acknowledged", "lang": "en"})
    assert response.status_code == 403
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT


def test_a_decline_needs_its_reason(counsellor: Staff) -> None:
    ref, _token, value = make_link(counsellor)
    client = partner_client()
    refused = act(client, value, "declined", note="   ", lang="en")
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT
    assert act(client, value, "declined", note="No beds this month").status_code == 302
    ref.refresh_from_db()
    assert (ref.status, ref.decline_reason) == (ReferralStatus.DECLINED, "No beds this month")
    # Declined: nothing more for the partner to do but write.
    page = client.get(url(value)).content.decode()
    assert 'value="accepted"' not in page and 'value="note"' in page


def test_a_jump_or_an_unknown_action_is_refused_and_changes_nothing(counsellor: Staff) -> None:
    ref, _token, value = make_link(counsellor)
    client = partner_client()
    jump = act(client, value, "delivered", lang="en")
    assert jump.status_code == 409
    assert "cannot become" in jump.content.decode()
    for action in ("closed", "expired", "sent", "", "x" * 300):
        response = act(client, value, action, lang="en")
        assert response.status_code in {400, 409}, action
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT
    assert not ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.STATUS).exists()


def test_the_partner_leaves_a_note_that_the_counsellor_reads_on_the_case_timeline(counsellor: Staff) -> None:
    ref, token, value = make_link(counsellor)
    client = partner_client()
    assert act(client, value, "note", note="zq9 We will call the family tomorrow").status_code == 302
    note = ReferralEvent.objects.get(referral=ref, kind=ReferralEventKind.NOTE)
    assert (note.token_id, note.actor_id) == (token.pk, None)
    assert note.note == "zq9 We will call the family tomorrow"
    step = CaseEvent.objects.get(case=ref.case, kind=EventKind.REFERRAL)
    assert "zq9 We will call the family tomorrow" in step.line and step.actor_label == "partner"
    row = AuditEvent.objects.get(action="referral.portal_act")
    assert row.actor_label == f"partner-link:{token.pk}" and row.detail["did"] == "note"
    assert "zq9" not in json.dumps(row.detail)  # the trail names a note, never its words
    assert act(client, value, "note", note="").status_code == 400
    assert act(client, value, "note", note="x" * 4001).status_code == 400
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.NOTE).count() == 1


def test_the_same_note_sent_twice_is_kept_once_and_a_new_one_still_comes_through(counsellor: Staff) -> None:
    """A double click or a resend after the page reloaded: the counsellor reads the note once."""
    ref, _, value = make_link(counsellor)
    client = partner_client()
    for _ in range(2):
        assert act(client, value, "note", note="We visited the family today").status_code == 302
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.NOTE).count() == 1
    assert CaseEvent.objects.filter(case=ref.case, kind=EventKind.REFERRAL).count() == 1
    assert act(client, value, "note", note="The child is at school again").status_code == 302
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.NOTE).count() == 2
    # Later, the same words are a new note (a weekly "no change", say).
    ReferralEvent.objects.filter(referral=ref).update(at=timezone.now() - dt.timedelta(hours=1))
    assert act(client, value, "note", note="We visited the family today").status_code == 302
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.NOTE).count() == 3


def _refusal_bodies_say_nothing(response: Any, ref: Referral) -> None:
    body = response.content.decode()
    assert REFUSED_KM in body and REFUSED_EN in body
    assert ref.number not in body and "zq9" not in body
    assert "csrfmiddlewaretoken" not in body


def test_a_link_that_opens_nothing_gets_one_plain_sentence_and_an_audit_row_without_its_value(
    counsellor: Staff,
) -> None:
    ref, token, value = make_link(counsellor)
    other, other_token, expired_value = make_link(counsellor)
    gone = timezone.now() - dt.timedelta(seconds=1)
    ReferralToken.objects.filter(pk=other_token.pk).update(expires_at=gone)
    unknown = signing.Signer(salt="helpline.referrals.partner-link").sign(uuid.uuid4().hex)
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    cases = [
        (tampered, 404, "tampered"),
        ("not-a-link", 404, "tampered"),
        (unknown, 404, "unknown"),
        (expired_value, 410, "expired"),
    ]
    for presented, status, reason in cases:
        for method in ("get", "post"):
            response = getattr(Client(), method)(url(presented))
            assert response.status_code == status, (presented, method)
            _refusal_bodies_say_nothing(response, ref)
            _refusal_bodies_say_nothing(response, other)
            row = AuditEvent.objects.filter(action="referral.link_refused").order_by("-seq").first()
            assert row is not None and row.detail == {"reason": reason}
            assert row.actor_label == "anonymous" and row.client_ip == "127.0.0.1"
    link_revoke(token, counsellor)
    response = Client().get(url(value))
    assert response.status_code == 410
    _refusal_bodies_say_nothing(response, ref)
    # No audit row anywhere keeps a presented value (or its signature).
    every = json.dumps(list(AuditEvent.objects.values("detail", "reason", "record_id")))
    for presented in (value, tampered, unknown, expired_value):
        assert presented.split(":")[1] not in every
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT


def test_a_link_revoked_while_its_page_is_open_acts_no_more(counsellor: Staff) -> None:
    ref, token, value = make_link(counsellor)
    client = partner_client()
    page = client.get(url(value))
    link_revoke(token, counsellor)
    response = client.post(url(value), {"csrfmiddlewaretoken": csrf_of(page), "action": "accepted"})
    assert response.status_code == 410
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT


def test_guessing_is_held_back_per_address_with_a_plain_429(counsellor: Staff, settings: Any) -> None:
    settings.PARTNER_LINK_REFUSALS_PER_ADDRESS = 3
    ref, _token, value = make_link(counsellor)
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        assert guesser.get(url(f"guess-{n}")).status_code == 404
    refused_rows = AuditEvent.objects.filter(action="referral.link_refused").count()
    held = guesser.get(url("guess-3"))
    assert held.status_code == 429 and int(held["Retry-After"]) > 0
    body = held.content.decode()
    assert "មកពីអាសយដ្ឋាននេះ" in body and "came from this address" in body and ref.number not in body
    assert guesser.post(url("guess-4")).status_code == 429
    # Each 429 is in the trail, saying why, with nothing of the value presented.
    limited = AuditEvent.objects.filter(action="referral.link_refused")
    assert limited.count() == refused_rows + 2
    assert [e.detail for e in limited.order_by("-seq")[:2]] == [{"reason": "limited"}] * 2
    assert not AuditEvent.objects.filter(action="referral.portal_view").exists()
    # Another address, the partner's, is not held back.
    assert Client(REMOTE_ADDR="198.51.100.7").get(url(value)).status_code == 200


def test_the_server_log_never_keeps_a_links_value(
    counsellor: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    _ref, token, value = make_link(counsellor)
    link_revoke(token, counsellor)
    with caplog.at_level("INFO"):
        assert Client().get(url(value)).status_code == 410
        assert Client().post(url(value + "x"), {"action": "accepted"}).status_code == 404
        assert Client(enforce_csrf_checks=True).post(url(make_link(counsellor)[2]), {}).status_code == 403
    lines = [r.getMessage() for r in caplog.records]
    assert any("/partner/-" in line for line in lines), lines
    assert not [line for line in lines if value.split(":")[0] in line or value.split(":")[1] in line]


def test_decline_stands_apart_from_accept_under_its_own_heading(counsellor: Staff) -> None:
    _ref, _token, value = make_link(counsellor)
    page = partner_client().get(url(value)).content.decode()
    forms = {
        found[1]: found[0]
        for found in re.finditer(r'<form\b.*?name="action" value="(\w+)".*?</form>', page, re.S)
    }
    assert {"accepted", "declined"} <= forms.keys()
    assert "<textarea" not in forms["accepted"]  # Accept is one button, alone in its form
    declined = forms["declined"]
    assert re.search(r"<fieldset>\s*<legend>[^<]+</legend>", declined)
    assert 'id="decline-reason"' in declined and 'class="decline"' in declined
    section = re.search(
        r'<section class="portal-decline" aria-labelledby="decline-title">\s*'
        r'<h2 id="decline-title">([^<]+)</h2>(.*?)</section>',
        page,
        re.S,
    )
    assert section and section[1].strip() == "ប្រសិនបើអ្នកមិនអាចជួយបាន"
    assert declined in section[2] and forms["accepted"] not in section[2]
    assert page.index(forms["accepted"]) < section.start()
