"""Quality review (supervisors sample and score contacts; counsellors read their own) and debriefs.
Thin views: parse, one access call, one service call, render."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.common.redirects import local_path
from helpline.contacts.models import Contact
from helpline.contacts.selectors import access_contact
from helpline.people import forms, selectors, services
from helpline.people.models import Criterion
from helpline.people.panels import distressing_panel
from helpline.people.services import PeopleError, SampleFilters


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _errors(form: Any) -> str:
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else name}: {' '.join(m)}"
        for name, m in form.errors.items()
    )


def _quality_page(request: HttpRequest, *, status: int = 200, error: str = "", **given: Any) -> HttpResponse:
    staff = _staff(request)
    reviews = selectors.reviews_visible_to(staff)
    context: dict[str, Any] = {
        "waiting": list(reviews.filter(scored_at__isnull=True, reviewer=staff)[:50]),
        "scored": list(reviews.filter(scored_at__isnull=False).order_by("-scored_at")[:30]),
        "counsellors": list(selectors.counsellors_reviewed()),
        "sample_form": forms.SampleForm(),
        "choose_form": forms.ChooseForm(),
        "rubric": list(Criterion.objects.all()),
        "criterion_form": forms.CriterionForm(),
        "error": error,
    }
    context.update(given)
    return render(request, "people/quality.html", context, status=status)


@access(requires(Permission.QUALITY_REVIEW))
@require_GET
def quality(request: HttpRequest) -> HttpResponse:
    return _quality_page(request)


@access(requires(Permission.QUALITY_REVIEW))
@require_POST
def sample(request: HttpRequest) -> HttpResponse:
    form = forms.SampleForm(request.POST)
    if not form.is_valid():
        return _quality_page(request, status=400, error=_errors(form), sample_form=form)
    data = form.cleaned_data
    filters = SampleFilters(
        channel=data["channel"], counsellor=data["counsellor"], since=data["since"], until=data["until"]
    )
    try:
        services.review_sample(_staff(request), filters=filters, count=data["count"])
    except PeopleError as exc:
        return _quality_page(request, status=400, error=exc.message, sample_form=form)
    return redirect("people:quality")


@access(requires(Permission.QUALITY_REVIEW))
@require_POST
def rubric_add(request: HttpRequest) -> HttpResponse:
    form = forms.CriterionForm(request.POST)
    if not form.is_valid():
        return _quality_page(request, status=400, error=_errors(form), criterion_form=form)
    try:
        services.criterion_add(_staff(request), **form.cleaned_data)
    except PeopleError as exc:
        return _quality_page(request, status=400, error=exc.message, criterion_form=form)
    return redirect("people:quality")


@access(requires(Permission.QUALITY_REVIEW))
@require_POST
def rubric_active(request: HttpRequest, criterion_id: int) -> HttpResponse:
    criterion = get_object_or_404(Criterion, pk=criterion_id)
    try:
        services.criterion_set_active(_staff(request), criterion, active=request.POST.get("active") == "1")
    except PeopleError as exc:
        return _quality_page(request, status=400, error=exc.message)
    return redirect("people:quality")


@access(requires(Permission.QUALITY_REVIEW))
@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    form = forms.ChooseForm(request.POST)
    if not form.is_valid():
        return _quality_page(request, status=400, error=_errors(form), choose_form=form)
    contact = access_contact(staff, form.cleaned_data["contact"])
    try:
        review = services.review_choose(staff, contact=contact)
    except PeopleError as exc:
        return _quality_page(request, status=400, error=exc.message, choose_form=form)
    return redirect("people:review", review_id=review.pk)


@access(requires(Permission.QUALITY_REVIEW))
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, review_id: UUID) -> HttpResponse:
    staff = _staff(request)
    found = selectors.access_review(staff, review_id)
    criteria = list(Criterion.objects.filter(is_active=True))
    initial = {f"score_{s.criterion.code}": s.score for s in found.scores.select_related("criterion")}
    form = forms.ScoreForm(
        request.POST or None, criteria=criteria, initial={**initial, "comment": found.comment}
    )
    status, error = 200, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.review_score(
                    staff, review=found, scores=form.scores(), comment=form.cleaned_data["comment"]
                )
            except PeopleError as exc:
                status, error = 400, exc.message
            else:
                return redirect("people:quality")
        else:
            status, error = 400, _errors(form)
    return render(
        request, "people/review.html", {"review": found, "form": form, "error": error}, status=status
    )


@access(requires(Permission.QUALITY_REVIEW))
@require_GET
def counsellor_trends(request: HttpRequest, staff_id: UUID) -> HttpResponse:
    counsellor = Staff.objects.filter(pk=staff_id).first()
    if counsellor is None:
        raise Http404
    viewer = _staff(request)
    return render(
        request,
        "people/trends.html",
        {
            "counsellor": counsellor,
            "trends": selectors.review_trends(viewer, counsellor),
            "reviews": list(
                selectors.reviews_visible_to(viewer).filter(counsellor=counsellor, scored_at__isnull=False)[
                    :20
                ]
            ),
        },
    )


@access(requires(Permission.CONSOLE))
@require_GET
def my_reviews(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    return render(
        request,
        "people/my_reviews.html",
        {
            "reviews": list(
                selectors.reviews_visible_to(staff)
                .filter(counsellor=staff, scored_at__isnull=False)
                .prefetch_related("scores__criterion")
                .order_by("-scored_at")[:30]
            ),
            "trends": selectors.review_trends(staff, staff),
        },
    )


def _asked_about(request: HttpRequest, staff: Staff) -> Any:
    """The contact a debrief form opens with (?contact=, from a contact marked distressing), if
    it is one of the person's recent contacts."""
    try:
        wanted = UUID(request.GET.get("contact", ""))
    except ValueError:
        return None
    return selectors.my_recent_contacts(staff).filter(pk=wanted).first()


def _my_debriefs_page(
    request: HttpRequest, *, status: int = 200, form: Any = None, error: str = ""
) -> HttpResponse:
    staff = _staff(request)
    if form is None:
        about = _asked_about(request, staff)
        form = forms.DebriefRequestForm(
            contacts=selectors.my_recent_contacts(staff), initial={"contact": about.pk} if about else None
        )
    return render(
        request,
        "people/my_debriefs.html",
        {
            "debriefs": list(selectors.debriefs_visible_to(staff).filter(counsellor=staff)[:30]),
            "form": form,
            "high_risk_count": selectors.high_risk_this_shift(staff),
            "error": error,
        },
        status=status,
    )


@access(requires(Permission.CONSOLE))
@require_GET
def my_debriefs(request: HttpRequest) -> HttpResponse:
    return _my_debriefs_page(request)


@access(requires(Permission.CONSOLE))
@require_POST
def debrief_request(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    form = forms.DebriefRequestForm(request.POST, contacts=selectors.my_recent_contacts(staff))
    if not form.is_valid():
        return _my_debriefs_page(request, status=400, form=form, error=_errors(form))
    try:
        services.debrief_request(
            staff, contact=form.cleaned_data["contact"], reason=form.cleaned_data["reason"]
        )
    except PeopleError as exc:
        return _my_debriefs_page(request, status=400, form=form, error=exc.message)
    return redirect(reverse("people:my_debriefs"))


@access(requires(Permission.CONSOLE))
@require_POST
def distressing_mark(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """One click: this contact was distressing. Back to the page it was clicked on (the console),
    or else to the debrief form, opened with this contact."""
    staff = _staff(request)
    contact = access_contact(staff, contact_id)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        services.distressing_mark(staff, contact=contact)
    except PeopleError as exc:
        if htmx:  # said in the box itself (helpline.js swaps a retargeted refusal)
            return _distressing_box(request, staff, contact, said=exc.message, status=400)
        return _my_debriefs_page(request, status=400, error=exc.message)
    said = _("Thank you for saying so.")
    if htmx:
        # Only the box is redrawn: reloading the console would empty the reply being typed.
        return _distressing_box(request, staff, contact, said=said)
    messages.success(request, said)
    back = local_path(request, request.POST.get("next"))
    if back:
        return redirect(back)
    return redirect(f"{reverse('people:my_debriefs')}?contact={contact.pk}")


def _distressing_box(
    request: HttpRequest, staff: Staff, contact: Contact, *, said: str, status: int = 200
) -> HttpResponse:
    panel = distressing_panel(staff, contact)
    if panel is None:  # the view's access rule lets in only those the panel is drawn for
        raise Http404
    response = render(request, panel.template, {**panel.context, "said": said}, status=status)
    if status >= 400:
        response = reswap(retarget(response, f"#distressing-{contact.pk}"), "outerHTML")
    return response


def _debriefs_page(request: HttpRequest, *, status: int = 200, error: str = "") -> HttpResponse:
    staff = _staff(request)
    found = selectors.debriefs_visible_to(staff).order_by("held_at", "-created_at")[:100]
    shown = selectors.debrief_contact_shown_to
    rows = [(d, selectors.debrief_private_to(staff, d), shown(staff, d)) for d in found]
    context = {"rows": rows, "hold_form": forms.DebriefHoldForm(), "error": error}
    return render(request, "people/debriefs.html", context, status=status)


@access(requires(Permission.DEBRIEFS))
@require_GET
def debriefs(request: HttpRequest) -> HttpResponse:
    return _debriefs_page(request)


@access(requires(Permission.DEBRIEF_HOLD))
@require_POST
def debrief_hold(request: HttpRequest, debrief_id: UUID) -> HttpResponse:
    staff = _staff(request)
    debrief = selectors.access_debrief(staff, debrief_id)
    form = forms.DebriefHoldForm(request.POST)
    if not form.is_valid():
        return _debriefs_page(request, status=400, error=_errors(form))
    try:
        services.debrief_hold(staff, debrief=debrief, notes=form.cleaned_data["notes"])
    except PeopleError as exc:
        return _debriefs_page(request, status=400, error=exc.message)
    return redirect("people:debriefs")
