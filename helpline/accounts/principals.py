"""Who is acting or looking: the one type selectors, access helpers and services take.

A principal is a staff member (signed in to a page, a socket or the API) or an integration's API token
(later also a partner-portal token). An actor, for the audit trail, may also be a part of the system
acting on its own, named by a string ("gateway:kannel", "pbx:ami", "routing")."""

from __future__ import annotations

from typing import TypeAlias

from helpline.accounts.models import ApiToken, Staff

Principal: TypeAlias = Staff | ApiToken
Actor: TypeAlias = Staff | ApiToken | str


def as_staff(principal: Principal | str | None) -> Staff | None:
    """The staff member behind a principal, or None for a token or the system."""
    return principal if isinstance(principal, Staff) else None
