"""Forms that parse what the rota page sends; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.accounts.vetting import vetted
from helpline.common.bounds import WindowDateField, WindowDateTimeField
from helpline.rota.models import ShiftRole, Weekday
from helpline.rota.services import ROTA_ROLES

LOCAL_MINUTE = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def rota_staff(label: Any) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """Active staff who work shifts and pass the safeguarding gate today, by username."""
    return forms.ModelChoiceField(
        queryset=vetted(Staff.objects.filter(is_active=True, role__in=ROTA_ROLES)).order_by("username"),
        to_field_name="username",
        label=label,
    )


class StartForm(forms.Form):
    start = WindowDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ShiftForm(forms.Form):
    starts_at = WindowDateTimeField(
        label=_("Starts"),
        input_formats=LOCAL_MINUTE,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = WindowDateTimeField(
        label=_("Ends"),
        input_formats=LOCAL_MINUTE,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ShiftRole.choices)
    minimum = forms.IntegerField(label=_("Minimum counsellors"), min_value=1, max_value=50, initial=2)


class PatternForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day of the week"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}))
    role = forms.ChoiceField(label=_("Role"), choices=ShiftRole.choices)
    minimum = forms.IntegerField(label=_("Minimum counsellors"), min_value=1, max_value=50, initial=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The rota page shows this form under the shift form, which has a role and a minimum too.
        kwargs.setdefault("auto_id", "id_pattern_%s")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    """Drawn once per shift row: no ids (they would repeat on the page); the box carries its name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", False)
        super().__init__(*args, **kwargs)
        self.fields["staff"] = rota_staff(_("Put on the shift"))
        self.fields["staff"].widget.attrs["aria-label"] = self.fields["staff"].label


class RemoveForm(forms.Form):
    staff = forms.ModelChoiceField(queryset=Staff.objects.all(), to_field_name="username")


class SwapForm(forms.Form):
    """Drawn once per shift row, like AssignForm: no ids; the template wraps the box in its label."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", False)
        super().__init__(*args, **kwargs)
        self.fields["to_staff"] = rota_staff(_("Hand my place to"))


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
