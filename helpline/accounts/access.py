"""Deny by default: every view declares who may use it, and the middleware enforces it.

A view without a declaration is refused (and a test walks every URL pattern so none ships without
one). Rules, from open to closed:

- PUBLIC: anyone (health checks, sign-in, static).
- SIGNED_IN: password accepted; the second factor may still be pending (2FA set-up and check).
- VERIFIED: both factors; reachable while the safeguarding gate blocks (profile, policy, sign-out).
- requires(permission): both factors, not blocked by the gate, and the role grants the permission.
- API: the JSON API enforces its own per-operation rules (see helpline/accounts/api_auth.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.vetting import answers_kept_for_request, vetting_status
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.requests import wants_json

ATTRIBUTE = "helpline_access"


@dataclass(frozen=True)
class AccessRule:
    level: str  # public | signed_in | verified | permission | api
    permission: Permission | None = None

    def __str__(self) -> str:
        return f"{self.level}:{self.permission}" if self.permission else self.level


PUBLIC = AccessRule("public")
SIGNED_IN = AccessRule("signed_in")
VERIFIED = AccessRule("verified")
API = AccessRule("api")


def requires(permission: Permission) -> AccessRule:
    return AccessRule("permission", permission)


V = TypeVar("V", bound=Callable[..., Any])


def access(rule: AccessRule) -> Callable[[V], V]:
    """Declare the access rule of a view function (or of the result of View.as_view())."""

    def mark(view: V) -> V:
        setattr(view, ATTRIBUTE, rule)
        return view

    return mark


def is_verified(user: object) -> bool:
    """True once the session passed the second factor (django-otp adds is_verified to users)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


# The gate's answer for this request, kept so that the page's menu need not ask again.
_BLOCKED_ATTRIBUTE = "_helpline_vetting_blocked"


def vetting_blocked(request: HttpRequest, staff: Staff) -> bool:
    """Whether this person's vetting has lapsed, as the gate found it for this request (asked
    here only for pages the gate does not guard, such as the profile)."""
    found = getattr(request, _BLOCKED_ATTRIBUTE, None)
    if found is None:
        found = vetting_status(staff).blocked
        setattr(request, _BLOCKED_ATTRIBUTE, found)
    return bool(found)


def safeguarding_refused(
    staff: Staff, *, detail: dict[str, str], request: HttpRequest | None = None, client_ip: str | None = None
) -> bool:
    """The safeguarding gate, for pages and sockets alike: True (and the refusal audited) when this
    person lacks a signed current policy or a valid police check."""
    status = vetting_status(staff)
    if request is not None:
        setattr(request, _BLOCKED_ATTRIBUTE, status.blocked)
    if not status.blocked:
        return False
    with translation.override(staff.language or None):  # the person's language, as their pages
        reasons = "; ".join(str(r) for r in status.reasons)
    audit_record(
        staff,
        action=AuditAction.ACCESS_REFUSED,
        reason="safeguarding gate: " + reasons,
        request=request,
        client_ip=client_ip,
        detail=detail,
    )
    return True


def rule_of(view: Callable[..., Any]) -> AccessRule | None:
    return getattr(view, ATTRIBUTE, None)


def _refuse(request: HttpRequest, *, reason: str, status: int = 403) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    audit_record(
        user,  # type: ignore[arg-type]
        action=AuditAction.ACCESS_REFUSED,
        reason=reason,
        request=request,
        detail={"path": request.path[:200], "method": request.method or ""},
    )
    if wants_json(request):
        return JsonResponse({"detail": _("You may not use this page.")}, status=status)
    if status == 404:
        return render(request, "404.html", status=404)
    response = render(request, "403.html", {"reason": reason}, status=status)
    return response if isinstance(response, HttpResponse) else HttpResponseForbidden()


def _to_login(request: HttpRequest) -> HttpResponse:
    audit_record(
        None,
        action=AuditAction.ACCESS_REFUSED,
        reason="not signed in",
        request=request,
        detail={"path": request.path[:200], "method": request.method or ""},
    )
    if wants_json(request):
        return JsonResponse({"detail": _("Sign in first.")}, status=401)
    url = reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()[:500]})
    if getattr(request, "htmx", False):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _to_second_factor(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": _("Complete the second sign-in step first.")}, status=401)
    return redirect("accounts:otp")


def check_access(request: HttpRequest, rule: AccessRule) -> HttpResponse | None:
    """None when the request may proceed, otherwise the refusal to send."""
    if rule.level in {"public", "api"}:
        return None
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return _to_login(request)
    if rule.level == "signed_in":
        return None
    if not is_verified(user):
        return _to_second_factor(request)
    if rule.level == "verified":
        return None
    assert rule.permission is not None
    if safeguarding_refused(
        user,  # type: ignore[arg-type]
        request=request,
        detail={"path": request.path[:200], "method": request.method or ""},
    ):
        if wants_json(request):
            return JsonResponse({"detail": _("Your vetting is not current.")}, status=403)
        return redirect("accounts:profile")
    if not role_has(user.role, rule.permission):  # type: ignore[union-attr]
        return _refuse(request, reason=f"role {user.role} lacks {rule.permission}")  # type: ignore[union-attr]
    return None


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with answers_kept_for_request():
            return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        rule = rule_of(view_func)
        if rule is None:
            return _refuse(request, reason="no access rule declared for this page", status=404)
        return check_access(request, rule)
