"""Routing: counsellors' presence and capacity, offers of waiting contacts, and risk triage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from helpline.common.models import TimeStampedModel
from helpline.contacts.models import Contact


class PresenceState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Presence(models.Model):
    staff = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence")
    state = models.CharField(max_length=16, choices=PresenceState.choices, default=PresenceState.OFFLINE)
    since = models.DateTimeField()
    # How much one counsellor holds at once: one call, or a few text conversations.
    voice_capacity = models.PositiveSmallIntegerField(_("calls at once"), default=1)
    text_capacity = models.PositiveSmallIntegerField(_("text conversations at once"), default=3)

    def __str__(self) -> str:
        return f"{self.staff_id} {self.state}"


class Offer(models.Model):
    """A waiting contact offered to one counsellor until they accept or the offer runs out."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="offer")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"offer of {self.contact_id} to {self.staff_id}"


class RiskSignal(TimeStampedModel):
    """A sign that a child may be at risk, with the words that show it, maintained by supervisors.
    Phrases are matched as whole (segmented) words, in Khmer and English."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label_en = models.CharField(_("English label"), max_length=120)
    label_km = models.CharField(_("Khmer label"), max_length=120)
    phrases_km = models.TextField(_("Khmer words and phrases, one a line"), blank=True)
    phrases_en = models.TextField(_("English words and phrases, one a line"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-weight", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return self.label_km if (get_language() or "km").startswith("km") else self.label_en


class Triage(models.Model):
    """The risk score of a contact and what produced it: shown to the counsellor, never hidden."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="triage")
    score = models.PositiveIntegerField(default=0, db_index=True)
    signals = models.ManyToManyField(RiskSignal, blank=True, related_name="+")
    matched = models.JSONField(default=list, blank=True)  # the phrases that matched, for display
    scored_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"triage {self.contact_id}: {self.score}"


class RoutingSettings(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    offer_seconds = models.PositiveSmallIntegerField(_("seconds to accept an offer"), default=30)
    high_risk_score = models.PositiveSmallIntegerField(_("score that marks a contact urgent"), default=10)
    critical_risk_score = models.PositiveSmallIntegerField(
        _("score that marks a contact critical"), default=20
    )

    def __str__(self) -> str:
        return "routing settings"
