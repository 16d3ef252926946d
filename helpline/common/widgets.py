"""Form widgets cheaper to render than Django's own.

Django renders a <select> through its template engine, one included template per <option>: a page
with a few staff and province lists spent more time there than on its queries (bench/cases.py).
PlainSelect writes the same HTML in Python."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString


class PlainSelect(forms.Select):
    """A single <select>, the markup of Django's select.html, without the template engine."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        "" if option["value"] is None else str(option["value"]),
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
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
