"""Whether replies are leaving: the outbox's oldest waiting message and the background worker's
beat. Shown on the wallboard and the console, so that a stopped or stalled worker is seen by the
people whose replies wait on it, not only by /metrics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from helpline.common import queues
from helpline.common.panels import Panel
from helpline.common.task_recovery import worker_alive
from helpline.conversations.models import DeliveryStatus, Direction, Message

# A reply still waiting after this long is late (the worker sends within seconds when it runs).
LATE_AFTER = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Sending:
    waiting: int  # replies not yet handed to the gateway
    oldest_seconds: int  # how long the oldest of them has waited
    worker_running: bool  # a worker serving the replies' queue beat within LOST_AFTER

    @property
    def delayed(self) -> bool:
        late = self.oldest_seconds > LATE_AFTER.total_seconds()
        return late or (self.waiting > 0 and not self.worker_running)


def sending_state(now: dt.datetime | None = None) -> Sending:
    now = now or timezone.now()
    pending = Message.objects.filter(
        direction=Direction.OUTBOUND, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
    )
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return Sending(
        waiting=pending.count() if oldest is not None else 0,
        oldest_seconds=max(0, int((now - oldest).total_seconds())) if oldest is not None else 0,
        worker_running=worker_alive(queues.DEFAULT, now),
    )


def sending_panel(now: dt.datetime | None = None) -> Panel | None:
    """A warning while replies are late or waiting with no worker to send them; nothing otherwise."""
    state = sending_state(now)
    return Panel("conversations/_sending.html", {"sending": state}) if state.delayed else None
