"""Schemathesis over the cases operations as a signed-in supervisor working on a real case (a token
sees no case file, so tests/test_api_fuzz.py only reaches their refusals): whatever is sent, never a
500, and every answer as the schema says. Schema-valid input may still be refused (a follow-up due in
the past, a closing case), so the positive-acceptance check is left to the token run, as is the
replay without credentials."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from helpline.accounts.models import Role
from tests.case_factories import open_case
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.test_api_fuzz import FUZZ, keep_test_connection, schema

CASES = schema.include(path_regex="/cases")
# Schema-valid input may be refused by the case's state; and the credentials are set by hand here,
# so schemathesis's own replay without them proves nothing (test_api_fuzz.py checks refusals).
_EXCLUDED = [positive_data_acceptance, ignored_auth]
__all__ = ["keep_test_connection"]  # autouse here too: a request must not close the test's transaction


@pytest.fixture
def session(db: None) -> dict[str, Any]:
    supervisor = persona(Role.SUPERVISOR, username="fuzzer")
    case = open_case(persona(Role.COUNSELLOR, username="keeper"))
    client = signed_in_client(supervisor)
    csrf = _get_new_csrf_string()
    return {
        "case_id": str(case.pk),
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        "headers": {"X-CSRFToken": csrf},
    }


@CASES.parametrize()
@FUZZ
def test_cases_api_as_a_supervisor_never_fails_and_answers_as_the_schema_says(
    case: Any, session: dict[str, Any]
) -> None:
    # Credentials are the session's: generated ones (an empty bearer or session cookie) go.
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.cookies = dict(session["cookies"])
    # On the real case, unless the example is one of invalid input (then its own id, which may be
    # the invalid part).
    positive = case.meta is None or case.meta.generation.mode.value == "positive"
    if positive and case.path_parameters and "case_id" in case.path_parameters:
        case.path_parameters["case_id"] = session["case_id"]
    response = case.call(headers=session["headers"])
    assert response.status_code < 500, response.text
    assert response.status_code != 401, "the session was not taken"
    case.validate_response(response, headers=session["headers"], excluded_checks=_EXCLUDED)
