"""Caller identity: normalise a channel address, link it by keyed hash, keep it encrypted.

Addresses look like `tel:+85512345678`, `webchat:<id>`, `email:child@example.org`. A number the
network withheld is a valid caller with no address: its contacts are not linked to any history.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from helpline.common.crypto import decrypt_text, encrypt_text, keyed_hash
from helpline.contacts.models import AddressScheme, Caller

DEFAULT_REGION = "KH"
WITHHELD_VALUES = frozenset({"", "withheld", "anonymous", "unknown", "private", "restricted", "unavailable"})
MAX_ADDRESS_LENGTH = 320


class AddressError(ValueError):
    """The address cannot be understood; the message names what is wrong (never the address)."""


@dataclass(frozen=True)
class Address:
    scheme: str
    value: str  # normalised: E.164 for phones, lower-case for email

    @property
    def uri(self) -> str:
        return f"{self.scheme}:{self.value}"


def is_withheld(raw: str | None) -> bool:
    if raw is None:
        return True
    value = raw.strip().lower()
    if value.startswith("tel:"):
        value = value[4:]
    return value in WITHHELD_VALUES


def normalise_phone(raw: str) -> str:
    """A phone number in E.164, read as Cambodian when it has no country code (012 345 678)."""
    text = raw.strip()
    if len(text) > 40:
        raise AddressError("phone number is too long")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise AddressError("not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise AddressError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_address(raw: str) -> Address:
    """Parse `scheme:value`; a bare number is read as a phone number."""
    text = raw.strip()
    if not text or len(text) > MAX_ADDRESS_LENGTH:
        raise AddressError("address is empty or too long")
    scheme, sep, value = text.partition(":")
    if not sep or scheme.lower() not in AddressScheme.values:
        return Address(AddressScheme.TEL, normalise_phone(text))
    scheme = scheme.lower()
    if scheme == AddressScheme.TEL:
        return Address(scheme, normalise_phone(value))
    if scheme == AddressScheme.EMAIL:
        value = value.strip().lower()
        try:
            validate_email(value)
        except Exception as exc:
            raise AddressError("not an email address") from exc
        return Address(scheme, value)
    value = value.strip()
    if not value or any(ch.isspace() for ch in value):
        raise AddressError("address value is empty or has spaces")
    return Address(scheme, value)


def address_hash(address: Address) -> str:
    return keyed_hash(address.uri, purpose="caller-address")


def caller_for_address(address: Address) -> Caller:
    """The caller for this address, created on first contact. Safe under concurrent first contacts."""
    digest = address_hash(address)
    caller = Caller.objects.filter(address_hash=digest).first()
    if caller is not None:
        return caller
    try:
        with transaction.atomic():
            return Caller.objects.create(
                address_hash=digest, address_encrypted=encrypt_text(address.uri), scheme=address.scheme
            )
    except IntegrityError:
        return Caller.objects.get(address_hash=digest)


def caller_lookup(address: Address) -> Caller | None:
    return Caller.objects.filter(address_hash=address_hash(address)).first()


def caller_address(caller: Caller) -> str:
    """The clear address. Callers of this function must audit the reveal (services.caller_reveal)."""
    return decrypt_text(caller.address_encrypted)
