"""The partner directory's pages: the list and its live search, a partner's page, adding and
editing a partner, retiring it and bringing it back (the referral's partner picker is on the refer
page, views_referrals).

Thin: parse, one access call, one service call, render. GET writes nothing (partners are no client
data: reading the directory is not audited). A refused change is answered with the page again,
the form as it was sent and why (400, or 409 when the directory is not as the change assumed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.referrals import directory, partnership
from helpline.referrals import forms_partners as forms
from helpline.referrals.directory import PartnerConflict, PartnerError, PartnerFacts, PartnerInvalid
from helpline.referrals.eligibility import partner_refusal
from helpline.referrals.models import Partner
from helpline.referrals.selectors_partners import (
    access_partner,
    directory_page,
    overdue_visit_partners,
    partner_badges,
    visits_due,
)

LIST_LIMIT = 200


def staff_of(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def to_partner(partner: Partner | UUID, anchor: str = "") -> HttpResponse:
    pk = partner.pk if isinstance(partner, Partner) else partner
    url = reverse("referrals:partner_detail", kwargs={"partner_id": pk})
    return redirect(url + (f"#{anchor}" if anchor else ""))


def form_errors(form: Any) -> str:
    """A refused form's errors in one line, each after its field's label."""
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(messages)}".lstrip(": ")
        for name, messages in form.errors.items()
    )


def status_of(exc: PartnerError) -> int:
    return 409 if isinstance(exc, PartnerConflict) else 400


def put_error(form: Any, exc: PartnerError) -> None:
    """The service's refusal beside the field it names (or above the form); every problem at
    once when it found several."""
    for problem in exc.problems if isinstance(exc, PartnerInvalid) else [exc]:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


# --- The list ---------------------------------------------------------------------------------


@access(requires(Permission.PARTNERS))
@require_GET
def partner_list(request: HttpRequest) -> HttpResponse:
    """The directory, searched as one types (htmx swaps the rows) or with the form's button."""
    staff = staff_of(request)
    form = forms.PartnerFilterForm(request.GET or None)
    status, rows = 200, []
    if not request.GET or form.is_valid():
        partners = list(directory_page(**form.search())[: LIST_LIMIT + 1])
        overdue = overdue_visit_partners([p.pk for p in partners])
        rows = [(p, partner_badges(p, visit_overdue=p.pk in overdue)) for p in partners[:LIST_LIMIT]]
        more = len(partners) > LIST_LIMIT
    else:
        status, more = 400, False
    context = {
        "form": form,
        "rows": rows,
        "more": more,
        "can_manage": role_has(staff.role, Permission.PARTNERS_MANAGE),
        "query": request.GET.urlencode(),
        "visits_due": visits_due(staff),
        "today": timezone.localdate(),
    }
    template = (
        "referrals/_partner_rows.html" if getattr(request, "htmx", False) else "referrals/partner_list.html"
    )
    return render(request, template, context, status=status)


# --- A partner's page ----------------------------------------------------------------------------


def partner_context(staff: Staff, partner: Partner, **extra: Any) -> dict[str, Any]:
    """Everything a partner's page shows, and the forms its roles may use."""
    manages = role_has(staff.role, Permission.PARTNERS_MANAGE)
    assessments = list(partner.assessments.select_related("assessor", "recorded_by"))
    visits = list(partner.visits.select_related("owner").order_by("-due_on"))
    open_visit = next((v for v in visits if v.done_on is None), None)
    today = timezone.localdate()
    context = {
        "partner": partner,
        "services": list(partner.services.all()),
        "provinces": list(partner.provinces.all()),
        "genders": list(partner.genders.all()),
        "badges": partner_badges(partner, visit_overdue=open_visit is not None and open_visit.due_on < today),
        "why_not": partner_refusal(partner),
        "assessments": assessments,
        "documents": list(partner.documents.select_related("uploaded_by", "assessment")) if manages else [],
        "visits": visits,
        "open_visit": open_visit,
        "today": today,
        # What was reported (it may quote a child) is shown, and its reading audited, only to
        # those who keep the directory; others see that a concern was recorded, and how serious.
        "concerns": list(partner.concerns.select_related("reported_by")),
        "suspensions": list(partner.suspensions.select_related("started_by", "lifted_by", "concern")),
        "manages": manages,
        "may_lift": role_has(staff.role, Permission.PARTNER_UNSUSPEND),
        "concern_form": forms.ConcernForm(),
    }
    if manages:
        context |= {
            "assessment_form": forms.AssessmentForm(
                initial={"assessor": staff.username, "assessed_on": today}
            ),
            "document_form": forms.DocumentForm(assessments=assessments),
            "plan_form": forms.VisitPlanForm(initial={"owner": staff.username}),
            "done_form": forms.VisitDoneForm(initial={"done_on": today}),
            "standing_form": forms.StandingForm(),
        }
    if context["may_lift"]:
        context["lift_form"] = forms.LiftForm()
    return context | extra


@access(requires(Permission.PARTNERS))
@require_GET
def partner_detail(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    return partner_page(request, staff, partner_context(staff, partner))


def partner_page(
    request: HttpRequest, staff: Staff, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The partner's page; showing the concerns' words leaves its read on the audit trail."""
    if context["manages"]:
        partnership.concerns_read(
            staff, partner=context["partner"], concerns=context["concerns"], request=request
        )
    return render(request, "referrals/partner_detail.html", context, status=status)


def partner_refused(
    request: HttpRequest, partner: Partner, message: str, *, status: int = 400, **forms_sent: Any
) -> HttpResponse:
    """The partner's page again, with why the change was refused and the form as it was sent."""
    partner.refresh_from_db()
    staff = staff_of(request)
    context = partner_context(staff, partner, error=message, **forms_sent)
    return partner_page(request, staff, context, status)


# --- Adding and editing --------------------------------------------------------------------------


def _edit_page(
    request: HttpRequest, form: forms.PartnerForm, partner: Partner | None, status: int = 200
) -> HttpResponse:
    return render(request, "referrals/partner_form.html", {"form": form, "partner": partner}, status=status)


@access(requires(Permission.PARTNERS_MANAGE))
@require_http_methods(["GET", "POST"])
def partner_add(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    if request.method != "POST":
        return _edit_page(request, forms.PartnerForm(), None)
    form = forms.PartnerForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, form, None, 400)
    try:
        partner = directory.partner_create(staff, facts=form.facts(), request=request)
    except PartnerError as exc:
        put_error(form, exc)
        return _edit_page(request, form, None, status_of(exc))
    return to_partner(partner)


@access(requires(Permission.PARTNERS_MANAGE))
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    if request.method != "POST":
        form = forms.PartnerForm(initial=forms.PartnerForm.initial_of(PartnerFacts.of(partner)))
        return _edit_page(request, form, partner)
    form = forms.PartnerForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, form, partner, 400)
    try:
        changed = directory.partner_update(staff, partner=partner, facts=form.facts(), request=request)
    except PartnerError as exc:
        put_error(form, exc)
        return _edit_page(request, form, partner, status_of(exc))
    if set(changed) & set(directory.ADDRESSES):
        messages.info(
            request,
            _("Links already sent to the old address no longer open: send each open referral's link again."),
        )
    return to_partner(partner)


# --- Retiring and reinstating ----------------------------------------------------------------------


@access(requires(Permission.PARTNERS_MANAGE))
@require_POST
def partner_retire(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    """The partnership has ended: no new referral goes to the partner; it stays listed, retired."""
    return _standing(request, partner_id, directory.partner_retire)


@access(requires(Permission.PARTNERS_MANAGE))
@require_POST
def partner_reinstate(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    return _standing(request, partner_id, directory.partner_reinstate)


def _standing(request: HttpRequest, partner_id: UUID, change: Callable[..., Partner]) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    form = forms.StandingForm(request.POST)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), standing_form=form)
    try:
        change(staff, partner=partner, reason=form.cleaned_data["reason"], request=request)
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), standing_form=form)
    return to_partner(partner)


def unreadable(form: Any) -> str:
    return form_errors(form) or _("The form could not be read. Reload the page.")
