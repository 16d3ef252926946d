"""Live pushes without Redis: a process that holds no sockets (the task worker, the scheduler, a
command) stores its pushes, and the server process hands them to its own channel layer. With the
sockets in the process, or with Redis, pushes go straight to the layer as before."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from websockets.sync.client import connect

from helpline.common import live, live_relay
from helpline.common.models import LiveEvent
from helpline.operations.registry import periodic_jobs
from tests.servers import helpline_server
from tests.test_live_pushes import listen
from tests.test_multiprocess_redis import SIGN_IN_COUNSELLOR, frames_until, http

pytestmark = pytest.mark.django_db(transaction=True)

NO_SOCKETS_HERE = override_settings(LIVE_SOCKETS_HERE=False)


def relayed_to(group: str) -> list[dict[str, Any]]:
    """Run the server's relay once, as its task does, and collect what reaches `group`."""
    layer = get_channel_layer()

    async def scenario() -> list[dict[str, Any]]:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await live_relay.relay_once(layer)
        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(layer.receive(channel), 0.2))
            except TimeoutError:
                break
        await layer.group_discard(group, channel)
        return got

    return async_to_sync(scenario)()


@NO_SOCKETS_HERE
def test_a_push_from_a_process_without_sockets_is_stored_and_relayed_by_the_server() -> None:
    contact = uuid.uuid4()
    live.contact_changed(contact, reason="sent", holder=uuid.uuid4())
    assert LiveEvent.objects.count() == 2  # its holder and the supervisors
    got = relayed_to(live.SUPERVISORS_GROUP)
    assert [(e["type"], e["contact"], e["reason"]) for e in got] == [("console.event", str(contact), "sent")]
    assert LiveEvent.objects.count() == 0  # taken once, never again


@NO_SOCKETS_HERE
def test_a_push_inside_a_transaction_is_stored_only_if_it_commits() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        live.push(live.CONSOLE_GROUP, {"contact": "x", "reason": "taken"})
        raise RuntimeError("rolled back")
    assert LiveEvent.objects.count() == 0
    with transaction.atomic():
        live.push(live.CONSOLE_GROUP, {"contact": "x", "reason": "taken"})
        assert LiveEvent.objects.count() == 0  # not before the commit
    assert LiveEvent.objects.count() == 1


def test_with_the_sockets_in_this_process_pushes_go_straight_to_the_layer() -> None:
    got = listen({"console": [live.CONSOLE_GROUP]}, lambda: live.push(live.CONSOLE_GROUP, {"contact": "y"}))
    assert [e["contact"] for e in got["console"]] == ["y"]
    assert LiveEvent.objects.count() == 0


@override_settings(
    LIVE_SOCKETS_HERE=False, CHANNEL_LAYERS={"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
)
def test_with_redis_nothing_is_stored() -> None:
    from channels_redis.core import RedisChannelLayer

    assert not live._relayed(RedisChannelLayer())


def test_events_no_server_took_are_pruned_by_the_scheduler() -> None:
    now = timezone.now()
    for age in (dt.timedelta(minutes=10), live_relay.KEEP + dt.timedelta(seconds=1), dt.timedelta(seconds=5)):
        LiveEvent.objects.create(group="console", event={"reason": "x"}, created_at=now - age)
    [job] = [j for j in periodic_jobs() if j.name == "common.live_events_prune"]
    assert job.function() == 2
    assert LiveEvent.objects.count() == 1  # the recent one waits for a server


def test_the_workers_sent_reaches_the_console_socket_without_redis(tmp_path: Path) -> None:
    """Real processes, no Redis: an SMS stored by a command, the reply sent by the task worker;
    the counsellor's socket on the server hears both at once."""
    with helpline_server(tmp_path, extra_env={"HELPLINE_DEMO": "1"}, worker=True) as server:
        cookie = "helpline_session=" + server.shell(SIGN_IN_COUNSELLOR).strip().splitlines()[-1]
        with connect(
            f"ws://127.0.0.1:{server.port}/ws/staff/",
            origin=server.url,
            additional_headers={"Cookie": cookie},
        ) as staff_ws:
            assert json.loads(staff_ws.recv(timeout=10))["type"] == "hello"
            server.shell(
                "from helpline.channels.base import InboundText; "
                "from helpline.conversations.services import text_receive; "
                "text_receive(InboundText(provider='kannel', provider_message_id='relay-1', "
                "sender='+85512777001', recipient='1280', text='hello'))"
            )
            contact_id = frames_until(staff_ws, "console.event")["contact"]  # from the command

            status, _body, jar = http(f"{server.url}/console/", cookie=cookie)
            assert status == 200
            csrf = next(c.value for c in jar if c.name == "helpline_csrf")
            both = f"{cookie}; helpline_csrf={csrf}"
            http(f"{server.url}/console/{contact_id}/take/", cookie=both, data={"csrfmiddlewaretoken": csrf})
            started = time.monotonic()
            status, body, _jar = http(
                f"{server.url}/console/{contact_id}/reply/",
                cookie=both,
                data={"text": "We are here", "csrfmiddlewaretoken": csrf},
            )
            assert status == 200 and "We are here" in body
            sent = frames_until(staff_ws, "sent", key="reason")  # from the task worker
            assert sent["contact"] == contact_id
            assert time.monotonic() - started < 8
            assert server.query("SELECT count(*) FROM common_liveevent") == [(0,)]


def _statements(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as seen:
        run()
    return [q["sql"] for q in seen.captured_queries]


def test_a_poll_of_an_empty_table_only_reads() -> None:
    """Twice a second, all day: an empty poll must not begin a transaction (on SQLite that takes
    the one writer's lock) nor write."""
    statements = _statements(live_relay.take)
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")


def test_pruning_with_nothing_old_only_reads() -> None:
    LiveEvent.objects.create(group="console", event={"reason": "x"}, created_at=timezone.now())
    statements = _statements(live_relay.prune)
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    assert LiveEvent.objects.count() == 1


@NO_SOCKETS_HERE
def test_one_change_told_to_several_groups_is_stored_in_one_write() -> None:
    """The worker's "sent" goes to the holder and the supervisors (a state change to the child's
    chat too): one insert, not one write per group."""
    statements = _statements(lambda: live.contact_changed(uuid.uuid4(), reason="sent", holder=uuid.uuid4()))
    assert len([s for s in statements if s.startswith("INSERT")]) == 1, statements
    assert len([s for s in statements if s.startswith("BEGIN")]) <= 1, statements
    assert sorted(LiveEvent.objects.values_list("group", flat=True))[-1] == live.SUPERVISORS_GROUP
    assert LiveEvent.objects.count() == 2
