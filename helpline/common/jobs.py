"""The ground floor's periodic work: live events relayed without Redis that no server took; tasks
left running by a worker that died; finished task rows past their keeping time."""

from __future__ import annotations

from helpline.common.live_relay import prune
from helpline.common.periodic import Periodic
from helpline.common.task_recovery import finished_tasks_prune, recover_orphaned_tasks

# Events older than two minutes are deleted; once a minute keeps the table to a few minutes' pushes.
PERIODIC = [
    Periodic("common.live_events_prune", 60.0, prune),
    # A task cut off is found within LOST_AFTER plus this.
    Periodic("common.orphaned_tasks", 10.0, recover_orphaned_tasks),
    Periodic("common.finished_tasks_prune", 3600.0, finished_tasks_prune),
]
