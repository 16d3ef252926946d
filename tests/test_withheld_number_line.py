"""A contact without a caller: "the number is withheld" is said only where there was a number to
withhold (a call or an SMS). A walk-in or an email has none; its page says that nothing was recorded
to link earlier contacts by, rather than that a number was hidden."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.contacts import services
from helpline.contacts.models import Channel
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
WITHHELD = "The number is withheld, so earlier contacts cannot be linked."
NOTHING_RECORDED = "No number or address was recorded, so earlier contacts cannot be linked."
WITHHELD_KM = "លេខនេះត្រូវបានលាក់"
NOTHING_RECORDED_KM = "មិនបានកត់ត្រាលេខ ឬអាសយដ្ឋានទេ"


@pytest.mark.parametrize(
    ("channel", "has_number"),
    [(Channel.VOICE, True), (Channel.SMS, True), (Channel.WALK_IN, False), (Channel.EMAIL, False)],
)
def test_the_withheld_number_is_mentioned_only_for_calls_and_sms(
    channel: Channel, has_number: bool, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = services.contact_start(counsellor, channel=channel)
    assert contact.caller is None
    for url in [f"/console/{contact.pk}/", f"/contacts/{contact.pk}/"]:
        page = client_for(counsellor).get(url).content.decode()
        assert (WITHHELD in page) == has_number, (channel, url)
        assert (NOTHING_RECORDED in page) != has_number, (channel, url)


def test_in_khmer_a_walk_in_is_not_said_to_have_a_hidden_number(client_for: ClientFor, db: None) -> None:
    counsellor = persona(Role.COUNSELLOR, username="km-counsellor", language="km")
    walk_in = services.contact_start(counsellor, channel=Channel.WALK_IN)
    call = services.contact_start(counsellor, channel=Channel.VOICE)
    client = client_for(counsellor)
    walk_in_page = client.get(f"/contacts/{walk_in.pk}/").content.decode()
    call_page = client.get(f"/contacts/{call.pk}/").content.decode()
    assert WITHHELD_KM not in walk_in_page and NOTHING_RECORDED_KM in walk_in_page
    assert WITHHELD_KM in call_page and NOTHING_RECORDED_KM not in call_page
