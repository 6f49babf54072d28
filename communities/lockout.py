"""What a person sees once django-axes has paused password logins for their account and address."""

import math

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import ngettext


def cooloff_seconds():
    return max(int(settings.AXES_COOLOFF_TIME.total_seconds()), 1)


def lockout_message():
    minutes = math.ceil(cooloff_seconds() / 60)
    return ngettext(
        "Too many wrong passwords for this account from your connection. Password login is paused: "
        "try again in %(minutes)d minute, or log in with an SMS code.",
        "Too many wrong passwords for this account from your connection. Password login is paused: "
        "try again in %(minutes)d minutes, or log in with an SMS code.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the site's and the admin's login answer 429 with the page."""
    response = render(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = str(cooloff_seconds())
    return response
