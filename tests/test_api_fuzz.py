"""Schemathesis against our own OpenAPI schema (/api/v1/openapi.json), with every check it has: valid
and invalid requests, with a token holding every scope and with none, never get a 500, get a 4xx when
invalid and a 2xx when valid, and answer as the schema says. Grows with every operation the API gains.

Run time stays fit for CI: a fixed number of examples per operation (EXAMPLES), derandomized (the
same examples every run, so a failure reproduces), no example database, and only the explicit and
generate phases (no shrinking of a failure, which can take minutes: the failing example is printed).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from config.wsgi import application
from helpline.accounts.permissions import Scope
from helpline.accounts.services import api_token_create

# The formats of our own that the schema names, registered on import (shared with the live run of
# `make security`, .ci/api_fuzz.py).
from tests import api_formats  # noqa: F401

EXAMPLES = 100
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Schemathesis would also try string literals found in our own source as values (a free-text
# field may take any; a field with a format of ours may not): our formats say what is valid.
# Every check is on by default; max_response_time needs a limit, generous for a busy CI machine.
CONFIG = SchemathesisConfig.from_dict(
    {"analysis": {"constants": {"enabled": False}}, "checks": {"max_response_time": 10.0}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


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
@FUZZ
def test_api_with_a_token_passes_every_check(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500


@schema.parametrize()
@FUZZ
def test_api_without_credentials_passes_every_check_and_refuses(case: Any, db: None) -> None:
    response = case.call()
    case.validate_response(response)
    # 401 no credentials; 403 a session cookie without its CSRF token; 405 a method the path lacks.
    assert response.status_code in {401, 403, 405}
