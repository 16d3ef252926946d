"""Transfer: the holder hands a contact to a colleague or back to the queue; a supervisor reassigns
any open contact (from the wallboard, the contact page or the record). A page of its own (GET shows
the form and writes nothing) that the console's contact page and the wallboard post to, with or
without JavaScript."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.contacts.models import Channel, Contact
from helpline.contacts.transfer import (
    MAX_REASON,
    OPEN,
    REQUEUE_CHANNELS,
    TransferRefused,
    access_transferable,
)
from helpline.conversations.chat import children_left
from helpline.routing import transfer as routing_transfer

QUEUE = "queue"
# Where a transfer may send the browser back to: its own pages only.
BACK_PREFIXES = ("/console/", "/wallboard/", "/contacts/")


class TransferForm(forms.Form):
    to = forms.ChoiceField(label=gettext_lazy("Hand to"))
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "For your colleague: why it goes to them. The child's story belongs in the record."
        ),
    )

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = routing_transfer.receivers(contact)
        self.people = {r.staff.username: r.staff for r in rows}
        # A chat whose child left has nobody to answer: back in the queue it would wait as a live
        # (often urgent) chat that the next counsellor answers into the void.
        self.child_left = contact.channel == Channel.WEBCHAT and bool(children_left([contact.pk]))
        choices: list[tuple[str, str]] = [("", _("Choose…"))]
        if contact.channel in REQUEUE_CHANNELS and contact.counsellor_id is not None and not self.child_left:
            choices.append((QUEUE, _("Back to the queue")))
        for r in rows:
            label = _("%(name)s (%(state)s, holds %(n)d)") % {
                "name": r.staff.display_name,
                "state": r.state.label,
                "n": r.active,
            }
            choices.append((r.staff.username, label))
        to = self.fields["to"]
        assert isinstance(to, forms.ChoiceField)
        to.choices = choices

    def receiver(self) -> Staff | None:
        """The colleague chosen, or None for the queue (after is_valid())."""
        chosen = self.cleaned_data["to"]
        return None if chosen == QUEUE else self.people[chosen]


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _back(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith(BACK_PREFIXES) and not wanted.startswith("//"):
        return wanted
    return "/console/"


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = access_transferable(staff, contact_id)
    form = TransferForm(request.POST if request.method == "POST" else None, contact=contact)
    status = 200 if contact.status in OPEN else 409
    if request.method == "POST":
        status = 400
        if form.is_valid():
            to = form.receiver()
            try:
                routing_transfer.transfer(
                    staff, contact=contact, to=to, reason=form.cleaned_data["reason"], request=request
                )
            except TransferRefused as refused:
                form.add_error(refused.field or None, str(refused.message))
                status = refused.status
            else:
                if to is None:
                    messages.success(request, _("The contact is back in the queue."))
                else:
                    messages.success(request, _("Transferred to %(name)s.") % {"name": to.display_name})
                back = _back(request)
                if back.startswith(f"/console/{contact.pk}/"):
                    back = "/console/"  # no longer theirs to open
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = back
                    return response
                return redirect(back)
    context = {
        "contact": contact,
        "transfer_form": form,
        "closed": contact.status not in OPEN,
        "back": _back(request),
    }
    template = "console/_transfer_form.html" if getattr(request, "htmx", False) else "console/transfer.html"
    return render(request, template, context, status=status)
