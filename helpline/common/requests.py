"""Facts about an incoming request that several apps need."""

from __future__ import annotations

from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address. Behind a trusted proxy uvicorn has already put the address the
    proxy saw here (see `serve`); X-Forwarded-For itself is never read, as its first hop is
    whatever the client chose to send."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
