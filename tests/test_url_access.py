"""Deny by default: every URL declares who may use it, and each rule is enforced for every role."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from helpline.accounts.access import rule_of
from helpline.accounts.api_auth import ATTRIBUTE as API_ATTRIBUTE
from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import role_has
from helpline.audit.models import AuditEvent
from tests.factories import persona


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry.callback


ALL = list(walk(get_resolver()))


def test_the_walk_finds_the_known_urls() -> None:
    names = {name for _path, name, _cb in ALL}
    assert {"home", "healthz", "readyz", "accounts:login", "audit:browse"} <= names
    assert len(ALL) >= 20


@pytest.mark.parametrize(("route", "name", "callback"), ALL, ids=[r for r, _n, _c in ALL])
def test_every_url_declares_an_access_rule(route: str, name: str, callback: Any) -> None:
    rule = rule_of(callback)
    assert rule is not None, f"{route} ({name}) has no access rule: decorate it with @access(...)"


def _api_operations() -> list[tuple[str, Any]]:
    from config.api import api

    operations = []
    for bound in api._get_bound_routers():
        for route, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                operations.append((f"{operation.methods} {route}", operation.view_func))
    return operations


@pytest.mark.parametrize(("route", "func"), _api_operations(), ids=[r for r, _f in _api_operations()])
def test_every_api_operation_declares_permission_and_scope(route: str, func: Any) -> None:
    assert getattr(func, API_ATTRIBUTE, None) is not None, f"{route} lacks @api_access"


def _undeclared(request: Any) -> HttpResponse:
    return HttpResponse("should never be served")


urlpatterns = [path("undeclared/", _undeclared), path("", include("config.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_a_rule_is_refused_and_audited(db: None, client: Client) -> None:
    response = client.get("/undeclared/")
    assert response.status_code == 404
    assert b"should never be served" not in response.content
    event = AuditEvent.objects.get(action="access.refused")
    assert event.detail["path"] == "/undeclared/"


# --- Each permission-guarded page, for each role: allowed or refused as the table says --------

GUARDED = [
    (route, name, rule_of(cb))
    for route, name, cb in ALL
    if rule_of(cb) is not None and rule_of(cb).level == "permission"  # type: ignore[union-attr]
]


def _url(name: str, route: str) -> str:
    kwargs = {}
    for part in route.split("<")[1:]:
        converter_and_name = part.split(">")[0]
        converter = converter_and_name.split(":")[0] if ":" in converter_and_name else "str"
        kwargs[converter_and_name.split(":")[-1]] = 999_999 if converter == "int" else uuid.uuid4()
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("route", "name", "rule"), GUARDED, ids=[n for _r, n, _x in GUARDED])
def test_guarded_page_allows_exactly_the_roles_in_the_table(
    role: Role, route: str, name: str, rule: Any, client_for: Callable[[Staff], Client], db: None
) -> None:
    staff = persona(role, username=f"p-{role}")
    response = client_for(staff).get(_url(name, route))
    if role_has(role, rule.permission):
        # Allowed: the page answers (404 for a random id, 405 for a POST-only action), never 403.
        assert response.status_code in {200, 404, 405}, response.status_code
    else:
        assert response.status_code == 403
        assert AuditEvent.objects.filter(action="access.refused", actor=staff).exists()


@pytest.mark.parametrize(("route", "name", "rule"), GUARDED, ids=[n for _r, n, _x in GUARDED])
def test_guarded_page_sends_strangers_to_sign_in(route: str, name: str, rule: Any, db: None) -> None:
    response = Client().get(_url(name, route))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="access.refused", actor__isnull=True).exists()
