"""The JSON API at /api/v1/. Every operation needs a caller (token or session): deny by default."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from helpline.accounts.api import router as accounts_router
from helpline.accounts.api_auth import StaffSessionAuth, TokenAuth
from helpline.cases.api import router as cases_router
from helpline.common.outage import database_unavailable, unavailable_response
from helpline.contacts.api import router as contacts_router
from helpline.feedback.api import router as feedback_router
from helpline.referrals.api_partners import router as partners_router
from helpline.referrals.api_referrals import router as referrals_router
from helpline.reports.api import router as reports_router
from helpline.rota.api import router as rota_router

api = NinjaAPI(
    title="Helpline API",
    version="1",
    description="Helpline's JSON API. Authenticate with an integration token "
    "(Authorization: Bearer ...) or a signed-in session with its CSRF token.",
    auth=[TokenAuth(), StaffSessionAuth()],
    docs_url=None,
    urls_namespace="api",
)
api.add_router("/", accounts_router)
api.add_router("/", contacts_router)
api.add_router("/", cases_router)
api.add_router("/", partners_router)
api.add_router("/", referrals_router)
api.add_router("/", feedback_router)
api.add_router("/", reports_router)
api.add_router("/", rota_router)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "Authentication required."}, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database is away (a restart): 503 and a line, as pages answer; anything else is a fault."""
    if not database_unavailable(exc):
        raise exc
    return unavailable_response(request)
