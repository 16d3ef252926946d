"""Schemathesis over the partners operations as a signed-in supervisor, on a real partner (a token
holding every scope runs them in tests/test_api_fuzz.py): whatever is sent, never a 500, every
answer as the schema says, and a request refused (4xx) changes nothing in the directory. Schema-
valid input may still be refused by the directory's state (a name already there, an age range a
PATCH breaks), so the positive-acceptance check is left to the token run."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from helpline.accounts.models import Role
from helpline.audit.models import AuditEvent
from helpline.referrals.models import MonitoringVisit, Partner, PartnerConcern, PartnerSuspension
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.partner_factories import add_partner
from tests.test_api_fuzz import FUZZ, keep_test_connection, schema

PARTNERS = schema.include(path_regex="/partners")
_EXCLUDED = [positive_data_acceptance, ignored_auth]
__all__ = ["keep_test_connection"]  # autouse here too: a request must not close the test's transaction


@pytest.fixture
def session(db: None) -> dict[str, Any]:
    supervisor = persona(Role.SUPERVISOR, username="fuzzer")
    partner = add_partner(persona(Role.CASE_MANAGER, username="keeper"), "Safe Haven", max_age=17)
    client = signed_in_client(supervisor)
    csrf = _get_new_csrf_string()
    return {
        "partner_id": str(partner.pk),
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        "headers": {"X-CSRFToken": csrf},
    }


def footprint() -> tuple[Any, ...]:
    """Everything a partners operation may write: a refused one leaves it as it was."""
    partners = sorted(
        Partner.objects.values_list(
            "pk", "name", "min_age", "max_age", "phone", "email", "updated_at", "suspension"
        )
    )
    return (
        partners,
        PartnerConcern.objects.count(),
        PartnerSuspension.objects.count(),
        MonitoringVisit.objects.count(),
        AuditEvent.objects.filter(action__startswith="partner.").count(),
    )


@PARTNERS.parametrize()
@FUZZ
def test_partners_api_as_a_supervisor_never_fails_and_a_refusal_changes_nothing(
    case: Any, session: dict[str, Any]
) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.cookies = dict(session["cookies"])
    positive = case.meta is None or case.meta.generation.mode.value == "positive"
    if positive and case.path_parameters and "partner_id" in case.path_parameters:
        case.path_parameters["partner_id"] = session["partner_id"]
    before = footprint()
    response = case.call(headers=session["headers"])
    assert response.status_code < 500, response.text
    assert response.status_code != 401, "the session was not taken"
    case.validate_response(response, headers=session["headers"], excluded_checks=_EXCLUDED)
    if response.status_code >= 400:
        assert footprint() == before, response.text
