"""Daily and monthly rollups of contacts and the ledger that keeps them exact.

A rollup row counts, for one local day (Asia/Phnom_Penh) and one channel, the contacts having one
value of one dimension (`kind = counselling`, `age_band = 13-15`, `calls = abandoned` ...). One
dimension at a time, not every combination: the dashboard shows each breakdown on its own, and a
row per combination would be as many rows as contacts. Channel is in every key so each figure can
be shown for one channel (call measures are per channel by nature).

MonthlyRollup holds the same counts summed by local month (`month` is the month's first day),
written by the same add/subtract step as the daily rows, so a year reads twelve months of rows
instead of 365 days of them; selectors read months for whole months and days for the rest.

DailyAllRollup and MonthlyAllRollup hold the same counts over every channel together (one row per
day or month, dimension and value; the contacts of each channel as the dimension "channel"). The
dashboard, the summary and the reports show each dimension over all channels, and a day has about
a third as many values as (channel, value) pairs, a month about a sixth: they read these. The
per-channel rows serve what is shown by channel (the CHI export, publication tables, one channel's
figures).

ContactFact is the ledger: what each contact last contributed, in codes (no ids, no text, no exact
time), so a change is applied by taking the old contribution away and adding the new one."""

from __future__ import annotations

from django.db import models


class _Counts(models.Model):
    """What every rollup row holds beside its day or month (and channel)."""

    id = models.BigAutoField(primary_key=True)
    dimension = models.CharField(max_length=32)
    value = models.CharField(max_length=96)
    contacts = models.IntegerField(default=0)
    wait_seconds = models.BigIntegerField(default=0)  # summed over the row's contacts (answered ones)

    class Meta:
        abstract = True


class DailyRollup(_Counts):
    day = models.DateField()
    channel = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "dimension", "value"], name="rollup_key_unique")
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="rollup_dimension_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.dimension}={self.value}: {self.contacts}"


class MonthlyRollup(_Counts):
    month = models.DateField()  # the first day of the local month
    channel = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel", "dimension", "value"], name="monthly_rollup_key_unique"
            )
        ]
        indexes = [models.Index(fields=["dimension", "month"], name="monthly_rollup_dimension_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel} {self.dimension}={self.value}: {self.contacts}"


class DailyAllRollup(_Counts):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "value"], name="all_rollup_key_unique")
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="all_rollup_dimension_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.value}: {self.contacts}"


class MonthlyAllRollup(_Counts):
    month = models.DateField()  # the first day of the local month

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "dimension", "value"], name="monthly_all_rollup_key_unique"
            )
        ]
        indexes = [models.Index(fields=["dimension", "month"], name="monthly_all_rollup_dim_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.dimension}={self.value}: {self.contacts}"


class ContactFact(models.Model):
    """One contact's coded contribution. Keyed by the contact's id without a foreign key: the
    ledger must outlive a contact removed by hand, so the rebuild can take its counts away."""

    contact_id = models.UUIDField(primary_key=True)
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=16)
    direction = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)
    urgency = models.CharField(max_length=16)
    gender = models.CharField(max_length=64)
    age_band = models.CharField(max_length=16)
    province = models.CharField(max_length=64)
    region = models.CharField(max_length=64)
    caller_type = models.CharField(max_length=64)
    answered = models.BooleanField()
    wait_seconds = models.PositiveIntegerField(null=True)
    short_abandon = models.BooleanField()
    # "sub|category|chi sub|chi category" joined by ";"; action codes joined by ";"
    reasons = models.TextField()
    actions = models.TextField()

    def __str__(self) -> str:
        return f"fact of {self.contact_id}"


class RollupState(models.Model):
    """One row: how far the scheduler has applied changed contacts. Locked while rollups change,
    so the job and a rebuild never interleave.

    With no watermark the rollups are rebuilt a few local months per tick (rollups.py): `rebuild_from`
    is the first month not yet rebuilt, `rebuild_started` when the rebuild began (the watermark it
    leaves, so changes made meanwhile are applied after)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    watermark = models.DateTimeField(null=True)
    rebuild_started = models.DateTimeField(null=True)
    rebuild_from = models.DateField(null=True)

    def __str__(self) -> str:
        return f"rollups applied up to {self.watermark}"


from helpline.reports.models_documents import ReportDocument  # noqa: E402,F401  (a model of this app)
