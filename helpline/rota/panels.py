"""The rota's panel for the wallboard: who is on shift now against who is signed in and available.
Presence lives in routing, a floor above: the console hands it in (staff id → presence label)."""

from __future__ import annotations

from typing import Any

from helpline.common.panels import Panel
from helpline.rota.selectors import on_shift_now


def on_shift_panel(presence: dict[Any, tuple[str, bool]]) -> Panel:
    """`presence`: for each signed-in person, their presence label and whether they are available."""
    on_shift = on_shift_now()
    rows = [(staff, *presence.get(staff.pk, ("", False))) for staff in on_shift]
    ids = {staff.pk for staff in on_shift}
    return Panel(
        "rota/_on_shift.html",
        {
            "on_shift_rows": rows,
            "on_shift_available": sum(1 for _s, _label, available in rows if available),
            "signed_in_off_rota": [pk for pk in presence if pk not in ids],
        },
    )
