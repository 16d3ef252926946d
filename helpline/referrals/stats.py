"""Referral figures for the reports: how many referrals were sent, by service, partner, the child's
province and what came of them, and how long partners took to answer and to deliver.

One selector, reading only; it starts from a queryset the caller has already scoped
(selectors.referrals_visible_to(principal), or a narrower one) so a report can never count what its
reader may not see. Counts only: suppressing small ones before publication is the reports' work."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from helpline.referrals.models import Referral, ReferralStatus


@dataclass(frozen=True)
class Tally:
    key: str  # a code (service, province, status) or a partner's id; "" when not recorded
    label_en: str
    label_km: str
    count: int


@dataclass(frozen=True)
class Durations:
    """How long something took over the referrals where it happened: the count, the median and the
    90th percentile (nearest rank). None when it never happened."""

    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None


@dataclass(frozen=True)
class ReferralFigures:
    start: dt.date
    end: dt.date
    total: int
    by_service: list[Tally]
    by_partner: list[Tally]
    by_province: list[Tally]
    by_outcome: list[Tally]  # the referral's status now
    # From sending to the partner's first answer (acknowledged, accepted or declined, whichever came
    # first): a partner that accepts at once has acknowledged too.
    to_acknowledgement: Durations
    to_delivery: Durations


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The helpline's local days start..end (both included) as moments."""
    zone = timezone.get_default_timezone()
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    )


def durations(values: Iterable[dt.timedelta]) -> Durations:
    ordered = sorted(values)
    if not ordered:
        return Durations(0, None, None)
    n = len(ordered)
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    p90 = ordered[max(0, math.ceil(0.9 * n) - 1)]
    return Durations(n, median, p90)


def _labels(text: object) -> tuple[str, str]:
    with translation.override("en"):
        english = str(text)
    with translation.override("km"):
        khmer = str(text)
    return english, khmer


def _tallies(rows: Iterable[dict[str, object]], key: str, en: str, km: str) -> list[Tally]:
    found = [
        Tally(str(r[key] or ""), str(r[en] or ""), str(r[km] or r[en] or ""), int(r["n"]))  # type: ignore[call-overload]
        for r in rows
    ]
    return sorted(found, key=lambda t: (-t.count, t.label_en))


def referral_figures(referrals: QuerySet[Referral], *, start: dt.date, end: dt.date) -> ReferralFigures:
    """The figures of the referrals in `referrals` sent on the local days start..end. Drafts never
    sent are not referrals yet and are not counted."""
    since, until = _bounds(start, end)
    sent = referrals.filter(sent_at__gte=since, sent_at__lt=until)
    by_service = sent.values("service__code", "service__label_en", "service__label_km").annotate(
        n=Count("id")
    )
    by_partner = sent.values("partner_id", "partner__name", "partner__name_km").annotate(n=Count("id"))
    by_province = sent.values(
        "case__province__code", "case__province__label_en", "case__province__label_km"
    ).annotate(n=Count("id"))
    by_status = sent.values("status").annotate(n=Count("id"))
    not_recorded = _labels(gettext_lazy("Not recorded"))
    provinces = [
        Tally(t.key, t.label_en or not_recorded[0], t.label_km or not_recorded[1], t.count)
        for t in _tallies(
            by_province, "case__province__code", "case__province__label_en", "case__province__label_km"
        )
    ]
    outcomes = []
    for row in by_status:
        en, km = _labels(ReferralStatus(row["status"]).label)
        outcomes.append(Tally(str(row["status"]), en, km, int(row["n"])))
    answered, delivered = [], []
    for sent_at, *answers, delivered_at in sent.values_list(
        "sent_at", "acknowledged_at", "accepted_at", "declined_at", "delivered_at"
    ):
        if sent_at is None:  # the range above excludes it; the type does not know
            continue
        first = min((a for a in answers if a is not None), default=None)
        if first is not None:
            answered.append(first - sent_at)
        if delivered_at is not None:
            delivered.append(delivered_at - sent_at)
    return ReferralFigures(
        start=start,
        end=end,
        total=sent.count(),
        by_service=_tallies(by_service, "service__code", "service__label_en", "service__label_km"),
        by_partner=_tallies(by_partner, "partner_id", "partner__name", "partner__name_km"),
        by_province=provinces,
        by_outcome=sorted(outcomes, key=lambda t: (-t.count, t.key)),
        to_acknowledgement=durations(answered),
        to_delivery=durations(delivered),
    )
