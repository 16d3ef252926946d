"""The background worker's queues. Replies to children (the SMS and chat outbox) and partner-link
emails go on the default queue; report builds, which take from seconds to minutes (a year's CHI file
for publication about three on a small machine), go on their own queue with a worker of their own,
so that a child's reply never waits behind a report. `serve` and the deployment units run one worker
per queue; a worker started without --queue-name serves them all (a lone worker loses nothing)."""

from __future__ import annotations

DEFAULT = "default"
REPORTS = "reports"
ALL = (DEFAULT, REPORTS)
EVERY = "*"  # django-tasks-db's name for all queues


def serves(queue_names: str, queue: str) -> bool:
    """Whether a worker started for `queue_names` (comma-separated, as --queue-name takes them)
    takes tasks of `queue`."""
    names = {name.strip() for name in queue_names.split(",")}
    return EVERY in names or queue in names
