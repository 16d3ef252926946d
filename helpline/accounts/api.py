from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from helpline.accounts.api_auth import Principal, api_access
from helpline.accounts.permissions import Permission, Scope
from helpline.common.api_schemas import with_errors

router = Router(tags=["identity"])


class MeOut(Schema):
    kind: str
    username: str
    display_name: str
    role: str
    language: str | None
    scopes: list[str]


@router.get("/me", response=with_errors(MeOut), summary="Who is calling: identity, role and scopes")
@api_access(permission=Permission.HOME, scope=Scope.ME)
def me(request: HttpRequest) -> MeOut:
    principal: Principal = request.auth  # type: ignore[attr-defined]
    if principal.staff is not None:
        staff = principal.staff
        return MeOut(
            kind="staff",
            username=staff.username,
            display_name=staff.display_name,
            role=staff.role,
            language=staff.language,
            scopes=[],
        )
    assert principal.token is not None
    return MeOut(
        kind="token",
        username=principal.name,
        display_name=principal.token.name,
        role=principal.role,
        language=None,
        scopes=sorted(principal.scopes),
    )
