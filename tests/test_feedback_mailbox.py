"""Feedback by email: the scheduler reads the feedback mailbox over IMAP (a real IMAP server,
pymap), each unread mail becomes one item that is answered by email, and the mail is marked read;
a mail read twice is still one item."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from helpline.feedback.mailbox import feedback_mailbox_read
from helpline.feedback.models import Feedback, ReplyChannel, Source
from tests.imap import imap_server

pytestmark = pytest.mark.django_db


def mail(
    subject: str, body: str, *, sender: str = "child@example.org", message_id: str = "<m1@example.org>"
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "feedback@1280.example.org"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return bytes(message)


def test_unread_mail_becomes_feedback_once_and_is_marked_read(settings: object) -> None:
    with imap_server() as mailbox:
        for key, value in mailbox.django_settings().items():
            setattr(settings, key, value)
        mailbox.deliver(mail("ការត្អូញត្អែរ", "អ្នកប្រឹក្សាមិនបានឆ្លើយសាររបស់ខ្ញុំទេ"))
        mailbox.deliver(
            mail("Thanks", "You helped me a lot", sender="Kid <kid@example.org>", message_id="<m2@x>")
        )
        assert feedback_mailbox_read() == 2
        assert mailbox.unseen() == []
        mailbox.deliver(mail("again", "the same message id", message_id="<m2@x>"))
        assert feedback_mailbox_read() == 0
    items = {f.email_message_id: f for f in Feedback.objects.all()}
    assert set(items) == {"<m1@example.org>", "<m2@x>"}
    khmer = items["<m1@example.org>"]
    assert (khmer.source, khmer.reply_channel, khmer.language) == (Source.EMAIL, ReplyChannel.EMAIL, "km")
    assert "អ្នកប្រឹក្សា" in khmer.text
    assert "kid@example.org" not in items["<m2@x>"].reply_address_encrypted  # kept encrypted


def test_html_only_mail_is_kept_as_text(settings: object) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["Subject"] = "html"
    message["Message-ID"] = "<h1@x>"
    message.set_content("<p>Hello <script>alert(1)</script><b>there</b></p>", subtype="html")
    with imap_server() as mailbox:
        for key, value in mailbox.django_settings().items():
            setattr(settings, key, value)
        mailbox.deliver(bytes(message))
        assert feedback_mailbox_read() == 1
    text = Feedback.objects.get().text
    assert "<" not in text and "there" in text


def test_no_mailbox_set_reads_nothing(settings: object) -> None:
    settings.FEEDBACK_IMAP_HOST = ""  # type: ignore[attr-defined]
    assert feedback_mailbox_read() == 0
