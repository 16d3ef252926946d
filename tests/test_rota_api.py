"""GET /api/v1/rota/shifts: the shifts of a period with who is on them and their gaps, for those
who may see the rota (tokens with rota:read); audited; odd parameters refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import Scope
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from tests.factories import persona
from tests.rota_factories import shift_on

pytestmark = pytest.mark.django_db
URL = "/api/v1/rota/shifts"


def bearer(*scopes: str) -> dict[str, str]:
    _token, raw = api_token_create(None, name="rota", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_token_with_rota_read_lists_the_shifts_and_their_gaps(counsellor: Staff) -> None:
    day = timezone.localdate() + dt.timedelta(days=2)
    full = shift_on(day, minimum=1, staff=[counsellor])
    gap = shift_on(day, start=16, minimum=2, staff=[counsellor])
    response = Client().get(URL, {"from": day.isoformat(), "days": "1"}, **bearer(Scope.ROTA_READ))
    assert response.status_code == 200
    body = response.json()
    assert body["gaps"] == 1 and body["days"] == 1
    assert [(s["id"], s["staff"], s["gap"]) for s in body["shifts"]] == [
        (str(full.pk), [counsellor.username], False),
        (str(gap.pk), [counsellor.username], True),
    ]
    assert AuditEvent.objects.filter(action="rota.list").exists()


def test_the_default_period_is_the_next_14_days(counsellor: Staff) -> None:
    shift_on(timezone.localdate() + dt.timedelta(days=3))
    shift_on(timezone.localdate() + dt.timedelta(days=20))
    body = Client().get(URL, **bearer(Scope.ROTA_READ)).json()
    assert body["days"] == 14 and len(body["shifts"]) == 1


def test_a_token_without_rota_read_is_refused(db: None) -> None:
    response = Client().get(URL, **bearer(Scope.CASES_READ, Scope.STATISTICS_READ))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.refused").exists()


def test_a_session_follows_the_permission_table(client_for: Callable[[Staff], Client]) -> None:
    assert client_for(persona(Role.COUNSELLOR, username="c")).get(URL).status_code == 200
    assert client_for(persona(Role.DATA_OFFICER, username="d")).get(URL).status_code == 403


def test_no_credentials_is_401(db: None) -> None:
    assert Client().get(URL).status_code == 401


@pytest.mark.parametrize(
    "query",
    [{"form": "2026-01-01"}, {"days": "0"}, {"days": "32"}, {"from": "1700000000"}, {"from": "1999-12-31"}],
)
def test_bad_or_odd_parameters_are_refused(query: dict[str, str], db: None) -> None:
    assert Client().get(URL, query, **bearer(Scope.ROTA_READ)).status_code == 422


def test_a_repeated_parameter_is_refused(db: None) -> None:
    assert Client().get(URL + "?days=3&days=4", **bearer(Scope.ROTA_READ)).status_code == 422
