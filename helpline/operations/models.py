"""Operations: the scheduler's leases, one row per periodic job."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class RetentionPolicy(models.Model):
    """One row (id=1): how long each kind of record keeps its personal data. Retention erases
    (helpline.operations.retention): the personal fields go, the coded rows stay and still count."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    non_data_contact_days = models.PositiveIntegerField(
        _("silent, hang-up, prank and other non-data contacts"), default=730
    )
    contact_days = models.PositiveIntegerField(_("recorded contacts outside a case"), default=7 * 365)
    closed_case_days = models.PositiveIntegerField(_("closed cases, counted from closing"), default=7 * 365)
    message_text_days = models.PositiveIntegerField(_("text of SMS and chat messages"), default=90)
    feedback_days = models.PositiveIntegerField(
        _("feedback and complaints, counted from closing"), default=3 * 365
    )
    audit_days = models.PositiveIntegerField(_("audit trail"), default=10 * 365)
    enabled = models.BooleanField(_("run retention every night"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return "retention policy"


class RetentionRun(models.Model):
    """What one run erased: counts only."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    contacts = models.PositiveIntegerField(default=0)
    cases = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    feedback = models.PositiveIntegerField(default=0)
    held_cases = models.PositiveIntegerField(default=0)  # past their time, kept by a legal hold
    audit_events = models.PositiveBigIntegerField(default=0)  # removed at a checkpoint (helpline.audit)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"retention run {self.started_at:%Y-%m-%d %H:%M}"
