"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413, in every mode, before any
view or middleware reads it. (Django raises RequestDataTooBig only once something reads the body,
and shows it as a 400, with a traceback when debug is on.)

A view that takes a file (a partner's MOU, a directory to import) declares the largest file it
takes with @allow_upload; its bodies may be that much larger when a signed-in staff member sends
them (a stranger's are held to the usual limit), and a larger one is refused here too, before a
byte of it is stored, with the limit said on the page. Such a body is read here: Django refuses
the form's other fields when they pass the usual limit (RequestDataTooBig), and once the view
read them that was its bare 400, or a debug page, instead of this 413."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from helpline.common.errors import bad_request, too_large
from helpline.common.requests import session_user

ATTRIBUTE = "helpline_upload_limit"
# Room for the form's other fields and the multipart framing around the file.
FORM_MARGIN = 65_536

V = TypeVar("V", bound=Callable[..., Any])


def allow_upload(file_bytes: int) -> Callable[[V], V]:
    """Declare that a view takes a file of up to `file_bytes`. The view still checks the file's
    own size: this only lets a body that large reach it."""

    def mark(view: V) -> V:
        setattr(view, ATTRIBUTE, file_bytes)
        return view

    return mark


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = max(int(declared), _buffered_size(request))
        except ValueError:
            return bad_request(request)
        if limit is not None and length > limit:
            upload = _upload_limit(request)
            if not _multipart(request):
                return too_large(request)
            if length > max(limit, upload + FORM_MARGIN):
                return too_large(request, limit=upload or None)
            try:
                _ = request.POST  # the fields and the files, read where too much is answered 413
            except RequestDataTooBig:
                return too_large(request)
        return self.get_response(request)


def _multipart(request: HttpRequest) -> bool:
    """Only a form with a file may be larger than the usual limit: a file comes in no other way."""
    return request.content_type == "multipart/form-data"


def _upload_limit(request: HttpRequest) -> int:
    """The largest file the addressed view takes (0: it takes none, or the sender is not signed
    in: a stranger's body is held to the site's usual limit, whatever the address)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return 0
    limit = int(getattr(match.func, ATTRIBUTE, 0))
    return limit if limit and _signed_in(request) else 0


def _signed_in(request: HttpRequest) -> bool:
    """Whether the request carries an active staff member's session (this runs before the
    session and authentication middleware)."""
    user = session_user(request)
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _buffered_size(request: HttpRequest) -> int:
    """Under ASGI, Django has the whole body in a file before the request exists: a body sent
    without a length (chunked) is measured there."""
    stream = getattr(request, "_stream", None)
    if stream is None or not getattr(stream, "seekable", lambda: False)():
        return 0
    here = stream.tell()
    size = int(stream.seek(0, 2))
    stream.seek(here)
    return size
