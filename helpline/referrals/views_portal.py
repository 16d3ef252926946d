"""The partner's page: one referral, opened by the signed link the partner was sent.

No account and no session: the link's token is the whole key, and it opens this page for its own
referral only (the referral never comes from the request). In the language the partner reads
(Khmer unless its directory entry says English), the other through `?lang=` (a link, no
cookie); plain forms that work on a phone without JavaScript. A link that opens nothing
gets one plain sentence, never a word about the referral, and an address that keeps presenting
such links is refused for a while (429); a link that works still opens from it. Every refusal
(404, 410, 429, a refused act) leaves an audit row naming why, never the link or the child."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import PUBLIC, access
from helpline.common.outage import unavailable_response
from helpline.referrals import portal
from helpline.referrals.lifecycle import MAX_NOTE, ReferralConflict, ReferralError
from helpline.referrals.links import Refusal, link_resolve
from helpline.referrals.models import PARTNER_MOVES, Partner, Referral, ReferralStatus, ReferralToken
from helpline.referrals.sharing import shown

LANGUAGES = ("km", "en")
# 404 for a link this helpline never made; 410 for one it made that no longer works.
REFUSAL_STATUS = {Refusal.TAMPERED: 404, Refusal.UNKNOWN: 404, Refusal.EXPIRED: 410, Refusal.REVOKED: 410}
# A working link of a suspended partner: 403, one sentence, nothing of the referral.
# What the page says once an act went through (after the redirect that follows it).
DONE = {
    ReferralStatus.ACKNOWLEDGED: _lazy(
        "Thank you: the child helpline knows that you received this referral."
    ),
    ReferralStatus.ACCEPTED: _lazy("Thank you: the child helpline knows that you will help."),
    ReferralStatus.DECLINED: _lazy("The child helpline knows that you cannot help, and why."),
    ReferralStatus.DELIVERED: _lazy(
        "Thank you: the child helpline will check with the child that the help arrived."
    ),
    portal.NOTE: _lazy("Your note was sent to the child helpline."),
}


def _language(request: HttpRequest, token: ReferralToken) -> str:
    """The page's language: the one the partner switched to, else the one it reads (its setting)."""
    chosen = request.POST.get("lang") or request.GET.get("lang") or ""
    if chosen in LANGUAGES:
        return chosen
    reads = Partner.objects.filter(referrals__pk=token.referral_id).values_list("language", flat=True).first()
    return reads if reads in LANGUAGES else "km"


def _bilingual(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """A page saying one thing in Khmer, then in English (refusals: the reader's language is
    not known, and nothing may depend on the link)."""
    response = render(request, template, {"languages": LANGUAGES}, status=status)
    response["Content-Language"] = "km, en"
    return response


def _page(
    request: HttpRequest, token: ReferralToken, language: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    referral: Referral = (
        Referral.objects.select_related("service").only(
            "number", "status", "urgency", "request", "shared", "service__label_km", "service__label_en"
        )
    ).get(pk=token.referral_id)
    with translation.override(language):
        context = {
            "referral": referral,
            "shown": shown(referral.shared or {}),
            "moves": portal.partner_moves(referral),
            "statuses": ReferralStatus,
            "language": language,
            "other_language": "en" if language == "km" else "km",
            "max_note": MAX_NOTE,
            "done_message": str(DONE.get(request.GET.get("done", ""), "")),
        } | extra
        response = render(request, "referrals/portal.html", context, status=status)
    response["Content-Language"] = language
    return response


@access(PUBLIC)  # the signed link is the key: no account, no session
@require_http_methods(["GET", "POST"])
@never_cache  # what the counsellor shared must not stay in a shared browser's or proxy's cache
def partner_page(request: HttpRequest, value: str) -> HttpResponse:
    try:
        return _partner_page(request, value)
    except OperationalError as exc:
        if not _database_busy(exc):
            raise
        # SQLite kept its one writer busy too long: the same "try again shortly" as an outage.
        return unavailable_response(request)


def _database_busy(exc: OperationalError) -> bool:
    """SQLite's one writer was taken for longer than a writer waits (PostgreSQL's outages are
    answered 503 by helpline.common.outage's middleware)."""
    return connection.vendor == "sqlite" and "locked" in str(exc)


def _partner_page(request: HttpRequest, value: str) -> HttpResponse:
    # The signature is checked first (no database read): a working link opens whatever else came
    # from the same address (a partner's office shares one); only refusals count towards the limit.
    found = link_resolve(value)
    if isinstance(found, Refusal):
        if portal.link_guessing_blocked(request):
            portal.link_limited(request=request)
            response = _bilingual(request, "referrals/portal_limited.html", 429)
            response["Retry-After"] = str(portal.REFUSAL_WINDOW_SECONDS)
            return response
        portal.link_refused(found, request=request)
        return _bilingual(request, "referrals/portal_refused.html", REFUSAL_STATUS[found])
    token = found
    if portal.partner_suspended(token):
        portal.link_paused(token, request=request)
        return _bilingual(request, "referrals/portal_paused.html", 403)
    language = _language(request, token)
    if request.method == "GET":
        portal.portal_view(token, request=request)
        return _page(request, token, language)

    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    # In the partner's language: a refusal's message, and the step the case timeline records.
    with translation.override(language):
        try:
            if action == portal.NOTE:
                portal.portal_note(token, note=note, request=request)
            elif action in PARTNER_MOVES:
                portal.portal_act(token, action, note=note, request=request)
            else:
                raise ReferralError("action", _("Choose one of the buttons on this page."))
        except portal.PartnerSuspended:
            portal.link_paused(token, request=request)
            return _bilingual(request, "referrals/portal_paused.html", 403)
        except portal.LinkGone:
            portal.link_refused(Refusal.REVOKED, request=request)
            return _bilingual(request, "referrals/portal_refused.html", 410)
        except ReferralError as exc:
            status = 409 if isinstance(exc, ReferralConflict) else 400
            portal.act_refused(token, action, exc, status=status, request=request)
            portal.portal_view(token, request=request)  # the page again shows the referral: a read
            return _page(
                request, token, language, status=status, error=exc.message, error_action=action, note=note
            )
    return redirect(f"{request.path}?{urlencode({'lang': language, 'done': action})}")
