"""The text thread inside the console: messages with delivery status, the reply box."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.contacts.models import Contact
from helpline.contacts.selectors import access_contact
from helpline.conversations import services
from helpline.conversations.models import CannedReply, Conversation


def _conversation(staff: Staff, contact_id: UUID) -> tuple[Contact, Conversation | None]:
    contact = access_contact(staff, contact_id, for_write=True)
    return contact, Conversation.objects.filter(contact=contact).select_related("contact").first()


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def thread(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    assert isinstance(request.user, Staff)
    contact, conversation = _conversation(request.user, contact_id)
    messages = list(conversation.messages.select_related("author")) if conversation else []
    return render(request, "conversations/_thread.html", {"contact": contact, "messages": messages})


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def reply_form(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    assert isinstance(request.user, Staff)
    contact, conversation = _conversation(request.user, contact_id)
    canned = CannedReply.objects.filter(is_active=True)
    return render(
        request,
        "conversations/_reply_form.html",
        {
            "contact": contact,
            "conversation": conversation,
            "canned": canned,
            "max_length": services.MAX_REPLY,
        },
    )


@access(requires(Permission.CONSOLE))
@require_POST
def reply(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    assert isinstance(request.user, Staff)
    contact, conversation = _conversation(request.user, contact_id)
    text = request.POST.get("text", "")
    if conversation is None:
        return HttpResponse(_("This contact has no conversation to reply to."), status=400)
    if not text.strip() or len(text) > services.MAX_REPLY:
        return HttpResponse(
            _("Write a reply of up to %(n)d characters.") % {"n": services.MAX_REPLY}, status=400
        )
    services.text_reply(request.user, contact=contact, text=text)
    messages = list(conversation.messages.select_related("author"))
    return render(request, "conversations/_thread.html", {"contact": contact, "messages": messages})
