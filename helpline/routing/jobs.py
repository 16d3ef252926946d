"""Routing's periodic work: offers not taken in time go back to the queue and waiting contacts are
offered, whether or not any console is open."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.routing.queue import route

# Offers run out after RoutingSettings.offer_seconds (30 s by default): a tick every 2 s re-offers
# a contact within 2 s of that.
OFFERS_SECONDS = 2.0


def offers_tick() -> int:
    """Expire what ran out and offer what waits; the number of new offers."""
    return len(route())


PERIODIC = [Periodic("routing.offers", OFFERS_SECONDS, offers_tick)]
