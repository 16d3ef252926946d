"""One rule for every form: text that shows nothing is no text.

A required reason, note or gloss made only of zero-width characters and spaces (U+200B, U+200C,
U+200D, U+2060, U+FEFF …) looks empty to the reader, yet Django's CharField keeps it, since it
strips whitespace only. Every CharField that strips (the default: all the project's text fields,
model forms' and the admin's too) now takes such a value as empty: "This field is required." when
the field is required, "" when it is optional. Text with anything visible in it is kept as typed
(Khmer writes U+200B between words). Installed once, by CommonConfig.ready."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.common.text import blank

_to_python = forms.CharField.to_python


def _to_python_unseen_is_empty(self: forms.CharField, value: Any) -> Any:
    value = _to_python(self, value)
    if self.strip and isinstance(value, str) and value and blank(value):
        return self.empty_value
    return value


def install() -> None:
    if forms.CharField.to_python is not _to_python_unseen_is_empty:
        forms.CharField.to_python = _to_python_unseen_is_empty  # type: ignore[method-assign]
