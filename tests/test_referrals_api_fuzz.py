"""Schemathesis over the referrals operations as a signed-in supervisor working on a real referral (a
token sees no case file, so tests/test_api_fuzz.py only reaches their refusals): whatever is sent,
never a 500, and every answer as the schema says. Schema-valid input may still be refused (a partner
not in the directory, a draft already sent), so the positive-acceptance check is left out, as is
the replay without credentials (test_api_fuzz.py checks refusals)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection, positive_data_acceptance

from helpline.accounts.models import Role
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.referral_drafts import child_case, draft, indexed_partner
from tests.test_api_fuzz import FUZZ, keep_test_connection, schema

REFERRALS = schema.include(path_regex="/referrals")
_EXCLUDED = [positive_data_acceptance, ignored_auth]
__all__ = ["keep_test_connection"]  # autouse here too: a request must not close the test's transaction


@pytest.fixture
def session(db: None) -> dict[str, Any]:
    supervisor = persona(Role.SUPERVISOR, username="fuzzer")
    keeper = persona(Role.COUNSELLOR, username="keeper")
    referral = draft(keeper, child_case(keeper), indexed_partner())
    client = signed_in_client(supervisor)
    csrf = _get_new_csrf_string()
    return {
        "referral_id": str(referral.pk),
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        "headers": {"X-CSRFToken": csrf},
    }


@REFERRALS.parametrize()
@FUZZ
def test_referrals_api_as_a_supervisor_never_fails_and_answers_as_the_schema_says(
    case: Any, session: dict[str, Any]
) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.cookies = dict(session["cookies"])
    positive = case.meta is None or case.meta.generation.mode.value == "positive"
    if positive and case.path_parameters and "referral_id" in case.path_parameters:
        case.path_parameters["referral_id"] = session["referral_id"]
    response = case.call(headers=session["headers"])
    assert response.status_code < 500, response.text
    assert response.status_code != 401, "the session was not taken"
    excluded = _EXCLUDED
    if not positive and not_all_sent(case, response.request.url):
        # The client left out a generated value it cannot put in a URL (an empty list, a null):
        # the server never saw what made the example invalid, so accepting it proves nothing.
        excluded = [*_EXCLUDED, negative_data_rejection]
    case.validate_response(response, headers=session["headers"], excluded_checks=excluded)


def not_all_sent(case: Any, url: str) -> bool:
    sent = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return any(name not in sent for name in (case.query or {}))
