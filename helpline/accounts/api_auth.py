"""Who is calling the API: a signed-in staff member (session + CSRF + second factor) or an
integration token (Authorization: Bearer ...). Each operation declares what it needs with
@api_access; an operation without it is caught by the URL-walk test."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from helpline.accounts.access import is_verified
from helpline.accounts.models import ApiToken, Staff
from helpline.accounts.permissions import Permission, Scope, role_has
from helpline.accounts.services import api_token_authenticate
from helpline.accounts.vetting import vetting_status
from helpline.audit.services import audit_record

ATTRIBUTE = "helpline_api_access"


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" or "token"
    staff: Staff | None = None
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> Staff | ApiToken | None:
        return self.staff if self.kind == "staff" else self.token

    @property
    def name(self) -> str:
        if self.staff is not None:
            return self.staff.username
        return f"token:{self.token.name}" if self.token else "anonymous"

    @property
    def role(self) -> str:
        return self.staff.role if self.staff is not None else "integration"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = api_token_authenticate(token)
        if found is None:
            audit_record(
                None, action="api.token_rejected", request=request, detail={"path": request.path[:200]}
            )
            return None
        audit_record(
            found,
            action="api.token_use",
            record_type="api_token",
            record_id=found.pk,
            request=request,
            detail={"path": request.path[:200], "method": request.method},
        )
        return Principal(kind="token", token=found, scopes=frozenset(found.scopes))


class StaffSessionAuth(SessionAuth):
    """The browser session, with CSRF, and only once the second factor is done."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if user.is_authenticated and user.is_active and is_verified(user):
            return Principal(kind="staff", staff=user)  # type: ignore[arg-type]
        return None


F = TypeVar("F", bound=Callable[..., Any])


def api_access(*, permission: Permission, scope: Scope) -> Callable[[F], F]:
    """Staff need the permission (and to pass the safeguarding gate); tokens need the scope."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            principal: Principal = request.auth  # type: ignore[attr-defined]
            refusal = _refusal(principal, permission, scope)
            if refusal:
                audit_record(
                    principal.actor,
                    action="access.refused",
                    reason=refusal,
                    request=request,
                    detail={"path": request.path[:200]},
                )
                raise HttpError(403, refusal)
            return func(request, *args, **kwargs)

        setattr(wrapper, ATTRIBUTE, (permission, scope))
        return wrapper  # type: ignore[return-value]

    return decorate


def _refusal(principal: Principal, permission: Permission, scope: Scope) -> str:
    if principal.kind == "token":
        return "" if scope.value in principal.scopes else f"token lacks scope {scope.value}"
    staff = principal.staff
    assert staff is not None
    if vetting_status(staff).blocked:
        return "safeguarding gate: vetting is not current"
    if not role_has(staff.role, permission):
        return f"role {staff.role} lacks {permission.value}"
    return ""
