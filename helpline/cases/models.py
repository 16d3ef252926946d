"""Cases: long-term support of one child across many contacts.

Only helpline.cases.services writes these rows. Every change to a case is one CaseEvent on its
timeline, written by the service call that made the change in the same transaction (CasePro's
CaseAction)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.common.actors import actor_name
from helpline.common.models import TimeStampedModel, UUIDModel
from helpline.contacts.models import Contact

STAFF = settings.AUTH_USER_MODEL


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTIVE = "active", _("Active")
    PENDING_CLOSURE = "pending_closure", _("Closure awaiting approval")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# The status machine: from each status, the ones a service may move a case to. Closing goes
# through a request a supervisor approves or sends back; a closed case is reopened, never made
# active again directly.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.ACTIVE, CaseStatus.PENDING_CLOSURE}),
    CaseStatus.ACTIVE: frozenset({CaseStatus.PENDING_CLOSURE}),
    CaseStatus.REOPENED: frozenset({CaseStatus.ACTIVE, CaseStatus.PENDING_CLOSURE}),
    CaseStatus.PENDING_CLOSURE: frozenset({CaseStatus.CLOSED, CaseStatus.ACTIVE}),
    CaseStatus.CLOSED: frozenset({CaseStatus.REOPENED}),
}
# The one rule for whether a case takes new work (a referral, a follow-up, a contact linked): while
# it is worked on; not once closed, nor while its closure awaits a supervisor's approval.
TAKES_WORK = frozenset({CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.REOPENED})
LIVE_STATUSES = frozenset(
    {CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.REOPENED, CaseStatus.PENDING_CLOSURE}
)
# The same, in one fixed order: a partial index below is used by SQLite only for a query whose
# condition is written exactly as the index's (a set's order changes from process to process).
LIVE_ORDER = tuple(sorted(str(status) for status in LIVE_STATUSES))
LIVE = Q(status__in=LIVE_ORDER)


class Risk(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")
    CRITICAL = "critical", _("Critical risk")


HIGH_RISKS = frozenset({Risk.HIGH, Risk.CRITICAL})


class CaseNumber(models.Model):
    """The last number given out in a year: one row per year, incremented under the row's lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Case(TimeStampedModel):
    number = models.CharField(_("case number"), max_length=16, unique=True)  # C-2026-00042
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    risk = models.CharField(_("risk"), max_length=16, choices=Risk.choices, default=Risk.LOW)

    # The child's pseudonymous profile: only what counselling needs.
    nickname = models.CharField(_("nickname"), max_length=80, blank=True)
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(25)]
    )
    gender = models.ForeignKey(
        "contacts.Term", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    province = models.ForeignKey(
        "contacts.Term", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    assignee = models.ForeignKey(
        STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases"
    )
    opened_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened"))
    # The last contact linked or follow-up done: a supervisor's board lists cases left untouched.
    last_touch_at = models.DateTimeField(_("last contact or follow-up"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closure_reason = models.TextField(_("reason for closing"), blank=True)
    closure_requested_by = models.ForeignKey(
        STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # A legal hold (set by a supervisor with a reason, helpline.cases.erasure) keeps the whole case
    # from retention and from an erasure request until it is lifted.
    legal_hold_at = models.DateTimeField(_("legal hold since"), null=True, blank=True)
    legal_hold_reason = models.TextField(_("reason for the legal hold"), blank=True)
    legal_hold_by = models.ForeignKey(
        STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When retention or an erasure request blanked its personal fields (the codes stay, for counting).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    contacts: models.ManyToManyField[Contact, CaseContact] = models.ManyToManyField(
        "contacts.Contact", through="CaseContact", related_name="cases"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="case_opened"),
            models.Index(fields=["assignee", "-opened_at"], name="case_assignee_opened"),
            models.Index(fields=["status", "-opened_at"], name="case_status_opened"),
            models.Index(fields=["risk", "status"], name="case_risk_status"),
            models.Index(fields=["status", "last_touch_at"], name="case_status_touch"),
            # The supervisor's board: live cases by risk, newest first, and those untouched longest.
            models.Index(fields=["risk", "-opened_at"], name="case_live_risk_opened", condition=LIVE),
            models.Index(fields=["last_touch_at"], name="case_live_touch", condition=LIVE),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__lte=25), name="case_age_at_most_25"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="closed_case_has_closed_at"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def takes_new_work(self) -> bool:
        """TAKES_WORK, for one case in hand."""
        return self.status in TAKES_WORK


class CaseContact(UUIDModel):
    """A contact gathered into a case. A contact may belong to more than one case (siblings)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="links")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="case_links")
    linked_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "contact"], name="case_contact_once")]
        indexes = [models.Index(fields=["contact"], name="case_link_contact")]


class CaseHandler(models.Model):
    """Someone who handled a contact linked to the case (its counsellor or one of its handlers): what
    lets a counsellor see the case (selectors.cases_visible_to), one indexed look-up instead of a
    search through every contact they took. Derived rows, never edited by hand: kept by the
    receivers in helpline.cases.receivers whenever a contact is linked to a case or a linked
    contact's counsellor or handlers change (services.case_handlers_refresh)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(STAFF, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "case"], name="case_handler_once")]

    def __str__(self) -> str:
        return f"{self.staff_id} handled a contact of {self.case_id}"


class GoalStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class PlanGoal(TimeStampedModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField(_("goal"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.PLANNED
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_on", "created_at"]


class AppendOnly(models.Model):
    """Rows written once: an edit is a new row, the earlier one stays."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError(f"{type(self).__name__} rows are never deleted")


class CaseNote(UUIDModel):
    """A note on a case. Its text lives in its revisions: an edit adds one and keeps the earlier
    text, which supervisors may read."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    revision = models.PositiveIntegerField(default=1)  # the number of the newest revision
    text = models.TextField(_("note"))  # the newest revision's text, kept here to list notes in one query

    class Meta:
        ordering = ["-written_at", "-id"]


class NoteRevision(AppendOnly, UUIDModel):
    note = models.ForeignKey(CaseNote, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveIntegerField()
    text = models.TextField()
    written_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["-revision"]
        constraints = [models.UniqueConstraint(fields=["note", "revision"], name="note_revision_once")]

    def __str__(self) -> str:
        return f"revision {self.revision}"


class PersonRole(models.TextChoices):
    HOUSEHOLD = "household", _("Household member")
    ALLEGED_PERPETRATOR = "alleged_perpetrator", _("Alleged perpetrator")


class CasePerson(TimeStampedModel):
    """Someone around the child: a household member or an alleged perpetrator. Descriptions only
    (no identity documents): what the counsellor needs to keep the child safe."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="people")
    role = models.CharField(_("role"), max_length=24, choices=PersonRole.choices)
    name = models.CharField(_("name or description"), max_length=200)
    relationship = models.CharField(_("relationship to the child"), max_length=100, blank=True)
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    notes = models.TextField(_("notes"), blank=True)
    added_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["role", "created_at"]


class EventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    CONTACT_LINKED = "contact_linked", _("Contact linked")
    NOTE_ADDED = "note_added", _("Note added")
    NOTE_EDITED = "note_edited", _("Note edited")
    GOAL_ADDED = "goal_added", _("Plan goal added")
    GOAL_CHANGED = "goal_changed", _("Plan goal changed")
    PROFILE_CHANGED = "profile_changed", _("Profile changed")
    PERSON_ADDED = "person_added", _("Person added")
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    CLOSURE_REQUESTED = "closure_requested", _("Closure requested")
    CLOSURE_APPROVED = "closure_approved", _("Closure approved")
    CLOSURE_SENT_BACK = "closure_sent_back", _("Closure sent back")
    REOPENED = "reopened", _("Case reopened")
    FOLLOW_UP_SCHEDULED = "follow_up_scheduled", _("Follow-up scheduled")
    FOLLOW_UP_DONE = "follow_up_done", _("Follow-up done")
    BREAK_RECORDED = "break_recorded", _("Confidentiality break recorded")
    BREAK_EDITED = "break_edited", _("Confidentiality break edited")
    BREAK_SIGNED_OFF = "break_signed_off", _("Confidentiality break signed off")
    BREAK_CORRECTED = "break_corrected", _("Confidentiality break corrected")
    PRINTED = "printed", _("Summary printed")
    REFERRAL = "referral", _("Referral")
    LEGAL_HOLD_SET = "legal_hold_set", _("Legal hold set")
    LEGAL_HOLD_LIFTED = "legal_hold_lifted", _("Legal hold lifted")
    ERASED = "erased", _("Personal details erased")


class CaseEvent(AppendOnly, UUIDModel):
    """One entry of a case's timeline: who did what, when. `summary` holds only words a person
    typed (a reason, a goal); never a copy of a note. What the system says of the step is stored as
    codes in `detail` (its "line" and parameters) and made into a sentence when read: `line`."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)  # ids and codes: a status, a goal, a contact

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def actor_name(self) -> str:
        """Who acted, in the reader's language: the staff member, or the part of the system or the
        partner that did (stored as a plain word, record_event's `by`)."""
        return actor_name(self.actor, self.actor_label)

    @property
    def line(self) -> str:
        """What the entry says, in the reader's language (the stored text of an older entry)."""
        from helpline.cases.timeline import event_line  # deferred: timeline.py reads this module's enums

        return event_line(self.detail or {}, self.summary)


class FollowUpKind(models.TextChoices):
    CALL_BACK = "call_back", _("Call the child back")
    REFERRAL_CHECK = "referral_check", _("Check on a referral")
    VISIT = "visit", _("Visit with a partner")
    OTHER = "other", _("Other")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUp(TimeStampedModel):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("what"), max_length=24, choices=FollowUpKind.choices)
    due_at = models.DateTimeField(_("due"))
    owner = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="follow_ups")
    # How to reach the child safely, e.g. "call only after 5 pm; if an adult answers, say it is a
    # wrong number". Shown wherever someone is about to contact the child.
    instructions = models.TextField(_("safe-contact instructions"), blank=True)
    status = models.CharField(max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED)
    outcome = models.TextField(_("what happened"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)  # the owner was told it fell due
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="follow_up_status_due"),
            models.Index(fields=["owner", "status", "due_at"], name="follow_up_owner_due"),
        ]


class BreakReason(models.TextChoices):
    CLIENT_ASKED = "client_asked", _("The client asked")
    EMERGENCY = "emergency", _("Emergency")
    RISK_TO_LIFE = "risk_to_life", _("Risk to life")
    LAW_BROKEN = "law_broken", _("A law was broken")


class Recipient(models.TextChoices):
    AUTHORITY = "authority", _("Authority")
    PARTNER = "partner", _("Partner organisation")
    FAMILY = "family", _("Family member")
    OTHER = "other", _("Other")


class SignOff(models.TextChoices):
    PENDING = "pending", _("Awaiting sign-off")
    APPROVED = "approved", _("Approved")
    QUESTIONED = "questioned", _("Questioned")


class ConfidentialityBreak(TimeStampedModel):
    """A decision to tell someone what the child said, on record and signed off by a supervisor.
    An approved break is never edited: a correction is a new break that names it (`corrects`)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="breaks")
    reason = models.CharField(_("reason"), max_length=16, choices=BreakReason.choices)
    disclosed = models.TextField(_("what was disclosed"))
    recipient_kind = models.CharField(_("told to"), max_length=16, choices=Recipient.choices)
    recipient = models.CharField(_("who exactly"), max_length=200)
    disclosed_at = models.DateTimeField(_("when"))
    client_told_first = models.BooleanField(_("the client was told first"))
    not_told_why = models.TextField(_("why the client was not told first"), blank=True)
    decided_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    sign_off = models.CharField(max_length=16, choices=SignOff.choices, default=SignOff.PENDING)
    signed_off_by = models.ForeignKey(
        STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_comment = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [models.Index(fields=["sign_off", "-disclosed_at"], name="break_sign_off")]
        constraints = [
            models.CheckConstraint(
                condition=Q(client_told_first=True) | ~Q(not_told_why=""), name="break_says_why_not_told"
            )
        ]


class CaseSettings(models.Model):
    """One row: when the supervisor's board counts a case as left untouched."""

    stale_days = models.PositiveSmallIntegerField(
        _("days without a contact or follow-up"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"stale after {self.stale_days} days"
