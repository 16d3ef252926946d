"""A referral's journey in a real browser: the counsellor refers a case, choosing what to share;
the partner opens the link that arrived by email (a real SMTP server) in a phone's browser of its
own, without JavaScript, sees only that, accepts and marks the service delivered; the counsellor
sees each step on the case timeline and the follow-up with the child on the console. And the
partner's page reads in Khmer or English and answers under the Content-Security-Policy.

The server here is one of this module's own: a demo Helpline whose task worker sends mail to the
SMTP server this test runs, and whose public address is the one the links name."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from helpline.referrals.models import ReferralStatus
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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in list(helpline.mailbox.messages):
            if number in message["Subject"]:
                text = text_of(message)
                [link] = set(re.findall(re.escape(helpline.server.url) + r"/partner/[^/\s]+/", text))
                return link
        time.sleep(0.2)
    raise AssertionError(f"no email about {number} within 30 s")


def sign_in(chromium: Any, helpline: MailingHelpline, username: str) -> Any:
    server = helpline.server
    context = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/sign-in/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(server.password)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/code/$"))
    page.locator("#id_code").fill(server.totp_code(username))
    page.locator("main form button.primary").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/sign-in/"))
    return page


def partner_phone(chromium: Any) -> Any:
    """A phone's browser of the partner's own: no cookie of the helpline's, no JavaScript."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    context.set_default_timeout(15_000)
    return context.new_page()


def press(partner: Any, action: str) -> None:
    """The partner's button for `action` (each is a form of its own, named by a hidden field)."""
    partner.locator(f"form:has(input[name=action][value={action}]) button[type=submit]").click()
    expect(partner.locator(".referral-status")).to_have_attribute("data-status", action)


def named(status: ReferralStatus) -> re.Pattern[str]:
    """The status as a timeline step names it: in the language of whoever took the step."""
    labels = []
    for language in ("km", "en"):
        with translation.override(language):
            labels.append(re.escape(str(status.label)))
    return re.compile("|".join(labels))


NICKNAME = "Srey Pov"
REQUEST = "zq8 A safe place to sleep tonight; she will come with her aunt."


def test_a_referral_from_the_case_to_the_partner_and_back(
    chromium: Any, mailing_helpline: MailingHelpline
) -> None:
    helpline = mailing_helpline
    # The follow-up with the child falls due at once, so the console shows it today.
    helpline.shell(
        "from helpline.referrals.models import ReferralSettings; "
        "ReferralSettings.objects.update_or_create(pk=1, defaults={'follow_up_after_delivery_days': 0}); "
        "print('ok')"
    )
    counsellor = sign_in(chromium, helpline, "counsellor")
    try:
        # A case opened from a new contact at the console, the child's age and province recorded.
        counsellor.goto("/console/")
        counsellor.locator("form.start input[name=address]").fill("012 888 414")
        counsellor.locator("form.start button[type=submit]").click()
        expect(counsellor).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
        counsellor.locator(".cases-panel form[action^='/cases/open/'] button").click()
        expect(counsellor).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
        case_path = counsellor.url[len(helpline.server.url) :]
        profile = counsellor.locator("#profile form")
        profile.locator("input[name=nickname]").fill(NICKNAME)
        profile.locator("input[name=age]").fill("15")
        profile.locator("select[name=province]").select_option("phnom_penh")
        profile.locator("button[type=submit]").click()
        expect(counsellor.locator("h1")).to_contain_text(NICKNAME)
        case_number = counsellor.locator("h1").inner_text().split("·")[0].strip()

        # The referral: a shelter in Phnom Penh, sharing the age and province, not the name.
        counsellor.locator("#referrals a[href$='/refer/']").click()
        counsellor.locator("form.filters select[name=service]").select_option("shelter")
        choice = counsellor.locator(".partner-choice", has_text="Safe Haven Phnom Penh")
        choice.locator("input[name=partner]").check()
        counsellor.locator("textarea[name=request]").fill(REQUEST)
        counsellor.locator("input[name=shared_fields][value=gender]").uncheck()
        counsellor.locator("input[name=shared_fields][value=age]").check()
        counsellor.locator("input[name=shared_fields][value=province]").check()
        expect(counsellor.locator("input[name=shared_fields][value=nickname]")).not_to_be_checked()
        counsellor.locator("input[name=consent][value=given]").check()
        counsellor.locator("form[method=post] button.primary").click()

        # The preview is what the partner will see; then it is sent.
        preview = counsellor.locator("#preview .shared-view")
        expect(preview).to_contain_text(REQUEST)
        expect(preview).to_contain_text("15")
        expect(preview).not_to_contain_text(NICKNAME)
        number = preview.locator("dd").first.inner_text().strip()
        counsellor.locator("#preview form[action$='/send/'] button").click()
        expect(counsellor.locator("#links form[action$='/revoke/']")).to_have_count(1)
        signed_in = counsellor.context.storage_state()
    finally:
        counsellor.context.close()

    # The partner: the link from the email, on a phone, seeing only what was shared.
    link = the_emailed_link(helpline, number)
    partner = partner_phone(chromium)
    try:
        partner.goto(link)
        main = partner.locator("main")
        expect(main).to_contain_text(number)
        expect(main).to_contain_text(REQUEST)
        expect(main.locator(".shared-view")).to_contain_text("15")
        expect(main.locator(".shared-view")).to_contain_text("ភ្នំពេញ")  # the province, shared
        for hidden in (NICKNAME, case_number, "012 888 414", "+85512888414"):
            expect(main).not_to_contain_text(hidden)
        press(partner, "accepted")
        press(partner, "delivered")
        expect(partner.locator(".notice")).to_be_visible()
    finally:
        partner.context.close()

    # The counsellor: each answer on the case timeline, and the follow-up with the child on the console.
    context = chromium.new_context(base_url=helpline.server.url, storage_state=signed_in)
    context.set_default_timeout(15_000)
    counsellor = context.new_page()
    try:
        counsellor.goto(case_path)
        steps = counsellor.locator("#timeline li[data-kind=referral]")
        for status, by in (
            (ReferralStatus.SENT, "counsellor"),
            (ReferralStatus.ACCEPTED, "partner"),
            (ReferralStatus.DELIVERED, "partner"),
        ):
            step = steps.filter(has_text=number).filter(has_text=named(status))
            expect(step).to_have_count(1)
            if by == "partner":
                expect(step).to_contain_text("partner")
        counsellor.goto("/console/")
        follow_ups = counsellor.locator("#my-follow-ups")
        expect(follow_ups).to_contain_text(case_number)
        expect(follow_ups.locator(f"a[href='{case_path}#follow-ups']")).to_have_count(1)
    finally:
        counsellor.context.close()


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


# A referral drafted and sent through the referral services, as the referral pages do (the journey
# test above goes through those pages): its link is issued and mailed through the worker.
SEND_ONE = """
from helpline.accounts.models import Staff
from helpline.cases.selectors import cases_visible_to
from helpline.referrals.models import Partner
from helpline.referrals.services import referral_draft, referral_send
staff = Staff.objects.get(username="counsellor")
case = cases_visible_to(staff).exclude(nickname="").filter(status="open").first()
draft = referral_draft(
    staff, case=case, partner=Partner.objects.get(name="Safe Haven Phnom Penh"), service="shelter",
    urgency="routine", request="zq7 a bed tonight", shared_fields=["age"], consent="given",
)
print(referral_send(staff, draft).number + "|" + case.nickname)
"""
