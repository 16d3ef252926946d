"""The home page: what this person may open."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has


@access(requires(Permission.HOME))
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    staff = request.user
    assert isinstance(staff, Staff)
    can = {p.value: role_has(staff.role, p) for p in Permission}
    return render(request, "console/home.html", {"can": can})
