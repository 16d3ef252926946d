"""Writes of the risk signals supervisors maintain, each audited in its transaction (old and new)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.routing.models import RiskSignal


def risk_signal_save(actor: Staff, *, signal: RiskSignal | None, data: dict[str, Any]) -> RiskSignal:
    """Add a signal (signal None) or change one; `data` is the form's cleaned data."""
    with transaction.atomic():
        if signal is None:
            signal = RiskSignal.objects.create(**data)
            changes = {name: (None, value) for name, value in data.items()}
        else:
            # Read again: the form that validated `data` has already set it on the instance it held.
            signal = RiskSignal.objects.select_for_update().get(pk=signal.pk)
            changes = {n: (getattr(signal, n), v) for n, v in data.items() if getattr(signal, n) != v}
            if not changes:
                return signal
            for name, (_old, new) in changes.items():
                setattr(signal, name, new)
            signal.save()
        audit_record(
            actor,
            action=AuditAction.RISK_SIGNAL_SAVE,
            record_type="risk_signal",
            record_id=signal.pk,
            changes=changes,
        )
    return signal


def risk_signal_toggle(actor: Staff, *, code: str) -> RiskSignal | None:
    """Retire a signal or bring it back; None when there is no signal by that code."""
    with transaction.atomic():
        signal = RiskSignal.objects.select_for_update().filter(code=code).first()
        if signal is None:
            return None
        signal.is_active = not signal.is_active
        signal.save(update_fields=["is_active", "updated_at"])  # the compiled signals key on updated_at
        audit_record(
            actor,
            action=AuditAction.RISK_SIGNAL_TOGGLE,
            record_type="risk_signal",
            record_id=signal.pk,
            changes={"is_active": (not signal.is_active, signal.is_active)},
        )
    return signal
