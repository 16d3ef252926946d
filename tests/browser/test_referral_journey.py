"""A referral's journey in a real browser: the partner opens the link that arrived by email (a
real SMTP server) in a phone's browser of its own, without JavaScript, reads what was shared in
Khmer or English and answers, under the Content-Security-Policy.

The server here is one of this module's own: a demo Helpline whose task worker sends mail to the
SMTP server this test runs, and whose public address is the one the links name."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PROJECT_DIR,
    HelplineServer,
    _free_port,
    _manage,
    _server_env,
    _wait_until_healthy,
)
from tests.browser.test_csp import Violations
from tests.smtp import Mailbox, smtp_server, text_of

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}  # the partner opens the link on a phone


@dataclass(frozen=True)
class MailingHelpline:
    server: HelplineServer
    mailbox: Mailbox
    env: dict[str, str]

    def shell(self, code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=PROJECT_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]  # the last line printed (the shell announces imports)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def mailing_helpline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailingHelpline]:
    """A demo Helpline with its task worker, mailing through the SMTP server of this test."""
    with smtp_server() as mailbox:
        base = tmp_path_factory.mktemp("helpline-referrals")
        data_dir = base / "data"
        data_dir.mkdir()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = _server_env(data_dir) | {
            "EMAIL_HOST": mailbox.host,
            "EMAIL_PORT": str(mailbox.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_USE_SSL": "0",
            "DEFAULT_FROM_EMAIL": "referrals@helpline.example.org",
            "HELPLINE_PUBLIC_URL": url,
        }
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        server = HelplineServer(url=url, data_dir=data_dir, log_path=base / "server.log")
        processes: list[subprocess.Popen[bytes]] = []
        try:
            with server.log_path.open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)],
                        cwd=PROJECT_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            with (base / "worker.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay"],
                        cwd=PROJECT_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            _wait_until_healthy(url, processes[0], server)
            yield MailingHelpline(server=server, mailbox=mailbox, env=env)
        finally:
            for process in processes:
                _stop(process)


def the_emailed_link(helpline: MailingHelpline, number: str) -> str:
    """The partner link in the email about referral `number`, as the partner's mail shows it."""
    for message in helpline.mailbox.wait_for(1, timeout=30):
        if number in message["Subject"]:
            text = text_of(message)
            [link] = set(re.findall(re.escape(helpline.server.url) + r"/partner/[^/\s]+/", text))
            return link
    raise AssertionError(f"no email about {number}")


def test_the_partners_page_on_a_phone_runs_under_the_policy_and_reads_in_either_language(
    chromium: Any, mailing_helpline: MailingHelpline
) -> None:
    helpline = mailing_helpline
    number, nickname = helpline.shell(SEND_ONE).split("|")
    link = the_emailed_link(helpline, number)
    context = chromium.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        partner = context.new_page()
        violations = Violations()
        # Without JavaScript the page cannot report a violation itself: Chromium logs each one.
        partner.on("console", lambda message: violations.seen.append(message.text))
        partner.goto(link)
        expect(partner.locator("html")).to_have_attribute("lang", "km")
        expect(partner.locator("h1")).to_contain_text(number)
        expect(partner.locator("main")).to_contain_text("zq7 a bed tonight")
        expect(partner.locator("main")).not_to_contain_text(nickname)  # not shared
        box = partner.locator("main").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        partner.get_by_role("link", name="English").click()
        expect(partner.locator("html")).to_have_attribute("lang", "en")
        partner.get_by_role("button", name="We received this referral").click()
        expect(partner.locator(".notice")).to_contain_text("knows that you received this referral")
        expect(partner.locator(".referral-status")).to_have_attribute("data-status", "acknowledged")
        assert [m for m in violations.found() if "Content Security" in m] == []
    finally:
        context.close()


# A sent referral made directly (the counsellor's referral pages are tested on their own), its
# link issued and mailed through the worker as sending does.
SEND_ONE = """
from django.utils import timezone
from helpline.accounts.models import Staff
from helpline.cases.models import Case
from helpline.contacts.models import Term
from helpline.referrals.delivery import send_partner_link
from helpline.referrals.models import Assessment, Partner, Referral
staff = Staff.objects.get(username="counsellor")
case = Case.objects.exclude(nickname="").filter(status="open").first()
partner = Partner.objects.create(name="Test shelter", email="p@example.org", assessment=Assessment.APPROVED)
service = Term.objects.get(vocabulary="service", code="shelter")
partner.services.set([service])
ref = Referral.objects.create(
    number="R-2099-00001", case=case, partner=partner, service=service, status="sent",
    request="zq7 a bed tonight", consent="given", shared={"age": "15"},
    created_by=staff, sent_by=staff, sent_at=timezone.now(),
)
send_partner_link(ref, actor=staff)
print(ref.number + "|" + case.nickname)
"""
