"""A worker killed in the middle of a task: the task is not left 'running' for ever; it runs once
more if it promised that a second run is safe, and never a third time; a task that made no such
promise is marked failed. The end-to-end test kills a real worker with SIGKILL while it waits on the
gateway for a child's SMS, and shows that the next worker sends what was still waiting, once, and
that the SMS cut off is not sent again."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from helpline.common.models import WorkerBeat
from helpline.common.task_recovery import (
    KEEP_FAILED,
    KEEP_SUCCEEDED,
    LOST_AFTER,
    MAX_RUNS,
    finished_tasks_prune,
    recover_orphaned_tasks,
)
from helpline.conversations.tasks import TASK_PATH
from tests.servers import Children, helpline_server

SECRET = "worker-killed-kannel-secret-0123456789"


def running_task(*, path: str = TASK_PATH, workers: list[str], started: dt.datetime) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [], "kwargs": {}},
        task_path=path,
        worker_ids=workers,
        backend_name="default",
        queue_name="default",
        run_after=get_date_max(),
        started_at=started,
    )


def test_a_task_cut_off_with_its_worker_runs_once_more_then_never_again(db: None) -> None:
    long_ago = timezone.now() - LOST_AFTER - dt.timedelta(seconds=1)
    task = running_task(workers=["gone"], started=long_ago)

    assert recover_orphaned_tasks() == {"rerun": 1, "failed": 0}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY and task.run_after <= timezone.now()

    # The second worker claims it and is killed too: no third run.
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, worker_ids=["gone", "gone too"], started_at=long_ago
    )
    assert MAX_RUNS == 2
    assert recover_orphaned_tasks() == {"rerun": 0, "failed": 1}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and "worker stopped" in task.traceback
    assert recover_orphaned_tasks() == {"rerun": 0, "failed": 0}


def test_a_task_whose_worker_still_beats_is_left_alone(db: None) -> None:
    long_ago = timezone.now() - LOST_AFTER * 3
    WorkerBeat.objects.create(worker_id="busy", started_at=long_ago, seen_at=timezone.now())
    task = running_task(workers=["busy"], started=long_ago)
    assert recover_orphaned_tasks() == {"rerun": 0, "failed": 0}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_task_just_started_is_given_time_before_its_worker_is_judged(db: None) -> None:
    task = running_task(workers=["not beating yet"], started=timezone.now())
    assert recover_orphaned_tasks() == {"rerun": 0, "failed": 0}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_task_that_never_promised_a_safe_second_run_is_marked_failed(db: None) -> None:
    long_ago = timezone.now() - LOST_AFTER * 2
    task = running_task(path="helpline.common.nothing.here", workers=["gone"], started=long_ago)
    assert recover_orphaned_tasks() == {"rerun": 0, "failed": 1}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED


class HangingGateway(http.server.ThreadingHTTPServer):
    """Kannel's sendsms: the first request is held unanswered (the worker is killed meanwhile);
    every later one is accepted at once."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.texts: list[tuple[str, str]] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: HangingGateway

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        self.server.texts.append((query["to"][0], query["text"][0]))
        if len(self.server.texts) == 1:
            self.server.first_arrived.set()
            self.server.release.wait(60)
        try:
            self.send_response(202)
            self.end_headers()
            self.wfile.write(b"0: Accepted for delivery")
        except OSError:
            pass  # the worker that asked is dead

    def log_message(self, format: str, *args: Any) -> None:
        pass


def sms(url: str, number: str, message_id: str) -> int:
    query = urllib.parse.urlencode(
        {"secret": SECRET, "from": number, "to": "1280", "id": message_id, "text": "សួស្តី"}
    )
    with urllib.request.urlopen(f"{url}/hooks/sms/kannel?{query}", timeout=15) as response:
        return int(response.status)


def test_a_worker_killed_while_sending_leaves_nothing_stuck_and_sends_nothing_twice(tmp_path: Path) -> None:
    gateway = HangingGateway()
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    port = gateway.server_address[1]
    extra = {
        "HELPLINE_KANNEL_SECRET": SECRET,
        "HELPLINE_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{port}/cgi-bin/sendsms",
        "HELPLINE_TRIAGE_WARM": "0",
    }
    children = Children()
    try:
        with helpline_server(tmp_path, extra_env=extra, children=children) as server:
            worker = children.start(
                "worker",
                [sys.executable, "manage.py", "worker", "--interval", "0.2"],
                tmp_path / "w1.log",
                env=server.env,
            )
            # The first child's automatic reply reaches the gateway, which holds it: kill the worker there.
            assert sms(server.url, "85511111111", "first") == 200
            assert gateway.first_arrived.wait(60), "the worker never sent the first reply"
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
            [[cut_off]] = server.query(
                "SELECT id FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
            )
            # A second child writes while no worker runs; its reply waits.
            assert sms(server.url, "85522222222", "second") == 200

            # Beats stop; the scheduler finds the task once its worker is judged gone (LOST_AFTER),
            # and a new worker runs what waits.
            children.start(
                "scheduler", [sys.executable, "manage.py", "scheduler"], tmp_path / "s.log", env=server.env
            )
            children.start(
                "worker 2",
                [sys.executable, "manage.py", "worker", "--interval", "0.2"],
                tmp_path / "w2.log",
                env=server.env,
            )
            deadline = time.monotonic() + LOST_AFTER.total_seconds() + 60
            status = ""
            while time.monotonic() < deadline:
                [[status, workers]] = server.query(
                    "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = ?",
                    (cut_off,),
                )
                if status == "SUCCESSFUL":
                    break
                time.sleep(0.5)
            assert status == "SUCCESSFUL", (status, server.log_tail())
            assert len(json.loads(workers)) == 2  # run twice in all: cut off, then once more
            time.sleep(2)
            gateway.release.set()
            numbers = [to for to, _text in gateway.texts]
            # The cut-off reply was not sent again (it waits as 'not known' for a counsellor); the
            # second child's reply went once.
            assert numbers.count("85511111111") == 1 and numbers.count("85522222222") == 1, numbers
            assert server.query(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
            ) == [(0,)]
    finally:
        gateway.release.set()
        children.stop_all()
        gateway.shutdown()


def test_finished_task_rows_are_deleted_after_their_keeping_time_and_no_others(
    db: None, monkeypatch: Any
) -> None:
    now = timezone.now()
    monkeypatch.setattr("helpline.common.task_recovery.PRUNE_BATCH", 2)  # several batches
    kept, gone = [], []
    kept_for = ((TaskResultStatus.SUCCESSFUL, KEEP_SUCCEEDED), (TaskResultStatus.FAILED, KEEP_FAILED))
    for status, keep in kept_for:
        for age, bucket in ((keep + dt.timedelta(minutes=1), gone), (keep - dt.timedelta(minutes=1), kept)):
            for _ in range(3):
                task = running_task(workers=["w"], started=now - age)
                DBTaskResult.objects.filter(pk=task.pk).update(status=status, finished_at=now - age)
                bucket.append(task.pk)
    # a month-old failure is kept while a week-old success goes: each status has its own time
    assert KEEP_SUCCEEDED < KEEP_FAILED
    waiting = running_task(workers=[], started=now - KEEP_FAILED * 2)
    DBTaskResult.objects.filter(pk=waiting.pk).update(status=TaskResultStatus.READY, finished_at=None)
    running = running_task(workers=["w"], started=now - KEEP_FAILED * 2)
    kept += [waiting.pk, running.pk]

    assert finished_tasks_prune() == len(gone) == 6
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == set(kept)
    assert finished_tasks_prune() == 0
