"""A meeting's online link and its materials (agenda papers): the writes.

Staff set them from the admin; the meeting page, its calendar entry and its printed notice
show them. Files go through the portal's upload policy (core.uploads): PDF, Word, Excel or a
photo, the type read from the bytes, stored under a random name.
"""

from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from communities.permissions import can
from core import uploads
from core.errors import Conflict

from .. import clock
from ..models import Meeting, MeetingMaterial

POLICY = uploads.DOCUMENTS_AND_PHOTOS
TITLE_MAX = 200
LINK_MAX = 500


def _require_manager(actor, meeting):
    if not can(actor, "meeting.manage", meeting):
        raise PermissionDenied(_("Only this community's staff manage its meetings."))


def _lock(meeting):
    return Meeting.objects.select_for_update(of=("self",)).select_related("community").get(pk=meeting.pk)


def clean_online_link(value):
    """An http(s) address, or "" for none. Anything else (javascript:, ftp:, a bare word) is refused."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > LINK_MAX:
        raise ValidationError(
            {"online_link": _("The online link can be at most %(max)d characters long.") % {"max": LINK_MAX}}
        )
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationError(
            {
                "online_link": _(
                    "Enter the full address of the online meeting or livestream, starting with https:// "
                    "(for example https://meeting.tencent.com/dm/...)."
                )
            }
        ) from None
    if not urlsplit(value).hostname:
        raise ValidationError({"online_link": _("The online link has no host name.")})
    return value


@transaction.atomic
def meeting_online_link_set(*, actor, meeting, online_link):
    """Set (or clear, with "") where people follow the meeting online."""
    meeting = _lock(meeting)
    _require_manager(actor, meeting)
    link = clean_online_link(online_link)
    if meeting.status == Meeting.Status.CANCELLED and link:
        raise Conflict(_("This meeting was cancelled: it has no online link to give."))
    if link != meeting.online_link:
        meeting.online_link = link
        meeting.save(update_fields=["online_link"])
    return meeting


@transaction.atomic
def material_add(*, actor, meeting, title, file):
    """Attach a paper to the meeting, under the upload policy."""
    meeting = _lock(meeting)
    _require_manager(actor, meeting)
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("This meeting was cancelled: no materials can be added to it."))
    title = (title or "").strip()
    if not file:
        raise ValidationError({"file": _("Choose the file to attach.")})
    content_type, size, digest, name = uploads.inspect(file, policy=POLICY, field="file")
    if not title:
        title = name
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("The title can be at most %(max)d characters long.") % {"max": TITLE_MAX}})
    material = MeetingMaterial(
        meeting=meeting,
        title=title,
        file_name=name,
        file_type=content_type,
        file_size=size,
        file_sha256=digest,
        added_by=actor,
        added_at=clock.now(),
    )
    material.file.save(name, file, save=False)
    material.save()
    return material


@transaction.atomic
def material_remove(*, actor, material):
    material = MeetingMaterial.objects.select_related("meeting__community").get(pk=material.pk)
    _require_manager(actor, material.meeting)
    stored = material.file
    material.delete()
    transaction.on_commit(lambda: stored.delete(save=False))
