"""Who is calling the API: a signed-in staff member (session + CSRF + second factor) or an
integration token (Authorization: Bearer ...). Each operation declares what it needs with
@api_access, checked as the caller is authenticated (before the body is read); an operation
without it is caught by the URL-walk test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.operation import Operation
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import contribute_operation_callback

from helpline.accounts.access import is_verified
from helpline.accounts.models import ApiToken, Staff
from helpline.accounts.permissions import Permission, Scope, role_has
from helpline.accounts.principals import Principal
from helpline.accounts.services import api_token_authenticate
from helpline.accounts.vetting import vetting_status
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record

ATTRIBUTE = "helpline_api_access"


@dataclass(frozen=True)
class ApiCaller:
    kind: str  # "staff" or "token"
    staff: Staff | None = None
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> Principal:
        found = self.staff if self.kind == "staff" else self.token
        if found is None:  # authenticate() always sets the one its kind names
            raise RuntimeError("an API caller with neither staff member nor token")
        return found

    @property
    def name(self) -> str:
        if self.staff is not None:
            return self.staff.username
        return f"token:{self.token.name}" if self.token else "anonymous"

    @property
    def role(self) -> str:
        return self.staff.role if self.staff is not None else "integration"


class TokenAuth(HttpBearer):
    def __init__(self, requirement: Requirement | None = None) -> None:
        super().__init__()
        self.requirement = requirement

    def authenticate(self, request: HttpRequest, token: str) -> ApiCaller | None:
        found = api_token_authenticate(token)
        if found is None:
            audit_record(
                None,
                action=AuditAction.API_TOKEN_REJECTED,
                request=request,
                detail={"path": request.path[:200]},
            )
            return None
        audit_record(
            found,
            action=AuditAction.API_TOKEN_USE,
            record_type="api_token",
            record_id=found.pk,
            request=request,
            detail={"path": request.path[:200], "method": request.method},
        )
        principal = ApiCaller(kind="token", token=found, scopes=frozenset(found.scopes))
        _enforce(request, principal, self.requirement)
        return principal


class StaffSessionAuth(SessionAuth):
    """The browser session, with CSRF, and only once the second factor is done."""

    def __init__(self, requirement: Requirement | None = None, csrf: bool = True) -> None:
        super().__init__(csrf=csrf)
        self.requirement = requirement

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiCaller | None:
        user = request.user
        if user.is_authenticated and user.is_active and is_verified(user):
            principal = ApiCaller(kind="staff", staff=user)  # type: ignore[arg-type]
            _enforce(request, principal, self.requirement)
            return principal
        return None


@dataclass(frozen=True)
class Requirement:
    """What an operation needs: staff the permission (and a current vetting), tokens every scope."""

    permission: Permission
    scopes: tuple[Scope, ...]


F = TypeVar("F", bound=Callable[..., Any])


def api_access(*, permission: Permission, scope: Scope, also: tuple[Scope, ...] = ()) -> Callable[[F], F]:
    """Declare who may call an operation. The check runs with authentication, before django-ninja
    reads the body or the query: a caller who may not use the operation gets 403 whatever they
    send, and learns nothing from validation errors (a 422 would say the operation exists and
    what it takes). `also`: further scopes a token needs (see Scope)."""
    requirement = Requirement(permission=permission, scopes=(scope, *also))

    def contribute(operation: Operation) -> None:
        auth = [TokenAuth(requirement), StaffSessionAuth(requirement)]
        operation.auth_param = auth
        operation._set_auth(auth)

    def decorate(func: F) -> F:
        contribute_operation_callback(func, contribute)
        setattr(func, ATTRIBUTE, requirement)
        return func

    return decorate


def _enforce(request: HttpRequest, principal: ApiCaller, requirement: Requirement | None) -> None:
    """Raise 403 (audited) when the principal may not use the operation; ninja answers it."""
    if requirement is None:
        return
    refusal = _refusal(principal, requirement)
    if refusal:
        audit_record(
            principal.actor,
            action=AuditAction.ACCESS_REFUSED,
            reason=refusal,
            request=request,
            detail={"path": request.path[:200]},
        )
        raise HttpError(403, refusal)


def _refusal(principal: ApiCaller, requirement: Requirement) -> str:
    if principal.kind == "token":
        missing = [s.value for s in requirement.scopes if s.value not in principal.scopes]
        return f"token lacks scope {' '.join(missing)}" if missing else ""
    staff = principal.staff
    assert staff is not None
    if vetting_status(staff).blocked:
        return "safeguarding gate: vetting is not current"
    if not role_has(staff.role, requirement.permission):
        return f"role {staff.role} lacks {requirement.permission.value}"
    return ""
