"""Contacts made through the contacts services for the statistics tests, with the coding drawn
from the shipped code lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Contact
from helpline.contacts.services import contact_enter

CHANNELS = ["voice", "sms", "webchat", "walk_in", "email", "social", "other"]
KINDS = [
    "counselling", "information", "referral", "silent", "blank", "hang_up", "testing", "prank",
    "wrong_number", "abusive",
]  # fmt: skip
GENDERS = ["", "male", "female", "non_binary", "unknown"]
PROVINCES = ["", "phnom_penh", "battambang", "siem_reap", "kep", "pailin"]
REGIONS = ["", "city", "town", "rural"]
CALLER_TYPES = ["", "self", "about_child", "other"]
URGENCIES = ["", "critical", "urgent", "non_critical"]
ACTIONS = ["emotional_support", "information", "referral_child_protection", "follow_up"]
# CHI subcategories and local ones folded elsewhere (forced labour counts as child labour,
# online addiction under mental health though its local parent maps to violence).
REASONS = [
    "violence.physical", "violence.child_labour", "trafficking.forced_labour",
    "trafficking.domestic_servitude", "online_harms.online_addiction", "online_harms.cyberbullying",
    "mental_health.other", "grief.general", "family.other",
]  # fmt: skip
DATA_KINDS = {"counselling", "information", "referral"}


def coding(
    *,
    kind: str,
    gender: str = "",
    province: str = "",
    region: str = "",
    caller_type: str = "",
    urgency: str = "",
    age: int | None = None,
    over_25: bool = False,
    reasons: list[str] | None = None,
    actions: list[str] | None = None,
    summary: str = "",
) -> dict[str, Any]:
    """The cleaned form data the contacts services take. A non-data kind carries no coding, as
    the form leaves it."""
    data: dict[str, Any] = {"kind": kind, "language": "km", "summary": summary}
    data.update(dict.fromkeys(["relationship", "living_situation", "disability"], ""))
    data["vulnerable_groups"] = []
    if kind not in DATA_KINDS:
        data.update(caller_type="", gender="", province="", region="", urgency="", age=None)
        data.update(age_over_25=False, reasons=[], actions=[])
        return data
    reasons = reasons if reasons is not None else (["violence.physical"] if kind == "counselling" else [])
    data.update(caller_type=caller_type, gender=gender, province=province, region=region)
    data.update(urgency=urgency, age=None if over_25 else age, age_over_25=over_25)
    data.update(reasons=reasons, actions=actions or [])
    return data


def enter(
    actor: Staff, *, channel: str, arrived_at: dt.datetime, address: str | None = None, **code: Any
) -> Contact:
    data = coding(**code) | {"channel": channel, "arrived_at": arrived_at, "duration_minutes": 5}
    if address:
        data["address"] = address
    contact, _created = contact_enter(actor, data=data)
    return contact


def erase(contact: Contact) -> None:
    """What the retention work will do (no erase exists yet): blank what identifies the child,
    keep the coded fields, so the counts stay."""
    Contact.objects.filter(pk=contact.pk).update(
        summary="", search_text="", caller=None, updated_at=timezone.now()
    )
