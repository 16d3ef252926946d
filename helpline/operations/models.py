"""Operations: the scheduler's leases, one row per periodic job."""

from __future__ import annotations

from django.db import models


class JobLease(models.Model):
    """Which scheduler process runs a periodic job, until when. The holder renews it each tick; when
    it stops renewing (the process died or hangs), another process takes the job over once
    `expires_at` has passed. So with several scheduler processes each tick runs once."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    ran_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'}"
