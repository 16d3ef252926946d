"""Base models shared by every app."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


@cache
def _labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    """A field's choices as value -> (lazy) label, built once per field: choices are fixed in code."""
    return {make_hashable(value): label for value, label in field.flatchoices}


class UUIDModel(models.Model):
    """Primary keys are random UUIDs so that ids in URLs and exports reveal no counts or order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:
        # Django's own rebuilds a dictionary of every choice on each call, hashing each lazy label
        # (a translation lookup apiece): a case page shows a hundred-odd labels.
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)


class TimeStampedModel(UUIDModel):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class LiveEvent(models.Model):
    """A live push made in a process without sockets (the task worker, the scheduler, a command)
    while there is no Redis: the server process reads it, hands it to its own channel layer and
    deletes it (helpline.common.live_relay). Rows a server never took are pruned by age."""

    id = models.BigAutoField(primary_key=True)
    group = models.CharField(max_length=200)
    event = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"live event {self.pk} for {self.group}"


class WorkerBeat(models.Model):
    """A background worker that is alive says so every few seconds; a task left 'running' by a
    worker whose beat stopped was cut off (killed, power lost) and is recovered by the scheduler."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    # What it serves, as given to --queue-name ("*": every queue): the sending warning asks whether
    # a worker for replies is alive, not any worker (helpline/common/queues.py).
    queues = models.CharField(max_length=200, default="*")
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} (seen {self.seen_at:%H:%M:%S})"
