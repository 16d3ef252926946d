"""The rota: shifts (when, what kind, how many counsellors at least), who is on them, swaps a
counsellor asks for and a supervisor decides, weekly patterns that make shifts, and the lasting
warnings a vetting lapse leaves for supervisors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.common.models import TimeStampedModel, UUIDModel


class ShiftRole(models.TextChoices):
    COUNSELLING = "counselling", _("Counselling")
    SUPERVISION = "supervision", _("Supervision")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ShiftPattern(TimeStampedModel):
    """A shift that recurs every week on one weekday (0 Monday … 6 Sunday). A shift ending at or
    before its start time ends the next day (a night shift)."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("starts"))
    end_time = models.TimeField(_("ends"))
    role = models.CharField(
        _("role"), max_length=16, choices=ShiftRole.choices, default=ShiftRole.COUNSELLING
    )
    minimum = models.PositiveSmallIntegerField(_("minimum counsellors"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="pattern_weekday_0_to_6")
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_time}-{self.end_time} {self.role}"


class Shift(TimeStampedModel):
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    role = models.CharField(
        _("role"), max_length=16, choices=ShiftRole.choices, default=ShiftRole.COUNSELLING
    )
    minimum = models.PositiveSmallIntegerField(_("minimum counsellors"), default=1)
    pattern = models.ForeignKey(
        ShiftPattern, on_delete=models.SET_NULL, null=True, blank=True, related_name="shifts"
    )
    staff: models.ManyToManyField[Staff, Assignment] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Assignment",
        through_fields=("shift", "staff"),
        related_name="shifts",
    )

    class Meta:
        ordering = ["starts_at", "role"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            # A pattern makes each of its shifts once, however often the scheduler runs.
            models.UniqueConstraint(fields=["pattern", "starts_at"], name="one_shift_per_pattern_start"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.role}"


class Assignment(UUIDModel):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shift", "staff"], name="one_assignment_per_person")]


class SwapStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Swap(TimeStampedModel):
    """A counsellor asks to hand their place on a shift to a colleague; a supervisor decides."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swaps")
    from_staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=SwapStatus.choices, default=SwapStatus.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class LapseWarning(TimeStampedModel):
    """Left for supervisors when someone's vetting lapsed and they were taken off future shifts;
    stays on the rota page until a supervisor acknowledges it."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shifts_removed = models.PositiveIntegerField(default=0)
    first_shift_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
