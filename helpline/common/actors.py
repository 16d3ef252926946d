"""Who took a step that no staff member took, as the timelines name it in the reader's language.

Services store such a step's actor as a plain word (the case timeline's `by`, a feedback item's
channel); the rows keep the word, so old rows keep reading, and pages show its label."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

SYSTEM_ACTORS = {
    "scheduler": _("the scheduler"),
    "retention": _("automatic deletion (retention)"),
    "partner": _("the partner"),
    "web form": _("Web form"),
    "sms": _("SMS"),
    "email": _("Email"),
    "mail": _("Email"),
    "contacts": _("A contact"),
}


def actor_name(actor: Any, label: str) -> str:
    """The staff member's name, or the label of the stored word (a word not known, as stored)."""
    if actor is not None:
        return str(actor.display_name)
    known = SYSTEM_ACTORS.get(label)
    return str(known) if known is not None else label
