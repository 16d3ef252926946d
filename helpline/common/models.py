"""Base models shared by every app."""

from __future__ import annotations

import uuid

from django.db import models


class UUIDModel(models.Model):
    """Primary keys are random UUIDs so that ids in URLs and exports reveal no counts or order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimeStampedModel(UUIDModel):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
