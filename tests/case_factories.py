"""Contacts and cases for the case tests, made the way the console makes them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.cases import services
from helpline.cases.models import Case
from helpline.contacts.identity import caller_for_address, parse_address
from helpline.contacts.models import Caller, Channel, Contact, Status


def caller(number: str = "+85512345678") -> Caller:
    return caller_for_address(parse_address(f"tel:{number}"))


def contact_for(counsellor: Staff | None, *, who: Caller | None = None, days_ago: int = 0) -> Contact:
    """A contact the counsellor handled (None: a contact nobody handled yet)."""
    contact = Contact.objects.create(
        channel=Channel.VOICE,
        status=Status.ACTIVE,
        arrived_at=timezone.now() - dt.timedelta(days=days_ago),
        counsellor=counsellor,
        caller=who,
    )
    if counsellor is not None:
        contact.handlers.add(counsellor)
    return contact


def open_case(
    counsellor: Staff, *, who: Caller | None = None, risk: str = "low", nickname: str = "Dara"
) -> Case:
    return services.case_open(
        counsellor, contacts=[contact_for(counsellor, who=who)], nickname=nickname, risk=risk
    )
