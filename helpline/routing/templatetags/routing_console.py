"""The console's routing panel (presence and offers), kept in routing so contacts need not know it."""

from __future__ import annotations

from typing import Any

from django import template

from helpline.accounts.models import Staff
from helpline.routing.models import Offer, PresenceState, Triage
from helpline.routing.queue import presence_of, route

register = template.Library()


@register.inclusion_tag("routing/_console_panel.html")
def routing_panel(staff: Staff) -> dict[str, Any]:
    route()  # expire stale offers and make new ones on every refresh of the console lists
    return {
        "presence": presence_of(staff),
        "states": PresenceState.choices,
        "offers": list(Offer.objects.filter(staff=staff).select_related("contact__triage")),
    }


@register.inclusion_tag("routing/_triage.html")
def triage_badge(contact: Any) -> dict[str, Any]:
    triage = Triage.objects.filter(contact=contact).prefetch_related("signals").first()
    return {"triage": triage}
