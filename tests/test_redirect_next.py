"""A form's "next" sends its sender back only to a path of this site. A bare word ("cases") passed
Django's host check, and redirect() then tried it as a URL name: a 500 after the work was done
(a reply sent, a language saved) or, at sign-in, a session stuck on the code step."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts.models import Role, Staff
from helpline.common.redirects import local_path
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact, Status
from helpline.conversations.models import Direction, Message
from helpline.people.models import Distressing
from tests.factories import PASSWORD, persona, totp_now
from tests.test_sms_outbox import FakeGateway, gateway, sms_in  # noqa: F401  (the fixture, by name)

ClientFor = Callable[[Staff], Client]
BARE = ["cases", "wallboard", "abc", "console"]


@pytest.mark.parametrize(
    ("candidate", "kept"),
    [
        ("/cases/?page=2", True),
        ("/", True),
        ("cases", False),
        ("home", False),
        ("cases.html", False),
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("https://evil.example/", False),
        ("", False),
        (None, False),
    ],
)
def test_only_a_path_of_this_site_is_kept(candidate: str | None, kept: bool) -> None:
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert local_path(request, candidate) == (candidate if kept else None)


@pytest.mark.parametrize("bare", BARE)
def test_signing_in_from_a_link_with_a_bare_word_reaches_home(db: None, bare: str) -> None:
    staff = persona(Role.CASE_MANAGER, username="sothea")
    client = Client()
    login = f"{reverse('accounts:login')}?next={bare}"  # the form posts back to its own address
    assert client.get(login).status_code == 200
    response = client.post(login, {"username": "sothea", "password": PASSWORD})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=staff)
    response = client.post("/accounts/sign-in/code/", {"code": totp_now(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in, not stuck on the code step


def test_signing_in_from_a_page_link_goes_back_to_it(db: None) -> None:
    staff = persona(Role.CASE_MANAGER, username="sothea")
    client = Client()
    client.post(f"{reverse('accounts:login')}?next=/cases/", {"username": "sothea", "password": PASSWORD})
    response = client.post("/accounts/sign-in/code/", {"code": totp_now(TOTPDevice.objects.get(user=staff))})
    assert response["Location"] == "/cases/"


def test_the_language_switch_with_a_bare_word_goes_home(db: None, client_for: ClientFor) -> None:
    volunteer = persona(Role.VOLUNTEER, username="bopha", language="km")
    for client in (Client(), client_for(volunteer)):
        response = client.post("/accounts/language/", {"language": "en", "next": "abc"})
        assert response.status_code == 302 and response["Location"] == "/"
    volunteer.refresh_from_db()
    assert volunteer.language == "en"


def test_a_reply_sent_without_script_with_a_bare_word_answers_the_message(
    gateway: FakeGateway,  # noqa: F811
    counsellor: Staff,
    client_for: ClientFor,
) -> None:
    contact = sms_in("ជួយខ្ញុំផង")
    contact_services.contact_take(counsellor, contact=contact)
    response = client_for(counsellor).post(
        f"/console/{contact.pk}/reply/", {"text": "ខ្ញុំនៅទីនេះ", "next": "console"}
    )
    assert response.status_code == 200  # the new message, as when no page was named
    sent = Message.objects.filter(
        conversation__contact=contact, direction=Direction.OUTBOUND, author=counsellor
    )
    assert list(sent.values_list("text", flat=True)) == ["ខ្ញុំនៅទីនេះ"]


def test_marking_a_contact_distressing_with_a_bare_word_goes_to_the_debrief_form(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = Contact.objects.create(
        channel=Channel.VOICE, status=Status.ACTIVE, arrived_at=timezone.now(), counsellor=counsellor
    )
    contact.handlers.add(counsellor)
    url = reverse("people:distressing_mark", args=[contact.pk])
    response = client_for(counsellor).post(url, {"next": "console"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('people:my_debriefs')}?contact={contact.pk}"
    assert Distressing.objects.filter(contact=contact).count() == 1
