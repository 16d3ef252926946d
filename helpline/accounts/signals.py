"""Sign-in events go to the audit trail. Failed attempts never record what was typed. And
access_changed: sent (after the commit) when someone's vetting or account changed, so that their
open live connections check again at once (the console's socket subscribes, above)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record

# staff_ids: the people concerned, or None for everyone (a new policy version).
access_changed = Signal()


def announce_access_changed(staff_ids: list[str] | None) -> None:
    """After the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: access_changed.send(sender=Staff, staff_ids=staff_ids))


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Staff, **kwargs: Any) -> None:
    audit_record(user, action=AuditAction.AUTH_PASSWORD_OK, request=request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Staff | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(user, action=AuditAction.AUTH_SIGN_OUT, request=request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:64]
    staff = Staff.objects.filter(username=username).first() if username else None
    audit_record(staff, action=AuditAction.AUTH_PASSWORD_FAILED, request=request)
