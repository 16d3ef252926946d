"""Which web pages may open the chat socket: the helpline's own chat page and the websites in
HELPLINE_CHAT_ORIGINS, each matched with its scheme and port (as a browser compares origins and as
CSP's frame-ancestors matches the same list), so another port on the same host is another site."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host, port


def parse_origin(value: str) -> Origin | None:
    """("https", "example.org", 443) from "https://example.org"; None for "null" or anything else."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _listed(origin: Origin, entry: str) -> bool:
    """An entry with a scheme is one origin, port and all; a host name alone (".example.org" for it
    and its subdomains) is that site on its scheme's default port."""
    scheme, host, port = origin
    if "://" in entry:
        wanted = parse_origin(entry)
        return (
            wanted is not None
            and wanted[0] == scheme
            and wanted[2] == port
            and is_same_domain(host, wanted[1])
        )
    return port == DEFAULT_PORTS[scheme] and is_same_domain(host, entry.strip().lower())


def chat_origin_allowed(origin: str, host: str, listed: Iterable[str], allowed_hosts: list[str]) -> bool:
    """The page's origin (the Origin header) against this site (the Host header the browser sent,
    when it is one of ALLOWED_HOSTS) and the listed websites."""
    seen = parse_origin(origin)
    if seen is None:
        return False
    own = parse_origin(f"{seen[0]}://{host}") if host else None
    if own == seen and validate_host(split_domain_port(host)[0], allowed_hosts):
        return True
    return any(_listed(seen, entry) for entry in listed)


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


class ChatOriginValidator:
    """ASGI middleware: a socket from any other page is denied before it is accepted (settings read
    at each connection, so a changed list applies without a restart of this object)."""

    def __init__(self, application: Callable[..., Awaitable[None]]) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        allowed = chat_origin_allowed(
            _header(scope, b"origin"), _header(scope, b"host"), settings.CHAT_ORIGINS, settings.ALLOWED_HOSTS
        )
        if not allowed:
            denier = WebsocketDenier()
            return await denier(scope, receive, send)  # type: ignore[no-any-return]
        return await self.application(scope, receive, send)
