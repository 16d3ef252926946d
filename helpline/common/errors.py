"""Error pages: short, translated, and never a stack trace."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from helpline.common.language import language_for
from helpline.common.requests import session_user, wants_json


def _page(
    request: HttpRequest, status: int, template: str, detail: str, context: dict[str, object] | None = None
) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": detail}, status=status)
    try:
        body: str = render_to_string(template, context, request=request)
    except Exception:  # an error page must never fail in turn
        body = detail
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "400.html", "Bad request.")


def bad_request_saying(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 inside the site's layout that says what could not be used: a bare line of text would
    leave the person outside the site, with no menu to go on from."""
    if wants_json(request):
        return JsonResponse({"detail": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, "403.html", "Forbidden.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "404.html", "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, "500.html", "Server error.")


def too_large(
    request: HttpRequest, exception: Exception | None = None, *, limit: int | None = None
) -> HttpResponse:
    """`limit`: the most this address takes, in bytes, said on the page where it is not the site's
    usual (an upload). Answered before the language middleware runs: the page finds the reader's
    language itself, by the site's one rule (a signed-in person's own setting, else the cookie),
    and links back to the page the form was sent from."""
    context: dict[str, object] = {"back": _back(request)}
    if limit:
        context["limit_mb"] = f"{limit / 1_000_000:g}"
    try:
        reader = session_user(request)
    except Exception:  # an error page must never fail in turn (the database down): the cookie then
        reader = None
    with translation.override(language_for(request, user=reader)):
        return _page(request, 413, "413.html", "Request body too large.", context)


def not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An address that only takes a form's answer (require_POST), opened as a page: typed, from a
    bookmark, or reloaded after a redirect that failed. Django answers 405 with an empty body,
    which a browser shows as a blank page; this fills `response` in, keeping its status and its
    Allow header. It reads only the request: a GET must change nothing."""
    reader = getattr(request, "user", None)
    signed_in = bool(getattr(reader, "is_authenticated", False))
    back = _back(request) if signed_in else ""
    if back and urlsplit(back).path == request.path:
        back = "/"  # the address itself (a reload): going back to it would answer this again
    # No messages: showing them here would use up what the next real page has to say.
    context: dict[str, object] = {"back": back, "signed_in": signed_in, "messages": ()}
    try:
        with translation.override(language_for(request)):
            body = render_to_string("405.html", context, request=request)
    except Exception:  # an error page must never fail in turn: the bare 405 then
        return response
    response.content = body.encode()
    response["Content-Type"] = "text/html; charset=utf-8"
    return response


def _back(request: HttpRequest) -> str:
    """The page the request came from when it is one of ours, else the home page."""
    referer = str(request.META.get("HTTP_REFERER", ""))
    try:
        host = request.get_host()
    except Exception:  # an error page must never fail in turn (a host not allowed)
        return "/"
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a page that is too old, or without its cookie."""
    return _page(request, 403, "403_csrf.html", "The form has expired: reload the page and try again.")
