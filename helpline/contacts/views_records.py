"""Contact lists and search (supervisors), a contact's page, corrections, manual entry, callers."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.bounds import WindowDateField
from helpline.contacts import exports, services, taxonomy
from helpline.contacts.exports import CONTENT_TYPES
from helpline.contacts.forms import ContactEntryForm, CorrectionForm, RevealForm, SafetyNoteForm
from helpline.contacts.models import Caller, Channel, Kind, Language, Status, Urgency, Vocabulary
from helpline.contacts.selectors import (
    ContactFilters,
    FilterError,
    access_contact,
    caller_history,
    contact_page,
    contact_writable_by,
    contacts_visible_to,
    record_panels,
)
from helpline.contacts.transfer import OPEN, transfers_any

BLANK: list[tuple[str, Any]] = [("", "—")]


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


class ContactFilterForm(forms.Form):
    date_from = WindowDateField(
        label=gettext_lazy("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = WindowDateField(
        label=gettext_lazy("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=BLANK + Channel.choices
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False, choices=BLANK + Kind.choices)
    category = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    counsellor = forms.CharField(label=gettext_lazy("Counsellor (username)"), required=False, max_length=64)
    province = forms.ChoiceField(label=gettext_lazy("Province"), required=False)
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), required=False, choices=BLANK + Urgency.choices
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=BLANK + Status.choices)
    address = forms.CharField(label=gettext_lazy("Phone number"), required=False, max_length=320)
    text = forms.CharField(label=gettext_lazy("Words in the summary"), required=False, max_length=200)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        categories = [(t.code, t.label) for t in taxonomy.terms(Vocabulary.REASON) if t.parent_id is None]
        self.fields["category"].choices = BLANK + categories  # type: ignore[attr-defined]
        self.fields["province"].choices = BLANK + taxonomy.choices(Vocabulary.PROVINCE)  # type: ignore[attr-defined]


@access(requires(Permission.CLIENT_DATA))
@require_http_methods(["GET"])
def contact_list(request: HttpRequest) -> HttpResponse:
    """Supervisors search every contact; counsellors see the contacts they handled."""
    staff = _staff(request)
    form = ContactFilterForm(request.GET or None)
    page = None
    status = 200
    if not request.GET or form.is_valid():
        filters = ContactFilters(**{k: v for k, v in (form.cleaned_data if request.GET else {}).items() if v})
        try:
            page = contact_page(staff, filters, cursor=request.GET.get("cursor") or None)
        except FilterError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, _("This value cannot be used."))
            status = 400
        else:
            audit_record(
                staff,
                action=AuditAction.CONTACT_SEARCH,
                record_type="contact",
                request=request,
                detail={k: str(v) for k, v in filters.__dict__.items() if v and k != "address"}
                | ({"address": "by number"} if filters.address else {}),
            )
    else:
        status = 400
    query = request.GET.copy()
    query.pop("cursor", None)
    template = "contacts/_list_rows.html" if getattr(request, "htmx", False) else "contacts/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_search_all": role_has(staff.role, Permission.CONTACT_SEARCH),
            "can_export": role_has(staff.role, Permission.CONTACT_EXPORT),
        },
        status=status,
    )


@access(requires(Permission.CONTACT_EXPORT))
@require_http_methods(["GET"])
def contact_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The list's contacts as CSV or XLSX, from the same filters and the same visibility."""
    if file_format not in CONTENT_TYPES:
        raise Http404
    staff = _staff(request)
    form = ContactFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return HttpResponse(_("The filters could not be read."), status=400, content_type="text/plain")
    filters = ContactFilters(**{k: v for k, v in (form.cleaned_data if request.GET else {}).items() if v})
    try:
        made = exports.contact_export(staff, filters=filters, file_format=file_format, request=request)  # type: ignore[arg-type]
    except FilterError:
        return HttpResponse(_("The filters could not be read."), status=400, content_type="text/plain")
    except exports.ExportTooLarge:
        message = _("Too many contacts match for one export: narrow the dates or filters.")
        return HttpResponse(message, status=400, content_type="text/plain")
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response


@access(requires(Permission.CLIENT_DATA))
@require_http_methods(["GET"])
def contact_detail(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = access_contact(staff, contact_id)
    audit_record(
        staff, action=AuditAction.CONTACT_VIEW, record_type="contact", record_id=contact.pk, request=request
    )
    return render(
        request,
        "contacts/detail.html",
        {
            "contact": contact,
            "reasons": contact.reasons.select_related("parent"),
            "actions": contact.actions.all(),
            "vulnerable_groups": contact.vulnerable_groups.all(),
            "history": caller_history(staff, contact.caller, beside=contact),
            # What apps above offer this page (routing: the triage, which a counsellor may still
            # mark wrong once the contact is closed).
            "record_panels": record_panels(staff, contact),
            "can_correct": contact_writable_by(staff, contact),
            # Supervisors reassign an open contact from its record too (the console's transfer page).
            "can_reassign": transfers_any(staff) and contact.status in OPEN,
            "can_reveal": contact.caller is not None and role_has(staff.role, Permission.CALLER_REVEAL),
            "reveal_form": RevealForm(),
            "safety_form": SafetyNoteForm(
                initial={"safety_note": contact.caller.safety_note if contact.caller else ""}
            ),
        },
    )


@access(requires(Permission.CLIENT_DATA))
@require_http_methods(["GET", "POST"])
def contact_correct(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = access_contact(staff, contact_id, for_write=True)
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                services.contact_correct(
                    staff,
                    contact=contact,
                    data=data,
                    reason=reason,
                    version=int(request.POST.get("_version") or contact.version),
                    request=request,
                )
            except services.ContactConflict:
                form.add_error(
                    None, _("Someone else saved this contact meanwhile. Reload to see their changes.")
                )
                return render(
                    request, "contacts/correct.html", {"form": form, "contact": contact}, status=409
                )
            except ValueError:
                return render(
                    request, "contacts/correct.html", {"form": form, "contact": contact}, status=400
                )
            return redirect("contacts:detail", contact_id=contact.pk)
        return render(request, "contacts/correct.html", {"form": form, "contact": contact}, status=400)
    audit_record(
        staff, action=AuditAction.CONTACT_VIEW, record_type="contact", record_id=contact.pk, request=request
    )
    form = CorrectionForm(initial=services.contact_form_data(contact))
    return render(request, "contacts/correct.html", {"form": form, "contact": contact})


@access(requires(Permission.CLIENT_DATA))
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    """Walk-in, email and other contacts recorded after the fact."""
    staff = _staff(request)
    if request.method == "POST":
        form = ContactEntryForm(request.POST)
        if form.is_valid():
            contact, _created = services.contact_enter(staff, data=form.cleaned_data, request=request)
            return redirect("contacts:detail", contact_id=contact.pk)
        return render(request, "contacts/new.html", {"form": form}, status=400)
    form = ContactEntryForm(
        initial={"channel": Channel.WALK_IN, "idempotency_key": uuid.uuid4().hex, "language": Language.KHMER}
    )
    return render(request, "contacts/new.html", {"form": form})


def _caller_for(staff: Staff, caller_id: UUID) -> Caller:
    """A caller this person may act on: one behind a contact they can see."""
    contact = contacts_visible_to(staff).filter(caller_id=caller_id).select_related("caller").first()
    if contact is None or contact.caller is None:
        raise Http404
    return contact.caller


@access(requires(Permission.CALLER_REVEAL))
@require_POST
def caller_reveal(request: HttpRequest, caller_id: UUID) -> HttpResponse:
    staff = _staff(request)
    caller = _caller_for(staff, caller_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "contacts/_reveal.html", {"form": form, "caller": caller}, status=400)
    address = services.caller_reveal(
        staff, caller=caller, reason=form.cleaned_data["reason"], request=request
    )
    return render(request, "contacts/_reveal.html", {"address": address, "caller": caller})


@access(requires(Permission.CONSOLE))
@require_POST
def caller_safety_note(request: HttpRequest, caller_id: UUID) -> HttpResponse:
    staff = _staff(request)
    caller = _caller_for(staff, caller_id)
    form = SafetyNoteForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("The note is too long."), status=400)
    services.caller_safety_note_set(
        staff, caller=caller, note=form.cleaned_data["safety_note"], request=request
    )
    return render(request, "contacts/_safety_saved.html", {"caller": caller})
