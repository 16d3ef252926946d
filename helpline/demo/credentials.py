"""Demo secrets: made once per data directory, then reused, so `make run` twice changes nothing and
prints the same sign-in details. Only ever used when HELPLINE_DEMO=1."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings


def demo_secrets_path() -> Path:
    return Path(settings.DATA_DIR) / "demo-secrets.json"


def load_or_create_demo_secrets(extra: dict[str, Any] | None = None) -> dict[str, str]:
    """Read the demo secrets; generate any that are missing (extra names map to lengths)."""
    path = demo_secrets_path()
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted: dict[str, Callable[[], str]] = {
        "password": lambda: "demo-" + secrets.token_urlsafe(12),
        "totp_key_hex": lambda: secrets.token_hex(20),
        "api_token": lambda: "hl_" + secrets.token_hex(4) + "_" + secrets.token_urlsafe(32),
    }
    changed = False
    for name, make in wanted.items():
        if name not in data:
            data[name] = make()
            changed = True
    for name in extra or {}:
        if name not in data:
            data[name] = secrets.token_urlsafe(24)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        os.chmod(path, 0o600)
    return data


def totp_base32(key_hex: str) -> str:
    return base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
