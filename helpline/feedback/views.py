"""Staff pages: the list (with the supervisors' lasting overdue list), one item with its history
and the forms that move it on, entering feedback, and the settings. GETs write nothing but the
read's audit row; each POST is one service call answered with a redirect, or the page again with
the refusal."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.selectors import contacts_visible_to
from helpline.feedback import selectors, services
from helpline.feedback.forms import AdvanceForm, SettingsForm, StaffFeedbackForm, TriageForm
from helpline.feedback.models import Feedback, FeedbackKind, ReplyChannel, Source, State
from helpline.feedback.services import NEXT_STATE, FeedbackError
from helpline.referrals.models import Partner
from helpline.routing.models import RiskSignal

PAGE = 100


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _partners() -> list[tuple[str, str]]:
    return [(str(p.pk), p.name) for p in Partner.objects.order_by("name")[:500]]


def _colleagues(exclude: Staff | None = None) -> list[tuple[str, str]]:
    found = Staff.objects.filter(is_active=True).order_by("username")
    return [(str(s.pk), s.full_name or s.username) for s in found if exclude is None or s.pk != exclude.pk]


@access(requires(Permission.FEEDBACK))
@require_GET
def feedback_list(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    items = selectors.risk_first(selectors.feedback_visible_to(staff)).select_related(
        "owner", "subject_partner"
    )
    state = request.GET.get("state", "")
    if state in State.values:
        items = items.filter(state=state)
    overdue = list(selectors.feedback_overdue(staff).select_related("owner")[:PAGE])
    shown = list(items[:PAGE])
    audit_record(
        staff,
        action=AuditAction.FEEDBACK_LIST,
        record_type="feedback",
        request=request,
        detail={"state": state[:20]},
    )
    return render(
        request,
        "feedback/list.html",
        {"items": shown, "overdue": overdue, "states": State.choices, "state": state},
    )


@access(requires(Permission.FEEDBACK))
@require_GET
def feedback_detail(request: HttpRequest, feedback_id: UUID) -> HttpResponse:
    staff = _staff(request)
    feedback = selectors.access_feedback(staff, feedback_id)
    audit_record(
        staff,
        action=AuditAction.FEEDBACK_VIEW,
        record_type="feedback",
        record_id=feedback.pk,
        request=request,
    )
    return _detail_page(request, staff, feedback)


def _triage_form(feedback: Feedback, data: object = None) -> TriageForm:
    # The service's own rule (services.may_own): the list offers only those it accepts.
    managers = [
        (str(s.pk), s.full_name or s.username)
        for s in services.owner_candidates()
        if s.pk != feedback.subject_staff_id
    ]
    return TriageForm(
        data,  # type: ignore[arg-type]
        owners=managers,
        staff=_colleagues(),
        partners=_partners(),
        initial={
            "severity": feedback.severity,
            "owner": str(feedback.owner_id or ""),
            "subject": feedback.subject,
            "subject_staff": str(feedback.subject_staff_id or ""),
            "subject_partner": str(feedback.subject_partner_id or ""),
        },
    )


def _detail_page(
    request: HttpRequest,
    staff: Staff,
    feedback: Feedback,
    *,
    triage: TriageForm | None = None,
    advance: AdvanceForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    may_work = feedback.subject_staff_id != staff.pk and (
        services.manages(staff) or feedback.owner_id == staff.pk
    )
    return render(
        request,
        "feedback/detail.html",
        {
            "item": feedback,
            "events": feedback.events.select_related("actor"),
            "may_work": may_work,
            "manages": services.manages(staff),
            "next_states": [(s, State(s).label) for s in State.values if s in NEXT_STATE[feedback.state]],
            "triage": triage or _triage_form(feedback),
            "advance": advance or AdvanceForm(),
            "error": error,
            "risk_signals": _risk_signals(feedback),
        },
        status=status,
    )


def _risk_signals(feedback: Feedback) -> list[tuple[str, int]]:
    """The signals the triage found, by their label in the reader's language (the code for one
    deleted since)."""
    given: dict[str, int] = dict((feedback.risk_explanation or {}).get("signals") or {})
    if not given:
        return []
    labels = {s.code: s.label for s in RiskSignal.objects.filter(code__in=given)}
    return [(labels.get(code, code), points) for code, points in given.items()]


@access(requires(Permission.FEEDBACK))
@require_POST
def feedback_advance(request: HttpRequest, feedback_id: UUID) -> HttpResponse:
    staff = _staff(request)
    feedback = selectors.access_feedback(staff, feedback_id)
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, staff, feedback, advance=form, error=_("Check the form."), status=400)
    try:
        services.feedback_advance(
            staff,
            feedback=feedback,
            state=form.cleaned_data["state"],
            note=form.cleaned_data["note"],
            response=form.cleaned_data["response"],
            request=request,
        )
    except FeedbackError as exc:
        status = 409 if exc.conflict else 403 if exc.field == "actor" else 400
        return _detail_page(request, staff, feedback, advance=form, error=exc.message, status=status)
    return redirect("feedback:detail", feedback_id=feedback.pk)


@access(requires(Permission.FEEDBACK))
@require_POST
def feedback_triage(request: HttpRequest, feedback_id: UUID) -> HttpResponse:
    staff = _staff(request)
    feedback = selectors.access_feedback(staff, feedback_id)
    form = _triage_form(feedback, request.POST)
    if not form.is_valid():
        return _detail_page(request, staff, feedback, triage=form, error=_("Check the form."), status=400)
    data = form.cleaned_data
    owner = Staff.objects.filter(pk=data["owner"]).first() if data["owner"] else None
    subject_staff = Staff.objects.filter(pk=data["subject_staff"]).first() if data["subject_staff"] else None
    partner = Partner.objects.filter(pk=data["subject_partner"]).first() if data["subject_partner"] else None
    try:
        services.feedback_update(
            staff,
            feedback=feedback,
            severity=data["severity"],
            owner=owner if services.manages(staff) else "keep",
            subject=data["subject"],
            subject_staff=subject_staff,
            subject_partner=partner,
            request=request,
        )
    except FeedbackError as exc:
        status = 403 if exc.field == "actor" else 400
        return _detail_page(request, staff, feedback, triage=form, error=exc.message, status=status)
    if subject_staff is not None and subject_staff.pk == staff.pk:
        return redirect("feedback:list")
    return redirect("feedback:detail", feedback_id=feedback.pk)


@access(requires(Permission.FEEDBACK))
@require_http_methods(["GET", "POST"])
def feedback_new(request: HttpRequest) -> HttpResponse:
    """Feedback entered by staff: heard on a call, at a walk-in, or from a contact (?contact=)."""
    staff = _staff(request)
    contact_id = request.GET.get("contact") or request.POST.get("contact") or ""
    contact = None
    if contact_id:
        try:
            contact = contacts_visible_to(staff).filter(pk=contact_id).first()
        except (ValueError, TypeError, Exception):
            contact = None
    form = StaffFeedbackForm(
        request.POST or None, partners=_partners(), initial={"contact": contact.pk if contact else None}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subject_staff = (
            Staff.objects.filter(username=data["subject_staff"]).first() if data["subject_staff"] else None
        )
        if data["subject_staff"] and subject_staff is None:
            form.add_error("subject_staff", _("No staff member has this username."))
        else:
            partner = (
                Partner.objects.filter(pk=data["subject_partner"]).first()
                if data["subject_partner"]
                else None
            )
            try:
                item = services.feedback_receive(
                    staff,
                    source=Source.CONTACT if contact else Source.STAFF,
                    kind=data["kind"],
                    text=data["text"],
                    subject=data["subject"],
                    subject_staff=subject_staff,
                    subject_partner=partner,
                    severity=data["severity"],
                    contact=contact,
                    reply_channel=ReplyChannel.EMAIL if data["reply_email"] else ReplyChannel.NONE,
                    reply_address=data["reply_email"],
                    language=contact.language if contact else "km",
                    request=request,
                )
            except FeedbackError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if subject_staff is not None and subject_staff.pk == staff.pk:
                    messages.success(request, _("Recorded. A supervisor will take it up."))
                    return redirect("feedback:list")
                return redirect("feedback:detail", feedback_id=item.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "feedback/new.html", {"form": form, "contact": contact}, status=status)


@access(requires(Permission.SERVICE_SETTINGS))
@require_http_methods(["GET", "POST"])
def feedback_settings(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    current = services.feedback_settings()
    fields = list(SettingsForm.base_fields)
    form = SettingsForm(request.POST or None, initial={f: getattr(current, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        services.settings_update(staff, changes=form.cleaned_data, request=request)
        messages.success(request, _("Settings saved."))
        return redirect(reverse("feedback:settings"))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "feedback/settings.html", {"form": form, "kinds": FeedbackKind.choices}, status=status
    )


def may_record(staff: Staff) -> bool:
    return role_has(staff.role, Permission.FEEDBACK)
