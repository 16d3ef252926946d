"""An error summary for a refused form: said at the top of the page, one line per field with a link
to it, so that a message under a field far down (or under a sticky bar) is never the only clue."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms


@dataclass(frozen=True)
class SummaryLine:
    anchor: str  # the element id the line links to ("" for errors about the whole form)
    label: str
    messages: list[str]


def error_summary(form: forms.BaseForm, anchors: dict[str, str] | None = None) -> list[SummaryLine]:
    """One line per refused field in the form's order, errors about the whole form first. `anchors`
    names the element to link to where the field's own id is not it (a group of radio buttons)."""
    anchors = anchors or {}
    lines = (
        [SummaryLine("", "", [str(m) for m in form.non_field_errors()])] if form.non_field_errors() else []
    )
    for name, field in form.fields.items():
        errors = form.errors.get(name)
        if not errors:
            continue
        bound = form[name]
        anchor = anchors.get(name) or bound.auto_id or ""
        if anchor and isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            anchor = anchors.get(name) or f"{anchor}_0"
        lines.append(SummaryLine(anchor, str(field.label or name), [str(m) for m in errors]))
    return lines
