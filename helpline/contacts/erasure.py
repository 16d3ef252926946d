"""Erasing contacts: the contacts app's writer for retention and for a person's erasure request.

What identifies a child goes: the summary (and its search words), the link to the caller (whose
number, hash and safety note go too once no contact names it), the relationship, living situation,
disability and vulnerable groups, a draft, and the reasons written for transfers. What is counted
stays: channel, kind, status, times, age, gender, province, region, caller type, reasons, actions,
urgency. So the reports' ledger (helpline.reports) finds the same fact for an erased contact and
the rollups do not move. Every erasure bumps `updated_at`, so the rollups job sees it."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from helpline.accounts.principals import Actor
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Caller, Contact, ContactDraft, ContactTransfer

# A contact with any of these still holds something personal.
_PERSONAL = (
    ~Q(summary="")
    | ~Q(search_text="")
    | Q(caller__isnull=False)
    | Q(relationship__isnull=False)
    | Q(living_situation__isnull=False)
    | Q(disability__isnull=False)
)


def contacts_with_personal_data() -> QuerySet[Contact]:
    return Contact.objects.filter(_PERSONAL)


def contacts_erase(actor: Actor, *, contact_ids: Iterable[UUID], reason: str = "") -> int:
    """Blank the personal fields of these contacts; returns how many had any. One audit row with
    the count (the ids would let the trail rebuild who called when; `reason` is a category such as
    "retention" or "erasure request", never a person's words)."""
    ids = list(contact_ids)
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        targets = Contact.objects.filter(pk__in=ids)
        callers = set(targets.exclude(caller=None).values_list("caller_id", flat=True))
        changed = targets.filter(_PERSONAL).update(
            summary="",
            search_text="",
            caller=None,
            relationship=None,
            living_situation=None,
            disability=None,
            updated_at=now,
        )
        Contact.vulnerable_groups.through.objects.filter(contact_id__in=ids).delete()
        ContactDraft.objects.filter(contact_id__in=ids).delete()
        ContactTransfer.objects.filter(contact_id__in=ids).exclude(reason="").update(reason="")
        orphans = Caller.objects.filter(pk__in=callers).exclude(contacts__isnull=False)
        for caller_id in orphans.values_list("pk", flat=True):
            # The hash is unique and links a number's history: replace it by one nothing matches.
            Caller.objects.filter(pk=caller_id).update(
                address_hash=f"erased:{caller_id.hex}", address_encrypted="", safety_note="", updated_at=now
            )
        audit_record(
            actor,
            action=AuditAction.CONTACT_ERASE,
            record_type="contact",
            reason=reason[:200],
            detail={"contacts": changed},
        )
    return changed
