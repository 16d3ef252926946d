"""The staff's hold on a referral's partner links, from the referral's page: revoke a link, or
send the partner a new one (which revokes the older ones).

Whoever may see the case may do both (`access_referral`); any other referral is the same 404 as a
missing one. A page shows them with `referrals/_link_actions.html` (context: `link_context()`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.referrals import portal
from helpline.referrals.lifecycle import ReferralConflict, ReferralError
from helpline.referrals.models import Referral, ReferralToken
from helpline.referrals.selectors_referrals import access_referral


def link_context(referral: Referral) -> dict[str, Any]:
    """What `referrals/_link_actions.html` needs: the referral and its links, newest first."""
    return {"referral": referral, "tokens": list(referral.tokens.all())}


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _to_links(referral: Referral) -> HttpResponse:
    return redirect(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}) + "#links")


def _refused(request: HttpRequest, referral: Referral, exc: ReferralError) -> HttpResponse:
    status = 409 if isinstance(exc, ReferralConflict) else 400
    context = {"referral": referral, "message": exc.message}
    return render(request, "referrals/link_refused.html", context, status=status)


@access(requires(Permission.CASES))
@require_POST
def link_revoke(request: HttpRequest, referral_id: UUID, link_id: UUID) -> HttpResponse:
    staff = _staff(request)
    referral = access_referral(staff, referral_id)
    token = ReferralToken.objects.filter(referral=referral, pk=link_id).first()
    if token is None:
        raise Http404
    if portal.links_revoke(referral, staff, token=token, request=request):
        messages.success(request, _("The link was revoked: it opens nothing any more."))
    else:
        messages.info(request, _("This link was no longer working."))
    return _to_links(referral)


@access(requires(Permission.CASES))
@require_POST
def link_send(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    staff = _staff(request)
    referral = access_referral(staff, referral_id)
    try:
        portal.link_send_again(referral, staff, request=request)
    except ReferralError as exc:
        return _refused(request, referral, exc)
    messages.success(request, _("A new link is on its way to the partner; the older links no longer work."))
    return _to_links(referral)
