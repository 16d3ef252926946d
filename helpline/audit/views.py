"""Browsing the audit trail (supervisors and administrators). Browsing is itself audited."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.forms import AuditFilterForm
from helpline.audit.selectors import audit_events_filtered
from helpline.audit.services import audit_record

PAGE_SIZE = 50


@access(requires(Permission.AUDIT_BROWSE))
@require_http_methods(["GET"])
def audit_browse(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    page = Paginator(audit_events_filtered(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    assert isinstance(request.user, Staff)
    audit_record(
        request.user,
        action=AuditAction.AUDIT_BROWSE,
        record_type="audit",
        request=request,
        detail={k: str(v) for k, v in filters.items()} | {"page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    template = "audit/_rows.html" if getattr(request, "htmx", False) else "audit/browse.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})
