"""A refusal on the audit page names the permission the role lacked in the reader's language, not by
its code («console» in both languages). Every permission a page or an API operation can refuse with
has a name: the rules are read from the URL patterns and the API's operations, where the access
middleware and the API's checks read them. The stored reason keeps the code."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from helpline.accounts.access import rule_of
from helpline.accounts.api_auth import ATTRIBUTE as API_ATTRIBUTE
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.labels import permission_label, reason_label
from helpline.audit.models import AuditEvent
from tests.test_url_access import ALL, _api_operations

KHMER = re.compile(r"[\u1780-\u17ff]")


def _refusable() -> list[Permission]:
    """The permissions a refusal can name: each page's rule and each API operation's requirement."""
    found: set[Permission] = set()
    for _route, _name, callback in ALL:
        rule = rule_of(callback)
        if rule is not None and rule.permission is not None:
            found.add(rule.permission)
    for _route, func in _api_operations():
        found.add(getattr(func, API_ATTRIBUTE).permission)
    return sorted(found)


REFUSABLE = _refusable()


def test_the_scan_finds_the_pages_and_the_apis_permissions() -> None:
    assert {Permission.AUDIT_BROWSE, Permission.CONSOLE, Permission.CASES, Permission.STATISTICS} <= set(
        REFUSABLE
    )


@pytest.mark.parametrize("permission", REFUSABLE, ids=[p.value for p in REFUSABLE])
def test_every_permission_a_refusal_can_name_has_a_name_in_each_language(permission: Permission) -> None:
    stored = f"role counsellor lacks {permission.value}"  # as accounts.access and api_auth write it
    with translation.override("en"):
        english = permission_label(permission.value)
        assert english != permission.value and "_" not in english
        assert f"“{english}”" in reason_label(stored) and permission.value not in reason_label(stored)
    with translation.override("km"):
        khmer = permission_label(permission.value)
        assert KHMER.search(khmer), khmer
        assert f"«{khmer}»" in reason_label(stored) and permission.value not in reason_label(stored)


def test_a_permission_since_removed_is_shown_as_stored() -> None:
    with translation.override("km"):
        assert permission_label("no_such_permission") == "no_such_permission"
        assert "no_such_permission" in reason_label("role counsellor lacks no_such_permission")


@pytest.mark.parametrize(("lang", "name"), [("en", "Console"), ("km", "ផ្ទាំងការងារ")])
def test_the_audit_page_names_the_refused_permission_and_the_row_keeps_its_code(
    lang: str, name: str, counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    # An administrator has no console: the refusal names it.
    counsellor.role = "administrator"
    counsellor.save(update_fields=["role"])
    assert client_for(counsellor).get("/console/").status_code == 403
    assert AuditEvent.objects.get(action="access.refused").reason == "role administrator lacks console"
    supervisor.language = lang
    supervisor.save(update_fields=["language"])
    page = client_for(supervisor).get("/audit/").content.decode()
    assert name in page and "console»" not in page and "“console”" not in page
