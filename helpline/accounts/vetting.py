"""Selectors for the safeguarding gate: has this person signed the current policy, is their police
check valid? Computed on every gated request so a lapse takes effect at once, open sessions included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import PoliceCheck, PolicySignature, PolicyVersion, Staff


@dataclass(frozen=True)
class VettingStatus:
    reasons: list[str | Promise] = field(default_factory=list)
    police_check_expires: dt.date | None = None
    current_policy: PolicyVersion | None = None
    signed_current_policy: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)


def today() -> dt.date:
    return timezone.localdate()


def current_policy(on: dt.date | None = None) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(effective_date__lte=on or today())
        .order_by("-effective_date", "-created_at")
        .first()
    )


def vetting_status(staff: Staff, on: dt.date | None = None) -> VettingStatus:
    on = on or today()
    # One query on every gated request: the current policy, whether this person signed it and
    # their latest police check, read together.
    police = PoliceCheck.objects.filter(staff=staff.pk, issued_on__lte=on).order_by("-expires_on")
    policy = (
        PolicyVersion.objects.filter(effective_date__lte=on)
        .order_by("-effective_date", "-created_at")
        .defer("text")
        .annotate(
            signed=Exists(PolicySignature.objects.filter(staff=staff.pk, policy=OuterRef("pk"))),
            police_expires=Subquery(police.values("expires_on")[:1]),
        )
        .first()
    )
    reasons: list[str | Promise] = []
    signed = False
    if policy is None:
        reasons.append(_("No Child Protection Policy has been published yet."))
        expires = police.values_list("expires_on", flat=True).first()
    else:
        signed = bool(policy.signed)  # type: ignore[attr-defined]
        expires = policy.police_expires  # type: ignore[attr-defined]
        if not signed:
            reasons.append(_("The current Child Protection Policy has not been signed."))
    if expires is None:
        reasons.append(_("No police check is on record."))
    elif expires < on:
        reasons.append(_("The police check has expired."))
    return VettingStatus(
        reasons=reasons,
        police_check_expires=expires,
        current_policy=policy,
        signed_current_policy=signed,
    )


@dataclass(frozen=True)
class StaffVettingRow:
    staff: Staff
    status: VettingStatus

    @property
    def expires_soon(self) -> bool:
        expires = self.status.police_check_expires
        if expires is None or expires < today():
            return False
        return (expires - today()).days <= settings.POLICE_CHECK_WARNING_DAYS


def vetting_overview(staff: QuerySet[Staff] | None = None) -> list[StaffVettingRow]:
    qs = staff if staff is not None else Staff.objects.filter(is_active=True)
    return [StaffVettingRow(staff=s, status=vetting_status(s)) for s in qs.order_by("username")]
