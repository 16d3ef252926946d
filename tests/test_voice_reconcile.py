"""`manage.py voice_reconcile <queue_log>`: the calls the AMI connector missed are added from Asterisk's
queue_log, once, whatever ran before (the connector, or the command itself)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpline.accounts.models import Staff
from helpline.channels.ami.adapter import to_call_event
from helpline.common import live
from helpline.contacts.models import Contact, Status
from helpline.voice.models import CallState, VoiceCall, VoiceEvent
from helpline.voice.services import voice_event
from tests import ami_scenarios as sc

pytestmark = pytest.mark.django_db

# The same morning as tests/ami_scenarios.py renders it (Renderer with calls starting at T0, +60 s, +120 s,
# +180 s), as Asterisk's queue_log has it: epoch|callid|queue|agent|event|data1|data2|data3, whole seconds.
# Noise: queue and member housekeeping, a ring cancelled when the caller hung up, an unreadable line.
ANSWERED, ABANDONED, NO_ANSWER, SHORT = (
    "1795143600.2588",
    "1795143600.2596",
    "1795143600.2604",
    "1795143600.2612",
)
LOG_ONLY = "1795143600.2650"  # a call the connector never saw (the PBX link was down)
QUEUE_LOG = f"""\
1795136400|NONE|NONE|NONE|QUEUESTART|
1795136400|NONE|NONE|NONE|CONFIGRELOAD|
1795136401|NONE|helpline|PJSIP/1001|ADDMEMBER|
1795136401|NONE|helpline|PJSIP/1002|ADDMEMBER|
1795136401|NONE|helpline|PJSIP/1003|ADDMEMBER|
1795140000|NONE|helpline|PJSIP/1003|PAUSE|lunch
1795143600|{ANSWERED}|helpline|NONE|ENTERQUEUE||012345678|1
1795143608|{ANSWERED}|helpline|PJSIP/1001|CONNECT|8|1795143600.2590|8
1795143660|{ABANDONED}|helpline|NONE|ENTERQUEUE||+85512888777|2
1795143690|{ABANDONED}|helpline|PJSIP/1001|RINGNOANSWER|15000
1795143720|{NO_ANSWER}|helpline|NONE|ENTERQUEUE||012555111|1
1795143700|{ABANDONED}|helpline|PJSIP/1002|RINGCANCELED|6969
1795143700|{ABANDONED}|helpline|NONE|ABANDON|1|2|40
1795143735|{NO_ANSWER}|helpline|PJSIP/1001|RINGNOANSWER|15000
1795143741|{NO_ANSWER}|helpline|PJSIP/1002|CONNECT|21|1795143600.2606|4
1795143780|{SHORT}|helpline|NONE|ENTERQUEUE||0977123456|1
1795143783|{SHORT}|helpline|NONE|ABANDON|1|1|3
1795143850|{ANSWERED}|helpline|PJSIP/1001|COMPLETECALLER|8|242|1
1795143900|{LOG_ONLY}|helpline|NONE|ENTERQUEUE||011000222|1
1795143912|{LOG_ONLY}|helpline|PJSIP/1003|CONNECT|12|1795143600.2652|3
1795143910|NONE|helpline|PJSIP/1003|UNPAUSE|
this line is not a queue_log line
1795144100|{LOG_ONLY}|helpline|PJSIP/1003|COMPLETEAGENT|12|188|1
1795144340|{NO_ANSWER}|helpline|PJSIP/1002|COMPLETEAGENT|21|598|1
1795144400|NONE|helpline|PJSIP/1003|REMOVEMEMBER|
"""
ALL_CALLS = {ANSWERED, ABANDONED, NO_ANSWER, SHORT, LOG_ONLY}


def at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


@pytest.fixture
def queue_log(tmp_path: Path) -> Path:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    return path


def reconcile(path: Path) -> str:
    out = io.StringIO()
    call_command("voice_reconcile", str(path), stdout=out)
    return out.getvalue()


def through_ami(*recordings: tuple[sc.Recording, float]) -> None:
    """Calls as the connector records them: each AMI block the adapter reads, through voice_event."""
    renderer = sc.Renderer()
    for recording, start in recordings:
        _call, blocks = renderer.render(recording, start=sc.T0 + start)
        for block in blocks:
            event = to_call_event(dict(block))
            if event is not None:
                voice_event(event)


def snapshot() -> list[tuple[object, ...]]:
    return list(
        VoiceCall.objects.order_by("call_id").values_list(
            "call_id",
            "state",
            "answered_at",
            "ended_at",
            "wait_seconds",
            "talk_seconds",
            "agent_extension",
            "abandon_position",
            "short_abandon",
            "hung_up_by",
            "contact__counsellor",
            "contact__status",
        )
    )


def test_adds_every_call_of_an_empty_day_and_prints_them(agents: dict[str, Staff], queue_log: Path) -> None:
    out = reconcile(queue_log)
    assert set(VoiceCall.objects.values_list("call_id", flat=True)) == ALL_CALLS
    assert Contact.objects.count() == 5
    assert "added 5 calls" in out
    for call_id in sorted(ALL_CALLS):
        assert f"  added call {call_id}" in out
    assert "lines not about queue calls" in out

    answered = VoiceCall.objects.get(call_id=ANSWERED)
    assert answered.source == "queue_log" and answered.state == CallState.COMPLETED
    assert (answered.joined_at, answered.answered_at, answered.ended_at) == (
        at(1795143600),
        at(1795143608),
        at(1795143850),
    )
    assert (answered.wait_seconds, answered.talk_seconds, answered.hung_up_by) == (8, 242, "caller")
    assert answered.contact.counsellor == agents["1001"]

    abandoned = VoiceCall.objects.get(call_id=ABANDONED)
    assert abandoned.state == CallState.ABANDONED and abandoned.contact.status == Status.ABANDONED
    assert (abandoned.wait_seconds, abandoned.abandon_position, abandoned.short_abandon) == (40, 1, False)

    short = VoiceCall.objects.get(call_id=SHORT)
    assert (short.wait_seconds, short.short_abandon) == (3, True)

    no_answer = VoiceCall.objects.get(call_id=NO_ANSWER)
    assert no_answer.contact.counsellor == agents["1002"] and no_answer.hung_up_by == "agent"
    assert (no_answer.wait_seconds, no_answer.talk_seconds) == (21, 598)

    log_only = VoiceCall.objects.get(call_id=LOG_ONLY)
    assert log_only.contact.counsellor == agents["1003"] and log_only.talk_seconds == 188


def test_a_second_run_adds_nothing(agents: dict[str, Staff], queue_log: Path) -> None:
    reconcile(queue_log)
    before, events = snapshot(), VoiceEvent.objects.count()
    out = reconcile(queue_log)
    assert "added 0 calls and 0 events" in out and "  added call" not in out
    assert snapshot() == before and VoiceEvent.objects.count() == events
    assert Contact.objects.count() == 5


def test_adds_only_what_the_connector_missed(agents: dict[str, Staff], queue_log: Path) -> None:
    """The connector recorded the first two calls; the link was down for the rest."""
    through_ami((sc.ANSWERED, 0), (sc.ABANDONED, 60))
    recorded = snapshot()
    out = reconcile(queue_log)
    assert set(VoiceCall.objects.values_list("call_id", flat=True)) == ALL_CALLS
    assert Contact.objects.count() == 5
    assert "added 3 calls" in out
    assert {line.split()[-1] for line in out.splitlines() if line.startswith("  added call")} == {
        NO_ANSWER,
        SHORT,
        LOG_ONLY,
    }
    assert [row for row in snapshot() if row[0] in {ANSWERED, ABANDONED}] == recorded  # left as they were
    assert VoiceCall.objects.get(call_id=ANSWERED).source == "ami"


def test_adds_nothing_after_the_connector_recorded_every_call(
    agents: dict[str, Staff], queue_log: Path
) -> None:
    through_ami(
        (sc.ANSWERED, 0), (sc.ABANDONED, 60), (sc.NO_ANSWER_THEN_ANSWERED, 120), (sc.SHORT_ABANDON, 180)
    )
    path = queue_log.with_name("queue_log.1")  # without the call the connector never saw
    path.write_text("".join(line for line in QUEUE_LOG.splitlines(keepends=True) if LOG_ONLY not in line))
    recorded, contacts = snapshot(), Contact.objects.count()
    out = reconcile(path)
    assert "added 0 calls" in out and "  added call" not in out
    assert snapshot() == recorded and Contact.objects.count() == contacts


def test_no_event_is_stored_twice_after_the_connector(agents: dict[str, Staff], queue_log: Path) -> None:
    through_ami(
        (sc.ANSWERED, 0), (sc.ABANDONED, 60), (sc.NO_ANSWER_THEN_ANSWERED, 120), (sc.SHORT_ABANDON, 180)
    )
    events = VoiceEvent.objects.exclude(call__call_id=LOG_ONLY).count()
    reconcile(queue_log)
    assert VoiceEvent.objects.exclude(call__call_id=LOG_ONLY).count() == events


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        reconcile(tmp_path / "no_such_queue_log")


# Callers the queue let go unanswered: one after the queue's 60 s timeout (to voicemail), one when the
# last member logged out (an empty queue). Asterisk logs them as EXITWITHTIMEOUT and EXITEMPTY, with
# position|original position|wait as for ABANDON.
TIMED_OUT, EMPTIED = "1795143600.2700", "1795143600.2708"
EXITS_LOG = f"""\
1795146000|{TIMED_OUT}|helpline|NONE|ENTERQUEUE||012777666|1
1795146000|{TIMED_OUT}|helpline|PJSIP/1001|RINGNOANSWER|15000
1795146060|{TIMED_OUT}|helpline|NONE|EXITWITHTIMEOUT|1|1|60
1795146100|{EMPTIED}|helpline|NONE|ENTERQUEUE||012888999|2
1795146102|{EMPTIED}|helpline|NONE|EXITEMPTY|1|2|2
"""


def test_callers_the_queue_let_go_are_missed_calls_not_left_waiting(
    agents: dict[str, Staff], tmp_path: Path
) -> None:
    from helpline.routing.selectors import waiting_queue
    from helpline.voice.selectors import missed_calls

    path = tmp_path / "queue_log"
    path.write_text(EXITS_LOG)
    out = reconcile(path)
    assert "added 2 calls" in out
    timed = VoiceCall.objects.get(call_id=TIMED_OUT)
    assert (timed.state, timed.hung_up_by, timed.wait_seconds, timed.abandon_position) == (
        CallState.ABANDONED,
        "timeout",
        60,
        1,
    )
    assert timed.ended_at == timed.contact.ended_at == at(1795146060) and timed.answered_at is None
    emptied = VoiceCall.objects.get(call_id=EMPTIED)
    assert (emptied.state, emptied.hung_up_by, emptied.wait_seconds) == (CallState.ABANDONED, "empty", 2)
    # Two seconds, but the caller did not hang up: not a short abandon.
    assert not timed.short_abandon and not emptied.short_abandon
    for call in (timed, emptied):
        assert call.contact.status == Status.ABANDONED and call.contact.counsellor is None
    assert not waiting_queue().exists()
    assert set(missed_calls(at(1795140000)).values_list("call_id", flat=True)) == {TIMED_OUT, EMPTIED}
    assert "added 0 calls and 0 events" in reconcile(path)


def test_a_timeout_the_connector_saw_is_not_added_again(agents: dict[str, Staff], tmp_path: Path) -> None:
    through_ami((sc.TIMEOUT_TO_VOICEMAIL, 0))
    call_id = VoiceCall.objects.get().call_id
    recorded, events = snapshot(), VoiceEvent.objects.count()
    assert recorded[0][1] == CallState.ABANDONED and events == 6  # join, 2 rings, 2 no-answers, the leave
    path = tmp_path / "queue_log"
    path.write_text(
        f"{int(sc.T0)}|{call_id}|helpline|NONE|ENTERQUEUE||012777666|1\n"
        f"{int(sc.T0) + 60}|{call_id}|helpline|NONE|EXITWITHTIMEOUT|1|1|60\n"
    )
    out = reconcile(path)
    assert "added 0 calls and 0 events" in out and "2 already recorded" in out
    assert snapshot() == recorded and VoiceEvent.objects.count() == events


def test_a_transfer_out_of_the_queue_ends_the_call_with_its_talk_time(
    agents: dict[str, Staff], tmp_path: Path
) -> None:
    call_id = "1795143600.2720"
    path = tmp_path / "queue_log"
    path.write_text(
        f"1795146000|{call_id}|helpline|NONE|ENTERQUEUE||012777666|1\n"
        f"1795146005|{call_id}|helpline|PJSIP/1001|CONNECT|5|1795143600.2721|5\n"
        f"1795146095|{call_id}|helpline|PJSIP/1001|TRANSFER|2000|partners|5|90|1\n"
    )
    reconcile(path)
    call = VoiceCall.objects.get()
    assert (call.state, call.hung_up_by, call.hold_seconds, call.talk_seconds) == (
        CallState.COMPLETED,
        "transfer",
        5,
        90,
    )
    assert call.ended_at == at(1795146095) and call.contact.talk_seconds == 90
    assert call.contact.counsellor == agents["1001"]
    assert "added 0 calls and 0 events" in reconcile(path)


def test_a_caller_who_left_on_an_exit_key_is_a_missed_call(agents: dict[str, Staff], tmp_path: Path) -> None:
    from helpline.routing.selectors import waiting_queue

    call_id = "1795143600.2728"
    path = tmp_path / "queue_log"
    path.write_text(
        f"1795146000|{call_id}|helpline|NONE|ENTERQUEUE||012777666|2\n"
        f"1795146014|{call_id}|helpline|NONE|EXITWITHKEY|0|1|2|14\n"
    )
    reconcile(path)
    call = VoiceCall.objects.get()
    assert (call.state, call.hung_up_by, call.abandon_position, call.wait_seconds) == (
        CallState.ABANDONED,
        "key",
        1,
        14,
    )
    assert call.contact.status == Status.ABANDONED and not waiting_queue().exists() and not call.short_abandon


def test_a_replay_that_names_agents_by_member_name_adds_no_talk_time(
    agents: dict[str, Staff], tmp_path: Path
) -> None:
    """queue_log's agent column is the member name (queues.conf `member => PJSIP/1001,0,Dara`)."""
    through_ami((sc.ANSWERED, 0), (sc.TRANSFERRED, 60))
    recorded, events = snapshot(), VoiceEvent.objects.count()
    assert [row[5] for row in recorded] == [242, 420]
    answered, transferred = (c.call_id for c in VoiceCall.objects.order_by("call_id"))
    t0 = int(sc.T0)
    path = tmp_path / "queue_log"
    path.write_text(
        f"{t0}|{answered}|helpline|NONE|ENTERQUEUE||012345678|1\n"
        f"{t0 + 8}|{answered}|helpline|Dara|CONNECT|8|{answered}1|8\n"
        f"{t0 + 250}|{answered}|helpline|Dara|COMPLETECALLER|8|242|1\n"
        f"{t0 + 60}|{transferred}|helpline|NONE|ENTERQUEUE||011223344|1\n"
        f"{t0 + 65}|{transferred}|helpline|Dara|CONNECT|5|{transferred}1|5\n"
        f"{t0 + 185}|{transferred}|helpline|Dara|TRANSFER|1002|from-queue|5|120|1\n"
        f"{t0 + 191}|{transferred}|helpline|Sreymom|CONNECT|5|{transferred}2|5\n"
        f"{t0 + 491}|{transferred}|helpline|Sreymom|COMPLETECALLER|5|300|1\n"
    )
    out = reconcile(path)
    assert "added 0 calls and 0 events" in out and "8 already recorded" in out
    assert snapshot() == recorded and VoiceEvent.objects.count() == events


@pytest.mark.django_db(transaction=True)  # the command runs on another thread
def test_reconciling_history_pops_nothing_on_a_counsellors_console(
    agents: dict[str, Staff], queue_log: Path
) -> None:
    """The calls are history: a screen-pop would open an old record on Dara's console."""
    from tests.test_live_pushes import listen

    got = listen({"dara": [live.staff_group(agents["1001"].pk)]}, lambda: reconcile(queue_log))
    assert VoiceCall.objects.filter(call_id=ANSWERED, agent_extension="1001").exists()
    assert [e for e in got["dara"] if e.get("reason") == "screen_pop"] == []
