"""GET /metrics for a Prometheus server: open to a bearer token or an address allow-list only."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from helpline.accounts.access import PUBLIC, access
from helpline.common.requests import client_address
from helpline.operations.metrics import metrics_registry


def _token_ok(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return (
        bool(token) and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode())
    )


def _address_ok(request: HttpRequest) -> bool:
    address = client_address(request)
    if not address or not settings.METRICS_ALLOW:
        return False
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOW)
    except ValueError:
        return False


# PUBLIC to the staff access layer (a scraper has no account): the token or address is checked here.
@access(PUBLIC)
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Off (404) unless a token or an allow-list is configured; refused (403) without either."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOW:
        raise Http404
    if not (_token_ok(request) or _address_ok(request)):
        return HttpResponse(status=403, content_type="text/plain")
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
