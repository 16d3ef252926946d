"""Sign-in events go to the audit trail. Failed attempts never record what was typed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from helpline.accounts.models import Staff
from helpline.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Staff, **kwargs: Any) -> None:
    audit_record(user, action="auth.password_ok", request=request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Staff | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(user, action="auth.sign_out", request=request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:64]
    staff = Staff.objects.filter(username=username).first() if username else None
    audit_record(staff, action="auth.password_failed", request=request)
