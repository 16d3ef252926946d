"""simulate_chats against a real server (uvicorn in a subprocess, its own SQLite file): every chat
it starts is a chat session in the database, and every acknowledged message is stored once."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator

import pytest
from django.core.management import CommandError

from helpline.conversations import consumers
from helpline.demo import simulate_chat
from helpline.demo.simulate_chat import simulate_chats
from tests.servers import HelplineServer, helpline_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HelplineServer]:
    with helpline_server(tmp_path_factory.mktemp("simulate-chat")) as running:
        yield running


def _hex(value: str) -> str:
    return value.replace("-", "")


def test_simulated_chats_are_stored_once_each(server: HelplineServer) -> None:
    out = io.StringIO()
    summary = simulate_chats(server.url, rate=5, duration=1, seed=1280, stdout=out)
    assert summary["chats_planned"] == 5
    assert summary["chats_started"] == 5, out.getvalue()
    assert summary["chats_failed"] == 0 and not summary["errors"], out.getvalue()
    assert summary["chats_left"] + summary["chats_disconnected"] == 5
    assert summary["messages_sent"] == summary["messages_acknowledged"] == 15, out.getvalue()
    assert summary["ack_p50_ms"] > 0 and summary["ack_p99_ms"] >= summary["ack_p50_ms"]
    assert "15 acknowledged" in out.getvalue() and "p99" in out.getvalue()

    # One chat session per started chat, for exactly the conversations the chats were given.
    sessions = server.query("SELECT conversation_id FROM conversations_chatsession")
    assert {_hex(c) for (c,) in sessions} >= {_hex(c) for c in summary["conversations"]}
    conversations = {_hex(c) for c in summary["conversations"]}
    assert len(conversations) == 5
    # Each acknowledged message is one inbound row, none twice.
    rows = server.query(
        "SELECT conversation_id, provider_message_id FROM conversations_message "
        "WHERE direction = 'in' AND provider = 'webchat'"
    )
    ours = [(c, p) for c, p in rows if _hex(c) in conversations]
    assert len(ours) == len({p for _c, p in ours}) == 15
    expected = {f"{c}:{i}" for c, i in summary["acknowledged_ids"]}
    assert {p for _c, p in ours} == expected
    # Leaving ends the chat: those sessions are marked left, the others just disconnected.
    (left,) = server.query("SELECT count(*) FROM conversations_chatsession WHERE left_at IS NOT NULL")
    assert left[0] >= summary["chats_left"]


def test_run_from_options_is_the_command_wiring(server: HelplineServer) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=2.0)  # as `manage.py simulate` defines it
    simulate_chat.add_arguments(parser)
    options = vars(
        parser.parse_args(
            ["--chats", "--url", server.url, "--rate", "2", "--duration", "1", "--messages-per-chat", "2"]
        )
    )
    assert options["chats"] is True
    out = io.StringIO()
    summary = simulate_chat.run_from_options(options, out)
    assert summary["chats_started"] == 2 and summary["messages_acknowledged"] == 4
    assert "all 4 messages acknowledged" in out.getvalue()


def test_a_server_off_this_machine_is_refused() -> None:
    with pytest.raises(ValueError, match=r"refusing to open chats on 192\.0\.2\.10"):
        simulate_chats("http://192.0.2.10:8000", rate=1, duration=1)
    with pytest.raises(CommandError, match="not a loopback address"):
        options = {"url": "http://192.0.2.10:8000", "rate": 1, "duration": 1}
        simulate_chat.run_from_options(options, io.StringIO())
    assert simulate_chat.chat_endpoints("https://localhost:8443/") == (
        "wss://localhost:8443/ws/chat/",
        "https://localhost:8443",
    )


def test_the_simulated_children_stay_under_the_flood_limit() -> None:
    assert (simulate_chat.FLOOD_FRAMES, simulate_chat.FLOOD_SECONDS) == (
        consumers.FLOOD_FRAMES,
        consumers.FLOOD_SECONDS,
    )
