"""Home page and health checks."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import PUBLIC, access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.common import outage


@access(requires(Permission.HOME))
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    staff = request.user
    assert isinstance(staff, Staff)
    can = {p.value: role_has(staff.role, p) for p in Permission}
    return render(request, "home.html", {"can": can})


@access(PUBLIC)
@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@access(PUBLIC)
@require_http_methods(["GET", "HEAD"])
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready: the database answers a query. Never shows why it failed (no stack trace, no DSN).
    While the database is known to be away it answers at once (see helpline.common.outage)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        outage.mark(request)
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
