"""Referring a case, and a referral's own page: preview what the partner will see, send, close,
record a partner's answer given by phone, add a note; the closed loop's settings.

Thin: parse, one access call, one service call, render. A referral is reached only through
access_referral (its case must be one the user may open: the same 404 otherwise); a refused
change answers with the page again and the reason (400, or 409 when the referral or case is not in
the state the change assumed) and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.models import Case
from helpline.cases.selectors import access_case
from helpline.referrals import services
from helpline.referrals.forms_referrals import (
    ANY,
    AnswerForm,
    CloseForm,
    NoteForm,
    PartnerSearchForm,
    ReferForm,
    ReferralSettingsForm,
)
from helpline.referrals.lifecycle import ReferralConflict, ReferralError, settings_row
from helpline.referrals.models import PARTNER_MOVES, TRANSITIONS, Partner, Referral, ReferralStatus
from helpline.referrals.selectors_partners import PartnerChoice, partner_choices
from helpline.referrals.selectors_referrals import (
    access_referral,
    is_overdue,
    referral_events,
    shown_to_partner,
)
from helpline.referrals.sharing import DEFAULT_FIELDS
from helpline.referrals.views_partners import staff_of, unreadable

PICKER_LIMIT = 30


def _read(
    staff: Staff, request: HttpRequest, action: AuditAction, record_type: str, pk: object, **detail: str
) -> None:
    """A page that shows a child's record leaves its read in the audit trail."""
    audit_record(staff, action=action, record_type=record_type, record_id=pk, request=request, detail=detail)


def to_referral(referral: Referral, anchor: str = "") -> HttpResponse:
    url = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _status(exc: ReferralError) -> int:
    return 409 if isinstance(exc, ReferralConflict) else 400


# --- Choosing a partner ----------------------------------------------------------------------------


def _search(case: Case, data: Any) -> dict[str, Any]:
    """The picker's filters as the form shows them: what was sent, a province or age left empty
    being the case's own ("any" province and "any age" widen the search past them)."""
    form = PartnerSearchForm(data)
    found = form.cleaned_data if form.is_valid() else {}
    province = found.get("province") or (case.province.code if case.province else ANY)
    any_age = bool(found.get("any_age")) or (found.get("age") is None and case.age is None)
    return {
        "service": found.get("service") or "",
        "province": province,
        "age": None if any_age else (found["age"] if found.get("age") is not None else case.age),
        "any_age": any_age,
        "q": found.get("q") or "",
    }


def _choices(search: dict[str, Any], chosen: str = "") -> dict[str, Any]:
    """The partner picker: partners giving the service where the child is, those that cannot be
    sent a referral shown greyed out with the reason (selectors_partners.partner_choices)."""
    choices: list[PartnerChoice] = []
    if search["service"]:
        choices = partner_choices(
            service=search["service"],
            province="" if search["province"] == ANY else search["province"],
            age=search["age"],
            text=search["q"],
            limit=PICKER_LIMIT,
        )
    return {"search": search, "choices": choices, "chosen": chosen}


def _refer_page(
    request: HttpRequest,
    case: Case,
    form: ReferForm,
    search: dict[str, Any],
    *,
    referral: Referral | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    chosen = str(form["partner"].value() or "") if form.is_bound else str(form.initial.get("partner", ""))
    context = {
        "case": case,
        "form": form,
        "search_form": PartnerSearchForm(initial=search),
        "referral": referral,
        "may_refer": case.takes_new_work,
        "error": error,
        **_choices(search, chosen),
    }
    return render(request, "referrals/refer.html", context, status=status)


def _draft_args(case: Case, form: ReferForm) -> dict[str, Any] | str:
    """The service's arguments from a valid form, or why the form's choices are not usable."""
    data = form.cleaned_data
    partner = Partner.objects.filter(pk=data["partner"]).first()
    if partner is None:
        return _("Choose a partner from the list.")
    brk = None
    if data["confidentiality_break"]:
        brk = case.breaks.filter(pk=data["confidentiality_break"]).first()
    return {
        "partner": partner,
        "service": data["service"],
        "urgency": data["urgency"],
        "request": data["request"],
        "shared_fields": data["shared_fields"],
        "consent": data["consent"],
        "consent_note": data["consent_note"],
        "confidentiality_break": brk,
    }


@access(requires(Permission.CASES))
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The form that drafts a referral of the case; the draft's page then shows it as the partner
    will see it, before anything is sent."""
    staff = staff_of(request)
    case = access_case(staff, case_id)
    if request.method == "GET":
        _read(staff, request, AuditAction.CASE_VIEW, "case", case.pk, number=case.number, part="refer")
        search = _search(case, request.GET or None)
        initial = {"service": search["service"], "shared_fields": list(DEFAULT_FIELDS), "urgency": "routine"}
        return _refer_page(request, case, ReferForm(initial=initial, case=case), search)
    form = ReferForm(request.POST, case=case)
    search = _search(case, {**request.POST.dict(), "service": request.POST.get("service", "")})
    if not form.is_valid():
        return _refer_page(request, case, form, search, error=unreadable(form), status=400)
    args = _draft_args(case, form)
    if isinstance(args, str):
        return _refer_page(request, case, form, search, error=args, status=400)
    try:
        referral = services.referral_draft(staff, case=case, http_request=request, **args)
    except ReferralError as exc:
        return _refer_page(request, case, form, search, error=exc.message, status=_status(exc))
    return to_referral(referral, "preview")


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def refer_partners(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The partner picker alone, for htmx as the filters change."""
    case = access_case(staff_of(request), case_id)
    search = _search(case, request.GET or None)
    return render(request, "referrals/_partner_choices.html", {"case": case, **_choices(search)})


@access(requires(Permission.CASES))
@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    referral = access_referral(staff, referral_id)
    case = referral.case
    if request.method == "GET":
        _read(staff, request, AuditAction.REFERRAL_VIEW, "referral", referral.pk, number=referral.number)
        search = _search(case, request.GET or {"service": referral.service.code})
        initial = {
            "service": referral.service.code,
            "partner": str(referral.partner_id),
            "urgency": referral.urgency,
            "request": referral.request,
            "shared_fields": referral.shared_fields,
            "consent": referral.consent,
            "consent_note": referral.consent_note,
            "confidentiality_break": str(referral.confidentiality_break_id or ""),
        }
        form = ReferForm(initial=initial, case=case)
        return _refer_page(request, case, form, search, referral=referral)
    form = ReferForm(request.POST, case=case)
    search = _search(case, {**request.POST.dict(), "service": request.POST.get("service", "")})
    if not form.is_valid():
        return _refer_page(request, case, form, search, referral=referral, error=unreadable(form), status=400)
    args = _draft_args(case, form)
    if isinstance(args, str):
        return _refer_page(request, case, form, search, referral=referral, error=args, status=400)
    try:
        services.referral_edit(staff, referral, http_request=request, **args)
    except ReferralError as exc:
        return _refer_page(
            request, case, form, search, referral=referral, error=exc.message, status=_status(exc)
        )
    return to_referral(referral, "preview")


# --- A referral's page -----------------------------------------------------------------------------


def _detail_context(staff: Staff, referral: Referral, **extra: Any) -> dict[str, Any]:
    allowed = TRANSITIONS.get(referral.status, frozenset())
    answers = [(s.value, s.label) for s in ReferralStatus if s in PARTNER_MOVES and s in allowed]
    return {
        "referral": referral,
        "case": referral.case,
        "shown": shown_to_partner(referral),
        "events": [
            (e, ReferralStatus(e.new_status).label if e.new_status in ReferralStatus.values else "")
            for e in referral_events(referral)
        ],
        "overdue": is_overdue(referral),
        "is_draft": referral.status == ReferralStatus.DRAFT,
        "may_close": ReferralStatus.CLOSED in allowed,
        "answers": answers,
        "close_form": CloseForm(),
        "answer_form": AnswerForm(),
        "note_form": NoteForm(),
    } | extra


def _refused(
    request: HttpRequest, referral: Referral, message: str, *, status: int = 400, **sent: Any
) -> HttpResponse:
    """The referral's page again (the child's details with it), its read audited as a GET's is."""
    staff = staff_of(request)
    fresh = access_referral(staff, referral.pk)
    _read(staff, request, AuditAction.REFERRAL_VIEW, "referral", fresh.pk, number=fresh.number)
    context = _detail_context(staff, fresh, error=message, **sent)
    return render(request, "referrals/referral.html", context, status=status)


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def referral_detail(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    referral = access_referral(staff, referral_id)
    _read(staff, request, AuditAction.REFERRAL_VIEW, "referral", referral.pk, number=referral.number)
    return render(request, "referrals/referral.html", _detail_context(staff, referral))


@access(requires(Permission.CASES))
@require_POST
def referral_send(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    referral = access_referral(staff, referral_id)
    try:
        services.referral_send(staff, referral, request=request)
    except ReferralError as exc:
        return _refused(request, referral, exc.message, status=_status(exc))
    messages.success(request, _("Sent. A link to this referral is on its way to the partner by email."))
    return to_referral(referral)


def _change(
    request: HttpRequest,
    referral_id: UUID,
    form_class: type[forms.Form],
    name: str,
    apply: Callable[[Staff, Referral, dict[str, Any]], object],
    anchor: str = "",
) -> HttpResponse:
    """One change from the referral's page: the form read, the service called, the page again with
    the refused form and why (nothing written), or back to the referral."""
    staff = staff_of(request)
    referral = access_referral(staff, referral_id)
    form = form_class(request.POST)
    sent: dict[str, Any] = {name: form}
    if not form.is_valid():
        return _refused(request, referral, unreadable(form), **sent)
    try:
        apply(staff, referral, form.cleaned_data)
    except ReferralError as exc:
        return _refused(request, referral, exc.message, status=_status(exc), **sent)
    return to_referral(referral, anchor)


@access(requires(Permission.CASES))
@require_POST
def referral_close(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    def close(staff: Staff, referral: Referral, data: dict[str, Any]) -> object:
        return services.referral_close(staff, referral, data["reason"], request=request)

    return _change(request, referral_id, CloseForm, "close_form", close)


@access(requires(Permission.CASES))
@require_POST
def referral_answer(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    def answer(staff: Staff, referral: Referral, data: dict[str, Any]) -> object:
        return services.referral_record_answer(staff, referral, data["to"], data["note"], request=request)

    return _change(request, referral_id, AnswerForm, "answer_form", answer)


@access(requires(Permission.CASES))
@require_POST
def referral_note(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    def note(staff: Staff, referral: Referral, data: dict[str, Any]) -> object:
        return services.referral_note(staff, referral, data["text"], request=request)

    return _change(request, referral_id, NoteForm, "note_form", note, "history")


# --- The closed loop's settings --------------------------------------------------------------------


@access(requires(Permission.CASE_SUPERVISE))
@require_http_methods(["GET", "POST"])
def referral_settings(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    current = settings_row()
    if request.method == "POST":
        form = ReferralSettingsForm(request.POST, instance=settings_row())
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
            try:
                services.referral_settings_update(staff, values=values, request=request)
            except ReferralError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("referrals:referral_settings")
        return render(request, "referrals/referral_settings.html", {"form": form}, status=400)
    return render(
        request, "referrals/referral_settings.html", {"form": ReferralSettingsForm(instance=current)}
    )
