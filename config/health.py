"""Health checks for load balancers and supervisors of the process: public, touching nothing else."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import PUBLIC, access
from helpline.common import outage


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
