"""People: the quality review of contacts (a configurable rubric, scores, a comment the counsellor
reads) and debriefs after distressing contacts (what was said stays between the two people in it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from helpline.common.models import TimeStampedModel
from helpline.contacts.models import Contact

SCORE_MIN, SCORE_MAX = 1, 5


class Criterion(models.Model):
    """A line of the review rubric. The defaults (listening, safety assessment, information
    accuracy, recording quality) come with the first migration; supervisors may add or retire."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_en = models.CharField(_("English label"), max_length=200)
    label_km = models.CharField(_("Khmer label"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_km if (get_language() or "").startswith("km") and self.label_km else self.label_en


class ReviewHow(models.TextChoices):
    RANDOM = "random", _("Random sample")
    CHOSEN = "chosen", _("Chosen")


class Review(TimeStampedModel):
    """One contact, reviewed once. Unscored, it waits on the reviewer's list; scored, its comment
    and scores are the counsellor's to read."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="review")
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    how = models.CharField(max_length=16, choices=ReviewHow.choices)
    comment = models.TextField(_("comment for the counsellor"), blank=True)
    scored_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(
                condition=models.Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX), name="score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"


class Distressing(TimeStampedModel):
    """A counsellor found a contact they answered distressing (one click on the console). It says
    something about the counsellor, not the contact, so it lives here pointing at the contact (the
    contacts app alone writes contacts) and is the counsellor's own: a debrief asked for from it
    names the contact; supervisors see the mark only on a debrief request."""

    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["counsellor", "contact"], name="one_distressing_mark_per_person")
        ]


class Debrief(TimeStampedModel):
    """A counsellor asks for a debrief (after a distressing contact, or any time); a supervisor
    holds it and records that it happened. `reason` and `notes` are read by the counsellor and the
    supervisor who held it only; everyone else who may see the list sees that one happened."""

    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debriefs"
    )
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.TextField(_("what you would like to talk about"), blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at"]
