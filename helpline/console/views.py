"""The counsellor console: my contacts, the active contact's form, the caller's history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases import panels as case_panels
from helpline.common.bounds import counter_or_none
from helpline.common.form_errors import error_summary
from helpline.common.panels import Panel
from helpline.console.views_transfer import TransferForm
from helpline.contacts import services, taxonomy
from helpline.contacts.forms import ClassificationForm, StartContactForm
from helpline.contacts.models import NON_DATA_KINDS, Channel, Contact, ContactTransfer, Kind, Status
from helpline.contacts.selectors import access_contact, caller_history, my_open_contacts, waiting_contacts
from helpline.contacts.transfer import latest_transfers, may_transfer
from helpline.conversations.chat import children_left
from helpline.conversations.panels import conversation_panel
from helpline.conversations.previews import offer_previews
from helpline.conversations.sending import sending_panel
from helpline.feedback import panels as feedback_panels
from helpline.people import panels as people_panels
from helpline.routing import panels as routing_panels
from helpline.routing.selectors import waiting_queue

# One click each, in the order counsellors meet them; the digit is the keyboard shortcut.
QUICK_KINDS = [
    Kind.SILENT,
    Kind.HANG_UP,
    Kind.TESTING,
    Kind.BLANK,
    Kind.PRANK,
    Kind.WRONG_NUMBER,
    Kind.ABUSIVE,
]


# Fields the console's template draws by hand: where the error summary's link for each goes.
CONTACT_FORM_ANCHORS = {"kind": "id_kind", "reasons": "reason-filter"}


def _given_to(transfer: ContactTransfer | None, staff: Staff) -> ContactTransfer | None:
    return transfer if transfer is not None and transfer.to_staff_id == staff.pk else None


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _lists_context(request: HttpRequest, staff: Staff, contact: Contact | None) -> dict[str, Any]:
    """What console/_lists.html shows: read on every page and on each refresh of the lists (every
    ten seconds and at each change, on every open console)."""
    mine = list(my_open_contacts(staff).select_related("caller")[:50])
    handed = latest_transfers([c.pk for c in mine] + ([contact.pk] if contact is not None else []))
    return {
        # Each with the transfer that gave it to this counsellor, if that is how it came.
        "open_contacts": [(c, _given_to(handed.get(c.pk), staff)) for c in mine],
        "transfer_notice": handed.get(contact.pk) if contact is not None else None,
        # Chats whose child left (quick exit, a closed page, a lost connection): say so in the list.
        "children_left": children_left([c.pk for c in mine if c.channel == Channel.WEBCHAT]),
        "waiting": list(waiting_queue()[:50]),  # the head of the queue, in the order it is answered
        "sending_panel": sending_panel(),  # replies late or no worker to send them
        "presence_panel": presence_panel(request, staff),
        # Feedback showing risk nobody has acknowledged: said until someone does (supervisors).
        "feedback_risk_panel": feedback_panels.risk_unacknowledged_panel(staff),
    }


def presence_panel(request: HttpRequest, staff: Staff) -> Panel:
    """The presence buttons and the offers made to this counsellor, with the child's first words."""
    offered = routing_panels.offered_to(staff)
    return routing_panels.presence_panel(
        staff, offered=offered, previews=offer_previews(staff, [c.pk for c in offered], request=request)
    )


def console_context(request: HttpRequest, staff: Staff, contact: Contact | None) -> dict[str, Any]:
    return _lists_context(request, staff, contact) | {
        "start_form": StartContactForm(initial={"channel": Channel.VOICE}),
        "contact": contact,
        "quick_kinds": [(i + 1, kind, Kind(kind).label) for i, kind in enumerate(QUICK_KINDS)],
        "triage_panel": routing_panels.triage_panel(contact, staff) if contact is not None else None,
        "reason_groups": taxonomy.reason_groups() if contact is not None else [],
        "case_panel": case_panels.contact_cases_panel(staff, contact) if contact is not None else None,
        "follow_ups_panel": case_panels.follow_ups_panel(staff),
        "my_shift_panel": people_panels.my_shift_panel(staff),
        "distressing_panel": people_panels.distressing_panel(staff, contact) if contact is not None else None,
    }


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def console(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    return render(request, "console/console.html", console_context(request, staff, None))


@access(requires(Permission.CONSOLE))
@require_POST
def contact_start(request: HttpRequest) -> HttpResponse:
    form = StartContactForm(request.POST)
    if not form.is_valid():
        context = console_context(request, _staff(request), None) | {"start_form": form}
        return render(request, "console/console.html", context, status=400)
    contact = services.contact_start(
        _staff(request),
        channel=form.cleaned_data["channel"],
        address=form.cleaned_data["address"] or None,
        idempotency_key=form.cleaned_data["idempotency_key"] or None,
        request=request,
    )
    return redirect("console:contact", contact_id=contact.pk)


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def console_contact(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = access_contact(staff, contact_id, for_write=True)
    if contact.status == Status.CLOSED:
        return redirect("contacts:detail", contact_id=contact.pk)
    draft = getattr(contact, "draft", None)
    initial = services.contact_form_data(contact) | (draft.data if draft else {})
    history = caller_history(staff, contact.caller, beside=contact)
    audit_record(
        staff, action=AuditAction.CONTACT_VIEW, record_type="contact", record_id=contact.pk, request=request
    )
    if contact.caller is not None:
        audit_record(
            staff,
            action=AuditAction.CALLER_HISTORY,
            record_type="caller",
            record_id=contact.caller.pk,
            request=request,
        )
    context = console_context(request, staff, contact) | {
        "transfer_form": TransferForm(contact=contact) if may_transfer(staff, contact) else None,
        "form": ClassificationForm(initial=initial),
        "history": history,
        "draft_revision": draft.revision if draft else 0,
        "draft_saved_at": draft.saved_at if draft else None,
        # Asked for only by the link a browser without script shows (<noscript>): no double read.
        "conversation_panel": conversation_panel(staff, contact.pk, request=request)
        if request.GET.get("conversation") == "show" and contact.channel in (Channel.SMS, Channel.WEBCHAT)
        else None,
    }
    return render(request, "console/console.html", context)


@access(requires(Permission.CONSOLE))
@require_POST
def draft_save(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = access_contact(staff, contact_id, for_write=True)
    revision = counter_or_none(request.POST.get("_revision"), default=0)
    if revision is None:
        return HttpResponseBadRequest(_("The form could not be read. Reload the page."))
    if contact.status == Status.CLOSED:
        return HttpResponse(_("Already saved."), status=409)
    data = {
        key: request.POST.getlist(key)
        if key in {"reasons", "actions", "vulnerable_groups"}
        else request.POST.get(key, "")
        for key in request.POST
        if not key.startswith(("_", "csrf"))
    }
    draft = services.contact_draft_save(staff, contact=contact, data=data, revision=revision, request=request)
    return render(
        request, "console/_draft_status.html", {"saved_at": draft.saved_at, "revision": draft.revision}
    )


@access(requires(Permission.CONSOLE))
@require_POST
def contact_save(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = access_contact(staff, contact_id, for_write=True)
    form = ClassificationForm(request.POST)
    version = counter_or_none(request.POST.get("_version"))
    revision = counter_or_none(request.POST.get("_revision"), default=0)
    if revision is None or (version is None and request.POST.get("_version")):
        return HttpResponseBadRequest(_("The form could not be read. Reload the page."))
    if form.is_valid():
        try:
            services.contact_record(
                staff, contact=contact, data=form.cleaned_data, version=version, request=request
            )
        except services.ContactConflict:
            form.add_error(None, _("Someone else saved this contact meanwhile. Reload to see their changes."))
            status = 409
        else:
            # Said where the next contact starts, so a counsellor sees it was kept (and which one).
            messages.success(request, _("Contact #%(id)s saved.") % {"id": contact.short_id})
            return redirect("console:console")
    else:
        status = 400
    context = console_context(request, staff, contact) | {
        "form": form,
        "error_lines": error_summary(form, CONTACT_FORM_ANCHORS),
        "history": caller_history(staff, contact.caller, beside=contact),
        "draft_revision": revision,
        "draft_saved_at": None,
    }
    return render(request, "console/console.html", context, status=status)


@access(requires(Permission.CONSOLE))
@require_POST
def contact_quick(request: HttpRequest, contact_id: UUID, kind: str) -> HttpResponse:
    staff = _staff(request)
    if kind not in NON_DATA_KINDS:
        return HttpResponseBadRequest(_("Not a one-click kind."))
    contact = access_contact(staff, contact_id, for_write=True)
    closed = services.contact_close_quick(staff, contact=contact, kind=kind, request=request)
    messages.success(
        request,
        _("Contact #%(id)s recorded: %(kind)s.") % {"id": closed.short_id, "kind": closed.get_kind_display()},
    )
    return redirect("console:console")


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def console_lists(request: HttpRequest) -> HttpResponse:
    """The waiting and my-contacts lists alone, refreshed live when something changes."""
    staff = _staff(request)
    current = request.GET.get("current", "")
    context = _lists_context(request, staff, None) | {"current_id": current}
    return render(request, "console/_lists.html", context)


@access(requires(Permission.CONSOLE))
@require_POST
def contact_take(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = waiting_contacts().filter(pk=contact_id).first()
    if contact is None:
        return HttpResponse(_("Someone else has already answered this contact."), status=409)
    try:
        services.contact_take(staff, contact=contact, request=request)
    except services.AlreadyTaken:
        return HttpResponse(_("Someone else has already answered this contact."), status=409)
    return redirect("console:contact", contact_id=contact.pk)
