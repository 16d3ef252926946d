"""Browser-test fixtures: a real Helpline server (uvicorn in a subprocess, its own fresh SQLite data
directory, demo data) and Debian's Chromium driven by Playwright.

Nothing here touches the database in-process: the tests talk to the server over HTTP only, so
pytest-django's database fixtures are neither used nor needed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# From the testing notes: without the background-networking flags Chromium tries to reach the
# internet and stalls.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = PROJECT_DIR / "test-results"
STARTUP_SECONDS = 60
_LAST_STEP: dict[str, int] = {}


@dataclass(frozen=True)
class HelplineServer:
    url: str
    data_dir: Path
    log_path: Path

    def demo_secrets(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.data_dir / "demo-secrets.json").read_text())
        return data

    @property
    def password(self) -> str:
        return self.demo_secrets()["password"]

    def totp_code(self, username: str) -> str:
        """The code an authenticator app would show now for the demo TOTP key. A code is accepted
        once per person (replay protection), so a second sign-in of the same person within one
        30-second step waits for the next code, as a person would."""
        from django_otp.oath import TOTP

        step = int(time.time()) // 30
        if _LAST_STEP.get(username) == step:
            time.sleep((step + 1) * 30 - time.time() + 0.5)
            step = int(time.time()) // 30
        _LAST_STEP[username] = step
        return str(TOTP(bytes.fromhex(self.demo_secrets()["totp_key_hex"])).token()).zfill(6)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Chosen before the server starts, since the server reads its allowed chat origins at start.
WEBSITE_PORT = _free_port()


def _server_env(data_dir: Path) -> dict[str, str]:
    """The environment a demo server gets: the parent's, minus anything pointing it at another
    database, channel layer or settings module (pytest-django sets the test settings here)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
        and not k.startswith("HELPLINE_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        HELPLINE_DEBUG="1",
        HELPLINE_DEMO="1",
        HELPLINE_HTTPS="0",
        HELPLINE_DATA_DIR=str(data_dir),
        # Quick exit must leave for a page that loads without the internet.
        HELPLINE_CHAT_EXIT_URL="about:blank",
        # The other website that embeds the widget (tests/browser/test_csp.py): its origin, port
        # and all, as a helpline lists the sites allowed to open chats.
        HELPLINE_CHAT_ORIGINS=f"http://localhost:{WEBSITE_PORT}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], server: HelplineServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with status {process.returncode} before answering /healthz:\n"
                + server.log_tail()
            )
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200 and json.loads(response.read()).get("status") == "ok":
                    return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last_error = exc
        time.sleep(0.2)
    raise RuntimeError(
        f"the server did not answer /healthz within {STARTUP_SECONDS}s ({last_error}):\n" + server.log_tail()
    )


@pytest.fixture(scope="session")
def helpline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HelplineServer]:
    """A real Helpline: migrate + seed_demo into a fresh SQLite data dir, then uvicorn on a free port."""
    base = tmp_path_factory.mktemp("helpline-browser")
    data_dir = base / "data"
    data_dir.mkdir()
    env = _server_env(data_dir)
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "seed_demo")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = HelplineServer(url=url, data_dir=data_dir, log_path=base / "server.log")
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # A loaded machine (CI on two cores) can take a few seconds for a round trip; assertions
    # wait up to 15 s before failing, as the browser contexts do.
    expect.set_options(timeout=15_000)

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps-browser` (as root) first")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any, helpline_server: HelplineServer) -> Iterator[Any]:
    """A fresh browser context (own cookies) per test."""
    context = chromium.new_context(base_url=helpline_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture(scope="session")
def staff_session(chromium: Any, helpline_server: HelplineServer) -> Callable[[str], dict[str, Any]]:
    """Sign each demo user in once per run and reuse the cookies: a TOTP code cannot be used twice
    by one person (replay protection), and several tests need the same person."""
    import re

    from playwright.sync_api import expect

    states: dict[str, dict[str, Any]] = {}

    def state_for(username: str) -> dict[str, Any]:
        if username not in states:
            context = chromium.new_context(base_url=helpline_server.url)
            page = context.new_page()
            page.goto("/accounts/sign-in/")
            page.locator("#id_username").fill(username)
            page.locator("#id_password").fill(helpline_server.password)
            page.locator("main form button[type=submit]").first.click()
            expect(page).to_have_url(re.compile(r"/accounts/sign-in/code/$"))
            page.locator("#id_code").fill(helpline_server.totp_code(username))
            page.locator("main form button.primary").click()
            expect(page).not_to_have_url(re.compile(r"/accounts/sign-in/"))
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state_for
