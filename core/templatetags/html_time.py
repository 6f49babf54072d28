"""`{{ value|datetime_attr }}`: the machine-readable moment of a `<time datetime="...">`.

Django's `|date:'c'` writes microseconds ("21:51:26.149604+08:00"), which HTML does not allow
(a fraction of a second has at most three digits), so the W3C checker flagged every real
timestamp. Loaded with `{% load html_time %}` (registered in settings.TEMPLATES' libraries:
core is no installed app).
"""

import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

register = template.Library()


@register.filter
def datetime_attr(value):
    """A valid HTML date or global date-and-time string for `value`, or "" for none.

    An aware datetime is written in the current time zone to the second with its offset
    ("2026-12-07T21:51:26+08:00", as `|date:'c'` writes it less the fraction), a naive one to
    the second without offset, a date as "2026-12-07"; an ISO 8601 string (as the API and open
    data write them) is read first. Anything else gives "", which is better than a wrong value.
    """
    if isinstance(value, str):
        try:
            value = parse_date(value) or parse_datetime(value)
        except ValueError:
            return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return ""
