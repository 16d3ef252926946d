"""A form renderer that writes the common form templates in Python.

Django renders a form through its template engine: div.html, then field.html, label.html and a
widget template per field, each a template render. The case page shows a dozen forms and spent
about a third of its time there (bench/cases.py). PlainRenderer writes the same markup as those
templates in Python and hands any other template to Django's own renderer;
tests/test_form_renderer.py compares the two on every form that uses it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape

from helpline.common.widgets import html_attrs

WIDGETS = "django/forms/widgets/"
INPUTS = ("text", "number", "email", "date", "datetime", "time", "hidden", "checkbox", "password")


def _input(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
    named = f'type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
    return f"<input {named}{value}{html_attrs(widget['attrs'])}>"


def _textarea(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{escape(widget["name"])}"{html_attrs(widget["attrs"])}>\n{value}</textarea>'


def _label(context: Mapping[str, Any]) -> str:
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return str(label)
    tag = escape(context["tag"])
    return f"<{tag}{html_attrs(context['attrs'])}>{label}</{tag}>"


def _field(context: Mapping[str, Any]) -> str:
    field = context["field"]
    parts = []
    if field.use_fieldset:
        described = field.aria_describedby
        parts.append(f'<fieldset aria-describedby="{escape(described)}">' if described else "<fieldset>")
        if field.label:
            parts.append(str(field.legend_tag()))
    elif field.label:
        parts.append(str(field.label_tag()))
    if field.help_text:
        helptext_id = f' id="{escape(field.auto_id)}_helptext"' if field.auto_id else ""
        parts.append(f'<div class="helptext"{helptext_id}>{field.help_text}</div>')  # |safe, as Django's
    if field.errors:
        parts.append(str(field.errors))
    parts.append(str(field))
    if field.use_fieldset:
        parts.append("</fieldset>")
    return "".join(parts)


def _div(context: Mapping[str, Any]) -> str:
    errors, fields, hidden = context["errors"], context["fields"], context["hidden_fields"]
    parts = [str(errors)] if errors else []
    if errors and not fields:
        parts.append("<div>" + "".join(str(h) for h in hidden) + "</div>")
    for index, (field, _errors) in enumerate(fields):
        classes = field.css_classes()
        parts.append(f'<div class="{escape(classes)}">' if classes else "<div>")
        parts.append(str(field.as_field_group()))
        if index == len(fields) - 1:
            parts.extend(str(h) for h in hidden)
        parts.append("</div>")
    if not fields and not errors:
        parts.extend(str(h) for h in hidden)
    return "".join(parts)


FAST: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "django/forms/div.html": _div,
    "django/forms/field.html": _field,
    "django/forms/label.html": _label,
    f"{WIDGETS}textarea.html": _textarea,
    **{f"{WIDGETS}{name}.html": _input for name in INPUTS},
}


class PlainRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = FAST.get(template_name)
        if fast is None:
            return str(super().render(template_name, context, request))
        return fast(context)


# One instance: each renderer builds its own template engine on first use.
PLAIN = PlainRenderer()
