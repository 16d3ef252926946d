"""The operations pages are reached from the menu and the home page, not only by typing their
address: retention for those who set it (administrators), requests about a person's records for
those who serve them (supervisors), and neither for anyone else."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import Permission, role_has
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
PAGES = {
    "/operations/retention/": Permission.RETENTION_MANAGE,
    "/operations/data-requests/": Permission.DATA_REQUESTS,
}


def links(html: str, start: str, end: str) -> set[str]:
    part = html[html.index(start) :]
    return set(re.findall(r'href="([^"]+)"', part[: part.index(end)]))


@pytest.mark.parametrize("role", list(Role))
def test_the_operations_pages_are_linked_for_the_roles_that_may_open_them(
    role: Role, client_for: ClientFor, db: None
) -> None:
    client = client_for(persona(role, username=f"ops-{role}"))
    html = client.get("/").content.decode()
    menu = links(html, '<nav aria-label="Main menu">', "</nav>")
    home = links(html, '<ul class="cards">', "</ul>")
    for url, permission in PAGES.items():
        allowed = role_has(role, permission)
        assert (url in menu) == allowed, (role, url, menu)
        assert (url in home) == allowed, (role, url, home)
        # The link leads where the page opens: no link to a refusal, no page left without a link.
        assert (client.get(url).status_code == 200) == allowed, (role, url)


def test_a_supervisor_finds_data_requests_and_an_administrator_retention(
    supervisor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    supervisors = client_for(supervisor).get("/").content.decode()
    administrators = client_for(administrator).get("/").content.decode()
    assert 'href="/operations/data-requests/"' in supervisors
    assert 'href="/operations/retention/"' not in supervisors
    assert 'href="/operations/retention/"' in administrators
    assert 'href="/operations/data-requests/"' not in administrators
