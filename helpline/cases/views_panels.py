"""The console's follow-ups panel on its own, reloaded live when a reminder arrives."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.permissions import Permission
from helpline.cases.panels import follow_ups_panel
from helpline.cases.views import staff_of


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def my_follow_ups(request: HttpRequest) -> HttpResponse:
    panel = follow_ups_panel(staff_of(request))
    assert panel is not None  # the access rule let only case workers in
    return render(request, panel.template, panel.context)
