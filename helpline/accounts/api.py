# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from helpline.accounts import services
from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.models import Staff
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
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
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


class ExtensionIn(Schema):
    extension: str = Field(
        ...,
        max_length=32,
        pattern=f"^(|{services.EXTENSION_PATTERN.pattern})$",
        description='the extension calls are answered on, as the PBX names it; "" clears it',
    )


class ExtensionOut(Schema):
    username: str
    extension: str


@router.put(
    "/staff/{username}/extension",
    response=with_errors(ExtensionOut, 400, 404, 409),
    summary="Set the phone extension an active staff member answers calls on",
)
@api_access(permission=Permission.STAFF_EXTENSIONS, scope=Scope.EXTENSIONS_WRITE)
def set_extension(request: HttpRequest, username: str, payload: ExtensionIn) -> ExtensionOut:
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
    staff = Staff.objects.filter(username=username[:64], is_active=True).first()
    if staff is None:
        raise HttpError(404, "no active staff member with that username")
    try:
        services.staff_set_extension(
            principal.actor, staff=staff, extension=payload.extension, request=request
        )
    except services.ExtensionTaken as exc:
        raise HttpError(409, str(exc)) from exc
    return ExtensionOut(username=staff.username, extension=staff.extension)
