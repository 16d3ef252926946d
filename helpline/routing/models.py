"""Routing: counsellors' presence and capacity, offers of waiting contacts, and risk triage."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from helpline.common.models import TimeStampedModel, UUIDModel
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
    # How many offers ran out unanswered when routing set them Away (0: they chose their presence
    # themselves): the console says why they are Away until they choose again.
    missed_offers = models.PositiveSmallIntegerField(default=0)

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


class DeclinedOffer(models.Model):
    """A counsellor declined (or let run out) an offer of this contact: for a while it is offered to
    someone else. Kept in the database so every process that routes knows it, and a restart does not
    forget it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    declined_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "staff"], name="one_decline_per_counsellor")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} declined {self.contact_id}"


PHRASE_HELP = _('One a line. "phrase = 5" gives that phrase its own weight instead of the signal\'s.')


class RiskSignal(TimeStampedModel):
    """A sign that a child may be at risk, with the words that show it, maintained by supervisors.
    Matched in normal form (helpline.routing.matching): Khmer as substrings, short Khmer and Latin
    letters as whole words, pronoun variants included, exclusions blanked out first."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label_en = models.CharField(_("English label"), max_length=120)
    label_km = models.CharField(_("Khmer label"), max_length=120)
    phrases_km = models.TextField(_("Khmer words and phrases, one a line"), blank=True, help_text=PHRASE_HELP)
    phrases_en = models.TextField(
        _("English words and Khmer in Latin letters, one a line"), blank=True, help_text=PHRASE_HELP
    )
    exclusions = models.TextField(
        _("Exclusions, one a line"),
        blank=True,
        help_text=_("Idioms and everyday words that contain a phrase but mean something else (សើចចង់ស្លាប់)."),
    )
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    is_active = models.BooleanField(_("active"), default=True)
    # The digest of the words as shipped (default_signals.py): while the row still matches it, no
    # supervisor has edited it and a release may improve it; empty for a supervisor's own signal.
    shipped_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-weight", "code"]
        # Named in the reader's language: the form's "already exists" message starts with it.
        verbose_name = _("risk signal")
        verbose_name_plural = _("risk signals")

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
    # What each scorer added, to explain the score and to add only what is new: {"signals": {code:
    # points}, "model": {"points", "probability", "topic", "words", "nearest"}}.
    explanation = models.JSONField(default=dict, blank=True)
    scored_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"triage {self.contact_id}: {self.score}"

    @property
    def model_part(self) -> dict[str, Any]:
        found = (self.explanation or {}).get("model") or {}
        return found if isinstance(found, dict) else {}


class TriageVerdict(models.TextChoices):
    TOO_HIGH = "too_high", _("Risk set too high")
    TOO_LOW = "too_low", _("Risk set too low")


class TriageMark(UUIDModel):
    """A counsellor's word that a contact's triage was wrong: counted for supervisors, and with a
    supervisor's approval exported (with the child's words) as a labelled example for the corpus."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="triage_marks")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=16, choices=TriageVerdict.choices)
    score = models.PositiveIntegerField(default=0)  # the score as it was when marked
    marked_at = models.DateTimeField()
    text_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text_approved_at = models.DateTimeField(null=True, blank=True)
    # A supervisor who read the words and kept them out of the corpus: said, so the mark no longer
    # waits for a decision (approving later clears it, as refusing clears an approval).
    text_refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text_refused_at = models.DateTimeField(null=True, blank=True)
    # Written by the supervisor who approves the words, for the corpus line (README: `gloss`, what
    # the words say in English; `topic`, one of corpus.TOPICS, chosen where triage named none of
    # them; `lang`, one of corpus.LANGS, offered as guessed from the letters, which cannot tell
    # Khmer typed in Latin letters from English; blank on marks approved before it was asked, whose
    # line takes the guess). Editable while approved; the gloss is blanked with the words when they
    # are erased, the topic and language stay: they name a kind of message, not what it says.
    gloss = models.CharField(_("English gloss"), max_length=1000, blank=True)
    topic = models.CharField(_("topic"), max_length=32, blank=True)
    lang = models.CharField(_("language"), max_length=8, blank=True)

    class Meta:
        ordering = ["-marked_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "staff"], name="triage_mark_once_per_counsellor")
        ]

    def __str__(self) -> str:
        return f"{self.verdict} on {self.contact_id}"


class RoutingSettings(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    offer_seconds = models.PositiveSmallIntegerField(_("seconds to accept an offer"), default=30)
    high_risk_score = models.PositiveSmallIntegerField(_("score that marks a contact urgent"), default=10)
    critical_risk_score = models.PositiveSmallIntegerField(
        _("score that marks a contact critical"), default=20
    )

    def __str__(self) -> str:
        return "routing settings"
