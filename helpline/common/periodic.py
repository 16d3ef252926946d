"""Periodic work, declared by the app that owns it and run by the scheduler (helpline/operations).

An app lists its jobs in `<app>/jobs.py` as `PERIODIC = [Periodic(...)]`; the scheduler finds them
there. Apps never import the scheduler: it sits above them and collects what they declare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    """`function` runs every `seconds`, once across all scheduler processes. It takes no arguments,
    reads the time itself and goes through the app's own services, so it may run anywhere."""

    name: str
    seconds: float
    function: Callable[[], object]

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError("a periodic job needs a positive interval")
