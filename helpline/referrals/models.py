"""The referral network: partner organisations, their assessment and monitoring, concerns about
them, and the referrals a case sends them.

Only helpline.referrals services write these rows. A referral's life is a row per change
(ReferralEvent) beside the referral's current status; each change also lands on the case
timeline through a cases service. A partner never has an account: it reaches one referral through
a signed link whose id is a ReferralToken row (revocable, expiring, audited by that id)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from helpline.cases.models import AppendOnly
from helpline.common.models import TimeStampedModel, UUIDModel

STAFF = settings.AUTH_USER_MODEL


# --- The directory ---------------------------------------------------------------------------


class Assessment(models.TextChoices):
    """Where the partnership stands after the latest assessment (kept on the partner for filtering;
    the assessments themselves are PartnerAssessment rows)."""

    NOT_ASSESSED = "not_assessed", _("Not yet assessed")
    APPROVED = "approved", _("Approved")
    APPROVED_WITH_CONDITIONS = "conditional", _("Approved with conditions")
    NOT_APPROVED = "not_approved", _("Not approved")


# An approved assessment lets a partner receive referrals; any other outcome does not.
REFERRABLE_ASSESSMENTS = frozenset({Assessment.APPROVED, Assessment.APPROVED_WITH_CONDITIONS})


class PartnerLanguage(models.TextChoices):
    """The language a partner reads what the helpline sends it in: its referral page opens in it
    (and names what a referral shares in it; the page's switch names them in the other)."""

    KHMER = "km", _("Khmer")
    ENGLISH = "en", _("English")


class Partner(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    name_km = models.CharField(_("name in Khmer"), max_length=200, blank=True)
    description = models.TextField(_("what they do"), blank=True)
    # Services are the "service" code list (helpline.contacts Term rows), extendable like the
    # contact taxonomy; provinces and genders are the contact code lists of those names.
    services = models.ManyToManyField("contacts.Term", related_name="+", verbose_name=_("services"))
    provinces = models.ManyToManyField(
        "contacts.Term", related_name="+", blank=True, verbose_name=_("provinces served")
    )
    districts = models.TextField(_("districts served"), blank=True)  # free text: district names
    genders = models.ManyToManyField(
        "contacts.Term", related_name="+", blank=True, verbose_name=_("genders served")
    )  # none chosen: every gender
    min_age = models.PositiveSmallIntegerField(
        _("youngest age served"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    max_age = models.PositiveSmallIntegerField(
        _("oldest age served"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    languages = models.CharField(_("languages"), max_length=200, blank=True)  # "Khmer, English"
    language = models.CharField(
        _("reads our referrals in"),
        max_length=2,
        choices=PartnerLanguage.choices,
        default=PartnerLanguage.KHMER,
    )
    opening_hours = models.CharField(_("opening hours"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)  # E.164
    email = models.EmailField(_("email"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    emergency = models.BooleanField(_("takes emergencies"), default=False)

    assessment = models.CharField(
        _("assessment"), max_length=16, choices=Assessment.choices, default=Assessment.NOT_ASSESSED
    )
    # A current suspension (after a serious concern). Lifting it clears this; the history stays in
    # PartnerSuspension rows.
    suspension = models.OneToOneField(
        "PartnerSuspension", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    monitoring_every_days = models.PositiveSmallIntegerField(
        _("monitoring visit every (days)"), default=180, validators=[MinValueValidator(7)]
    )
    is_active = models.BooleanField(_("in the directory"), default=True)  # False: partnership ended
    # Normalised names, services and places (helpline.common.text) for search in either language.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "assessment"], name="partner_active_assessment")]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=models.F("max_age")),
                name="partner_age_range",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_km and (get_language() or "km").startswith("km"):
            return self.name_km
        return self.name

    @property
    def may_receive(self) -> bool:
        """Whether a referral may be sent now: the one rule, eligibility.partner_refusal."""
        from helpline.referrals.eligibility import partner_refusal  # deferred: it imports this module

        return not partner_refusal(self)


class PartnerAssessment(AppendOnly, UUIDModel):
    """One assessment before (or during) the partnership. The newest decides `Partner.assessment`."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("date"))
    assessor = models.ForeignKey(
        STAFF, on_delete=models.PROTECT, related_name="+", verbose_name=_("assessor")
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=[c for c in Assessment.choices if c[0] != Assessment.NOT_ASSESSED],
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_on", "-recorded_at"]


class PartnerDocument(UUIDModel):
    """A stored file about a partner (an MOU, an assessment form). Size and type are checked by the
    service before the file is stored; the digest lets a restored copy be verified."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="documents")
    assessment = models.ForeignKey(
        PartnerAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    file = models.FileField(upload_to="partners/%Y/%m/")
    title = models.CharField(_("title"), max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title


class MonitoringVisit(TimeStampedModel):
    """A monitoring visit, planned (due_on) and then done (done_on). The scheduler reminds the
    owner (and supervisors) when one falls due undone."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="visits")
    due_on = models.DateField(_("due"))
    owner = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+", verbose_name=_("who visits"))
    done_on = models.DateField(_("visited on"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="visit_undone_due")]


class ConcernSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    SERIOUS = "serious", _("Serious")  # suspends referrals to the partner at once


class ConcernSource(models.TextChoices):
    CHILD = "child", _("A child or young person")
    STAFF = "staff", _("Helpline staff")
    FAMILY = "family", _("A family member")
    OTHER = "other", _("Someone else")


class PartnerConcern(AppendOnly, UUIDModel):
    """Concerning feedback about a partner. Never edited; what was done about it is a suspension
    or a later concern's note."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="concerns")
    source = models.CharField(_("from"), max_length=16, choices=ConcernSource.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=ConcernSeverity.choices)
    description = models.TextField(_("what was reported"))
    referral = models.ForeignKey(
        "Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="concerns"
    )
    reported_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["-reported_at"]


class PartnerSuspension(UUIDModel):
    """Referrals to the partner stop from `started_at` until a supervisor lifts it with a reason."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="suspensions")
    concern = models.ForeignKey(
        PartnerConcern, on_delete=models.PROTECT, null=True, blank=True, related_name="suspensions"
    )
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lift_reason = models.TextField(_("why the suspension is lifted"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | ~Q(lift_reason=""), name="suspension_lift_says_why"
            )
        ]


class PartnerImport(UUIDModel):
    """A directory upload read and checked, waiting for its uploader to confirm it: the rows that
    would go in and, line by line, those refused and why. Kept here between the two steps so the
    file is not sent twice; confirming it within IMPORT_VALID writes the good rows, once."""

    uploaded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    file_name = models.CharField(max_length=255)
    accepted = models.JSONField(default=list)  # [{"line": 2, "name": ..., fields...}]
    refused = models.JSONField(default=list)  # [{"line": 3, "name": ..., "reasons": [...]}]
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.file_name


# --- Referrals -------------------------------------------------------------------------------


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    DELIVERED = "delivered", _("Service delivered")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")


# The lifecycle: from each status, where a referral may go. The partner acknowledges, accepts or
# declines, and marks the service delivered; the helpline sends, closes, and the scheduler expires
# a referral nobody answered. A jump (sent → delivered) is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.DRAFT: frozenset({ReferralStatus.SENT, ReferralStatus.CLOSED}),
    ReferralStatus.SENT: frozenset(
        {
            ReferralStatus.ACKNOWLEDGED,
            ReferralStatus.ACCEPTED,
            ReferralStatus.DECLINED,
            ReferralStatus.EXPIRED,
            ReferralStatus.CLOSED,
        }
    ),
    ReferralStatus.ACKNOWLEDGED: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.EXPIRED, ReferralStatus.CLOSED}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.DELIVERED, ReferralStatus.CLOSED}),
    ReferralStatus.DECLINED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.DELIVERED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.EXPIRED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.CLOSED: frozenset(),
}
# Statuses in which the partner is still expected to act: the only ones a partner link opens and
# the only ones a link is issued (or sent again) for.
OPEN_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED})
# Statuses that end the partner's part: reaching one revokes the referral's links.
LINKS_END_AT = frozenset({ReferralStatus.CLOSED, ReferralStatus.EXPIRED})
# What the partner may do through its link, from which status.
PARTNER_MOVES = frozenset(
    {ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.DELIVERED}
)


def overdue_q(now: dt.datetime) -> Q:
    """The one statement of "overdue": sent, and not acknowledged by its deadline."""
    return Q(status=ReferralStatus.SENT, acknowledge_by__lte=now)


class ReferralUrgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


class Consent(models.TextChoices):
    GIVEN = "given", _("The child agreed")
    NOT_GIVEN = "not_given", _("Without the child's agreement (a confidentiality break)")


class ReferralNumber(models.Model):
    """The last referral number given out in a year (R-2026-00017), incremented under its lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Referral(TimeStampedModel):
    number = models.CharField(_("referral number"), max_length=16, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(
        "contacts.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=ReferralUrgency.choices, default=ReferralUrgency.ROUTINE
    )
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)

    # What the partner sees: the fields the counsellor chose (keys of helpline.referrals.sharing),
    # frozen as they were when the referral was sent, so a later change to the case never leaks.
    shared_fields = models.JSONField(default=list, blank=True)
    shared = models.JSONField(default=dict, blank=True)
    request = models.TextField(_("what the partner is asked to do"))

    consent = models.CharField(_("consent"), max_length=16, choices=Consent.choices)
    consent_note = models.TextField(_("how consent was given"), blank=True)
    # Without consent the referral is a disclosure: the break that records it is required.
    confidentiality_break = models.ForeignKey(
        "cases.ConfidentialityBreak",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )

    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledge_by = models.DateTimeField(null=True, blank=True)  # working-time deadline from sent_at
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("why the partner declined"), blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.TextField(_("why the referral was closed"), blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)  # the scheduler raised the alarm

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "acknowledge_by"], name="referral_status_ack_by"),
            models.Index(fields=["case", "-created_at"], name="referral_case_created"),
            models.Index(fields=["partner", "status"], name="referral_partner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent="given") | Q(confidentiality_break__isnull=False),
                name="referral_without_consent_names_break",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        """overdue_q, for one referral in hand."""
        return (
            self.status == ReferralStatus.SENT
            and self.acknowledge_by is not None
            and self.acknowledge_by <= timezone.now()
        )

    @property
    def awaits_partner(self) -> bool:
        """Whether the partner is still expected to act (and so may be sent a link)."""
        return self.status in OPEN_STATUSES


class ReferralEventKind(models.TextChoices):
    CREATED = "created", _("Drafted")
    STATUS = "status", _("Status changed")
    NOTE = "note", _("Note")
    LINK_SENT = "link_sent", _("Link sent to the partner")
    LINK_REVOKED = "link_revoked", _("Link revoked")
    VIEWED = "viewed", _("Opened by the partner")
    ALERTED = "alerted", _("Not acknowledged in time")
    SEND_FAILED = "send_failed", _("The link could not be sent")
    SUSPENDED = "suspended", _("Partner suspended: its links are held")
    RESUMED = "resumed", _("Suspension lifted: its links work again")


class ReferralEvent(AppendOnly, UUIDModel):
    """One step in a referral's life, by staff (actor) or by the partner (token)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=ReferralEventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    token = models.ForeignKey(
        "ReferralToken", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]


class LinkChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class SendState(models.TextChoices):
    """Where getting the link to the partner stands (blank: a link made before this was kept)."""

    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Sending failed")
    HELD = "held", _("Held: the partner is suspended")
    SKIPPED = "skipped", _("Not sent: no longer needed")


class ReferralToken(UUIDModel):
    """The key of one partner link: the signed value in the link carries this row's id. The row,
    not the signature, decides: a revoked or expired row refuses, whatever the signature says."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="tokens")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=LinkChannel.choices)
    sent_to = models.CharField(max_length=254)  # the address or number the link went to
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Its sending (helpline.referrals.delivery): each attempt counted; a failure is tried again at
    # send_retry_at until the attempts run out (then send_retry_at stays empty).
    send_state = models.CharField(max_length=8, choices=SendState.choices, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_failed_at = models.DateTimeField(null=True, blank=True)
    send_retry_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=200, blank=True)  # the mail server's answer, no address

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["send_state", "send_retry_at"], name="token_send_state_retry")]

    def __str__(self) -> str:
        return f"link {self.pk} for {self.referral_id}"

    @property
    def state(self) -> str:
        """ "revoked", "expired" or "active": whether the link opens its referral now."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"


class ReferralSettings(models.Model):
    """One row: the closed loop's clock. Working days skip weekends and the holidays of the text
    channels' opening-hours calendar (helpline.conversations Holiday)."""

    acknowledge_working_days = models.PositiveSmallIntegerField(
        _("a routine referral is acknowledged within (working days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    acknowledge_urgent_hours = models.PositiveSmallIntegerField(
        _("an urgent referral is acknowledged within (hours)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("a partner's link works for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    expire_after_days = models.PositiveSmallIntegerField(
        _("a referral nobody answers expires after (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    follow_up_after_delivery_days = models.PositiveSmallIntegerField(
        _("follow up with the child after delivery (days)"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return "referral settings"
