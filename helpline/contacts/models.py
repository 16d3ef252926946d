"""Contacts: every call, message thread, chat or visit, and the (pseudonymous) caller behind it.

The code lists a contact is coded with are data (Term), loaded from taxonomy_data.py and extended by
administrators; the fixed choices below drive behaviour (which kinds need no form, which urgency
jumps the queue) and so live in code.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from helpline.common.models import TimeStampedModel, UUIDModel


class Vocabulary(models.TextChoices):
    REASON = "reason", _("Reason for contact")
    CALLER_TYPE = "caller_type", _("Who is contacting")
    RELATIONSHIP = "relationship", _("Relationship to the child")
    GENDER = "gender", _("Gender")
    LIVING_SITUATION = "living_situation", _("Living situation")
    VULNERABLE_GROUP = "vulnerable_group", _("Vulnerable group")
    DISABILITY = "disability", _("Disability")
    REGION = "region", _("City, town or rural")
    PROVINCE = "province", _("Province")
    ACTION = "action", _("Action taken")
    SERVICE = "service", _("Referral service")


class Term(models.Model):
    """One entry of a code list. Reason categories have subcategories (parent); a local term
    names the CHI code it counts under, so the yearly CHI export stays possible."""

    vocabulary = models.CharField(max_length=32, choices=Vocabulary.choices)
    code = models.CharField(max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    label_en = models.CharField(_("English label"), max_length=200)
    label_km = models.CharField(_("Khmer label"), max_length=200)
    chi_code = models.CharField(_("CHI code"), max_length=64)
    is_local = models.BooleanField(_("local"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["vocabulary", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "code"], name="term_code_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_km if (get_language() or "km").startswith("km") else self.label_en


class Channel(models.TextChoices):
    VOICE = "voice", _("Phone call")
    SMS = "sms", _("SMS")
    WEBCHAT = "webchat", _("Web chat")
    WALK_IN = "walk_in", _("Walk-in")
    EMAIL = "email", _("Email")
    SOCIAL = "social", _("Social media")
    OTHER = "other", _("Other")


# Channels whose contacts come from a phone number: only there can a number be withheld. A walk-in,
# an email or a social-media message has none to hide.
PHONE_CHANNELS = frozenset({Channel.VOICE, Channel.SMS})


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Kind(models.TextChoices):
    COUNSELLING = "counselling", _("Counselling")
    INFORMATION = "information", _("Information")
    REFERRAL = "referral", _("Referral")
    SILENT = "silent", _("Silent")
    BLANK = "blank", _("Blank")
    HANG_UP = "hang_up", _("Hang-up")
    TESTING = "testing", _("Testing")
    PRANK = "prank", _("Joke or prank")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    ABUSIVE = "abusive", _("Abusive")
    COMPLAINT = "complaint", _("Complaint about the helpline")
    FEEDBACK = "feedback", _("Feedback")


# One click, no form: still counted, never dismissed (a silent caller may be gathering courage).
NON_DATA_KINDS = frozenset(
    {Kind.SILENT, Kind.BLANK, Kind.HANG_UP, Kind.TESTING, Kind.PRANK, Kind.WRONG_NUMBER, Kind.ABUSIVE}
)
DATA_KINDS = frozenset({Kind.COUNSELLING, Kind.INFORMATION, Kind.REFERRAL})
# Non-counselling contacts that feedback/ takes up as an item to answer; each counts under the CHI
# non-counselling reason it amounts to.
FEEDBACK_KINDS = frozenset({Kind.COMPLAINT, Kind.FEEDBACK})
NON_COUNSELLING_REASON = {
    Kind.COMPLAINT: "non_counselling.complaint",
    Kind.FEEDBACK: "non_counselling.thanks",
}


class Status(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("In progress")
    CLOSED = "closed", _("Closed")
    ABANDONED = "abandoned", _("Left before an answer")


class Urgency(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    URGENT = "urgent", _("Urgent")
    NON_CRITICAL = "non_critical", _("Non-critical")


# How far up the queue an urgency puts a contact: triage only ever raises it.
URGENCY_RANK = {"": 0, Urgency.NON_CRITICAL: 1, Urgency.URGENT: 2, Urgency.CRITICAL: 3}


class Language(models.TextChoices):
    KHMER = "km", _("Khmer")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other language")


class AddressScheme(models.TextChoices):
    TEL = "tel", _("Phone")
    WEBCHAT = "webchat", _("Web chat")
    EMAIL = "email", _("Email")
    OTHER = "other", _("Other")


class Caller(TimeStampedModel):
    """A channel address seen before, known only by a keyed hash. The address itself is stored
    encrypted and shown only to roles that need it, each reveal audited with its reason."""

    address_hash = models.CharField(max_length=64, unique=True)
    address_encrypted = models.TextField()
    scheme = models.CharField(max_length=16, choices=AddressScheme.choices)
    # Safe-contact instructions, e.g. "never call back: the phone is shared with the father".
    safety_note = models.TextField(_("safety note"), blank=True)

    def __str__(self) -> str:
        return f"caller {str(self.pk)[:8]}"


class Contact(TimeStampedModel):
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, default=Direction.INBOUND
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, blank=True)

    caller = models.ForeignKey(
        Caller, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    caller_withheld = models.BooleanField(_("number withheld"), default=False)

    arrived_at = models.DateTimeField(_("arrived"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("wait (seconds)"), null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)

    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("counsellor"),
    )
    handlers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="handled_contacts")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.KHMER)

    caller_type = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    relationship = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    gender = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MaxValueValidator(25)]
    )
    age_over_25 = models.BooleanField(_("over 25"), default=False)
    province = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    region = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    living_situation = models.ForeignKey(
        Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disability = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    vulnerable_groups = models.ManyToManyField(Term, blank=True, related_name="+")
    reasons = models.ManyToManyField(Term, blank=True, related_name="reason_contacts")
    actions = models.ManyToManyField(Term, blank=True, related_name="+")
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    # Lower-cased words of the summary, Khmer segmented, space-separated with spaces at both ends,
    # so that a search for one word matches whole words inside a sentence.
    search_text = models.TextField(blank=True, editable=False)

    # A retried submission (double click, network retry, integration replay) carries the same key.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-arrived_at", "-id"]
        indexes = [
            models.Index(fields=["caller", "-arrived_at"], name="contact_caller_arrived"),
            models.Index(fields=["-arrived_at", "-id"], name="contact_arrived"),
            models.Index(fields=["channel", "-arrived_at"], name="contact_channel_arrived"),
            models.Index(fields=["kind", "-arrived_at"], name="contact_kind_arrived"),
            models.Index(fields=["counsellor", "-arrived_at"], name="contact_counsellor_arrived"),
            models.Index(fields=["province", "-arrived_at"], name="contact_province_arrived"),
            models.Index(fields=["urgency", "-arrived_at"], name="contact_urgency_arrived"),
            models.Index(fields=["counsellor", "status"], name="contact_counsellor_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(kind=""), name="closed_contact_has_kind"
            ),
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__lte=25), name="contact_age_at_most_25"
            ),
            models.CheckConstraint(
                condition=~(Q(age__isnull=False) & Q(age_over_25=True)), name="contact_age_or_over_25"
            ),
        ]

    def __str__(self) -> str:
        return f"contact {self.short_id}"

    @property
    def short_id(self) -> str:
        return str(self.pk)[:8].upper()

    @property
    def is_non_data(self) -> bool:
        return self.kind in NON_DATA_KINDS


class ContactDraft(UUIDModel):
    """The form in progress, saved as the counsellor types, so a reload or a dropped connection
    loses nothing. Applied to the contact (and deleted) when the counsellor saves."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="draft")
    data = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(auto_now=True)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"draft of {self.contact_id}"


class ContactTransfer(UUIDModel):
    """A contact handed on: to a colleague, or back to the queue (`to` empty), by its holder or a
    supervisor, with the reason shown to whoever answers it next. Kept with the contact (the audit
    row names this record and who moved it, never the reason: the trail outlives the contact)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="transfers")
    from_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["contact", "-at"], name="contact_transfer_latest")]

    def __str__(self) -> str:
        return f"transfer of {self.contact_id}"
