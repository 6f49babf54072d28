"""What people type, made safe to keep and show: one helper for every app's forms and serializers.

- `clean_text` treats text made only of invisible characters as blank: besides whitespace,
  the zero-width and other format characters (Unicode category Cf: U+200B, U+200D, U+FEFF,
  U+2060, the bidi marks and overrides, ...). A title of five zero-width spaces is empty and
  a required field refuses it. Visible text keeps its format characters (a zero-width joiner
  inside an emoji is fine); only the invisible edges are trimmed.
- `bidi_controls` finds the embedding, override and isolate characters (U+202A-U+202E,
  U+2066-U+2069) that reorder what follows them: a display name holding one can show another
  name than the one typed, so names refuse them (`validate_display_name`).

Forms use `TextField` (a CharField that cleans this way); DRF serializers `TextSerializerField`.
"""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _invisible(char):
    return (
        char.isspace() or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp") or char in "\u115f\u1160\u3164\uffa0"
    )


def is_blank(text):
    """True when nothing in `text` would be seen: empty, whitespace or format characters only."""
    return all(_invisible(char) for char in (text or ""))


def clean_text(text):
    """`text` without invisible characters at its edges; "" when it holds nothing visible."""
    if text is None:
        return text
    text = str(text)
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def bidi_controls(text):
    return sorted({char for char in (text or "") if char in BIDI_CONTROLS})


def validate_display_name(name):
    """A display name may not reorder itself on screen."""
    if bidi_controls(name):
        raise ValidationError(
            _("A name may not contain characters that change the direction of text."), code="bidi_control"
        )


class TextField(forms.CharField):
    """A form CharField for which invisible-only text is blank (a required one refuses it).

    With `strip` (the default) the invisible edges are trimmed; with strip=False visible text
    is kept exactly as typed.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values or is_blank(value):
            return self.empty_value
        return clean_text(value) if self.strip else value


class TextSerializerField(serializers.CharField):
    """A DRF CharField for which invisible-only text is blank; `trim_whitespace` trims invisible edges."""

    def run_validation(self, data=serializers.empty):
        # DRF checks blank before to_internal_value: make invisible-only text blank first.
        if isinstance(data, str) and is_blank(data):
            data = ""
        return super().run_validation(data)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return clean_text(value) if self.trim_whitespace else value
