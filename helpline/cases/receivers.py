"""Keeps CaseHandler (who handled a contact linked to a case) true as contacts are linked to cases
and as a linked contact's counsellor or handlers change, in the transaction of that change, so that
cases_visible_to reads one indexed table instead of every contact a counsellor ever took.
Connected in CasesConfig.ready."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models.signals import m2m_changed, post_delete, post_save

from helpline.cases.models import CaseContact, CaseHandler
from helpline.cases.services import case_handlers_refresh
from helpline.contacts.models import Contact
from helpline.contacts.signals import handlers_written


def _refresh_for_contacts(contact_ids: Iterable[UUID | str]) -> None:
    ids = list(contact_ids)
    if not ids:
        return
    case_ids = CaseContact.objects.filter(contact_id__in=ids).values_list("case_id", flat=True)
    case_handlers_refresh(case_ids=list(case_ids))


def _link_changed(sender: Any, instance: CaseContact, **kwargs: Any) -> None:
    case_handlers_refresh(case_ids=[instance.case_id])


def _contact_saved(sender: Any, instance: Contact, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and "counsellor" not in update_fields):
        return  # a new contact is linked to no case yet; this save left the counsellor alone
    _refresh_for_contacts([instance.pk])


def _handlers_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:  # contact.handlers.add(staff, …)
        _refresh_for_contacts([instance.pk])
    elif action == "post_clear":  # staff.handled_contacts.clear()
        cases = CaseHandler.objects.filter(staff=instance).values_list("case_id", flat=True)
        case_handlers_refresh(case_ids=list(cases))
    else:  # staff.handled_contacts.add(contact, …)
        _refresh_for_contacts(kwargs.get("pk_set") or ())


def _handlers_written(sender: Any, contact_ids: set[UUID], **kwargs: Any) -> None:
    _refresh_for_contacts(contact_ids)


def connect() -> None:
    post_save.connect(_link_changed, sender=CaseContact, dispatch_uid="cases.handlers.link_saved")
    post_delete.connect(_link_changed, sender=CaseContact, dispatch_uid="cases.handlers.link_deleted")
    post_save.connect(_contact_saved, sender=Contact, dispatch_uid="cases.handlers.contact_saved")
    m2m_changed.connect(
        _handlers_changed, sender=Contact.handlers.through, dispatch_uid="cases.handlers.contact_handlers"
    )
    handlers_written.connect(_handlers_written, dispatch_uid="cases.handlers.batch")
