"""The risk-signal page's reviews that read children's messages: a phrase's preview on the last 30
days, and the export of counsellors' triage marks as labelled examples."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.conversations import triage_review
from helpline.routing import corpus
from helpline.routing.marks import lang_choices, line_lang, may_read_messages, topic_choices, triage_topic
from helpline.routing.models import TriageMark


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


@access(requires(Permission.SERVICE_SETTINGS))
@require_POST
def signal_preview(request: HttpRequest) -> HttpResponse:
    """What the phrases in the signal form would have matched. Counts for every supervisor; the
    messages themselves only to those allowed to read client data. Audited either way."""
    staff = _staff(request)
    try:
        weight = max(0, min(999, int(request.POST.get("weight") or 10)))
    except ValueError:
        weight = 10
    preview = triage_review.signal_preview(
        phrases_km=request.POST.get("phrases_km", "")[:20_000],
        phrases_en=request.POST.get("phrases_en", "")[:20_000],
        exclusions=request.POST.get("exclusions", "")[:20_000],
        weight=weight,
    )
    show_text = may_read_messages(staff)
    audit_record(
        staff,
        action=AuditAction.RISK_SIGNAL_PREVIEW,
        request=request,
        detail={
            "matched": preview.matched,
            "scanned": preview.scanned,
            "shown": len(preview.examples) if show_text else 0,
            "contacts": [str(m.conversation.contact_id) for m, _p in preview.examples] if show_text else [],
        },
    )
    return render(
        request,
        "conversations/_signal_preview.html",
        {"preview": preview, "show_text": show_text, "days": triage_review.PREVIEW_DAYS},
    )


@access(requires(Permission.TRIAGE_REVIEW))
@require_GET
def marks_export(request: HttpRequest) -> HttpResponse:
    """Counsellors' triage marks as JSON lines for the corpus, one a marked contact (two counsellors
    marking the same words would otherwise give the corpus the same text twice, perhaps under two
    labels: triage_review.deciding says which verdict the line takes); a child's words only where a
    supervisor approved them. Audited, with the contacts whose words left. Refused to those the
    review shows no child's words (administrators, by the access rule): the approved lines carry them."""
    staff = _staff(request)
    export = triage_review.export_lines()
    audit_record(
        staff,
        action=AuditAction.TRIAGE_MARKS_EXPORT,
        request=request,
        detail={
            "marks": export.marks,
            "lines": export.lines,
            "with_text": len(export.texts_of),
            "contacts": export.texts_of,
        },
    )
    response = HttpResponse(export.body, content_type="application/x-ndjson; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="triage-marks-{stamp}.jsonl"'
    return response


@access(requires(Permission.TRIAGE_REVIEW))
@require_GET
def triage_mark_words(request: HttpRequest, mark_id: UUID) -> HttpResponse:
    """The child's words behind a counsellor's mark, as the export would carry them, so that a
    supervisor reads what they approve or refuse. Audited as a read of the conversation."""
    staff = _staff(request)
    mark = get_object_or_404(
        TriageMark.objects.select_related("staff", "text_approved_by", "text_refused_by"), pk=mark_id
    )
    words = triage_review.mark_words(mark)
    audit_record(
        staff,
        action=AuditAction.THREAD_VIEW,
        record_type="contact",
        record_id=mark.contact_id,
        request=request,
        detail={"messages": len(words), "for": "triage_mark"},
    )
    # The mark read above stands for itself among its contact's marks: never none to decide from.
    others = [m for m in triage_review.contact_marks(mark.contact_id) if m.pk != mark.pk]
    triage_said = triage_topic(mark)  # the topic the line takes unless the supervisor chose one
    topic = mark.topic or triage_said
    choices = topic_choices()
    names = dict(choices)
    label = triage_review.label_of(mark)
    text = triage_review.as_one_message([m.text for m in words])
    return render(
        request,
        "conversations/triage_mark.html",
        {
            "mark": mark,
            "text": text,
            "lang": line_lang(mark, text),  # the supervisor's choice, else the guess from the letters
            "lang_choices": lang_choices(text),
            "scored": len(words),
            "later": triage_review.later_words(mark),
            "topic": topic,
            "topic_name": names.get(topic, topic),
            "topics": corpus.TOPICS,
            "topic_choices": choices,
            "triage_topic": triage_said,
            "triage_topic_name": names.get(triage_said, triage_said),
            "label": label,
            "label_name": triage_review.LABEL_NAMES[label],
            "others": others,
            "marks_count": len(others) + 1,
            "deciding": triage_review.deciding([mark, *others]),
        },
    )
