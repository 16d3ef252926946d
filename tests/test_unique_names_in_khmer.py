"""A form's "already exists" message starts with the model's name: a model without one in the
reader's language began a Khmer sentence in English ("Risk signal ដែលមាន…")."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.conversations.models import Holiday
from tests.factories import persona

ClientFor = Callable[[Staff], Client]


def said_under(page: str, field: str) -> str:
    errors = re.findall(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert len(errors) == 1, errors
    return re.sub("<[^>]*>", "", errors[0])


def test_a_risk_signal_code_already_taken_is_said_wholly_in_khmer(db: None, client_for: ClientFor) -> None:
    reader = persona(Role.SUPERVISOR, username="km-supervisor", language="km")
    form = {"code": "suicide", "label_km": "ស្ត្រេសប្រឡង", "label_en": "Exam stress", "weight": "10"}
    response = client_for(reader).post("/risk-signals/", {**form, "phrases_en": "failed my exam"})
    assert response.status_code == 400
    said = said_under(response.content.decode(), "code")
    assert "សញ្ញាហានិភ័យ" in said and not re.search("[A-Za-z]", said), said


def test_a_holiday_date_already_taken_is_said_wholly_in_khmer(db: None, client_for: ClientFor) -> None:
    day = timezone.localdate()
    Holiday.objects.create(date=day, name="Khmer New Year")
    reader = persona(Role.SUPERVISOR, username="km-supervisor", language="km")
    form = {"section": "holiday", "date": day.isoformat(), "name": "Khmer New Year"}
    response = client_for(reader).post("/text-settings/", form)
    assert response.status_code == 400
    said = said_under(response.content.decode(), "date")
    assert "ថ្ងៃឈប់សម្រាក" in said and not re.search("[A-Za-z]", said), said
