from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from helpline.accounts.access import is_verified, vetting_blocked
from helpline.accounts.permissions import Permission, role_has


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = getattr(user, "role", "") if user is not None and user.is_authenticated else ""
    # Someone whose vetting lapsed may open only their profile (every other page sends them
    # there): the menu offers nothing else.
    if role and is_verified(user) and vetting_blocked(request, user):  # type: ignore[arg-type]
        role = ""
    return {
        "nav_can": {p.value: bool(role) and role_has(role, p) for p in Permission},
        "helpline_demo": settings.DEMO,
        "idle_minutes": settings.IDLE_MINUTES,
    }
