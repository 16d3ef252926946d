"""A Content-Security-Policy on every answer (nothing inline without the page's nonce, nothing from
anyone else, framed by nobody but the chat page's embedding websites), no cache of what a signed-in
person or an API caller was shown, and the CSRF failure page in the project's style and language."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from helpline.accounts.models import Staff
from helpline.accounts.services import api_token_create
from helpline.contacts import services
from helpline.contacts.models import Channel

ClientFor = Callable[[Staff], Client]
ROOT = Path(__file__).resolve().parent.parent


def policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict(directives: dict[str, list[str]], *, framed_by: list[str] | None = None) -> None:
    assert directives["default-src"] == ["'none'"]
    for name in ("script-src", "style-src"):
        sources = directives[name]
        assert "'self'" in sources
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(sources), (name, sources)
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), (name, sources)
    assert directives["connect-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == (framed_by or ["'none'"])


def staff_pages(counsellor: Staff) -> list[str]:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address="tel:+85512345678")
    return [
        "/",
        "/console/",
        f"/console/{contact.pk}/",
        f"/contacts/{contact.pk}/",
        "/contacts/",
        "/calls/missed/",
        "/accounts/profile/",
    ]


SUPERVISOR_PAGES = [
    "/wallboard/",
    "/calls/figures/",
    "/text-settings/",
    "/risk-signals/",
    "/audit/",
    "/code-lists/",
    "/contacts/?date_from=1999-01-01",  # a 400 page
]


def test_every_page_and_answer_carries_the_strict_policy(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    _t, raw = api_token_create(None, name="it", scopes=["me"])
    answers = [
        Client().get("/accounts/sign-in/"),
        Client().get("/healthz"),
        Client().get("/no/such/page"),
        Client().get("/chat/widget.js"),
        Client().get("/hooks/sms/kannel"),
        Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}"),
        Client().get("/api/v1/me"),
        Client().get("/api/v1/openapi.json"),
    ]
    answers += [client_for(counsellor).get(url) for url in staff_pages(counsellor)]
    answers += [client_for(supervisor).get(url) for url in SUPERVISOR_PAGES]
    for response in answers:
        assert response.status_code < 500
        assert_strict(policy(response))


@override_settings(CHAT_ORIGINS=["childhelplinecambodia.org", "www.childhelplinecambodia.org"])
def test_only_the_chat_page_may_be_framed_and_only_by_the_chat_origins(db: None) -> None:
    page = Client().get("/chat/")
    assert page.status_code == 200
    assert_strict(
        policy(page), framed_by=["'self'", "childhelplinecambodia.org", "www.childhelplinecambodia.org"]
    )
    assert "X-Frame-Options" not in page  # the policy decides; the old header would forbid it
    assert Client().get("/accounts/sign-in/")["X-Frame-Options"] == "DENY"


INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*\snonce=)[^>]*>", re.I), "inline script without a nonce"),
    (re.compile(r"<style(?![^>]*\snonce=)[^>]*>", re.I), "inline style without a nonce"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: address"),
    (re.compile(r"\s(?:data-)?hx-on", re.I), "hx-on (inline script)"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "hx-trigger filter (code evaluated by htmx)"),
    (re.compile(r"hx-(?:vars|vals)=[\"']\s*(?:js|javascript):", re.I), "hx-vals/hx-vars code"),
]


def inline_code(html: str) -> list[str]:
    return [what for pattern, what in INLINE if pattern.search(html)]


def test_no_template_has_inline_script_or_style_without_a_nonce() -> None:
    templates = [*ROOT.glob("helpline/templates/**/*.html"), *ROOT.glob("helpline/*/templates/**/*.html")]
    assert len(templates) > 30
    found = {str(t.relative_to(ROOT)): inline_code(t.read_text()) for t in templates}
    assert {name: what for name, what in found.items() if what} == {}


def test_pages_as_served_have_no_inline_code_and_their_nonces_match_the_policy(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    pages = [client_for(counsellor).get(url) for url in staff_pages(counsellor)]
    pages += [client_for(supervisor).get(url) for url in SUPERVISOR_PAGES]
    pages += [Client().get("/accounts/sign-in/"), Client().get("/chat/")]
    for response in pages:
        html = response.content.decode()
        assert inline_code(html) == [], response.request["PATH_INFO"]
        for nonce in re.findall(r'\snonce="([^"]+)"', html):
            assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_htmx_is_told_to_inject_no_style_and_run_no_code(counsellor: Staff, client_for: ClientFor) -> None:
    html = client_for(counsellor).get("/console/").content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


# --- Cache-Control ------------------------------------------------------------------------------


def no_store(response: object) -> bool:
    return "no-store" in response.get("Cache-Control", "")  # type: ignore[attr-defined]


def test_pages_for_a_signed_in_person_and_api_answers_are_never_stored(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    for url in staff_pages(counsellor):
        response = client_for(counsellor).get(url)
        assert no_store(response) and "private" in response["Cache-Control"], url
    for url in SUPERVISOR_PAGES:
        assert no_store(client_for(supervisor).get(url)), url
    _t, raw = api_token_create(None, name="it", scopes=["contacts:read"])
    assert no_store(Client().get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    assert no_store(Client().get("/api/v1/contacts"))  # the refusal too: nothing under /api/ is kept
    assert no_store(client_for(counsellor).get("/api/v1/me"))


def test_static_files_keep_their_cache(counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(counsellor).get(settings.STATIC_URL + "helpline/helpline.css")
    assert response.status_code == 200
    assert not no_store(response)


# --- CSRF failure page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [("km", "ទម្រង់នេះផុតកំណត់ហើយ"), ("en", "The form has expired")],
)
def test_a_form_without_its_csrf_token_gets_the_projects_own_page(
    db: None, language: str, words: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post("/accounts/sign-in/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert words in html
    assert 'class="topbar"' in html  # the project's page, not Django's bare one
    assert "CSRF verification failed" not in html
    assert_strict(policy(response))
