"""The text thread inside the console: messages with delivery status, the reply box."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.common.redirects import local_path
from helpline.common.requests import client_address
from helpline.conversations.console_reply import ReplyRefused, console_reply
from helpline.conversations.panels import reply_context, thread_context


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def thread(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    assert isinstance(request.user, Staff)
    return render(
        request, "conversations/_thread.html", thread_context(request.user, contact_id, request=request)
    )


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def reply_form(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    assert isinstance(request.user, Staff)
    return render(request, "conversations/_reply_form.html", reply_context(request.user, contact_id))


@access(requires(Permission.CONSOLE))
@require_POST
def reply(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """The form's fallback when the console's socket is down (the socket carries replies
    otherwise); answers with the new message only, appended by the form."""
    assert isinstance(request.user, Staff)
    # A form sent without script (no htmx) goes back to the page it came from, with what happened.
    back = (
        local_path(request, request.POST.get("next")) if request.headers.get("HX-Request") != "true" else None
    )
    try:
        message = console_reply(
            request.user, contact_id, request.POST.get("text", ""), client_ip=client_address(request)
        )
    except ReplyRefused as refused:
        if back:
            messages.error(request, str(refused.message))
            return redirect(back)
        return HttpResponse(refused.message, status=400)
    if back:
        messages.success(request, _("Your reply was sent."))
        return redirect(back)
    return render(request, "conversations/_message.html", {"m": message})
