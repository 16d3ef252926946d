"""Honest call-centre figures from recorded calls: offered, answered, abandoned (short abandons
told apart), wait and talk times, service level; per hour or per day."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Status
from helpline.voice.models import Callback, CallState, VoiceCall
from helpline.voice.services import voice_settings


@dataclass
class CallFigures:
    label: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    waits: list[int] = field(default_factory=list)
    talks: list[int] = field(default_factory=list)
    answered_in_target: int = 0

    @property
    def average_wait(self) -> float | None:
        return sum(self.waits) / len(self.waits) if self.waits else None

    @property
    def p90_wait(self) -> int | None:
        if not self.waits:
            return None
        ordered = sorted(self.waits)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]

    @property
    def average_talk(self) -> float | None:
        return sum(self.talks) / len(self.talks) if self.talks else None

    @property
    def service_level(self) -> float | None:
        """Share answered within the target, of calls offered less short abandons (a caller who
        hangs up within seconds could not have been answered)."""
        base = self.offered - self.short_abandoned
        return self.answered_in_target / base if base > 0 else None


def _calls(start: dt.datetime, end: dt.datetime) -> QuerySet[VoiceCall]:
    return VoiceCall.objects.filter(joined_at__gte=start, joined_at__lt=end)


def call_figures(
    start: dt.datetime, end: dt.datetime, *, by: str = "day"
) -> tuple[CallFigures, list[CallFigures]]:
    """(totals, buckets) for calls that joined the queue in [start, end), by "hour" or "day"."""
    target = voice_settings().service_level_seconds
    total = CallFigures(label="total")
    buckets: dict[str, CallFigures] = {}
    rows = _calls(start, end).values_list(
        "joined_at", "state", "answered_at", "wait_seconds", "talk_seconds", "short_abandon"
    )
    for joined, state, answered, wait, talk, short in rows:
        local = timezone.localtime(joined)
        label = local.strftime("%Y-%m-%d %H:00") if by == "hour" else local.strftime("%Y-%m-%d")
        bucket = buckets.setdefault(label, CallFigures(label=label))
        for figures in (total, bucket):
            figures.offered += 1
            if answered is not None:
                figures.answered += 1
                if wait is not None:
                    figures.waits.append(wait)
                    if wait <= target:
                        figures.answered_in_target += 1
                if talk is not None and state == CallState.COMPLETED:
                    figures.talks.append(talk)
            elif state == CallState.ABANDONED:
                figures.abandoned += 1
                if short:
                    figures.short_abandoned += 1
    return total, [buckets[k] for k in sorted(buckets)]


def missed_calls(since: dt.datetime) -> QuerySet[VoiceCall]:
    return (
        VoiceCall.objects.filter(state=CallState.ABANDONED, joined_at__gte=since)
        .select_related("contact")
        .prefetch_related("callbacks")
        .order_by("-joined_at")
    )


def access_callback(viewer: Staff, contact_id: UUID) -> Callback:
    """A call-back this person made and has not closed yet; the same 404 for any other."""
    found = (
        Callback.objects.filter(contact_id=contact_id, made_by=viewer)
        .exclude(contact__status=Status.CLOSED)
        .select_related("contact__caller")
        .first()
    )
    if found is None:
        raise Http404
    return found
