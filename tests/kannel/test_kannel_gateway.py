"""SMS through a real Kannel (bearerbox, smsbox, fake SMSC) into a real Helpline and back.

The stack is in conftest.py. What each test checks is read from Helpline's own SQLite database
(read-only) and from what fakesmsc printed; replies are queued through the real services in a
`manage.py shell -c` subprocess and sent by the real task worker through Kannel's sendsms.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.kannel.conftest import README_SHORT_CODE, SHORT_CODE, KannelStack, SmscMessage, wait_for
from tests.servers import log_tail

pytestmark = pytest.mark.kannel

# "Hello, I need help" / "We are here to help you." (short enough for one fakesmsc input line).
KHMER_IN = "សួស្តី ខ្ញុំត្រូវការជំនួយ"
KHMER_REPLY = "យើងនៅទីនេះដើម្បីជួយអ្នក។"
WAIT = 15


def inbound(stack: KannelStack, text: str) -> list[tuple[Any, ...]]:
    """(id, conversation id, provider message id) of stored inbound messages with exactly this text."""
    return stack.helpline.query(
        "SELECT id, conversation_id, provider_message_id FROM conversations_message "
        "WHERE direction = 'in' AND text = ?",
        [text],
    )


def outbound(stack: KannelStack, conversation_id: str) -> list[tuple[Any, ...]]:
    """(id, text, status, is_automatic, error) of the replies in a conversation, oldest first."""
    return stack.helpline.query(
        "SELECT id, text, status, is_automatic, error FROM conversations_message "
        "WHERE direction = 'out' AND conversation_id = ? ORDER BY created_at",
        [conversation_id],
    )


def contacts_of(stack: KannelStack, conversation_id: str) -> list[tuple[Any, ...]]:
    """(status, channel) of every contact of this conversation's caller."""
    return stack.helpline.query(
        "SELECT c.status, c.channel FROM contacts_contact c "
        "JOIN conversations_conversation v ON v.contact_id = c.id "
        "WHERE v.caller_id = (SELECT caller_id FROM conversations_conversation WHERE id = ?)",
        [conversation_id],
    )


def counsellor_reply(stack: KannelStack, conversation_id: str, text: str, username: str) -> str:
    """A counsellor takes the contact and replies, through the real services; the reply's id."""
    code = f"""
import json
from helpline.accounts.models import Role, Staff
from helpline.contacts.services import contact_take
from helpline.conversations.models import Conversation
from helpline.conversations.services import text_reply

staff = Staff.objects.create_user({username!r}, None, role=Role.COUNSELLOR, full_name="Kannel test")
contact = Conversation.objects.select_related("contact").get(pk={conversation_id!r}).contact
contact = contact_take(staff, contact=contact)
message = text_reply(staff, contact=contact, text={text!r})  # queued; on_commit asks the worker
print(json.dumps({{"message": message.pk.hex}}))
"""
    output = stack.helpline.shell(code)
    return str(json.loads(output.strip().splitlines()[-1])["message"])


def status_of(stack: KannelStack, message_id: str) -> str:
    rows = stack.helpline.query("SELECT status FROM conversations_message WHERE id = ?", [message_id])
    return str(rows[0][0]) if rows else ""


def to(number: str, text: str) -> Any:
    def matches(message: SmscMessage) -> bool:
        return message.sender == SHORT_CODE and message.receiver == number and message.text == text

    return matches


def test_khmer_sms_through_kannel_becomes_a_contact_and_the_reply_comes_back(kannel: KannelStack) -> None:
    number = "85512345678"
    kannel.smsc.send_ucs2(number, SHORT_CODE, KHMER_IN)

    rows = wait_for(
        lambda: inbound(kannel, KHMER_IN), WAIT, f"Helpline to store the Khmer SMS\n{kannel.diagnostics()}"
    )
    assert len(rows) == 1, rows
    _message_id, conversation_id, provider_id = rows[0]
    # The proxy records a request once Helpline has answered it, a moment after the row appears.
    seen = wait_for(lambda: kannel.proxy.requests(KHMER_IN), WAIT, "the proxy to record the request")
    assert [r.param("id") for r in seen] == [provider_id], "smsbox's %I is the stored provider id"
    assert seen[0].param("from") == number and seen[0].param("to") == SHORT_CODE
    assert contacts_of(kannel, conversation_id) == [("waiting", "sms")]

    # The first automatic reply (Khmer, the default text settings) leaves through Kannel.
    (first_reply,) = kannel.helpline.query("SELECT first_reply_km FROM conversations_textsettings")
    assert first_reply[0] and not first_reply[0].isascii()
    auto = kannel.smsc.wait_for_message(to(number, first_reply[0]), WAIT, "the first automatic reply")
    assert auto.parts == 2, "90 Khmer characters take two concatenated UCS-2 parts"
    (auto_row,) = outbound(kannel, conversation_id)
    assert auto_row[1] == first_reply[0] and auto_row[3] == 1
    # Kannel's fake SMSC reports 8 (SMSC accepted) and 1 (delivered) to the dlr-url.
    wait_for(
        lambda: status_of(kannel, auto_row[0]) == "delivered",
        WAIT,
        f"a delivery report for the automatic reply (status now {status_of(kannel, auto_row[0])!r})",
    )

    # A counsellor takes the contact and answers in Khmer; the worker sends it through sendsms.
    reply_id = counsellor_reply(kannel, conversation_id, KHMER_REPLY, username="kannel-counsellor")
    got = kannel.smsc.wait_for_message(to(number, KHMER_REPLY), WAIT, "the counsellor's Khmer reply")
    assert got.kind == "ucs-2" and got.parts == 1
    wait_for(
        lambda: status_of(kannel, reply_id) == "delivered",
        WAIT,
        f"a delivery report for the counsellor's reply (status now {status_of(kannel, reply_id)!r})",
    )
    assert contacts_of(kannel, conversation_id) == [("active", "sms")]
    assert [m.text for m in kannel.smsc.received() if m.receiver == number] == [first_reply[0], KHMER_REPLY]


def test_duplicate_delivery_from_kannel_stays_one_message(kannel: KannelStack) -> None:
    number = "85512345680"
    text = f"duplicate-check-{secrets.token_hex(4)}"
    kannel.proxy.lose_ack_once(text)
    kannel.smsc.send_text(number, SHORT_CODE, text)

    # smsbox gets no answer to its first request and sends the same one again (http-request-retry).
    def delivered_twice() -> bool:
        seen = kannel.proxy.requests(text)
        return len(seen) >= 2 and seen[-1].acknowledged

    wait_for(delivered_twice, WAIT, f"smsbox to retry the unacknowledged request\n{kannel.diagnostics()}")
    seen = kannel.proxy.requests(text)
    assert len({r.param("id") for r in seen}) == 1, "every retry carries the same Kannel message id"
    assert [r.acknowledged for r in seen] == [False] + [True] * (len(seen) - 1)
    assert all(r.status == 200 for r in seen), [r.status for r in seen]

    rows = inbound(kannel, text)
    assert len(rows) == 1, f"stored {len(rows)} times"
    _message_id, conversation_id, provider_id = rows[0]
    assert provider_id == seen[0].param("id")
    assert contacts_of(kannel, conversation_id) == [("waiting", "sms")]
    assert len(outbound(kannel, conversation_id)) == 1, "one automatic reply, not one per delivery"


def test_plain_ascii_sms_roundtrip(kannel: KannelStack) -> None:
    number = "85512345690"
    text = "Hello, is anyone there? I need to talk"
    reply = "Hello, we are here. You can tell us what happened, it is safe."
    kannel.smsc.send_text(number, SHORT_CODE, text)

    rows = wait_for(lambda: inbound(kannel, text), WAIT, f"Helpline to store the SMS\n{kannel.diagnostics()}")
    assert len(rows) == 1
    conversation_id = rows[0][1]
    reply_id = counsellor_reply(kannel, conversation_id, reply, username="kannel-counsellor-2")
    got = kannel.smsc.wait_for_message(to(number, reply), WAIT, "the counsellor's plain reply")
    assert got.kind == "text"
    wait_for(lambda: status_of(kannel, reply_id) == "delivered", WAIT, "a delivery report for the reply")


def test_khmer_through_readme_recipe_without_mo_recode(kannel: KannelStack, readme_smsbox: Path) -> None:
    """README's sms-service without mo-recode: smsbox sends the UCS-2 bytes as they came
    (charset=UTF-16BE), and Helpline must still store the Khmer text intact."""
    number = "85512345699"
    kannel.smsc.send_ucs2(number, README_SHORT_CODE, KHMER_IN)

    def answered() -> list[Any]:
        return [r for r in kannel.proxy.requests() if r.param("from") == number and r.status is not None]

    seen = wait_for(answered, WAIT, "the README smsbox to call Helpline\n" + log_tail(readme_smsbox))
    assert (seen[0].param("coding"), seen[0].param("charset")) == ("2", "UTF-16BE")
    stored = kannel.helpline.query(
        "SELECT text FROM conversations_message WHERE direction = 'in' AND provider_message_id = ?",
        [seen[0].param("id")],
    )
    assert seen[0].status == 200 and stored == [(KHMER_IN,)], (seen[0].status, stored)


def test_a_text_sent_while_helpline_restarts_arrives_once(kannel: KannelStack, readme_smsbox: Path) -> None:
    """README's recipe keeps a text that smsbox could not hand over: Helpline is down when the
    text arrives, smsbox tries again until Helpline is back, and the text is stored once."""
    number = "85512345695"
    text = f"restart-{secrets.token_hex(4)}"
    argv = kannel.stop_helpline()
    try:
        kannel.smsc.send_text(number, README_SHORT_CODE, text)
        wait_for(
            lambda: [r for r in kannel.proxy.requests(text) if r.status is None],
            WAIT,
            f"smsbox to try the text while Helpline is down\n{log_tail(readme_smsbox)}",
        )
        time.sleep(1)
    finally:
        kannel.start_helpline(argv)

    rows = wait_for(
        lambda: inbound(kannel, text), WAIT, f"the text once Helpline is back\n{kannel.diagnostics()}"
    )
    time.sleep(6)  # longer than README's http-queue-delay: a late retry would show now
    assert len(inbound(kannel, text)) == 1, "stored once"
    seen = kannel.proxy.requests(text)
    assert [r.status for r in seen][-1] == 200 and all(r.status is None for r in seen[:-1]), seen
    assert len(seen) >= 2 and {r.param("id") for r in seen} == {rows[0][2]}
    # What README warns of: Kannel's access log holds every get-url whole (the secret, the number,
    # the text) and its log file every number and text.
    access_log = (kannel.base / "readme-smsbox-access.log").read_text(errors="replace")
    smsbox_log = (kannel.base / "readme-smsbox.log").read_text(errors="replace")
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(kannel.get_url).query)["secret"][0]
    assert f"secret={secret}" in access_log and number in access_log and text in access_log
    assert number in smsbox_log and text in smsbox_log
