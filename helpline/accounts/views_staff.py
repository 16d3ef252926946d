"""Administrators: staff, roles, vetting records, policy versions and integration tokens."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts import services
from helpline.accounts.access import access, requires
from helpline.accounts.forms import (
    ApiTokenForm,
    ExtensionForm,
    PoliceCheckForm,
    PolicyVersionForm,
    StaffCreateForm,
    StaffEditForm,
    TrainingForm,
)
from helpline.accounts.models import ApiToken, PolicyVersion, Staff
from helpline.accounts.permissions import Permission
from helpline.accounts.vetting import current_policy, vetting_overview, vetting_status
from helpline.common.form_errors import error_summary


def _actor(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def access_staff(staff_id: UUID) -> Staff:
    """The staff record or 404; only administrators reach the views that call this."""
    staff = Staff.objects.filter(pk=staff_id).first()
    if staff is None:
        raise Http404
    return staff


@access(requires(Permission.STAFF_MANAGE))
@require_http_methods(["GET"])
def staff_list(request: HttpRequest) -> HttpResponse:
    rows = vetting_overview(Staff.objects.all())
    return render(
        request,
        "accounts/staff_list.html",
        {
            "rows": rows,
            "blocked": [r for r in rows if r.status.blocked and r.staff.is_active],
            "expiring": [r for r in rows if r.expires_soon and r.staff.is_active],
        },
    )


@access(requires(Permission.STAFF_MANAGE))
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            staff = services.staff_create(_actor(request), request=request, **form.cleaned_data)
            messages.success(request, _("Staff member added."))
            return redirect("accounts:staff_detail", staff_id=staff.pk)
        return render(request, "accounts/staff_create.html", {"form": form}, status=400)
    return render(request, "accounts/staff_create.html", {"form": form})


def _staff_page(
    request: HttpRequest,
    staff: Staff,
    *,
    edit: StaffEditForm | None = None,
    police: PoliceCheckForm | None = None,
    training: TrainingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The staff page, with whichever of its forms was refused bound to what was typed: the
    police check and training are copied by hand from paper, so nothing typed is thrown away."""
    refused = next((f for f in (edit, police, training) if f is not None and f.errors), None)
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "staff": staff,
            "vetting": vetting_status(staff),
            "edit_form": edit
            or StaffEditForm(
                initial={"full_name": staff.full_name, "role": staff.role, "is_active": staff.is_active}
            ),
            # Own ids: both forms have an "expires_on".
            "police_form": police or PoliceCheckForm(auto_id=POLICE_IDS),
            "training_form": training or TrainingForm(auto_id=TRAINING_IDS),
            "error_lines": error_summary(refused) if refused is not None else [],
            "police_checks": staff.police_checks.select_related("verified_by"),
            "trainings": staff.training_records.all(),
            "signatures": staff.policy_signatures.select_related("policy").order_by("-signed_at"),
        },
        status=status,
    )


POLICE_IDS = "police_%s"
TRAINING_IDS = "training_%s"


@access(requires(Permission.STAFF_MANAGE))
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, staff_id: UUID) -> HttpResponse:
    staff = access_staff(staff_id)
    if request.method != "POST":
        return _staff_page(request, staff)
    edit = StaffEditForm(request.POST)
    if edit.is_valid():
        try:
            services.staff_update(_actor(request), staff=staff, request=request, **edit.cleaned_data)
        except services.ExtensionTaken as taken:
            edit.add_error("is_active", _taken_message(taken))
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:staff_detail", staff_id=staff.pk)
    return _staff_page(request, staff, edit=edit, status=400)


@access(requires(Permission.STAFF_MANAGE))
@require_POST
def police_check_add(request: HttpRequest, staff_id: UUID) -> HttpResponse:
    staff = access_staff(staff_id)
    form = PoliceCheckForm(request.POST, auto_id=POLICE_IDS)
    if not form.is_valid():
        return _staff_page(request, staff, police=form, status=400)
    services.police_check_record(_actor(request), staff=staff, request=request, **form.cleaned_data)
    messages.success(request, _("Police check recorded."))
    return redirect("accounts:staff_detail", staff_id=staff.pk)


@access(requires(Permission.STAFF_MANAGE))
@require_POST
def training_add(request: HttpRequest, staff_id: UUID) -> HttpResponse:
    staff = access_staff(staff_id)
    form = TrainingForm(request.POST, auto_id=TRAINING_IDS)
    if not form.is_valid():
        return _staff_page(request, staff, training=form, status=400)
    services.training_record(_actor(request), staff=staff, request=request, **form.cleaned_data)
    messages.success(request, _("Training recorded."))
    return redirect("accounts:staff_detail", staff_id=staff.pk)


@access(requires(Permission.STAFF_MANAGE))
@require_POST
def otp_reset(request: HttpRequest, staff_id: UUID) -> HttpResponse:
    staff = access_staff(staff_id)
    services.otp_reset(_actor(request), staff=staff, request=request)
    messages.success(request, _("Authenticator cleared: they will set up a new one at next sign-in."))
    return redirect("accounts:staff_detail", staff_id=staff.pk)


@access(requires(Permission.STAFF_MANAGE))
@require_http_methods(["GET", "POST"])
def policy_versions(request: HttpRequest) -> HttpResponse:
    form = PolicyVersionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if PolicyVersion.objects.filter(version=form.cleaned_data["version"]).exists():
                form.add_error("version", _("This version already exists."))
            else:
                services.policy_publish(_actor(request), request=request, **form.cleaned_data)
                messages.success(request, _("Policy version published."))
                return redirect("accounts:policy_versions")
        status = 400
    return render(
        request,
        "accounts/policy_versions.html",
        {"form": form, "versions": PolicyVersion.objects.all(), "current": current_policy()},
        status=status,
    )


def _new_token_form() -> ApiTokenForm:
    return ApiTokenForm(initial={"once": uuid4().hex})


@access(requires(Permission.API_TOKENS_MANAGE))
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    created: str | None = None
    sent_twice = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, created = services.api_token_create(
                    _actor(request),
                    name=form.cleaned_data["name"],
                    scopes=list(form.cleaned_data["scopes"]),
                    request=request,
                    once_key=form.cleaned_data["once"] or None,
                )
                form = _new_token_form()
            except services.TokenAlreadyCreated as again:
                # A double click: the first post made the token and its answer, never shown, held
                # the secret. Say so rather than make a second token whose secret nobody keeps.
                form = _new_token_form()
                sent_twice = _(
                    'This form was sent twice: its first sending created the token "%(name)s", '
                    "whose secret can no longer be shown. If you did not copy it, revoke that "
                    "token and create a new one."
                ) % {"name": again.token.name}
                status = 409
        else:
            status = 400
    else:
        form = _new_token_form()
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": ApiToken.objects.all(), "created": created, "sent_twice": sent_twice},
        status=status,
    )


@access(requires(Permission.API_TOKENS_MANAGE))
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, token_id: UUID) -> HttpResponse:
    """GET: the question, naming the token and what stops working (it writes nothing); POST: the
    revocation. A gateway's token revoked by a slip stops its texts or calls at once, so it takes
    two deliberate steps, with or without script."""
    token = ApiToken.objects.select_related("created_by").filter(pk=token_id).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        services.api_token_revoke(_actor(request), token=token, request=request)
        messages.success(request, _("Token revoked."))
        return redirect("accounts:api_tokens")
    # The token's public start, as its owner's configuration shows it: which of two alike-named it is.
    shown_as = f"{services.TOKEN_PREFIX}{token.prefix}…"
    return render(request, "accounts/api_token_revoke.html", {"token": token, "shown_as": shown_as})


def _taken_message(taken: services.ExtensionTaken) -> str:
    return _("Extension %(extension)s is %(name)s's: clear it there first.") % {
        "extension": taken.extension,
        "name": taken.holder.display_name if taken.holder else "—",
    }


def _extension_form(staff: Staff, **kwargs: Any) -> ExtensionForm:
    """One row's form: its own ids (a page of rows must not repeat `id_extension`) and a name
    for the box, which has no visible label of its own in the table."""
    form = ExtensionForm(auto_id=f"id_%s_{staff.pk.hex}", **kwargs)
    form.fields["extension"].widget.attrs["aria-label"] = f"{_('Phone extension')}: {staff.display_name}"
    return form


def _extensions_page(
    request: HttpRequest, *, failed: Staff | None = None, form: ExtensionForm | None = None
) -> HttpResponse:
    rows = [
        (
            s,
            form
            if failed is not None and form is not None and s.pk == failed.pk
            else _extension_form(s, initial={"extension": s.extension}),
        )
        for s in Staff.objects.filter(is_active=True).order_by("username")
    ]
    return render(
        request, "accounts/extensions.html", {"rows": rows}, status=400 if failed is not None else 200
    )


@access(requires(Permission.STAFF_EXTENSIONS))
@require_http_methods(["GET"])
def extensions(request: HttpRequest) -> HttpResponse:
    """Who answers calls on which phone: supervisors and administrators keep it right, or no call
    is credited and nobody gets the screen-pop."""
    return _extensions_page(request)


@access(requires(Permission.STAFF_EXTENSIONS))
@require_POST
def extension_set(request: HttpRequest, staff_id: UUID) -> HttpResponse:
    staff = Staff.objects.filter(pk=staff_id, is_active=True).first()
    if staff is None:
        raise Http404
    form = _extension_form(staff, data=request.POST)
    if form.is_valid():
        try:
            changed = services.staff_set_extension(
                _actor(request), staff=staff, extension=form.cleaned_data["extension"], request=request
            )
        except services.ExtensionTaken as taken:
            form.add_error("extension", _taken_message(taken))
        else:
            if changed:
                messages.success(
                    request,
                    _("%(name)s answers calls on extension %(extension)s.")
                    % {"name": staff.display_name, "extension": staff.extension}
                    if staff.extension
                    else _("%(name)s has no extension now.") % {"name": staff.display_name},
                )
            return redirect("accounts:extensions")
    return _extensions_page(request, failed=staff, form=form)
