"""Forms that parse what the directory's pages send; the rules themselves live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import RULES, Permission
from helpline.common.bounds import WindowDateField
from helpline.contacts import taxonomy
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals.directory import (
    LIMITS,
    MAX_AGE,
    MAX_MONITORING_DAYS,
    MIN_MONITORING_DAYS,
    TERM_LISTS,
    PartnerFacts,
)
from helpline.referrals.models import (
    Assessment,
    ConcernSeverity,
    ConcernSource,
    PartnerAssessment,
    PartnerLanguage,
)

BLANK: list[tuple[str, Any]] = [("", "—")]
DATE = forms.DateInput(attrs={"type": "date"})


def _codes(vocabulary: str) -> list[tuple[str, str]]:
    return taxonomy.choices(vocabulary)


def _terms(vocabulary: str, codes: list[str]) -> list[Term]:
    return list(Term.objects.filter(vocabulary=vocabulary, code__in=codes))


def keepers() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """Active staff who keep the directory, by username."""
    return forms.ModelChoiceField(
        queryset=Staff.objects.filter(is_active=True, role__in=RULES[Permission.PARTNERS_MANAGE]).order_by(
            "username"
        ),
        to_field_name="username",
        label=_("Who visits"),
    )


class PartnerFilterForm(forms.Form):
    """The directory's search: a few keystrokes in Khmer or English, a service, a place, an age."""

    q = forms.CharField(
        label=_("Words (name, service, place)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    service = forms.ChoiceField(label=_("Service"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    age = forms.IntegerField(label=_("Age of the child"), required=False, min_value=0, max_value=MAX_AGE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = BLANK + _codes(Vocabulary.SERVICE)  # type: ignore[attr-defined]
        self.fields["province"].choices = BLANK + _codes(Vocabulary.PROVINCE)  # type: ignore[attr-defined]

    def search(self) -> dict[str, Any]:
        """The arguments of partner_search, from a valid form (or none: the whole directory)."""
        data = self.cleaned_data if self.is_bound else {}
        return {
            "service": data.get("service") or "",
            "province": data.get("province") or "",
            "age": data.get("age"),
            "text": data.get("q") or "",
        }


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=LIMITS["name"])
    name_km = forms.CharField(label=_("Name in Khmer"), required=False, max_length=LIMITS["name_km"])
    services = forms.MultipleChoiceField(label=_("Services"), widget=forms.CheckboxSelectMultiple)
    provinces = forms.MultipleChoiceField(
        label=_("Provinces served (none: the whole country)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    districts = forms.CharField(
        label=_("Districts served"),
        required=False,
        max_length=LIMITS["districts"],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    genders = forms.MultipleChoiceField(
        label=_("Genders served (none: everyone)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    min_age = forms.IntegerField(
        label=_("Youngest age served"), required=False, min_value=0, max_value=MAX_AGE
    )
    max_age = forms.IntegerField(label=_("Oldest age served"), required=False, min_value=0, max_value=MAX_AGE)
    languages = forms.CharField(label=_("Languages"), required=False, max_length=LIMITS["languages"])
    language = forms.ChoiceField(
        label=_("Reads our referrals in"),
        choices=PartnerLanguage.choices,
        initial=PartnerLanguage.KHMER,
        required=False,  # left out (an older form, a script): Khmer, the helpline's first language
    )
    opening_hours = forms.CharField(
        label=_("Opening hours"), required=False, max_length=LIMITS["opening_hours"]
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("Email"), required=False, max_length=LIMITS["email"])
    contact_person = forms.CharField(
        label=_("Contact person"), required=False, max_length=LIMITS["contact_person"]
    )
    emergency = forms.BooleanField(label=_("Takes emergencies"), required=False)
    monitoring_every_days = forms.IntegerField(
        label=_("Monitoring visit every (days)"),
        min_value=MIN_MONITORING_DAYS,
        max_value=MAX_MONITORING_DAYS,
        initial=180,
    )
    description = forms.CharField(
        label=_("What they do"),
        required=False,
        max_length=LIMITS["description"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = _codes(Vocabulary.SERVICE)  # type: ignore[attr-defined]
        self.fields["provinces"].choices = _codes(Vocabulary.PROVINCE)  # type: ignore[attr-defined]
        self.fields["genders"].choices = _codes(Vocabulary.GENDER)  # type: ignore[attr-defined]

    @classmethod
    def initial_of(cls, facts: PartnerFacts) -> dict[str, Any]:
        initial = {name: getattr(facts, name) for name in cls.base_fields if name not in _LISTS}
        return initial | {name: [t.code for t in getattr(facts, name)] for name in _LISTS}

    def clean_language(self) -> str:
        return str(self.cleaned_data.get("language") or PartnerLanguage.KHMER)

    def facts(self) -> PartnerFacts:
        data = self.cleaned_data
        lists: dict[str, Any] = {name: _terms(vocabulary, data[name]) for name, vocabulary in _LISTS.items()}
        scalars = {name: data[name] for name in self.base_fields if name not in _LISTS}
        return PartnerFacts(**scalars, **lists)


_LISTS = TERM_LISTS


class AssessmentForm(forms.Form):
    assessed_on = WindowDateField(label=_("Date"), widget=DATE)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=BLANK + [c for c in Assessment.choices if c[0] != Assessment.NOT_ASSESSED]
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(label=_("Document (an MOU, the assessment form)"), required=False)
    document_title = forms.CharField(label=_("Document title"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessor"] = forms.ModelChoiceField(
            queryset=Staff.objects.filter(is_active=True).order_by("username"),
            to_field_name="username",
            label=_("Assessor"),
        )
        self.order_fields(["assessed_on", "assessor", "outcome", "notes", "file", "document_title"])


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, PNG, JPEG, DOCX or ODT; at most 10 MB)"))
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    assessment = forms.ChoiceField(label=_("Of the assessment"), required=False)

    def __init__(self, *args: Any, assessments: list[PartnerAssessment] | None = None, **kwargs: Any) -> None:
        # The partner's page shows this form beside the assessment form, which has a file box too.
        kwargs.setdefault("auto_id", "id_upload_%s")
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = BLANK + [  # type: ignore[attr-defined]
            (str(a.pk), f"{a.assessed_on.isoformat()} · {a.get_outcome_display()}") for a in assessments or []
        ]


class VisitPlanForm(forms.Form):
    due_on = WindowDateField(label=_("Due"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = keepers()


class VisitDoneForm(forms.Form):
    done_on = WindowDateField(label=_("Visited on"), widget=DATE)
    findings = forms.CharField(label=_("Findings"), max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))


class ConcernForm(forms.Form):
    source = forms.ChoiceField(label=_("From"), choices=BLANK + ConcernSource.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=BLANK + ConcernSeverity.choices)
    description = forms.CharField(
        label=_("What was reported"), max_length=8000, widget=forms.Textarea(attrs={"rows": 3})
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the suspension is lifted"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StandingForm(forms.Form):
    """Retiring a partner from the directory, or bringing it back: why."""

    reason = forms.CharField(label=_("Why"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file (at most 2 MB)"))
