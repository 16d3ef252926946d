"""Callers are pseudonymous: a keyed hash links a number's history; the number is stored encrypted
and shown only to roles that need it, each reveal audited with its reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services
from helpline.contacts.identity import (
    AddressError,
    address_hash,
    caller_for_address,
    is_withheld,
    parse_address,
)
from helpline.contacts.models import Caller, Channel

ClientFor = Callable[[Staff], Client]


@pytest.mark.parametrize(
    "raw",
    ["012 345 678", "012-345-678", "+855 12 345 678", "+85512345678", "tel:+855 12 345 678", "tel:012345678"],
)
def test_cambodian_numbers_normalise_to_e164(raw: str) -> None:
    assert parse_address(raw).uri == "tel:+85512345678"


@pytest.mark.parametrize(
    "raw", ["hello", "tel:", "tel:12", "email:not-an-email", "webchat:has space", "x" * 400]
)
def test_unreadable_addresses_are_refused(raw: str) -> None:
    with pytest.raises(AddressError):
        parse_address(raw)


def test_other_schemes() -> None:
    assert parse_address("email:Child@Example.ORG").uri == "email:child@example.org"
    assert parse_address("webchat:3f2a9c").uri == "webchat:3f2a9c"


@pytest.mark.parametrize("raw", [None, "", "withheld", "tel:anonymous", "Unknown", "private"])
def test_withheld_numbers_are_recognised(raw: str | None) -> None:
    assert is_withheld(raw)


@settings(max_examples=60, deadline=None)
@given(
    digits=st.from_regex(r"\A(1[0-2]|9[6-9]|8[5-9]|7[0-8])[0-9]{6,7}\Z", fullmatch=True),
    separator=st.sampled_from(["", " ", "-", "."]),
    international=st.booleans(),
)
def test_any_writing_of_one_number_links_to_the_same_hash(
    digits: str, separator: str, international: bool
) -> None:
    spaced = separator.join([digits[:2], digits[2:5], digits[5:]])
    written = f"+855{separator}{spaced}" if international else f"0{spaced}"
    try:
        canonical = parse_address("0" + digits)
    except AddressError:
        return  # not a possible Cambodian number: nothing to link
    assert address_hash(parse_address(written)) == address_hash(canonical)


def test_the_number_is_stored_encrypted_and_linked_by_hash(db: None) -> None:
    caller = caller_for_address(parse_address("012 345 678"))
    stored = Caller.objects.filter(pk=caller.pk).values_list("address_hash", "address_encrypted").get()
    assert "12345678" not in "".join(stored)
    assert caller_for_address(parse_address("+85512345678")).pk == caller.pk
    assert Caller.objects.count() == 1


def test_rotating_the_field_keys_keeps_histories_linked_and_old_numbers_readable(db: None) -> None:
    """A new field key goes in front of the old ones: new writes use it, old ones still decrypt,
    and a caller from before the rotation is still found by their number."""
    from cryptography.fernet import Fernet
    from django.test import override_settings

    from helpline.common.crypto import decrypt_text

    caller = caller_for_address(parse_address("012 345 678"))
    before = Caller.objects.get(pk=caller.pk)
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_KEYS=[new_key, *django_settings.FIELD_KEYS]):
        assert caller_for_address(parse_address("+85512345678")).pk == caller.pk
        assert "12345678" in decrypt_text(before.address_encrypted)
        other = caller_for_address(parse_address("097 777 7777"))
        assert Fernet(new_key.encode()).decrypt(other.address_encrypted.encode())  # the new key wrote it
    assert Caller.objects.count() == 2


def test_withheld_caller_is_a_valid_contact_with_no_history(counsellor: Staff) -> None:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address=None)
    assert contact.caller is None and contact.caller_withheld


def test_supervisor_reveals_the_number_with_a_reason_and_it_is_audited(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address="tel:+85512345678")
    client = client_for(supervisor)
    refused = client.post(f"/callers/{contact.caller_id}/reveal/", {"reason": ""})
    assert refused.status_code == 400
    assert not AuditEvent.objects.filter(action="caller.reveal").exists()
    response = client.post(f"/callers/{contact.caller_id}/reveal/", {"reason": "call-back agreed with child"})
    assert response.status_code == 200
    assert "tel:+85512345678" in response.content.decode()
    event = AuditEvent.objects.get(action="caller.reveal")
    assert event.actor == supervisor and event.reason == "call-back agreed with child"
    assert "85512345678" not in str(event.detail)


def test_counsellor_may_not_reveal_numbers(counsellor: Staff, client_for: ClientFor) -> None:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address="tel:+85512345678")
    response = client_for(counsellor).post(f"/callers/{contact.caller_id}/reveal/", {"reason": "curious"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="caller.reveal").exists()


def test_the_number_never_appears_in_pages_that_do_not_reveal_it(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address="tel:+85512345678")
    for client, url in [
        (client_for(counsellor), f"/console/{contact.pk}/"),
        (client_for(supervisor), f"/contacts/{contact.pk}/"),
        (client_for(supervisor), "/contacts/"),
    ]:
        body = client.get(url).content.decode()
        assert "12345678" not in body and "345 678" not in body
