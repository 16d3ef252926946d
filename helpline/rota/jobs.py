"""The rota's periodic work: the next fortnight made from the weekly patterns, and anyone whose
vetting has lapsed by the calendar taken off their future shifts."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.rota.services import lapses_remove_periodic, patterns_apply_periodic

PERIODIC = [
    Periodic("rota.patterns_apply", 3600.0, patterns_apply_periodic),
    Periodic("rota.vetting_lapses", 300.0, lapses_remove_periodic),
]
