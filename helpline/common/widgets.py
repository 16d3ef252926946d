"""Form widgets cheaper to render than Django's own.

Django renders a <select> through its template engine, one included template per <option>: a page
with a few staff and province lists spent more time there than on its queries (bench/cases.py).
PlainSelect writes the same HTML in Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString


def html_attrs(attrs: Mapping[str, Any] | None) -> str:
    """django/forms/widgets/attrs.html, in its order: True writes the bare name, False leaves the
    attribute out."""
    if not attrs:
        return ""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"')
    return "".join(parts)


class PlainSelect(forms.Select):
    """A single <select>, the markup of Django's select.html, without the template engine and
    without the per-option dictionaries Django builds to feed it (ChoiceWidget.optgroups)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        values = self.format_value(value)
        parts = [f'<select name="{escape(name)}"{html_attrs(self.build_attrs(self.attrs, attrs))}>']
        chosen = False
        for group_value, group_label in self.choices:
            grouped = isinstance(group_label, (list, tuple))
            if grouped:
                parts.append(format_html('<optgroup label="{}">', "" if group_value is None else group_value))
            for option_value, label in group_label if grouped else [(group_value, group_label)]:
                shown = "" if option_value is None else str(option_value)
                # As Django: only the first option with the value is selected.
                selected = not chosen and shown in values
                chosen |= selected
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>', shown, " selected" if selected else "", label
                    )
                )
            if grouped:
                parts.append(SafeString("</optgroup>"))
        parts.append(SafeString("</select>"))
        return SafeString("".join(parts))  # nosec B703 (each part escaped by format_html above)


def plain_selects(form: forms.BaseForm) -> None:
    """Give every single-choice field of `form` a PlainSelect (its attributes and choices kept)."""
    for field in form.fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            plain = PlainSelect(attrs=widget.attrs)
            plain.choices = widget.choices
            plain.is_required = widget.is_required
            field.widget = plain
