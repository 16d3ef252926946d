"""Work on a case from its page: profile, people, notes, plan goals, assignment, follow-ups."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.permissions import Permission
from helpline.cases import followups, forms, selectors, services
from helpline.cases.models import CaseNote, FollowUp, PlanGoal
from helpline.cases.services import CaseError
from helpline.cases.views import form_refused, item_ids, refused, staff_of, to_case
from helpline.contacts.models import Term


def _term(vocabulary: str, code: str) -> Term | None:
    return Term.objects.filter(vocabulary=vocabulary, code=code).first() if code else None


@access(requires(Permission.CASES))
@require_POST
def profile(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.ProfileForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    data = form.cleaned_data
    try:
        services.case_update_profile(
            staff,
            case=case,
            nickname=data["nickname"],
            age=data["age"],
            gender=_term("gender", data["gender"]),
            province=_term("province", data["province"]),
            risk=data["risk"],
            request=request,
        )
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "profile")


@access(requires(Permission.CASES))
@require_POST
def person_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.PersonForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        services.case_add_person(staff, case=case, request=request, **form.cleaned_data)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "people")


@access(requires(Permission.CASES))
@require_POST
def note_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        services.note_add(staff, case=case, text=form.cleaned_data["text"], request=request)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "notes")


@access(requires(Permission.CASES))
@require_POST
def note_edit(request: HttpRequest, case_id: UUID, note_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    note = CaseNote.objects.filter(case=case, pk=note_id).first()
    if note is None:
        raise Http404
    form = forms.NoteEditForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        services.note_edit(
            staff,
            note=note,
            text=form.cleaned_data["text"],
            revision=form.cleaned_data["revision"],
            request=request,
        )
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "notes")


@access(requires(Permission.CASES))
@require_POST
def goal_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.GoalForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        services.goal_add(staff, case=case, request=request, **form.cleaned_data)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "plan")


@access(requires(Permission.CASES))
@require_POST
def goal_change(request: HttpRequest, case_id: UUID, goal_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    goal = PlanGoal.objects.filter(case=case, pk=goal_id).first()
    if goal is None:
        raise Http404
    form = forms.GoalChangeForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        services.goal_change(staff, goal=goal, request=request, **form.cleaned_data)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "plan")


@access(requires(Permission.CASE_ASSIGN))
@require_POST
def assign(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        services.case_assign(
            staff,
            case=case,
            assignee=form.cleaned_data["assignee"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case)


@access(requires(Permission.CASES))
@require_POST
def follow_up_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.FollowUpForm(request.POST, case=case)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        followups.follow_up_schedule(staff, case=case, request=request, **form.cleaned_data)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "follow-ups")


@access(requires(Permission.CASES))
@require_POST
def follow_up_done(request: HttpRequest, case_id: UUID, follow_up_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    follow_up = FollowUp.objects.filter(case=case, pk=follow_up_id).first()
    if follow_up is None:
        raise Http404
    form = forms.OutcomeForm(request.POST, auto_id=item_ids(forms.OutcomeForm, follow_up.pk))
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        followups.follow_up_done(
            staff, follow_up=follow_up, outcome=form.cleaned_data["outcome"], request=request
        )
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    if request.POST.get("next") == "console":
        return HttpResponse(status=204, headers={"HX-Trigger": "helpline:contact-changed"})
    return to_case(case, "follow-ups")
