"""Staff, roles, vetting (policy signatures, police checks, training) and API tokens."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from helpline.common.models import TimeStampedModel, UUIDModel


class Role(models.TextChoices):
    COUNSELLOR = "counsellor", _("Counsellor")
    VOLUNTEER = "volunteer", _("Volunteer counsellor")
    SUPERVISOR = "supervisor", _("Supervisor")
    CASE_MANAGER = "case_manager", _("Case manager")
    DATA_OFFICER = "data_officer", _("Data officer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Language(models.TextChoices):
    KHMER = "km", _("Khmer")
    ENGLISH = "en", _("English")


class StaffManager(BaseUserManager["Staff"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields: Any) -> Staff:
        user = self.model(username=self.model.normalize_username(username), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> Staff:
        # Sign-in ignores case, as uniqueness does (the constraint on Lower("username") below):
        # "Sophea" signs in as sophea, never as a second account that looks the same.
        return self.get(username__iexact=username)

    def create_superuser(self, username: str, password: str | None = None, **fields: Any) -> Staff:
        fields.setdefault("role", Role.ADMINISTRATOR)
        return self.create_user(username, password, **fields)


class Staff(AbstractBaseUser):
    """A member of staff or a volunteer. The role decides what they may do (see permissions.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        _("username"), max_length=64, unique=True, validators=[UnicodeUsernameValidator()]
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.COUNSELLOR)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.KHMER)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # The phone extension this person answers calls on; the PBX connector finds them by it, so two
    # active staff never share one (staff_set_extension, and the constraint below).
    extension = models.CharField(_("phone extension"), max_length=32, blank=True, db_index=True)
    # Bumped by "sign out everywhere": every session signed with the old value stops validating.
    session_generation = models.PositiveIntegerField(default=0)

    objects: ClassVar[StaffManager] = StaffManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]
        constraints = [
            # Two accounts that differ by capital letters alone would look the same in lists,
            # assignment menus and the audit trail.
            models.UniqueConstraint(
                Lower("username"),
                name="staff_username_unique_ignoring_case",
                violation_error_message=_("This username is taken (capital letters do not make a new one)."),
            ),
            models.UniqueConstraint(
                fields=["extension"],
                condition=models.Q(is_active=True) & ~models.Q(extension=""),
                name="staff_extension_unique_among_active",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "helpline.accounts.Staff.session",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()


class PolicyVersion(TimeStampedModel):
    """A version of the Child Protection Policy. The current one is the latest already in effect."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    effective_date = models.DateField(_("effective date"), db_index=True)
    published_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-effective_date", "-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class PolicySignature(UUIDModel):
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="policy_signatures")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="signatures")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "policy"], name="one_signature_per_policy")]


class PoliceCheck(TimeStampedModel):
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="police_checks")
    reference = models.CharField(_("certificate reference"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), db_index=True)
    verified_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("issued_on")),
                name="police_check_expires_after_issue",
            )
        ]


class TrainingRecord(TimeStampedModel):
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="training_records")
    course = models.CharField(_("course"), max_length=200)
    completed_on = models.DateField(_("completed on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_on"]


class ApiToken(TimeStampedModel):
    """A per-integration API credential. Only a SHA-256 of the token is stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The create form's once-key: a second post of the same form (a double click, a resend) finds
    # the token the first one made instead of making another whose secret nobody saw.
    once_key = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
