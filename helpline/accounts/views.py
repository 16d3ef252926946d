"""Sign-in (password, then TOTP), sign-out, own profile, policy signing and language."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from helpline.accounts import services
from helpline.accounts.access import PUBLIC, SIGNED_IN, VERIFIED, access, is_verified
from helpline.accounts.forms import CodeForm, LanguageForm, SignInForm, SignPolicyForm
from helpline.accounts.models import Staff
from helpline.accounts.vetting import current_policy, vetting_status
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.redirects import local_path

NEXT_KEY = "helpline_next"


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    return user


@access(PUBLIC)
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and is_verified(request.user):
        return redirect("home")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            user = authenticate(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            if user is not None and user.is_active:
                login(request, user)
                next_url = local_path(request, request.GET.get("next"))
                if next_url:
                    request.session[NEXT_KEY] = next_url
                return redirect("accounts:otp")
            form.add_error(None, _("The username or password is not right."))
    return render(request, "accounts/sign_in.html", {"form": form}, status=status)


@access(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Check the TOTP code; a person with no authenticator yet enrols one here first."""
    staff = _staff(request)
    if is_verified(staff):
        return redirect("home")
    device = services.otp_device_for(staff)
    enrolling = device is None
    if device is None:
        device = services.otp_enrolment_start(staff)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            code = form.cleaned_data["code"]
            if enrolling:
                ok = services.otp_enrolment_confirm(staff, device=device, code=code, request=request)
            else:
                ok = bool(device.verify_token(code))
                audit_record(
                    staff,
                    action=AuditAction.AUTH_2FA_OK if ok else AuditAction.AUTH_2FA_FAILED,
                    request=request,
                )
            if ok:
                otp_login(request, device)
                next_url = local_path(request, request.session.pop(NEXT_KEY, None))
                return redirect(next_url or "home")
            form.add_error("code", _("That code is not right, or was already used. Wait for a new one."))
    context: dict[str, object] = {"form": form, "enrolling": enrolling}
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=5)
        context["secret_base32"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/second_factor.html", context, status=status)


@access(SIGNED_IN)
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@access(VERIFIED)
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.staff_sign_out_everywhere(_staff(request), request=request)
    logout(request)
    return redirect("accounts:login")


@access(VERIFIED)
@require_http_methods(["GET"])
def profile(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    return render(
        request,
        "accounts/profile.html",
        {
            "staff": staff,
            "vetting": vetting_status(staff),
            "police_checks": staff.police_checks.all()[:10],
            "trainings": staff.training_records.all()[:20],
            "signatures": staff.policy_signatures.select_related("policy").order_by("-signed_at")[:10],
            "language_form": LanguageForm(initial={"language": staff.language}),
            "idle_minutes": settings.IDLE_MINUTES,
        },
    )


@access(VERIFIED)
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    current = current_policy()
    form = SignPolicyForm(request.POST or None)
    signed = current is not None and staff.policy_signatures.filter(policy=current).exists()
    status = 200
    if request.method == "POST" and current is not None:
        if form.is_valid():
            services.policy_sign(staff, policy=current, request=request)
            return redirect("accounts:profile")
        status = 400
    return render(
        request,
        "accounts/policy.html",
        {"policy": current, "form": form, "signed": signed},
        status=status,
    )


@access(PUBLIC)
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Everyone may pick a language; a signed-in person's choice is also saved to their profile."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Unknown language."), status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.staff_set_language(_staff(request), language=language, request=request)
    response = redirect(local_path(request, form.cleaned_data.get("next")) or "home")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
