"""The audit page names who acted when no staff member did in the reader's language: it showed
"gateway:kannel" and "partner-link:<uuid>" as stored. The stored words stay (the chain's hash
covers them); only the page says them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.audit.services import audit_record
from helpline.referrals.models import LinkChannel, ReferralToken
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import partner, referral

ClientFor = Callable[[Staff], Client]

ACTORS = ["gateway:kannel", "gateway:webchat", "outbox:twilio", "scheduler", "routing", "anonymous"]


def actor_cells(client: Client) -> list[str]:
    page = client.get("/audit/", {"action": "training."}).content.decode()
    rows = re.findall(r"<tr><td[^>]*>\d+</td><td[^>]*>[^<]*</td><td>(.*?)</td>", page, re.S)
    return [re.sub(r"<[^>]*>", "", row) for row in rows]


@pytest.fixture
def partner_link(counsellor: Staff) -> ReferralToken:
    now = timezone.now()
    ref = referral(open_case(counsellor), counsellor, to=partner("Safe Haven Phnom Penh"))
    ref.partner.name_km = "ផ្ទះសុវត្ថិភាព"
    ref.partner.save()
    return ReferralToken.objects.create(
        referral=ref,
        created_at=now,
        expires_at=now + dt.timedelta(days=30),
        channel=LinkChannel.EMAIL,
        sent_to="referrals@safehaven.example.org",
    )


@pytest.fixture
def written(counsellor: Staff, partner_link: ReferralToken) -> list[str]:
    stored = [*ACTORS, f"partner-link:{partner_link.pk}", "partner-link:not-a-link"]
    for actor in stored:
        audit_record(actor, action=AuditAction.TRAINING_RECORD, record_type="contact")
    audit_record(counsellor, action=AuditAction.TRAINING_RECORD, record_type="contact")
    return stored


def test_the_audit_page_names_non_staff_actors_in_khmer(
    counsellor: Staff, written: list[str], client_for: ClientFor
) -> None:
    cells = actor_cells(client_for(persona(Role.SUPERVISOR, username="km-supervisor", language="km")))
    assert len(cells) == len(written) + 1
    assert "ច្រកផ្លូវសារ SMS (kannel)" in cells
    assert "ការជជែកតាមគេហទំព័រ" in cells  # the web chat
    assert "តំណរបស់ដៃគូ ផ្ទះសុវត្ថិភាព" in cells  # the partner's Khmer name
    assert "តំណរបស់ដៃគូ" in cells  # a link id that is no link's: no name, and no error
    assert counsellor.username in cells  # a staff member as before
    for cell in cells:
        if cell != counsellor.username:
            assert ":" not in cell and not re.search(
                r"\b(gateway|outbox|scheduler|routing|anonymous)\b", cell
            )
    page = (
        client_for(persona(Role.SUPERVISOR, username="km-2", language="km")).get("/audit/").content.decode()
    )
    assert "<td>ប្រព័ន្ធ</td>" in page and "<td>system</td>" not in page  # the role of a part of the system


def test_the_audit_page_names_non_staff_actors_in_english(written: list[str], client_for: ClientFor) -> None:
    cells = actor_cells(client_for(persona(Role.SUPERVISOR, username="en-supervisor", language="en")))
    for said in [
        "SMS gateway (kannel)",
        "Web chat",
        "Outgoing messages (twilio)",
        "The scheduler",
        "Someone not signed in",
        "Partner link of Safe Haven Phnom Penh",
        "A partner link",
    ]:
        assert said in cells, (said, cells)
    assert not any(cell.startswith(("gateway:", "partner-link:", "outbox:")) for cell in cells)


def test_the_stored_words_and_the_chain_are_untouched(
    written: list[str], supervisor: Staff, client_for: ClientFor
) -> None:
    client_for(supervisor).get("/audit/", {"action": "training."})
    stored = set(AuditEvent.objects.filter(action="training.record").values_list("actor_label", flat=True))
    assert set(written) <= stored
    assert audit_chain_verify().intact


def test_every_actor_word_the_code_writes_has_a_name() -> None:
    """A part of the system newly writing to the trail under a word not named in audit.labels
    would show on the audit page as its code in either language."""
    from pathlib import Path

    from helpline.audit.labels import ACTOR_KINDS, ACTORS, PARTNER_LINK

    root = Path(__file__).resolve().parent.parent / "helpline"
    source = "\n".join(path.read_text(encoding="utf-8") for path in root.rglob("*.py"))
    called = r"\b(?:audit_record|audit_case|_audit)\(\s*"
    words = set(re.findall(called + r'"([a-z][a-z_ -]*(?::[a-z]+)?)"', source))
    words |= set(re.findall(r'(?:or|else) "([a-z][a-z_ -]*)"', source)) & {"scheduler"}
    # and those a module names once and passes as the actor (operations.retention.SYSTEM)
    words |= set(re.findall(r'^(?:SYSTEM|ACTOR)\w* = "([a-z][a-z_ -]*(?::[a-z]+)?)"', source, re.M))
    kinds = set(re.findall(called + r'f"([a-z-]+):\{', source)) | {PARTNER_LINK}
    assert {"scheduler", "routing", "gateway:webchat", "scheduler:retention"} <= words and {
        "gateway",
        "outbox",
    } <= kinds
    assert words <= set(ACTORS), words - set(ACTORS)
    assert kinds <= {*ACTOR_KINDS, PARTNER_LINK}
