"""The feedback API: scoped, audited, and as blind as the pages to a complaint about the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from helpline.feedback.models import Feedback, Subject
from helpline.feedback.services import feedback_receive
from tests.factories import persona

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


def token(creator: Staff | None, *scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(creator, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def test_a_supervisor_lists_creates_and_moves_on_feedback(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    made = send(client, "post", "/api/v1/feedback", {"kind": "complaint", "text": "Rude reply"})
    assert made.status_code == 201, made.content
    item_id = made.json()["id"]
    moved = send(client, "patch", f"/api/v1/feedback/{item_id}", {"state": "acknowledged"})
    assert moved.status_code == 200 and moved.json()["state"] == "acknowledged"
    skipped = send(client, "patch", f"/api/v1/feedback/{item_id}", {"state": "closed"})
    assert skipped.status_code == 200
    again = send(client, "patch", f"/api/v1/feedback/{item_id}", {"state": "acknowledged"})
    assert again.status_code == 409
    listed = client.get("/api/v1/feedback?state=closed")
    assert [i["id"] for i in listed.json()["items"]] == [item_id]
    assert AuditEvent.objects.filter(action="feedback.list").exists()


def test_an_unknown_parameter_is_refused(supervisor: Staff, client_for: ClientFor) -> None:
    assert client_for(supervisor).get("/api/v1/feedback?sate=closed").status_code == 422


def test_the_api_hides_a_complaint_about_the_caller(supervisor: Staff, client_for: ClientFor) -> None:
    other = persona(Role.SUPERVISOR, username="sup2")
    item = feedback_receive(
        other, source="staff", kind="complaint", text="x", subject=Subject.STAFF, subject_staff=supervisor
    )
    client = client_for(supervisor)
    assert client.get("/api/v1/feedback").json()["items"] == []
    assert send(client, "patch", f"/api/v1/feedback/{item.pk}", {"state": "acknowledged"}).status_code == 404
    headers = token(supervisor, "feedback:read")
    assert Client().get("/api/v1/feedback", **headers).json()["items"] == []


def test_a_token_without_the_scope_is_refused(supervisor: Staff) -> None:
    feedback_receive(supervisor, source="staff", kind="complaint", text="x")
    assert Client().get("/api/v1/feedback", **token(supervisor, "cases:read")).status_code == 403
    made = send(
        Client(),
        "post",
        "/api/v1/feedback",
        {"kind": "feedback", "text": "hi"},
        **token(supervisor, "feedback:read"),
    )
    assert made.status_code == 403
    assert Feedback.objects.count() == 1


def test_a_token_records_feedback_but_never_moves_a_complaint_on(supervisor: Staff) -> None:
    headers = token(supervisor, "feedback:read", "feedback:write")
    made = send(
        Client(), "post", "/api/v1/feedback", {"kind": "feedback", "text": "Great service"}, **headers
    )
    assert made.status_code == 201 and made.json()["source"] == "api"
    moved = send(
        Client(), "patch", f"/api/v1/feedback/{made.json()['id']}", {"state": "acknowledged"}, **headers
    )
    assert moved.status_code == 403
    assert Feedback.objects.get().state == "received"


def test_a_data_officer_may_not_use_the_feedback_api(data_officer: Staff, client_for: ClientFor) -> None:
    assert client_for(data_officer).get("/api/v1/feedback").status_code == 403


def test_bad_bodies_are_refused_and_change_nothing(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    for body in (
        [],
        {"kind": "nope", "text": "x"},
        {"kind": "complaint", "text": ""},
        {"kind": "complaint", "text": "x" * 4001},
    ):
        assert send(client, "post", "/api/v1/feedback", body).status_code in {400, 422}
    assert not Feedback.objects.exists()
