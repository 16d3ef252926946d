"""Gateway settings from the environment (see README, "SMS"). Secrets never appear in logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


def _demo_secret(name: str) -> str:
    """In demo mode a missing secret comes from the demo secrets file that seed_demo writes."""
    if not settings.DEMO:
        return ""
    path = Path(settings.DATA_DIR) / "demo-secrets.json"
    try:
        return str(json.loads(path.read_text()).get(name, ""))
    except (OSError, ValueError):
        return ""


@dataclass(frozen=True)
class KannelConfig:
    secret: str
    sendsms_url: str
    username: str
    password: str
    per_second: float
    dlr_url: str


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    api_url: str
    sender: str
    per_second: float


def kannel_config() -> KannelConfig:
    env = settings.HELPLINE_ENV
    return KannelConfig(
        secret=env.get("HELPLINE_KANNEL_SECRET") or _demo_secret("kannel_secret"),
        sendsms_url=env.get("HELPLINE_KANNEL_SENDSMS_URL", ""),
        username=env.get("HELPLINE_KANNEL_USERNAME", ""),
        password=env.get("HELPLINE_KANNEL_PASSWORD", ""),
        per_second=float(env.get("HELPLINE_KANNEL_PER_SECOND", "20")),
        dlr_url=env.get("HELPLINE_KANNEL_DLR_URL", ""),
    )


def twilio_config() -> TwilioConfig:
    env = settings.HELPLINE_ENV
    return TwilioConfig(
        account_sid=env.get("HELPLINE_TWILIO_ACCOUNT_SID", "") or ("ACdemo" if settings.DEMO else ""),
        auth_token=env.get("HELPLINE_TWILIO_AUTH_TOKEN") or _demo_secret("twilio_auth_token"),
        api_url=env.get("HELPLINE_TWILIO_API_URL", "https://api.twilio.com").rstrip("/"),
        sender=env.get("HELPLINE_TWILIO_FROM", ""),
        per_second=float(env.get("HELPLINE_TWILIO_PER_SECOND", "10")),
    )


def short_codes() -> set[str]:
    return {
        c.strip()
        for c in settings.HELPLINE_ENV.get("HELPLINE_SMS_SHORT_CODES", "1280").split(",")
        if c.strip()
    }
