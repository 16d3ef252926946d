"""Case list, export, the case page, and opening a case or linking a contact from the console.

Thin: parse, one access call, one service call, render. A refused change is answered with the case
page and the reason (400, or 409 when the case is not in the state the change assumed) and writes
nothing."""

from __future__ import annotations

import csv
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Language, Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases import forms, printout, selectors, services
from helpline.cases.models import Case, CaseStatus, FollowUpStatus, SignOff
from helpline.cases.panels import case_sections
from helpline.cases.services import CaseConflict, CaseError
from helpline.contacts.selectors import access_contact

# Timeline entries the case page shows at first: a case worked on for months has hundreds.
TIMELINE_SHOWN = 50
NOTES_SHOWN = 20


def staff_of(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def to_case(case: Case | UUID, anchor: str = "") -> HttpResponse:
    pk = case.pk if isinstance(case, Case) else case
    return redirect(reverse("cases:detail", kwargs={"case_id": pk}) + (f"#{anchor}" if anchor else ""))


def item_ids(kind: type[forms.PlainForm], pk: UUID) -> str:
    """The ids of a form the case page shows once per follow-up or break: apart from its siblings'."""
    return f"id_{kind.ids}_{pk}_%s"


def _kept_or_new(kind: type[forms.PlainForm], pk: UUID, kept: Any) -> Any:
    """The refused form of this item as it was sent (its ids name the item), else an empty one."""
    ids = item_ids(kind, pk)
    return kept if kept is not None and kept.auto_id == ids else kind(auto_id=ids)


def break_edit_form(staff: Staff, brk: Any, workers: forms.CaseWorkers | None = None) -> forms.BreakForm:
    """The form that edits (or corrects) a break, starting from what it says."""
    return forms.BreakForm(
        workers=workers,
        auto_id=item_ids(forms.BreakForm, brk.pk),
        initial={
            "reason": brk.reason,
            "disclosed": brk.disclosed,
            "recipient_kind": brk.recipient_kind,
            "recipient": brk.recipient,
            "disclosed_at": timezone.localtime(brk.disclosed_at).strftime("%Y-%m-%dT%H:%M"),
            "client_told_first": brk.client_told_first,
            "not_told_why": brk.not_told_why,
            "decided_by": brk.decided_by.username if brk.decided_by else staff.username,
        },
    )


def _breaks_with_forms(case: Case, edited: tuple[UUID, Any] | None, signing: Any = None) -> list[Any]:
    """Each break with its sign-off form (`signing`: a refused one, shown again beside its break).
    The form that edits a break is fetched when its "Edit" is opened (break_edit): each lists
    every vetted staff member, and a long case has several breaks. A refused one (`edited`) is
    drawn in place, open, as it was sent."""
    found = list(case.breaks.select_related("decided_by", "recorded_by", "signed_off_by", "corrects"))
    for b in found:
        setattr(b, "sign_off_form", _kept_or_new(forms.SignOffForm, b.pk, signing))  # noqa: B010
        kept = edited is not None and edited[0] == b.pk
        setattr(b, "edit_form", edited[1] if kept and edited is not None else None)  # noqa: B010
        setattr(b, "edit_open", kept)  # noqa: B010  # shown by the template, not stored
    return found


def _follow_ups_with_forms(case: Case, kept: Any) -> list[Any]:
    """Each follow-up with the form that records what happened (`kept`: a refused one)."""
    found = list(case.follow_ups.select_related("owner", "done_by").order_by("status", "due_at"))
    for f in found:
        # Only a scheduled one can be done: a long case has many done, and a form each costs.
        scheduled = f.status == FollowUpStatus.SCHEDULED
        setattr(f, "outcome_form", _kept_or_new(forms.OutcomeForm, f.pk, kept) if scheduled else None)  # noqa: B010
    return found


def audit_case_part(staff: Staff, case: Case, request: HttpRequest, part: str) -> None:
    """A read of one part of a case fetched on its own (earlier entries, a form): audited as the
    case page is, naming the part."""
    audit_record(
        staff,
        action=AuditAction.CASE_VIEW,
        record_type="case",
        record_id=case.pk,
        request=request,
        detail={"part": part},
    )


def case_context(staff: Staff, case: Case, **extra: Any) -> dict[str, Any]:
    supervises = role_has(staff.role, Permission.CASE_SUPERVISE)
    workers = forms.CaseWorkers()  # listed by the assign and break forms on the page
    profile = forms.ProfileForm(
        initial={
            "nickname": case.nickname,
            "age": case.age,
            "gender": case.gender.code if case.gender else "",
            "province": case.province.code if case.province else "",
            "risk": case.risk,
        }
    )
    return {
        "case": case,
        # The newest entries; earlier ones a page at a time ("Show earlier entries", case_timeline).
        "timeline": selectors.case_timeline_page(case, limit=TIMELINE_SHOWN),
        "contacts": selectors.case_contacts(staff, case, brief=True),
        "goals": list(case.goals.all()),
        # The newest notes; earlier ones a page at a time. Only supervisors are shown a note's
        # earlier text: nobody else's page loads it.
        "notes": selectors.case_notes_page(case, with_revisions=supervises, limit=NOTES_SHOWN),
        "people": list(case.people.all()),
        "follow_ups": _follow_ups_with_forms(case, extra.pop("outcome_form", None)),
        "breaks": _breaks_with_forms(case, extra.pop("edited_break", None), extra.pop("sign_off_form", None)),
        "supervises": supervises,
        "can_assign": role_has(staff.role, Permission.CASE_ASSIGN),
        "is_live": case.is_live,
        "is_closed": case.status == CaseStatus.CLOSED,
        "is_pending": case.status == CaseStatus.PENDING_CLOSURE,
        "profile_form": profile,
        "person_form": forms.PersonForm(),
        "note_form": forms.NoteForm(),
        "goal_form": forms.GoalForm(),
        "goal_statuses": forms.GoalChangeForm.base_fields["status"].choices,  # type: ignore[attr-defined]
        "assign_form": forms.AssignForm(workers=workers),
        "follow_up_form": forms.FollowUpForm(
            case=case, initial={"owner": case.assignee.username if case.assignee else ""}
        ),
        "break_form": forms.BreakForm(workers=workers, initial={"decided_by": staff.username}),
        "reason_form": forms.ReasonForm(),
        "approved": SignOff.APPROVED,
        "print_languages": Language.choices,
        "print_language": printout.print_language(staff, None),
        "sections": case_sections(staff, case),
    } | extra


# The context name each form has on the case page: a refused form is shown there again as it was
# sent, its errors beside its fields, so nothing typed is lost.
_FORM_NAMES: dict[type, str] = {
    forms.ProfileForm: "profile_form",
    forms.PersonForm: "person_form",
    forms.NoteForm: "note_form",
    forms.GoalForm: "goal_form",
    forms.AssignForm: "assign_form",
    forms.FollowUpForm: "follow_up_form",
    forms.BreakForm: "break_form",
    forms.SignOffForm: "sign_off_form",
    forms.OutcomeForm: "outcome_form",
    forms.ReasonForm: "reason_form",
}


def refused(
    request: HttpRequest,
    case: Case,
    exc: CaseError | str,
    *,
    status: int = 400,
    form: Any = None,
    brk: UUID | None = None,
) -> HttpResponse:
    """The case page again, with why the change was refused; nothing was written. `form`: the form
    as it was sent, shown again in its place (`brk`: the break whose edit form it was)."""
    message = exc.message if isinstance(exc, CaseError) else exc
    if isinstance(exc, CaseConflict):
        status = 409
    kept: dict[str, Any] = {}
    if isinstance(exc, CaseError) and form is not None and exc.field in form.fields:
        # Beside the field it concerns too, as a form's own refusal is: the page's top may be out of sight.
        form.add_error(exc.field, message)
    if form is not None and brk is not None:
        kept["edited_break"] = (brk, form)
    elif form is not None and type(form) in _FORM_NAMES:
        kept[_FORM_NAMES[type(form)]] = form
    case.refresh_from_db()
    context = case_context(staff_of(request), case, error=message, **kept)
    return render(request, "cases/detail.html", context, status=status)


def plain_refusal(exc: CaseError) -> HttpResponse:
    """For actions taken from the console, where no case page is open."""
    status = 409 if isinstance(exc, CaseConflict) else 400
    return HttpResponse(exc.message, status=status, content_type="text/plain; charset=utf-8")


def form_refused(request: HttpRequest, case: Case, form: Any, *, brk: UUID | None = None) -> HttpResponse:
    """The case page again with `form` as it was sent. `brk`: the break whose edit form it was."""
    errors = "; ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(messages)}".lstrip(": ")
        for name, messages in form.errors.items()
    )
    message = errors or _("The form could not be read. Reload the page.")
    return refused(request, case, message, form=form, brk=brk)


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def case_list(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    form = forms.CaseFilterForm(request.GET or None)
    page, status = None, 200
    if not request.GET or form.is_valid():
        filters = _filters(form.cleaned_data if request.GET else {})
        try:
            page = selectors.case_page(staff, filters, cursor=request.GET.get("cursor") or None)
        except selectors.FilterError as exc:
            form.add_error(None, str(exc))
            status = 400
        else:
            audit_record(
                staff,
                action=AuditAction.CASE_LIST,
                record_type="case",
                request=request,
                detail=selectors.filters_for_audit(form.cleaned_data if request.GET else {}),
            )
    else:
        status = 400
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "cases/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "can_export": page is not None},
        status=status,
    )


def _filters(data: dict[str, Any]) -> selectors.CaseFilters:
    return selectors.CaseFilters(**{k: v for k, v in data.items() if v})


class _Echo:
    def write(self, value: str) -> str:
        return value


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def case_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The list as CSV (numbers, states and places only), from the same selector as the list."""
    staff = staff_of(request)
    form = forms.CaseFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return HttpResponse(_("The filters could not be read."), status=400, content_type="text/plain")
    filters = _filters(form.cleaned_data if request.GET else {})
    audit_record(staff, action=AuditAction.CASE_EXPORT, record_type="case", request=request)
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in selectors.case_export_rows(staff, filters))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def case_detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    audit_record(staff, action=AuditAction.CASE_VIEW, record_type="case", record_id=case.pk, request=request)
    return render(request, "cases/detail.html", case_context(staff, case))


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def case_timeline(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Earlier timeline entries, after `cursor`: the rows the case page's "Show earlier entries"
    appends (htmx), or a page of their own without script."""
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    try:
        page = selectors.case_timeline_page(
            case, cursor=request.GET.get("cursor") or None, limit=TIMELINE_SHOWN
        )
    except selectors.FilterError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    audit_case_part(staff, case, request, "timeline")
    template = "cases/_timeline_entries.html" if getattr(request, "htmx", False) else "cases/timeline.html"
    return render(request, template, {"case": case, "timeline": page})


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def case_notes(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Earlier notes, after `cursor`: what the case page's "Show earlier notes" appends (htmx),
    or a page of their own without script."""
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    supervises = role_has(staff.role, Permission.CASE_SUPERVISE)
    try:
        page = selectors.case_notes_page(
            case, with_revisions=supervises, cursor=request.GET.get("cursor") or None, limit=NOTES_SHOWN
        )
    except selectors.FilterError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    audit_case_part(staff, case, request, "notes")
    template = "cases/_notes_entries.html" if getattr(request, "htmx", False) else "cases/notes.html"
    return render(request, template, {"case": case, "notes": page, "supervises": supervises})


@access(requires(Permission.CASES))
@require_POST
def case_open(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """One click from the console's contact: a case opened from it, assigned to whoever clicked."""
    staff = staff_of(request)
    contact = access_contact(staff, contact_id)
    try:
        case = services.case_open(staff, contacts=[contact], request=request)
    except CaseError as exc:
        return plain_refusal(exc)
    return to_case(case)


@access(requires(Permission.CASES))
@require_POST
def case_link(request: HttpRequest, case_id: UUID, contact_id: UUID) -> HttpResponse:
    """Link a contact the user may see to a case (one they see, or the caller's open case offered
    at the console)."""
    staff = staff_of(request)
    contact = access_contact(staff, contact_id)
    case = selectors.access_case_for_link(staff, case_id, contact)
    try:
        services.case_link_contact(staff, case=case, contact=contact, request=request)
    except CaseError as exc:
        return plain_refusal(exc)
    return to_case(case, "contacts")


@access(requires(Permission.CASES))
@require_POST
def case_print(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The summary PDF, answered by the POST that records the print: a printout exists only once it
    is on the timeline and the trail, and no copy waits on the server for a later download. The PDF
    is made first, so a failed rendering records nothing; its watermark carries the recorded time."""
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    language = printout.print_language(staff, request.POST.get("language"))
    now = timezone.now()
    pdf = printout.summary_pdf(staff, case, language=language, printed_at=now)
    services.case_record_print(staff, case=case, language=language, at=now, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
