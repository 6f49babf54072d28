"""Staff record that a printed notice went up on a bulletin board (公示栏): the write.

A posting names what was posted (a meeting's notice or a topic's publicity poster), where,
when, and may carry a photo of it on the board (upload policy: a photo or a PDF scan). It
enters the trail of the topic it is about, or of every topic on the meeting's agenda, so the
paper on the wall is part of the record that anyone can verify. The place is free text and
enters the trail as its SHA-256, as every free text does; the photo as its SHA-256 and type.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.permissions import can
from core import uploads
from core.errors import Conflict

from .. import clock, trail
from ..models import AgendaItem, Meeting, Posting, Topic, TrailKind
from ..printing import poster_refusal, publicity_started_at

POLICY = uploads.PHOTOS_AND_PDF
PLACE_MAX = 200
# A clock on a phone a little ahead of the server's is not "posted in the future".
FUTURE_SLACK = datetime.timedelta(minutes=5)


def _clean_place(place):
    place = (place or "").strip()
    if not place:
        raise ValidationError(
            {"place": _("Say where the notice was posted (for example: the board by the lift of building 3).")}
        )
    if len(place) > PLACE_MAX:
        raise ValidationError({"place": _("The place can be at most %(max)d characters long.") % {"max": PLACE_MAX}})
    return place


def _clean_posted_at(posted_at, earliest, now):
    if posted_at is None:
        raise ValidationError({"posted_at": _("Enter when the notice was posted.")})
    if timezone.is_naive(posted_at):
        posted_at = timezone.make_aware(posted_at)
    if posted_at > now + FUTURE_SLACK:
        raise ValidationError({"posted_at": _("A notice cannot have been posted in the future.")})
    if earliest is not None and posted_at < earliest:
        raise ValidationError(
            {
                "posted_at": _(
                    "The notice did not exist yet at that time: it can have been posted only after it was printable."
                )
            }
        )
    return posted_at


@transaction.atomic
def posting_record(*, actor, place, posted_at, meeting=None, topic=None, photo=None):
    """Record one posting of a meeting's notice (`meeting`) or a topic's poster (`topic`)."""
    if (meeting is None) == (topic is None):
        raise ValidationError(_("Name either the meeting whose notice was posted or the topic whose poster was."))
    now = clock.now()
    if meeting is not None:
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related("community").get(pk=meeting.pk)
        if not can(actor, "meeting.manage", meeting):
            raise PermissionDenied(_("Only this community's staff record postings of its notices."))
        if meeting.status == Meeting.Status.CANCELLED:
            raise Conflict(_("This meeting was cancelled: its notice should come down, not go up."))
        document, earliest = Posting.Document.MEETING_NOTICE, meeting.created_at
        topic_ids = list(AgendaItem.objects.filter(meeting=meeting).values_list("topic_id", flat=True))
    else:
        topic = Topic.objects.select_for_update(of=("self",)).select_related("community").get(pk=topic.pk)
        if not can(actor, "topic.manage", topic):
            raise PermissionDenied(_("Only this community's staff record postings of its notices."))
        refusal = poster_refusal(topic)
        if refusal:
            raise Conflict(refusal)
        document = Posting.Document.TOPIC_POSTER
        earliest = publicity_started_at(topic)
        topic_ids = [topic.pk]
    place = _clean_place(place)
    posted_at = _clean_posted_at(posted_at, earliest, now)
    posting = Posting(
        document=document, meeting=meeting, topic=topic, place=place, posted_at=posted_at, recorded_by=actor
    )
    posting.recorded_at = now
    photo_data = {}
    if photo:
        content_type, size, digest, name = uploads.inspect(photo, policy=POLICY, field="photo")
        posting.photo_type, posting.photo_size, posting.photo_name, posting.photo_sha256 = (
            content_type,
            size,
            name,
            digest,
        )
        posting.photo.save(name, photo, save=False)
        photo_data = {"photo_sha256": digest, "photo_type": content_type}
    posting.save()
    data = {
        "posting": posting.pk,
        "document": document,
        "meeting": meeting.pk if meeting else None,
        "place_sha256": trail.text_digest(place),
        "posted_at": posted_at,
        **photo_data,
    }
    # In id order, as every writer locks several topics: nobody waits in a circle.
    for locked in Topic.objects.select_for_update(of=("self",)).filter(pk__in=topic_ids).order_by("pk"):
        trail.append(topic=locked, kind=TrailKind.POSTED, actor=actor, data=data, at=now)
    return posting
