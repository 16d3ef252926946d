"""The chat widget script and a plain page that carries it."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import PUBLIC, access


def _strings(language: str) -> dict[str, str]:
    with translation.override(language):
        return {
            "open": _("Chat with 1280"),
            "title": _("Child Helpline 1280"),
            "intro": _("Free and confidential. You can write about anything."),
            "language": _("Language"),
            "nickname": _("What should we call you? (optional)"),
            "age": _("Your age (optional)"),
            "start": _("Start chatting"),
            "waiting": _("A counsellor will be with you soon. You are number {n} in the queue."),
            "answered": _("A counsellor is here with you."),
            "ended": _("The chat has ended. You can contact 1280 again at any time."),
            "reconnecting": _("Connection lost. Reconnecting…"),
            "unavailable": _(
                "The helpline is reconnecting. Please wait a moment: your messages are not lost."
            ),
            "placeholder": _("Write your message"),
            "send": _("Send"),
            "exit": _("Leave quickly"),
            "exit_hint": _("Leaves this page at once."),
            "leave_ends": _("Closing or reloading this page ends the chat."),
            "refused": _("This message could not be sent."),
            "sending": _("Sending…"),
            "resend": _("Send again"),
            "close": _("Close"),
            "you": _("You"),
            "counsellor": _("Counsellor"),
        }


WIDGET_SOURCE = Path(__file__).resolve().parent / "widget" / "chat-widget.js"


@lru_cache(maxsize=1)
def _widget_source() -> str:
    return WIDGET_SOURCE.read_text(encoding="utf-8")


@access(PUBLIC)
@require_http_methods(["GET"])
@cache_control(max_age=300, public=True)
def widget_js(request: HttpRequest) -> HttpResponse:
    config = {
        "strings": {"km": _strings("km"), "en": _strings("en")},
        "exitUrl": settings.CHAT_EXIT_URL,
    }
    body = _widget_source().replace("__HELPLINE_CONFIG__", json.dumps(config, ensure_ascii=False))
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@access(PUBLIC)
@require_http_methods(["GET"])
@xframe_options_exempt  # framing is decided by the policy's frame-ancestors below
def chat_demo(request: HttpRequest) -> HttpResponseBase:
    """A plain page with nothing but the widget, as on the helpline's website. The websites that
    may embed the chat (HELPLINE_CHAT_ORIGINS) may also put this page in a frame; nobody else."""
    framable = csp_replace({"frame-ancestors": [SELF, *settings.CHAT_ORIGINS]})
    return framable(lambda request: render(request, "conversations/chat_demo.html"))(request)
