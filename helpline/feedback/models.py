"""Feedback and complaints from children, families and the public, and the short survey after a
chat or SMS conversation. Written only by this app's services (services.py, survey.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.common.actors import actor_name
from helpline.common.models import TimeStampedModel, UUIDModel

STAFF = settings.AUTH_USER_MODEL


class FeedbackKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    FEEDBACK = "feedback", _("Feedback")


class Source(models.TextChoices):
    CONTACT = "contact", _("A contact")
    SMS = "sms", _("SMS keyword")
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("Web form")
    STAFF = "staff", _("Entered by staff")
    API = "api", _("An integration")


class Subject(models.TextChoices):
    HELPLINE = "helpline", _("The helpline")
    STAFF = "staff", _("A staff member")
    PARTNER = "partner", _("A partner organisation")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")


OPEN_STATES = frozenset({State.RECEIVED, State.ACKNOWLEDGED, State.INVESTIGATING})


class ReplyChannel(models.TextChoices):
    NONE = "", _("No reply wanted")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class FeedbackSettings(models.Model):
    """One row: the due dates and the SMS keywords, kept by supervisors and administrators."""

    acknowledge_days = models.PositiveSmallIntegerField(_("acknowledge within (days)"), default=2)
    respond_days = models.PositiveSmallIntegerField(_("respond within (days)"), default=14)
    sms_keywords = models.CharField(
        _("SMS keywords (Khmer and English, separated by spaces)"),
        max_length=300,
        default="មតិ ត្អូញត្អែរ FEEDBACK COMPLAINT",
    )
    survey_enabled = models.BooleanField(_("ask the short survey after a chat or SMS"), default=False)
    survey_helpful = models.BooleanField(_("ask: was it helpful?"), default=True)
    survey_heard = models.BooleanField(_("ask: did you feel heard?"), default=True)
    survey_again = models.BooleanField(_("ask: would you contact us again?"), default=True)

    def __str__(self) -> str:
        return "feedback settings"


class Feedback(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=FeedbackKind.choices)
    source = models.CharField(_("came in by"), max_length=16, choices=Source.choices)
    subject = models.CharField(_("about"), max_length=16, choices=Subject.choices, default=Subject.HELPLINE)
    subject_staff = models.ForeignKey(
        STAFF,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    subject_partner = models.ForeignKey(
        "referrals.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
    )
    # What the person said it is about, in their words (the public form), until staff name it.
    subject_words = models.CharField(_("about (in their words)"), max_length=200, blank=True)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED)
    owner = models.ForeignKey(
        STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    text = models.TextField(_("what was said"))
    language = models.CharField(_("language"), max_length=8, default="km")
    name = models.CharField(_("name given"), max_length=100, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reply_channel = models.CharField(
        _("reply by"), max_length=8, choices=ReplyChannel.choices, blank=True, default=ReplyChannel.NONE
    )
    reply_address_encrypted = models.TextField(blank=True)  # an email address, encrypted
    # Its keyed hash (lower-cased, feedback/addresses.py): a data request finds the item by it.
    reply_address_hash = models.CharField(max_length=64, blank=True, default="")
    email_message_id = models.CharField(max_length=250, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(_("received"))
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    respond_by = models.DateTimeField(_("respond by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    response = models.TextField(_("response given"), blank=True)
    reply_sent_at = models.DateTimeField(null=True, blank=True)
    reply_error = models.CharField(max_length=200, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    partner_concern = models.ForeignKey(
        "referrals.PartnerConcern", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The risk triage of what a person wrote themselves (routing's score_text, as chat and SMS
    # get): at the urgent score the item is marked, listed first while open, and its severity high.
    shows_risk = models.BooleanField(_("shows risk"), default=False)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    # Which signals and words, and the classifier's reading: {"signals": {code: points},
    # "matched": [phrases], "model": {...}}. Blanked with the text on erasure.
    risk_explanation = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Set when retention or the person's erasure request blanked what they wrote (feedback/erasure.py);
    # kind, source, subject, severity, state and the times stay, so the figures do not move.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "respond_by"], name="feedback_state_due"),
            models.Index(fields=["-received_at", "-id"], name="feedback_received"),
            models.Index(fields=["reply_address_hash"], name="feedback_reply_hash"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(source="contact"), name="feedback_one_per_contact"
            ),
            models.CheckConstraint(
                condition=~Q(state="responded") | ~Q(response="") | Q(erased_at__isnull=False),
                name="feedback_complaint_response_given",
            ),
        ]

    def __str__(self) -> str:
        return f"feedback {self.short_id}"

    @property
    def short_id(self) -> str:
        return str(self.pk)[:8].upper()


class FeedbackEvent(UUIDModel):
    """One step of an item's history: received, a change, a state reached, a reply sent."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=64, blank=True)  # "scheduler", "web form", "sms"
    state = models.CharField(max_length=16, choices=State.choices, blank=True)
    # A step the system itself describes stores a line code and its parameters (codes, names),
    # made into a sentence in the reader's language when read (helpline.feedback.history);
    # `note` holds only what a person typed, shown as typed.
    line = models.CharField(max_length=32, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def actor_name(self) -> str:
        """Who took the step, in the reader's language: the staff member, or the way the item came
        or the part of the system that acted (stored as a plain word so old rows keep reading)."""
        return actor_name(self.actor, self.actor_label)

    @property
    def shown_note(self) -> str:
        """What the step says, in the reader's language: the system's line made now, or what a
        person typed (or an older step's stored text), as stored."""
        from helpline.feedback.history import event_note  # deferred: history.py reads this module's enums

        return event_note(self.line, self.detail or {}, self.note)


class Question(models.TextChoices):
    HELPFUL = "helpful", _("Was it helpful?")
    HEARD = "heard", _("Did you feel heard?")
    AGAIN = "again", _("Would you contact us again?")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    SOMEWHAT = "somewhat", _("A little")
    NO = "no", _("No")


class SurveyInvite(UUIDModel):
    """The survey link sent after a conversation closed, or why none was sent."""

    contact = models.OneToOneField("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    decided_at = models.DateTimeField()
    sent = models.BooleanField(default=False)
    skipped_because = models.CharField(max_length=32, blank=True)  # "safety_note", "no_conversation"
    language = models.CharField(max_length=8, default="km")
    questions = models.CharField(max_length=40, default="helpful heard again")


class SurveyAnswer(UUIDModel):
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    question = models.CharField(max_length=16, choices=Question.choices)
    answer = models.CharField(max_length=16, choices=Answer.choices)
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "question"], name="survey_one_answer_per_question")
        ]
