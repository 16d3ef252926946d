"""Retention: each night the scheduler erases what has been kept long enough, by record type
(helpline.operations.models.RetentionPolicy), and records the counts (RetentionRun).

Erasing is not deleting: every app blanks the personal fields of its own rows through its own
service (contacts, conversations, cases, referrals, feedback) and keeps the codes, so the reports' ledger
finds the same facts and the dashboards do not move. What is exempt:
- a case under a legal hold, and every contact and message linked to it;
- a case not yet erased keeps its contacts (their time runs with the case's);
- the messages of a live case (still worked on), and of an open conversation.
The audit trail never holds a client's words, so erasing leaves its hash chain whole; its own
oldest events go at a checkpoint that keeps the rest verifiable (helpline.audit.services
audit_checkpoint; README, "Retention and erasure")."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_checkpoint, audit_record
from helpline.cases.erasure import cases_erase, erasable_closed_cases, held_closed_cases
from helpline.cases.models import LIVE_STATUSES, CaseContact
from helpline.contacts.erasure import contacts_erase, contacts_with_personal_data
from helpline.contacts.models import DATA_KINDS, NON_DATA_KINDS, Status
from helpline.conversations.erasure import conversations_forget_caller, messages_erase_text
from helpline.feedback.erasure import feedback_erase, feedback_expired
from helpline.operations.models import RetentionPolicy, RetentionRun
from helpline.referrals.erasure import referrals_erase_for_cases
from helpline.voice.erasure import callbacks_erase_reasons

log = logging.getLogger("helpline.operations")

SYSTEM = "scheduler:retention"
RUN_EVERY = dt.timedelta(hours=23)


def retention_policy() -> RetentionPolicy:
    policy, _created = RetentionPolicy.objects.get_or_create(pk=1)
    return policy


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def retention_run(*, now: dt.datetime | None = None, actor: Staff | str = SYSTEM) -> RetentionRun:
    """One pass over every record type; returns the counts. `now`: the moment retention is
    measured from (tests move it forward instead of waiting years)."""
    policy = retention_policy()
    now = now or timezone.now()
    batch = settings.RETENTION_BATCH
    with transaction.atomic():
        run = RetentionRun.objects.create(started_at=timezone.now())
        case_cut = now - _days(policy.closed_case_days)
        run.held_cases = held_closed_cases(closed_before=case_cut).count()
        case_ids = list(erasable_closed_cases(closed_before=case_cut).values_list("pk", flat=True)[:batch])
        run.cases = cases_erase(actor, case_ids=case_ids)
        referrals_erase_for_cases(actor, case_ids=case_ids, reason="retention")

        # Any case not erased (a held one included) keeps its contacts.
        kept = CaseContact.objects.filter(case__erased_at__isnull=True).values("contact_id")
        of_cases = set(
            CaseContact.objects.filter(case_id__in=case_ids)
            .exclude(contact_id__in=kept)
            .values_list("contact_id", flat=True)
        )
        finished = Q(status__in=[Status.CLOSED, Status.ABANDONED])
        expired = Q(kind__in=NON_DATA_KINDS, arrived_at__lt=now - _days(policy.non_data_contact_days)) | Q(
            kind__in=DATA_KINDS, arrived_at__lt=now - _days(policy.contact_days)
        )
        # An abandoned contact never got a kind: it is counted, like a non-data one.
        expired |= Q(kind="", arrived_at__lt=now - _days(policy.non_data_contact_days))
        aged = (
            contacts_with_personal_data()
            .filter(finished & expired)
            .exclude(pk__in=kept)
            .values_list("pk", flat=True)[:batch]
        )
        contact_ids = of_cases | set(aged)
        run.contacts = contacts_erase(actor, contact_ids=contact_ids, reason="retention")
        callbacks_erase_reasons(contact_ids=contact_ids)
        conversations_forget_caller(contact_ids=contact_ids)

        live = CaseContact.objects.filter(
            Q(case__status__in=LIVE_STATUSES) | Q(case__legal_hold_at__isnull=False)
        ).values("contact_id")
        run.messages = messages_erase_text(actor, contact_ids=contact_ids, reason="retention")
        run.messages += messages_erase_text(
            actor, before=now - _days(policy.message_text_days), keep_contact_ids=live, reason="retention"
        )
        expired_feedback = feedback_expired(finished_before=now - _days(policy.feedback_days))
        feedback_ids = list(expired_feedback.values_list("pk", flat=True)[:batch])
        run.feedback = feedback_erase(actor, feedback_ids=feedback_ids, reason="retention")
        checkpoint = audit_checkpoint(actor, before=now - _days(policy.audit_days))
        run.audit_events = checkpoint.removed if checkpoint else 0
        run.finished_at = timezone.now()
        run.save()
        audit_record(
            actor,
            action=AuditAction.RETENTION_RUN,
            record_type="retention",
            record_id=run.pk,
            detail={
                "contacts": run.contacts,
                "cases": run.cases,
                "messages": run.messages,
                "feedback": run.feedback,
                "held_cases": run.held_cases,
                "audit_events": run.audit_events,
            },
        )
    log.info(
        "retention erased %d contacts, %d cases, %d messages, %d feedback items; %d held cases kept",
        run.contacts,
        run.cases,
        run.messages,
        run.feedback,
        run.held_cases,
    )
    return run


def retention_tick() -> RetentionRun | None:
    """The scheduler's job, checked hourly: one run a day when retention is on."""
    if not retention_policy().enabled:
        return None
    last = RetentionRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    if last is not None and timezone.now() - last < RUN_EVERY:
        return None
    return retention_run()


def retention_policy_update(actor: Staff, *, data: dict[str, object]) -> RetentionPolicy:
    """Save the periods (the form checked them); one audit row with what changed."""
    with transaction.atomic():
        policy = RetentionPolicy.objects.select_for_update().get(pk=retention_policy().pk)
        changes = {k: (getattr(policy, k), v) for k, v in data.items() if getattr(policy, k) != v}
        if not changes:
            return policy
        for name, (_old, new) in changes.items():
            setattr(policy, name, new)
        policy.updated_by = actor
        policy.save()
        audit_record(
            actor,
            action=AuditAction.RETENTION_POLICY_CHANGE,
            record_type="retention_policy",
            record_id=policy.pk,
            changes=changes,
        )
    return policy
