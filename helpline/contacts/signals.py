"""Signals contacts send for the floors above, which contacts never imports.

handlers_written: handlers were added to contacts in bulk (a PBX batch), which no model signal
announces; `contact_ids` is the set of contacts concerned. The cases app keeps who may see a case
from it (helpline.cases.receivers)."""

from __future__ import annotations

from django.dispatch import Signal

handlers_written = Signal()
