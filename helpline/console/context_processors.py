from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpline.accounts.access import is_verified, vetting_blocked
from helpline.accounts.permissions import Permission, role_has

P = Permission


@dataclass(frozen=True)
class Link:
    label: str | Promise
    url_name: str
    needs: tuple[Permission, ...]  # every one of these
    unless: Permission | None = None  # offered only without this one


@dataclass(frozen=True)
class Group:
    """Less-used entries under one disclosure button (a <details>): the menu of a supervisor or an
    administrator otherwise ran to three lines in English and five in Khmer on a 1366-pixel screen."""

    label: str | Promise
    links: tuple[Link, ...]


@dataclass
class Entry:
    """What the page draws: a link, or a group's button with its links."""

    label: str | Promise
    url: str = ""
    current: bool = False
    links: list[Entry] = field(default_factory=list)


MENU: tuple[Link | Group, ...] = (
    Link(_("Home"), "home", (P.HOME,)),
    Link(_("Console"), "console:console", (P.CONSOLE,)),
    Link(_("Contacts"), "contacts:list", (P.CLIENT_DATA,)),
    Link(_("Cases"), "cases:list", (P.CASES,)),
    Link(_("Partners"), "referrals:partner_list", (P.PARTNERS,)),
    Link(_("Feedback and complaints"), "feedback:list", (P.FEEDBACK,)),
    Link(_("Supervision board"), "cases:board", (P.CASE_SUPERVISE,)),
    Link(_("Wallboard"), "console:wallboard", (P.WALLBOARD,)),
    Group(
        pgettext_lazy("main menu", "Team"),
        (
            Link(_("Rota"), "rota:rota", (P.ROTA,)),
            Link(_("Quality review"), "people:quality", (P.QUALITY_REVIEW,)),
            Link(_("Debriefs"), "people:debriefs", (P.DEBRIEFS,)),
        ),
    ),
    Group(
        pgettext_lazy("main menu", "Calls and figures"),
        (
            Link(_("Missed calls"), "voice:missed", (P.CONSOLE,)),
            Link(_("Call figures"), "voice:figures", (P.WALLBOARD,)),
            Link(_("Statistics"), "reports:dashboard", (P.STATISTICS,)),
        ),
    ),
    Group(
        pgettext_lazy("main menu", "Administration"),
        (
            Link(_("Risk signals"), "routing:risk_signals", (P.SERVICE_SETTINGS,)),
            Link(_("SMS and chat settings"), "conversations:settings", (P.SERVICE_SETTINGS,)),
            Link(_("Code lists"), "contacts:code_lists", (P.TAXONOMY_MANAGE,)),
            Link(_("Audit trail"), "audit:browse", (P.AUDIT_BROWSE,)),
            Link(_("Requests about personal data"), "operations:data_requests", (P.DATA_REQUESTS,)),
            Link(_("Retention"), "operations:retention", (P.RETENTION_MANAGE,)),
            Link(_("Staff"), "accounts:staff_list", (P.STAFF_MANAGE,)),
            Link(_("Phone extensions"), "accounts:extensions", (P.STAFF_EXTENSIONS,), unless=P.STAFF_MANAGE),
        ),
    ),
)


def _offered(link: Link, role: str) -> bool:
    if not role or not all(role_has(role, p) for p in link.needs):
        return False
    return link.unless is None or not role_has(role, link.unless)


def _entry(link: Link, path: str) -> Entry:
    url = reverse(link.url_name)
    return Entry(link.label, url=url, current=path == url)


def menu_for(role: str, path: str) -> list[Entry]:
    """The main menu of someone in `role` (empty: no role, or vetting lapsed), before "My profile".
    A group with a single entry for this role is drawn as that link, not as a menu of one."""
    entries: list[Entry] = []
    for item in MENU:
        if isinstance(item, Link):
            if _offered(item, role):
                entries.append(_entry(item, path))
            continue
        links = [_entry(link, path) for link in item.links if _offered(link, role)]
        if len(links) == 1:
            entries.append(links[0])
        elif links:
            entries.append(Entry(item.label, current=any(e.current for e in links), links=links))
    return entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = getattr(user, "role", "") if user is not None and user.is_authenticated else ""
    # Someone whose vetting lapsed may open only their profile (every other page sends them
    # there): the menu offers nothing else.
    if role and is_verified(user) and vetting_blocked(request, user):  # type: ignore[arg-type]
        role = ""
    return {
        "nav_can": {p.value: bool(role) and role_has(role, p) for p in Permission},
        "nav_menu": menu_for(role, request.path) if role and is_verified(user) else [],
        "helpline_demo": settings.DEMO,
        "idle_minutes": settings.IDLE_MINUTES,
    }
