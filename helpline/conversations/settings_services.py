"""Writes of the text channels' settings (opening hours, holidays, canned replies, blocked numbers and
words): each with its audit row in the same transaction. The settings page only parses and calls these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.conversations.models import (
    BlockedAddress,
    BlockedKeyword,
    CannedReply,
    Holiday,
    OpeningPeriod,
    TextSettings,
)
from helpline.conversations.services import blocked_hash

# Entries a supervisor adds, and those they may remove, by the page's section name.
ADDABLE: dict[str, type[models.Model]] = {
    "period": OpeningPeriod,
    "holiday": Holiday,
    "canned": CannedReply,
    "block": BlockedAddress,
    "keyword": BlockedKeyword,
}
REMOVABLE: dict[str, type[models.Model]] = {
    "period": OpeningPeriod,
    "holiday": Holiday,
    "block": BlockedAddress,
    "keyword": BlockedKeyword,
}


class UnknownEntry(ValueError):
    pass


def text_settings_update(actor: Staff, *, settings: TextSettings, data: dict[str, Any]) -> list[str]:
    """Change the settings row; returns the fields that changed (none: no write, no audit row)."""
    changes = {name: (getattr(settings, name), value) for name, value in data.items()}
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if not changes:
        return []
    with transaction.atomic():
        for name, (_old, new) in changes.items():
            setattr(settings, name, new)
        settings.save(update_fields=list(changes))
        audit_record(
            actor,
            action=AuditAction.TEXT_SETTINGS_UPDATE,
            detail={"fields": sorted(changes)},
            changes=changes,
        )
    return sorted(changes)


def text_settings_add(actor: Staff, *, section: str, data: dict[str, Any]) -> None:
    """Add an opening period, holiday, canned reply, blocked number or blocked word (cleaned data)."""
    if section not in ADDABLE:
        raise UnknownEntry(section)
    with transaction.atomic():
        if section == "keyword":
            BlockedKeyword.objects.get_or_create(
                keyword=data["keyword"].strip(), defaults={"created_by": actor}
            )
        elif section == "block":
            BlockedAddress.objects.update_or_create(
                address_hash=blocked_hash(data["address"]),
                defaults={"reason": data["reason"], "blocked_by": actor},
            )
        else:
            ADDABLE[section]._default_manager.create(**data)
        audit_record(actor, action=AuditAction(f"text_settings.add_{section}"))


def text_settings_remove(actor: Staff, *, section: str, pk: str) -> bool:
    """Remove one entry; False when there was none by that id."""
    if section not in REMOVABLE or not pk or len(pk) >= 40:
        raise UnknownEntry(section)
    with transaction.atomic():
        try:
            deleted = REMOVABLE[section]._default_manager.filter(pk=pk).delete()[0]
        except (ValueError, ValidationError) as exc:
            raise UnknownEntry(pk) from exc
        if deleted:
            audit_record(
                actor,
                action=AuditAction(f"text_settings.remove_{section}"),
                record_id=pk,
                record_type=section,
            )
    return bool(deleted)


def canned_reply_retire(actor: Staff, *, pk: str) -> bool:
    """A canned reply no longer offered to counsellors (kept: sent messages may quote it)."""
    if not pk or len(pk) >= 40:
        raise UnknownEntry(pk)
    with transaction.atomic():
        try:
            retired = CannedReply.objects.filter(pk=pk, is_active=True).update(is_active=False)
        except (ValueError, ValidationError) as exc:
            raise UnknownEntry(pk) from exc
        if retired:
            audit_record(
                actor,
                action=AuditAction.TEXT_SETTINGS_RETIRE_CANNED,
                record_type="canned_reply",
                record_id=pk,
            )
    return bool(retired)
