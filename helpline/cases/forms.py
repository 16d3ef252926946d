"""Forms that parse what the case pages send; the rules themselves live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import RULES, Permission
from helpline.accounts.vetting import vetted
from helpline.cases.models import (
    BreakReason,
    Case,
    CaseStatus,
    FollowUpKind,
    GoalStatus,
    PersonRole,
    Recipient,
    Risk,
)
from helpline.cases.selectors import staff_who_can_open
from helpline.common.bounds import WindowDateField
from helpline.common.form_renderer import PLAIN
from helpline.common.widgets import PlainSelect, plain_selects
from helpline.contacts import taxonomy
from helpline.contacts.models import Vocabulary

BLANK: list[tuple[str, Any]] = [("", "—")]
LOCAL_MINUTE = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class PlainForm(forms.Form):
    """A form written in Python (PlainRenderer, PlainSelect): the case page shows a dozen forms."""

    default_renderer = PLAIN
    # The case page shows a dozen of these forms: each kind names its fields' ids apart ("id_goal_text",
    # not a second "id_text"), or a label's click and a screen reader land in another form's field.
    ids = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.ids:
            kwargs.setdefault("auto_id", f"id_{self.ids}_%s")
        super().__init__(*args, **kwargs)
        plain_selects(self)


def _workers() -> QuerySet[Staff]:
    # Only those through the safeguarding gate: a lapsed colleague could not open the case.
    return vetted(Staff.objects.filter(is_active=True, role__in=RULES[Permission.CASES])).order_by("username")


class CaseWorkers:
    """The staff who may be given case work, read once for a page whose several forms list them
    (a model choice field reads its list again each time it is drawn)."""

    def __init__(self) -> None:
        self.queryset = _workers()
        self.choices = [("", EMPTY_LABEL), *((s.username, str(s)) for s in self.queryset)]


EMPTY_LABEL = "---------"


def case_workers(workers: CaseWorkers | None = None) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """Active staff whose role works on cases, by username."""
    field = forms.ModelChoiceField(
        queryset=workers.queryset if workers else _workers(),
        to_field_name="username",
        label=_("Owner"),
        widget=PlainSelect,
        empty_label=EMPTY_LABEL,
    )
    if workers is not None:
        field.widget.choices = workers.choices  # what the field would list, without reading it again
    return field


class CaseFilterForm(PlainForm):
    number = forms.CharField(label=_("Case number"), required=False, max_length=16)
    nickname = forms.CharField(label=_("Nickname"), required=False, max_length=80)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=BLANK + CaseStatus.choices)
    risk = forms.ChoiceField(label=_("Risk"), required=False, choices=BLANK + Risk.choices)
    assignee = forms.CharField(label=_("Assigned to (username)"), required=False, max_length=64)
    province = forms.ChoiceField(label=_("Province"), required=False)
    overdue = forms.BooleanField(label=_("With overdue follow-ups"), required=False)
    opened_from = WindowDateField(
        label=_("Opened from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    opened_to = WindowDateField(
        label=_("Opened to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = BLANK + taxonomy.choices(Vocabulary.PROVINCE)  # type: ignore[attr-defined]


class ProfileForm(PlainForm):
    ids = "profile"
    nickname = forms.CharField(label=_("Nickname"), required=False, max_length=80)
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=25)
    gender = forms.ChoiceField(label=_("Gender"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    risk = forms.ChoiceField(label=_("Risk"), choices=Risk.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = BLANK + taxonomy.choices(Vocabulary.GENDER)  # type: ignore[attr-defined]
        self.fields["province"].choices = BLANK + taxonomy.choices(Vocabulary.PROVINCE)  # type: ignore[attr-defined]


class PersonForm(PlainForm):
    ids = "person"
    role = forms.ChoiceField(label=_("Who"), choices=PersonRole.choices)
    name = forms.CharField(label=_("Name or description"), max_length=200)
    relationship = forms.CharField(label=_("Relationship to the child"), required=False, max_length=100)
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=120)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(PlainForm):
    ids = "note"
    text = forms.CharField(label=_("Note"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


class NoteEditForm(NoteForm):
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class GoalForm(PlainForm):
    ids = "goal"
    text = forms.CharField(label=_("Goal"), max_length=500)
    due_on = WindowDateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class GoalChangeForm(PlainForm):
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    due_on = WindowDateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class AssignForm(PlainForm):
    ids = "assign"
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, workers: CaseWorkers | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = case_workers(workers)
        self.fields["assignee"].label = _("Assign to")
        self.order_fields(["assignee", "reason"])


class FollowUpForm(PlainForm):
    ids = "follow_up"
    kind = forms.ChoiceField(label=_("What"), choices=FollowUpKind.choices)
    due_at = forms.DateTimeField(
        label=_("Due"),
        input_formats=LOCAL_MINUTE,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    instructions = forms.CharField(
        label=_("Safe-contact instructions"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": _(
                    "For example: call only after 5 pm; if an adult answers, say it is a wrong number."
                ),
            }
        ),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only those who could open this case: a counsellor never assigned to it, nor handling one
        # of its contacts, would be reminded of work on a page that refuses them.
        self.fields["owner"] = forms.ModelChoiceField(
            queryset=staff_who_can_open(case).order_by("username"),
            to_field_name="username",
            label=_("Owner"),
            widget=PlainSelect,
            empty_label=EMPTY_LABEL,
        )
        self.order_fields(["kind", "due_at", "owner", "instructions"])


class OutcomeForm(PlainForm):
    ids = "outcome"
    outcome = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class BreakForm(PlainForm):
    ids = "break"
    reason = forms.ChoiceField(label=_("Why confidentiality was broken"), choices=BLANK + BreakReason.choices)
    disclosed = forms.CharField(
        label=_("What was disclosed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    recipient_kind = forms.ChoiceField(label=_("Told to"), choices=BLANK + Recipient.choices)
    recipient = forms.CharField(label=_("Who exactly"), max_length=200)
    disclosed_at = forms.DateTimeField(
        label=_("When"),
        input_formats=LOCAL_MINUTE,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    client_told_first = forms.BooleanField(label=_("The child was told first"), required=False)
    not_told_why = forms.CharField(
        label=_("If not, why not"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, workers: CaseWorkers | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_by"] = case_workers(workers)
        self.fields["decided_by"].label = _("Who decided")


class SignOffForm(PlainForm):
    ids = "sign_off"
    decision = forms.ChoiceField(
        # No default: a sign-off is a decision someone chose, never the first item of a list.
        label=_("Decision"),
        choices=[*BLANK, ("approve", _("Approve")), ("question", _("Question it"))],
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class ReasonForm(PlainForm):
    ids = "closure"
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CaseSettingsForm(PlainForm):
    stale_days = forms.IntegerField(
        label=_("Days without a contact or follow-up"), min_value=1, max_value=365
    )
