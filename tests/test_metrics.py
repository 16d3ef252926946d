"""/metrics: Prometheus text with the floor's figures, open only to the configured token or address."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from helpline.accounts.models import Staff
from helpline.common.logs import ErrorTally
from helpline.conversations.models import DeliveryStatus, Direction, Message
from helpline.operations.models import JobLease
from helpline.reports.tasks import build_document
from tests.test_sms_inbound import gateway_env, kannel  # noqa: F401  (the fixture is used by name)

TOKEN = "metrics-token-0123456789"


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(**headers: str) -> tuple[int, bytes]:
    response = Client(**headers).get("/metrics")
    return response.status_code, response.content


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOW=[])
def test_metrics_show_queue_conversations_outbox_scheduler_worker_and_errors(
    db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    kannel(sender="85511111111", msg_id="m-1", text="hello")
    kannel(sender="85522222222", msg_id="m-2", text="hello")
    Message.objects.filter(direction=Direction.INBOUND).update(created_at=timezone.now())
    JobLease.objects.create(
        name="routing.offers",
        holder="x",
        expires_at=timezone.now(),
        ran_at=timezone.now() - dt.timedelta(minutes=5),
    )
    logging.getLogger("helpline.test").error("a failure worth counting")
    with django_capture_on_commit_callbacks(execute=True):
        build_document.enqueue(str(uuid.uuid4()))
    status, body = scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert status == 200
    found = samples(body)
    assert found[("helpline_queue_waiting", (("channel", "sms"),))] == 2
    assert found[("helpline_queue_longest_wait_seconds", ())] >= 0
    assert found[("helpline_conversations_active", (("channel", "sms"),))] == 2
    queued = Message.objects.filter(direction=Direction.OUTBOUND, status=DeliveryStatus.QUEUED).count()
    assert queued == 2 and found[("helpline_outbox_backlog", ())] == queued
    # Ran five minutes ago on a short interval: about five minutes behind.
    assert found[("helpline_scheduler_lag_seconds", (("job", "routing.offers"),))] > 200
    # A report build waits on its own queue; nothing waits for the replies' worker.
    assert found[("helpline_worker_queue", (("queue", "reports"),))] == 1
    assert found[("helpline_worker_queue", (("queue", "default"),))] == 0
    assert found[("helpline_worker_lag_seconds", (("queue", "default"),))] == 0
    for queue in ("default", "reports"):
        assert found[("helpline_worker_up", (("queue", queue),))] == 0  # no worker beats here
    assert found[("helpline_errors_total", (("area", "helpline"), ("type", "logged")))] >= 1
    assert b"85511111111" not in body and b"hello" not in body


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOW=[])
def test_metrics_refuse_a_wrong_or_missing_token(db: None) -> None:
    assert scrape()[0] == 403
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong")[0] == 403
    assert scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")[0] == 200


@override_settings(METRICS_TOKEN="", METRICS_ALLOW=["10.0.0.0/8"])
def test_metrics_answer_an_allowed_address_and_refuse_another(db: None) -> None:
    assert scrape(REMOTE_ADDR="10.1.2.3")[0] == 200
    assert scrape(REMOTE_ADDR="192.168.1.9")[0] == 403


@override_settings(METRICS_TOKEN="", METRICS_ALLOW=[])
def test_metrics_are_off_until_configured(db: None) -> None:
    assert scrape()[0] == 404


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOW=[])
def test_a_signed_in_staff_member_without_the_token_is_refused(
    db: None, client_for, supervisor: Staff
) -> None:  # type: ignore[no-untyped-def]
    assert client_for(supervisor).get("/metrics").status_code == 403


def test_the_error_tally_counts_by_type_and_keeps_no_message() -> None:
    before = ErrorTally.snapshot().get(("helpline", "ValueError"), 0)
    try:
        raise ValueError("secret-marker-in-message")
    except ValueError:
        logging.getLogger("helpline.test").exception("failed")
    after = ErrorTally.snapshot()
    assert after[("helpline", "ValueError")] == before + 1
    assert "secret-marker-in-message" not in repr(after)


@pytest.mark.parametrize("fmt", ["json"])
def test_json_log_lines_when_configured(fmt: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, HELPLINE_LOG_FORMAT=fmt, DJANGO_SETTINGS_MODULE="config.settings")
    code = "import django, logging; django.setup(); logging.getLogger('helpline.x').warning('ping %s', 7)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "ping 7" and line["level"] == "WARNING" and line["logger"] == "helpline.x"
