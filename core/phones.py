"""One way to read a mainland mobile number as people type it, for every path that takes one
(sign-up, password and SMS login, the admin's user form, serializers, SMS sending).

"139 0000 0001", "139-0000-0001", "+86 139 0000 0001", "0086 13900000001", "86 13900000001"
and full-width digits all read as "13900000001". Only the reading is done here; whether the
result is a valid mobile number is the phone validator's decision.
"""

import re
import unicodedata

from django import forms

# Spaces of every width, dashes and dots people put between groups, and brackets round a prefix.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()（）]")
_COUNTRY = re.compile(r"^(?:\+86|0086|86(?=1\d{10}$))")


def normalise_phone(phone):
    """The number as stored (11 digits for a mainland mobile), or None for blank input."""
    text = unicodedata.normalize("NFKC", phone or "")
    text = _SEPARATORS.sub("", text)
    text = _COUNTRY.sub("", text)
    return text or None


def looks_like_phone(text):
    """Whether a login identifier is a phone number rather than a username or an address."""
    digits = normalise_phone(text)
    return bool(digits) and digits.isdigit()


def international(phone):
    """The number as an SMS provider takes it (E.164): "+8613900000001"."""
    phone = normalise_phone(phone) or ""
    return phone if phone.startswith("+") else f"+86{phone}"


class PhoneField(forms.CharField):
    """A form field that takes a number as people type it (up to 20 characters) and cleans it
    to the stored form before its validators run; blank is None (the column is unique and
    nullable)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("empty_value", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalise_phone(super().to_python(value))
