"""Field encryption and keyed hashing of client identifiers.

Encryption uses MultiFernet over HELPLINE_FIELD_KEYS (first key encrypts, all keys decrypt, so keys
can be rotated). Keyed hashes link a caller's history without storing the number in clear text;
their key (HELPLINE_IDENTITY_KEY, by default the one field key) never rotates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet_key(raw: str) -> bytes:
    """Accept a Fernet key, or derive one from any other secret string of enough entropy."""
    try:
        Fernet(raw.encode())
        return raw.encode()
    except ValueError:
        return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def encrypt_text(plain: str) -> str:
    return _cipher(tuple(settings.FIELD_KEYS)).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    return _cipher(tuple(settings.FIELD_KEYS)).decrypt(token.encode()).decode()


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of value under a key derived from the identity key and the purpose. Not from
    the newest field key: rotating encryption keys must not change these hashes."""
    base = settings.IDENTITY_KEY.encode()
    key = hmac.new(base, f"helpline:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
