"""The audit trail: append-only, each row hash-chained to the one before.

Rows are never updated or deleted: the model and its queryset refuse, and the database refuses
too (a trigger, see the migrations). The chain head row serialises writers so that two concurrent
transactions cannot both extend the same link.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        "accounts.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who acted, as text: a username, "token:<name>" for an API token, or "anonymous".
    actor_label = models.CharField(_("actor"), max_length=120)
    role = models.CharField(_("role"), max_length=32, blank=True)
    # An AuditAction value (no choices on the column: a new kind needs no migration).
    action = models.CharField(_("action"), max_length=64, db_index=True)
    record_type = models.CharField(_("record type"), max_length=64, blank=True, db_index=True)
    record_id = models.CharField(_("record id"), max_length=64, blank=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    client_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # Small structured facts (a path, a filter). Never client content or secrets.
    detail = models.JSONField(default=dict, blank=True)
    # What a change changed: {field: [old, new]}. None on reads and on rows written before it existed
    # (the hash covers it only when present, so those rows still verify).
    changes = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["actor", "at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted")

    def payload(self) -> str:
        fields: list[Any] = [
            self.seq,
            self.at.isoformat(),
            str(self.actor_id or ""),
            self.actor_label,
            self.role,
            self.action,
            self.record_type,
            self.record_id,
            self.reason,
            self.client_ip or "",
            self.detail,
        ]
        if self.changes:
            fields.append(self.changes)
        return json.dumps(
            fields,
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.payload()).encode()).hexdigest()


class AuditChainHead(models.Model):
    """A single row (id=1): the last link. Locked by every writer for the length of its write."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain head at {self.last_seq}"


class AuditCheckpoint(models.Model):
    """Where the oldest events were removed once the audit trail's retention ran out: the last
    removed event's number and hash. The first kept event links to that hash, so the rest of the
    chain still verifies from here; and an `audit.checkpoint` event written in the chain right after
    records the same two values, so a checkpoint row changed afterwards is caught too. Rows are
    never changed (a database trigger refuses); the database lets an event be deleted only at or
    below the latest checkpoint."""

    seq = models.PositiveBigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    removed = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"audit checkpoint at {self.seq}"
