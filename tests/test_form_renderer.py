"""PlainRenderer writes the same forms as Django's templates: every form that uses it, empty,
filled and refused, compared with Django's own rendering (whitespace between tags aside)."""

from __future__ import annotations

import re

import pytest
from django import forms as django_forms
from django.forms.renderers import DjangoTemplates

from helpline.accounts.models import Staff
from helpline.cases import forms
from helpline.common.form_renderer import PLAIN
from helpline.common.widgets import PlainSelect
from tests.case_factories import open_case
from tests.factories import persona

pytestmark = pytest.mark.django_db
DJANGO = DjangoTemplates()

PLAIN_FORMS = [
    cls
    for cls in vars(forms).values()
    if isinstance(cls, type) and issubclass(cls, forms.PlainForm) and cls is not forms.PlainForm
]


def made(form_class: type[django_forms.Form], *args: object) -> django_forms.Form:
    """The form as its view makes it: a follow-up's owners are those who can open its case."""
    if form_class is forms.FollowUpForm:
        worker = Staff.objects.filter(username="worker").first() or persona("counsellor", username="worker")
        return form_class(*args, case=open_case(worker))
    return form_class(*args)


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


def both(form: django_forms.Form) -> tuple[str, str]:
    """The form as PlainRenderer and PlainSelect write it, and as Django's templates do."""
    plain = normalised(form.as_div())
    form.renderer = DJANGO
    for field in form.fields.values():
        if isinstance(field.widget, PlainSelect):
            select = django_forms.Select(attrs=field.widget.attrs)
            select.choices = field.widget.choices
            select.is_required = field.widget.is_required
            field.widget = select
    return plain, normalised(form.as_div())


class Sample(forms.PlainForm):
    """What the case forms do not have between them: help text, a hidden field, a value to escape."""

    name = django_forms.CharField(label="Name <b>", help_text="Say <i>it</i>", initial='a "quoted" & <name>')
    secret = django_forms.CharField(widget=django_forms.PasswordInput(render_value=True))
    told = django_forms.BooleanField(required=False, initial=True)
    token = django_forms.CharField(widget=django_forms.HiddenInput, initial="t-1")
    words = django_forms.CharField(widget=django_forms.Textarea, initial="line one\n<line two>")
    place = django_forms.ChoiceField(
        choices=[
            ("", "—"),
            ("North & <east>", [("a", "A <1>"), ("b", "B")]),
            ("c", 'C "3"'),
            ("a", "A again"),
        ],
        initial="a",
    )


def test_the_workers_list_read_once_is_the_list_the_field_would_read(supervisor: object) -> None:
    workers = forms.CaseWorkers()
    shared, own = forms.AssignForm(workers=workers), forms.AssignForm()
    assert normalised(shared.as_div()) == normalised(own.as_div())
    assert "supervisor" in normalised(own.as_div())


def test_every_case_form_is_found() -> None:
    assert len(PLAIN_FORMS) >= 10
    assert all(made(cls).renderer is PLAIN for cls in PLAIN_FORMS)


@pytest.mark.parametrize("form_class", [*PLAIN_FORMS, Sample], ids=lambda c: c.__name__)
def test_an_empty_form_is_written_as_django_writes_it(form_class: type[django_forms.Form]) -> None:
    persona("counsellor", username="worker")  # someone for the owner lists
    plain, django = both(made(form_class))
    assert plain == django
    assert "<" in plain


@pytest.mark.parametrize("form_class", [*PLAIN_FORMS, Sample], ids=lambda c: c.__name__)
def test_a_refused_form_shows_the_same_errors(form_class: type[django_forms.Form]) -> None:
    data = dict.fromkeys(form_class.base_fields, "x" * 30_000)
    form = made(form_class, data)
    form.is_valid()
    plain, django = both(form)
    assert plain == django
    if form.errors:
        assert "errorlist" in plain


def test_a_hidden_field_alone_and_form_errors_are_written_alike() -> None:
    class Hidden(forms.PlainForm):
        token = django_forms.CharField(widget=django_forms.HiddenInput)

        def clean(self) -> dict[str, object]:
            raise django_forms.ValidationError("Whole form <refused>")

    refused = Hidden({"token": "t"})
    assert not refused.is_valid()
    plain, django = both(refused)
    assert plain == django and "Whole form &lt;refused&gt;" in plain
    plain, django = both(Hidden(initial={"token": "t"}))
    assert plain == django and 'type="hidden"' in plain
