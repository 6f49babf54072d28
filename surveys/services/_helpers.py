"""What every survey service shares: the role check, how a moment is written, a whole number read
from input."""

from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communities.permissions import can


def _require(actor, action, obj=None, message=None):
    if not can(actor, action, obj):
        raise PermissionDenied(message or _("You are not allowed to do this."))


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _int(value):
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TypeError
