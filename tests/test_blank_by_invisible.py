"""Text that shows nothing (zero-width characters and spaces) is no text: where a reason, note or
gloss is required it is refused as empty, and nothing changes. Text with visible words keeps its
zero-width spaces (Khmer writes U+200B between words)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.cases.forms import ReasonForm
from helpline.cases.models import Case, CaseNote, CaseStatus, FollowUp
from helpline.routing.models import TriageMark
from tests.case_factories import open_case
from tests.test_triage_marks_review import PLAN, marked_contact

ClientFor = Callable[[Staff], Client]

UNSEEN = ["\u200b\u200b\u200b", "\u200b \u200b", "\ufeff\u2060\u200c\u200d\n"]
KHMER = "\u1781\u17d2\u1789\u17bb\u17c6\u200b\u1791\u17c5\u200b\u179f\u17b6\u179b\u17b6"  # ខ្ញុំ​ទៅ​សាលា


def _follow_up(case: Case, who: Staff) -> None:
    FollowUp.objects.create(
        case=case,
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(days=1),
        owner=who,
        created_by=who,
        instructions="after 5 pm",
    )


def _closure_request(counsellor: Staff, supervisor: Staff, client_for: ClientFor, text: str) -> Any:
    case = open_case(counsellor)
    _follow_up(case, counsellor)  # an open follow-up makes the reason required
    answer = client_for(counsellor).post(f"/cases/{case.pk}/close/", {"reason": text})
    case.refresh_from_db()
    return answer, (case.status, case.closure_reason)


def _send_back(counsellor: Staff, supervisor: Staff, client_for: ClientFor, text: str) -> Any:
    case = open_case(counsellor)
    assert client_for(counsellor).post(f"/cases/{case.pk}/close/", {"reason": ""}).status_code == 302
    answer = client_for(supervisor).post(f"/cases/{case.pk}/close/send-back/", {"reason": text})
    case.refresh_from_db()
    return answer, (case.status, list(case.events.values_list("summary", flat=True).order_by("pk")))


def _note(counsellor: Staff, supervisor: Staff, client_for: ClientFor, text: str) -> Any:
    case = open_case(counsellor)
    answer = client_for(counsellor).post(f"/cases/{case.pk}/notes/", {"text": text})
    return answer, list(CaseNote.objects.filter(case=case).values_list("text", flat=True))


def _api_note(counsellor: Staff, supervisor: Staff, client_for: ClientFor, text: str) -> Any:
    case = open_case(counsellor)
    answer = client_for(counsellor).post(
        f"/api/v1/cases/{case.pk}/notes", {"text": text}, content_type="application/json"
    )
    return answer, list(CaseNote.objects.filter(case=case).values_list("text", flat=True))


def _api_close(counsellor: Staff, supervisor: Staff, client_for: ClientFor, text: str) -> Any:
    case = open_case(counsellor)
    _follow_up(case, counsellor)
    answer = client_for(counsellor).post(
        f"/api/v1/cases/{case.pk}/close", {"reason": text}, content_type="application/json"
    )
    case.refresh_from_db()
    return answer, (case.status, case.closure_reason)


def _gloss(counsellor: Staff, supervisor: Staff, client_for: ClientFor, text: str) -> Any:
    mark = marked_contact(counsellor, client_for, PLAN)
    answer = client_for(supervisor).post(f"/risk-signals/marks/{mark.pk}/approve/", {"gloss": text})
    mark = TriageMark.objects.get(pk=mark.pk)
    return answer, (mark.gloss, mark.text_approved_at)


POSTS = [_closure_request, _send_back, _note, _api_note, _api_close, _gloss]


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.__name__.strip("_"))
@pytest.mark.parametrize("text", UNSEEN, ids=["zwsp", "zwsp-space", "others"])
def test_text_of_only_invisible_characters_is_refused_and_changes_nothing(
    post: Any, text: str, counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    answer, after = post(counsellor, supervisor, client_for, text)
    assert 400 <= answer.status_code < 500
    if post is _closure_request or post is _api_close:
        assert after[0] != CaseStatus.PENDING_CLOSURE and after[1] == ""
    elif post is _send_back:
        assert after[0] == CaseStatus.PENDING_CLOSURE and not any("\u200b" in s for s in after[1])
    elif post is _gloss:
        assert after == ("", None)
    else:
        assert after == []


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.__name__.strip("_"))
def test_khmer_with_zero_width_spaces_between_words_is_kept_exactly(
    post: Any, counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    answer, after = post(counsellor, supervisor, client_for, KHMER)
    assert answer.status_code in (200, 201, 302)
    if post is _closure_request or post is _api_close:
        assert after == (CaseStatus.PENDING_CLOSURE, KHMER)
    elif post is _send_back:
        assert after[0] != CaseStatus.PENDING_CLOSURE and KHMER in after[1]
    elif post is _gloss:
        assert after[0] == KHMER and after[1] is not None
    else:
        assert after == [KHMER]


def test_every_form_takes_invisible_text_as_empty_in_the_readers_language() -> None:
    class Any_(forms.Form):
        must = forms.CharField()
        may = forms.CharField(required=False)

    form = Any_({"must": "\u200b \u200b", "may": "\u2060\ufeff"})
    assert not form.is_valid()
    assert form.errors["must"] == ["This field is required."]
    assert form.cleaned_data["may"] == ""
    optional = ReasonForm({"reason": "\u200b\u200b"})
    assert optional.is_valid() and optional.cleaned_data["reason"] == ""
    kept = ReasonForm({"reason": KHMER})
    assert kept.is_valid() and kept.cleaned_data["reason"] == KHMER


@pytest.mark.parametrize("text", UNSEEN, ids=["zwsp", "zwsp-space", "others"])
def test_a_reply_or_partner_note_of_invisible_characters_is_refused(counsellor: Staff, text: str) -> None:
    """Services that take words without a form: a counsellor's reply (an empty SMS would reach the
    child) and a partner's referral note."""
    from helpline.contacts import services as contact_services
    from helpline.conversations import services as text_services
    from helpline.conversations.models import Message
    from helpline.referrals.lifecycle import ReferralError, clean_note
    from tests.test_triage_review import sms_contact

    contact = sms_contact("ជួយខ្ញុំផង")
    contact_services.contact_take(counsellor, contact=contact)
    before = Message.objects.count()
    with pytest.raises(ValueError):
        text_services.text_reply(counsellor, contact=contact, text=text)
    assert Message.objects.count() == before
    with pytest.raises(ReferralError):
        clean_note(text, required=True)
    assert clean_note(text) == "" and clean_note(KHMER) == KHMER
