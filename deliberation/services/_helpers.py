"""What every deliberation service shares: the role check, input parsing, row locks."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communities.permissions import can

from ..models import Meeting, Topic


def _require(actor, action, obj, message=None):
    if not can(actor, action, obj):
        raise PermissionDenied(message or _("You are not allowed to do this."))


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _text(value, field, *, max_length, required=True, label=None):
    """Free text as typed; refused when blank (if required) or too long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    if required and not value.strip():
        raise ValidationError({field: _("This field cannot be empty.")})
    if len(value) > max_length:
        raise ValidationError(
            {
                field: _("%(label)s can be at most %(max)s characters long (it has %(length)s).")
                % {
                    "label": label or _("The text"),
                    "max": f"{max_length:,}",
                    "length": f"{len(value):,}",
                }
            }
        )
    return value


def _int(value, field, *, low, high):
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a whole number.")})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number.")}) from None
    if str(number) != str(value).strip() and not isinstance(value, int):
        raise ValidationError({field: _("Enter a whole number.")})
    if not low <= number <= high:
        raise ValidationError({field: _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}})
    return number


def _lock_topic(topic):
    pk = topic.pk if isinstance(topic, Topic) else topic
    # of=("self",): lock the topic only, not the community row it is joined to.
    return Topic.objects.select_for_update(of=("self",)).select_related("community").get(pk=pk)


def _lock_meeting(meeting):
    pk = meeting.pk if isinstance(meeting, Meeting) else meeting
    return Meeting.objects.select_for_update(of=("self",)).select_related("community").get(pk=pk)


def _lock_topics(topic_ids):
    """Lock several topics in id order, so two writers never wait on each other in a circle."""
    return list(
        Topic.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(pk__in=topic_ids)
        .order_by("pk")
    )


def _member_id(value, field):
    """A person named by instance or id (API input arrives as text)."""
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Name a council member.")}) from None


def _same_community(obj, community, field):
    if obj is not None and obj.community_id != community.pk:
        raise ValidationError({field: _("This belongs to another community.")})
