"""Schemathesis against our own OpenAPI schema: generated and malformed requests never get a 500,
and responses match the schema. Grows with every operation the API gains."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from config.wsgi import application
from helpline.accounts.permissions import Scope
from helpline.accounts.services import api_token_create

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_test_connection() -> Any:
    """As Django's test client does: a finished request must not close the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db: None) -> str:
    _token, raw = api_token_create(None, name="fuzz", scopes=[s.value for s in Scope])
    return raw


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_on_generated_input(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    # ignored_auth would fault the valid token we add for sending alongside its generated cookie
    # (credential refusal is tested on its own below); positive_data_acceptance would fault the
    # refusal of schema-valid but meaningless values (an unknown province code, a number that is
    # not a phone number), which must be refused.
    case.validate_response(response, excluded_checks=[ignored_auth, positive_data_acceptance])
    assert response.status_code < 500


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_refuses_every_operation_without_credentials(case: Any, db: None) -> None:
    response = case.call()
    # 401 no credentials; 403 a cookie without its CSRF token; 405 a method the operation lacks.
    assert response.status_code in {401, 403, 405}
