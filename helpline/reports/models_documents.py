"""Generated report documents: a monthly or annual PDF, or the CHI yearly figures for publication
(CSV), asked for on the dashboard, built in the background (tasks.py) and kept so it can be
downloaded. Aggregates only: nothing in a document identifies a contact; one marked for publication
went through suppression.suppress."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpline.common import queues
from helpline.common.models import TimeStampedModel
from helpline.common.task_recovery import worker_alive


class DocumentKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly report")
    ANNUAL = "annual", _("Annual report")
    # Suppressing every section takes half a minute on a year's figures: too long for a request.
    CHI = "chi", _("CHI yearly figures for publication")


PDF_KINDS = (DocumentKind.MONTHLY, DocumentKind.ANNUAL)
CSV = "text/csv; charset=utf-8"


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Could not be prepared")


# A build moves its bar every few seconds (tasks.py stamps updated_at with each step). Unmoved this
# long, it waits for a worker: one killed mid-build is found lost and the build run again within
# about 40 seconds (helpline.common.task_recovery), and the page says so meanwhile.
STILL_AFTER = dt.timedelta(seconds=20)


class ReportDocument(TimeStampedModel):
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    language = models.CharField(max_length=8)
    publication = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, for the page's progress bar
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(default=b"", editable=False)  # the built file, of any kind (content_type)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="report_document_requester")]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period_start}..{self.period_end} ({self.status})"

    @property
    def standing_still(self) -> bool:
        """Not finished, and neither started nor moved on for STILL_AFTER."""
        unfinished = self.status in (DocumentStatus.QUEUED, DocumentStatus.RUNNING)
        return unfinished and self.updated_at < timezone.now() - STILL_AFTER

    @property
    def no_builder(self) -> bool:
        """Standing still with no worker for report builds beating: it will not move until IT
        starts one (helpline/common/queues.py; a deployment upgraded without the report worker)."""
        return self.standing_still and not worker_alive(queues.REPORTS)

    @property
    def is_pdf(self) -> bool:
        return self.kind in PDF_KINDS

    @property
    def content_type(self) -> str:
        return "application/pdf" if self.is_pdf else CSV

    @property
    def filename(self) -> str:
        if self.kind == DocumentKind.CHI:  # named as the API names the same file
            return f"chi-{self.period_start.year}-publication.csv"
        label = (
            self.period_start.strftime("%Y-%m")
            if self.kind == DocumentKind.MONTHLY
            else str(self.period_start.year)
        )
        suffix = "-publication" if self.publication else ""
        return f"helpline-report-{label}-{self.language}{suffix}.pdf"
