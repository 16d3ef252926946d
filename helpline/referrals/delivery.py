"""Getting the partner's link to the partner: a token per channel, sent by the task worker.

The task is queued in the transaction that issues the token (django-tasks' database backend), so a
link is sent once the referral is committed and never lost to a crash in between; the message names
no child, only that a referral waits behind the link."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from helpline.accounts.models import Staff
from helpline.referrals.lifecycle import ReferralError
from helpline.referrals.links import link_issue, sign
from helpline.referrals.models import LinkChannel, Referral, ReferralToken


def portal_url(value: str) -> str:
    """The partner's page for a signed link value (helpline.referrals.urls_portal serves it)."""
    return f"{settings.PUBLIC_URL}/partner/{value}/"


def send_partner_link(
    referral: Referral, *, actor: Staff | None, request: HttpRequest | None = None
) -> list[ReferralToken]:
    """Issue a link for each way the partner can be reached and queue its sending, inside the
    caller's transaction. A partner with no address cannot be sent a referral."""
    partner = referral.partner
    if not partner.email:
        raise ReferralError("partner", _("This partner has no email address to send the referral to."))
    tokens: list[ReferralToken] = []
    with transaction.atomic():
        token, _value = link_issue(
            referral, channel=LinkChannel.EMAIL, sent_to=partner.email, actor=actor, request=request
        )
        email_partner_link.enqueue(str(token.pk))
        tokens.append(token)
    return tokens


def _message(referral: Referral, url: str, until: str) -> tuple[str, str]:
    """Subject and text, Khmer first then English: partners read either."""
    parts = []
    for language in ("km", "en"):
        with translation.override(language):
            parts.append(
                (
                    _("Referral %(number)s from the child helpline") % {"number": referral.number},
                    _(
                        "A referral from the child helpline is waiting for you. Open it with this link, "
                        "which works until %(until)s and only for this referral:\n%(url)s\n\n"
                        "Please let us know that you received it, and whether you can help. "
                        "Do not forward this link."
                    )
                    % {"until": until, "url": url},
                )
            )
    subject = f"{parts[0][0]} / {parts[1][0]}"
    return subject, f"{parts[0][1]}\n\n---\n\n{parts[1][1]}"


@task()
def email_partner_link(token_id: str) -> str:
    """Send one link by email, unless it was revoked or ran out before the worker got to it, or
    the referral no longer waits for the partner."""
    token = ReferralToken.objects.select_related("referral").filter(pk=uuid.UUID(token_id)).first()
    if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
        return "skipped"
    if not token.referral.awaits_partner:
        return "skipped"
    until = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    subject, body = _message(token.referral, portal_url(sign(token)), until)
    EmailMultiAlternatives(subject=subject, body=body, to=[token.sent_to]).send()
    return "sent"
