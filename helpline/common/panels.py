"""A panel: a piece of a page an app below the console offers it (a template of that app and the
values it needs). The console composes panels; it never asks an app for a template tag, and no app's
template tag reaches into another app. A later app (cases, referrals, feedback, rota) offers its panel
the same way: a function in `<app>/panels.py` returning a Panel, called by the console's view. A page
of an app below the one offering (a contact's record page) is offered panels through a list of
providers the higher app fills in its ready() (contacts.selectors.RECORD_PANELS); any page renders
them with {% load panels %}{% panel p %}."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
