"""Browsing the audit trail (supervisors and administrators). Browsing is itself audited."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.forms import AuditFilterForm
from helpline.audit.labels import actor_labels
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
    # Staff rows name the staff member; the others a part of the system or a partner's link, in the
    # reader's language (the stored word stays as it is: the chain's hash covers it).
    actors = actor_labels(e.actor_label for e in page if e.actor_id is None)
    rows = [(e, e.actor_label if e.actor_id is not None else capfirst(actors[e.actor_label])) for e in page]
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, template, context)
