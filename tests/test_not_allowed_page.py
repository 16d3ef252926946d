"""An address that only takes a form's answer, opened as a page (typed, bookmarked, reloaded),
answers 405 with a page in the reader's language instead of a blank one; the API's answers and a
405 that already says something are left as they are."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.test import Client
from django.urls import include, path, reverse

from helpline.accounts.access import PUBLIC, access
from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
ENGLISH = "This address only takes the answer of a form"
KHMER = "អាសយដ្ឋាននេះទទួលតែចម្លើយនៃទម្រង់បែបបទ"


@access(PUBLIC)
def _already_said(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotAllowed(["POST"], content=b"Send this with POST.")


# Used by the one test marked with this module as its URLconf: the site's own URLs plus one view
# whose 405 carries its own words.
urlpatterns = [path("said/", _already_said), path("", include("config.urls"))]


def _post_only_urls() -> list[tuple[Role, str]]:
    return [
        (Role.COUNSELLOR, reverse("console:start")),
        (Role.COUNSELLOR, reverse("console:take", kwargs={"contact_id": uuid.uuid4()})),
        (Role.ADMINISTRATOR, reverse("accounts:otp_reset", kwargs={"staff_id": uuid.uuid4()})),
    ]


@pytest.mark.parametrize("language", ["km", "en"])
def test_a_post_only_address_opened_as_a_page_says_so_in_the_readers_language(
    language: str, client_for: ClientFor, db: None
) -> None:
    readers = {role: persona(role, username=f"{role}-{language}", language=language) for role in Role}
    for role, url in _post_only_urls():
        client = client_for(readers[role])
        audited = AuditEvent.objects.count()
        response = client.get(url, HTTP_ACCEPT="text/html", HTTP_REFERER="http://testserver/console/")
        assert response.status_code == 405, url
        assert response["Allow"] == "POST", url
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert (KHMER if language == "km" else ENGLISH) in page, url
        assert (ENGLISH if language == "km" else KHMER) not in page, url
        assert 'href="http://testserver/console/"' in page  # back where the reader came from
        assert AuditEvent.objects.count() == audited  # a GET writes nothing


def test_the_way_back_leaves_the_site_never_and_the_address_itself_never(
    counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    url = reverse("console:start")
    elsewhere = client.get(url, HTTP_REFERER="https://evil.example/phish").content.decode()
    assert "evil.example" not in elsewhere
    reloaded = client.get(url, HTTP_REFERER=f"http://testserver{url}").content.decode()
    assert f'href="http://testserver{url}"' not in reloaded
    assert f'href="{reverse("home")}"' in reloaded


def test_signed_out_the_page_offers_sign_in_only(db: None) -> None:
    response = Client().get(reverse("accounts:set_language"), HTTP_REFERER="http://testserver/cases/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert KHMER in page  # the site's default language
    assert f'href="{reverse("accounts:login")}"' in page
    assert "/cases/" not in page
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert ENGLISH in english.get(reverse("accounts:set_language")).content.decode()


def test_a_json_caller_keeps_the_bare_405(counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(counsellor).get(reverse("console:start"), HTTP_ACCEPT="application/json")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response.content == b""


def test_the_apis_405_is_unchanged(administrator: Staff, client_for: ClientFor) -> None:
    response = client_for(administrator).delete("/api/v1/me", HTTP_ACCEPT="text/html")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response.content == b"Method not allowed"  # django-ninja's own words


@pytest.mark.urls(__name__)
def test_a_405_that_says_something_is_left_alone(db: None) -> None:
    response = Client().get("/said/", HTTP_ACCEPT="text/html")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response.content == b"Send this with POST."
