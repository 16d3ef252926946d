"""Code lists: supervisors and administrators add local terms (each mapped to a CHI code) and
retire terms no longer used. Shipped terms keep their codes so that past contacts stay countable."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Term, Vocabulary


class TermForm(forms.Form):
    vocabulary = forms.ChoiceField(label=gettext_lazy("List"), choices=Vocabulary.choices)
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    parent = forms.CharField(
        label=gettext_lazy("Category code (for a reason subcategory)"), required=False, max_length=64
    )
    label_en = forms.CharField(label=gettext_lazy("English label"), max_length=200)
    label_km = forms.CharField(label=gettext_lazy("Khmer label"), max_length=200)
    chi_code = forms.CharField(label=gettext_lazy("Counts under CHI code"), required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vocabulary = data.get("vocabulary")
        parent_code = data.get("parent") or ""
        if vocabulary == Vocabulary.REASON:
            parent = Term.objects.filter(vocabulary=vocabulary, code=parent_code, parent__isnull=True).first()
            if parent_code and parent is None:
                self.add_error("parent", _("No such category."))
            data["parent_term"] = parent
            chi = data.get("chi_code") or ""
            if not Term.objects.filter(vocabulary=vocabulary, code=chi, is_local=False).exists():
                self.add_error("chi_code", _("A local reason must count under an existing CHI code."))
            code = f"{parent.code}.{data.get('code')}" if parent else str(data.get("code"))
        else:
            data["parent_term"] = None
            data["chi_code"] = data.get("code")
            code = str(data.get("code"))
        data["full_code"] = code
        if vocabulary and Term.objects.filter(vocabulary=vocabulary, code=code).exists():
            self.add_error("code", _("This code already exists in the list."))
        return data


@access(requires(Permission.TAXONOMY_MANAGE))
@require_http_methods(["GET", "POST"])
def code_lists(request: HttpRequest) -> HttpResponse:
    staff = request.user
    assert isinstance(staff, Staff)
    form = TermForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if "toggle" in request.POST:
            toggle = request.POST.get("toggle", "")
            term = (
                Term.objects.filter(pk=int(toggle)).first() if toggle.isdigit() and len(toggle) < 12 else None
            )
            if term is not None:
                with transaction.atomic():
                    Term.objects.filter(pk=term.pk).update(is_active=not term.is_active)
                    audit_record(
                        staff,
                        action=AuditAction.CODE_LIST_TOGGLE,
                        record_type="term",
                        record_id=term.pk,
                        request=request,
                        detail={"active": not term.is_active},
                    )
                return redirect("contacts:code_lists")
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                term = Term.objects.create(
                    vocabulary=data["vocabulary"],
                    code=data["full_code"],
                    parent=data["parent_term"],
                    label_en=data["label_en"],
                    label_km=data["label_km"],
                    chi_code=data["chi_code"],
                    is_local=True,
                    sort_order=100_000,
                )
                audit_record(
                    staff,
                    action=AuditAction.CODE_LIST_ADD,
                    record_type="term",
                    record_id=term.pk,
                    request=request,
                    detail={"vocabulary": term.vocabulary, "code": term.code},
                )
            messages.success(request, _("Added to the list."))
            return redirect("contacts:code_lists")
        else:
            status = 400
    vocabulary = request.GET.get("list", Vocabulary.REASON)
    if vocabulary not in Vocabulary.values:
        vocabulary = Vocabulary.REASON
    return render(
        request,
        "contacts/code_lists.html",
        {
            "form": form,
            "vocabularies": Vocabulary.choices,
            "current": vocabulary,
            "terms": Term.objects.filter(vocabulary=vocabulary).select_related("parent"),
        },
        status=status,
    )
