"""The reply address of a feedback item, known by a keyed hash so that a person's data request can
find what they sent by the email address they give, without the address being readable or
searchable in clear. Same keyed hash as callers' addresses (helpline.common.crypto.keyed_hash), under
its own purpose."""

from __future__ import annotations

from helpline.common.crypto import keyed_hash


def reply_address_normalised(address: str) -> str:
    return address.strip().lower()


def reply_address_hash(address: str) -> str:
    """The keyed hash of an email address as stored on feedback; "" for no address."""
    normalised = reply_address_normalised(address)
    return keyed_hash(normalised, purpose="feedback-reply-address") if normalised else ""
