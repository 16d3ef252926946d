"""`manage.py simulate` against a real server (uvicorn in a subprocess, its own SQLite file): every
message it sends arrives through the webhook and is stored exactly once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from tests.servers import PROJECT_DIR, HelplineServer, helpline_server

SECRET = "simulate-test-kannel-secret"
TOKEN = "simulate-test-twilio-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HelplineServer]:
    extra = {"HELPLINE_KANNEL_SECRET": SECRET, "HELPLINE_TWILIO_AUTH_TOKEN": TOKEN}
    with helpline_server(tmp_path_factory.mktemp("simulate"), extra_env=extra) as running:
        yield running


def simulate(server: HelplineServer, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, with the server's environment (so the secrets come from
    HELPLINE_KANNEL_SECRET / HELPLINE_TWILIO_AUTH_TOKEN, as an operator's would) in demo mode,
    the only mode that has the command."""
    return subprocess.run(
        [sys.executable, "manage.py", "simulate", "--url", server.url, *args],
        cwd=PROJECT_DIR,
        env={**server.env, "HELPLINE_DEMO": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stored(server: HelplineServer, provider: str) -> tuple[int, int]:
    (row,) = server.query(
        "SELECT count(*), count(DISTINCT provider_message_id) FROM conversations_message "
        "WHERE direction = 'in' AND provider = ?",
        [provider],
    )
    return int(row[0]), int(row[1])


def test_simulated_kannel_traffic_is_stored_once_each(server: HelplineServer) -> None:
    result = simulate(server, "--rate", "20", "--duration", "1", "--seed", "1280")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent: 20 in" in result.stdout and "HTTP status: 200 x20" in result.stdout
    assert "p99" in result.stdout
    assert stored(server, "kannel") == (20, 20)
    # Khmer arrives intact: the texts are the command's own, unchanged.
    from helpline.demo.management.commands.simulate import TEXTS_EN, TEXTS_KM

    texts = {t for (t,) in server.query("SELECT text FROM conversations_message WHERE direction = 'in'")}
    assert texts and texts <= set(TEXTS_KM) | set(TEXTS_EN)


def test_simulated_twilio_traffic_is_signed_and_stored(server: HelplineServer) -> None:
    result = simulate(server, "--provider", "twilio", "--rate", "10", "--duration", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HTTP status: 200 x10" in result.stdout
    assert stored(server, "twilio") == (10, 10)


def test_a_wrong_secret_is_reported_not_hidden(server: HelplineServer) -> None:
    before = stored(server, "kannel")
    result = simulate(server, "--rate", "5", "--duration", "1", "--secret", "wrong")
    assert result.returncode != 0
    assert "403 x5" in result.stdout and "5 of 5 messages were not acknowledged" in result.stderr
    assert stored(server, "kannel") == before


def test_simulate_refuses_a_server_that_is_not_local() -> None:
    with pytest.raises(CommandError, match=r"refusing to send to 192\.0\.2\.10"):
        call_command("simulate", url="http://192.0.2.10:8000", secret="x", duration=1)
