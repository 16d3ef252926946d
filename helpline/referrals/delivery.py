"""Getting the partner's link to the partner: a token per channel, sent by the task worker.

The task is queued in the transaction that issues the token (django-tasks' database backend), so a
link is sent once the referral is committed and never lost to a crash in between; the message names
no child, only that a referral waits behind the link. The token records how its sending went
(SendState): a mail server that refuses or is away, or a worker killed mid-send, leaves it
"failed", and the scheduler sends it again a bounded number of times, waiting longer each time."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from helpline.accounts.models import Staff
from helpline.referrals.eligibility import no_address
from helpline.referrals.lifecycle import ReferralError
from helpline.referrals.links import link_issue, sign
from helpline.referrals.models import (
    LinkChannel,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralToken,
    SendState,
)

log = logging.getLogger("helpline.referrals")

MAX_SEND_ATTEMPTS = 5
# After the first, second, ... failure, the next attempt waits this long (seconds).
RETRY_AFTER_SECONDS = (60, 300, 900, 3600)
# A send still "sending" after this long was interrupted (its worker killed mid-send).
STALE_SENDING = dt.timedelta(minutes=10)
BATCH = 200


def portal_url(value: str) -> str:
    """The partner's page for a signed link value (helpline.referrals.urls_portal serves it)."""
    return f"{settings.PUBLIC_URL}/partner/{value}/"


def send_partner_link(
    referral: Referral, *, actor: Staff | None, request: HttpRequest | None = None
) -> list[ReferralToken]:
    """Issue a link for each way the partner can be reached and queue its sending, inside the
    caller's transaction. A partner with no address cannot be sent a referral."""
    partner = referral.partner
    why = no_address(partner)
    if why:
        raise ReferralError("partner", why)
    tokens: list[ReferralToken] = []
    with transaction.atomic():
        token, _value = link_issue(
            referral, channel=LinkChannel.EMAIL, sent_to=partner.email, actor=actor, request=request
        )
        token.send_state = SendState.QUEUED
        token.save(update_fields=["send_state"])
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


def _claim(token_id: str) -> ReferralToken | str:
    """The token, marked as being sent (one more attempt), or why it is not sent now: "skipped"
    (gone, revoked, run out, already sent or being sent, or the referral no longer waits for the
    partner) or "held" (the partner is suspended: sent once the suspension is lifted)."""
    now = timezone.now()
    with transaction.atomic():
        token = (
            ReferralToken.objects.select_for_update(of=("self",))
            .select_related("referral", "referral__partner")
            .filter(pk=uuid.UUID(token_id))
            .first()
        )
        if token is None or token.send_state in {SendState.SENT, SendState.SENDING, SendState.SKIPPED}:
            return "skipped"
        if token.revoked_at is not None or token.expires_at <= now or not token.referral.awaits_partner:
            token.send_state, token.send_retry_at = SendState.SKIPPED, None
            token.save(update_fields=["send_state", "send_retry_at"])
            return "skipped"
        if token.referral.partner.suspension_id is not None:
            token.send_state, token.send_retry_at = SendState.HELD, None
            token.save(update_fields=["send_state", "send_retry_at"])
            return "held"
        token.send_state, token.send_started_at = SendState.SENDING, now
        token.send_attempts += 1
        token.save(update_fields=["send_state", "send_started_at", "send_attempts"])
    return token


def retry_at(attempts: int, failed_at: dt.datetime) -> dt.datetime | None:
    """When a link that failed `attempts` times is tried again; None once the attempts ran out."""
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    return failed_at + dt.timedelta(seconds=RETRY_AFTER_SECONDS[min(attempts, len(RETRY_AFTER_SECONDS)) - 1])


def _failed(token: ReferralToken, error: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        token.send_state, token.send_failed_at = SendState.FAILED, now
        token.send_retry_at = retry_at(token.send_attempts, now)
        token.send_error = error[:200]
        token.save(update_fields=["send_state", "send_failed_at", "send_retry_at", "send_error"])
        ReferralEvent.objects.create(
            referral_id=token.referral_id, kind=ReferralEventKind.SEND_FAILED, at=now, token=token
        )
    log.warning(
        "partner link %s: sending failed (attempt %d, %s)",
        token.pk,
        token.send_attempts,
        "retried" if token.send_retry_at else "given up",
    )


@task()
def email_partner_link(token_id: str) -> str:
    """Send one link by email, unless it was revoked or ran out before the worker got to it, or
    the referral no longer waits for the partner. A mail server that refuses or cannot be reached
    leaves the link "failed", to be tried again (partner_links_resend) a few times."""
    claimed = _claim(token_id)
    if isinstance(claimed, str):
        return claimed
    token = claimed
    until = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    subject, body = _message(token.referral, portal_url(sign(token)), until)
    try:
        EmailMultiAlternatives(subject=subject, body=body, to=[token.sent_to]).send()
    except (smtplib.SMTPException, OSError) as exc:
        _failed(token, f"{type(exc).__name__}: {exc}")
        return "failed"
    ReferralToken.objects.filter(pk=token.pk).update(
        send_state=SendState.SENT, sent_at=timezone.now(), send_retry_at=None, send_error=""
    )
    return "sent"


def partner_links_resend(now: dt.datetime | None = None) -> int:
    """For the scheduler: a send that has been "sending" for longer than a send takes (its worker
    was killed) counts as failed; each failed send whose time has come is queued again. The number
    queued."""
    now = now or timezone.now()
    for token in ReferralToken.objects.filter(
        send_state=SendState.SENDING, send_started_at__lt=now - STALE_SENDING
    )[:BATCH]:
        with transaction.atomic():
            if ReferralToken.objects.filter(pk=token.pk, send_state=SendState.SENDING).update(
                send_state=SendState.FAILED,
                send_failed_at=now,
                send_retry_at=now if token.send_attempts < MAX_SEND_ATTEMPTS else None,
                send_error="interrupted: the sending worker stopped",
            ):
                ReferralEvent.objects.create(
                    referral_id=token.referral_id, kind=ReferralEventKind.SEND_FAILED, at=now, token=token
                )
    due = ReferralToken.objects.filter(send_state=SendState.FAILED, send_retry_at__lte=now).values_list(
        "pk", flat=True
    )[:BATCH]
    return sum(_requeue(pk, SendState.FAILED) for pk in list(due))


def partner_links_cancel_sending(referral: Referral) -> int:
    """The links of `referral` not sent yet are never to be sent (their task skips them): demo
    data, whose partners' addresses are made up. The number cancelled."""
    return ReferralToken.objects.filter(
        referral=referral, send_state__in=[SendState.QUEUED, SendState.FAILED, SendState.HELD, ""]
    ).update(send_state=SendState.SKIPPED, send_retry_at=None)


def partner_links_release(partner_id: uuid.UUID | str) -> int:
    """Queue again the links held while `partner_id` was suspended. The number queued."""
    held = ReferralToken.objects.filter(referral__partner_id=partner_id, send_state=SendState.HELD)
    return sum(_requeue(pk, SendState.HELD) for pk in list(held.values_list("pk", flat=True)))


def _requeue(pk: uuid.UUID | str, was: str) -> int:
    with transaction.atomic():
        if not ReferralToken.objects.filter(pk=pk, send_state=was).update(
            send_state=SendState.QUEUED, send_retry_at=None
        ):
            return 0  # another scheduler took it
        email_partner_link.enqueue(str(pk))
    return 1
