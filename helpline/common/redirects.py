"""Where a form may send its sender back to: a page of this site, given as a path."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_path(request: HttpRequest, candidate: str | None) -> str | None:
    """`candidate` when it is a path on this site ("/cases/?page=2"), else None: an address on
    another site, a scheme-relative "//host", and a bare word ("cases"), which is safe to Django's
    check but which redirect() tries as a URL name and fails on with a 500."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return candidate
