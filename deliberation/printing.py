"""The print kit for the bulletin board (公示栏): A4 PDFs in Chinese with a QR code.

- A meeting's notice: community, date and time, place, agenda, gallery seats and how to
  register, the online link and materials, a QR code to the meeting page.
- A topic's publicity poster, from publicize on: the resolution, the vote, the publicity
  period, how and until when to object, a QR code to the topic, and the hash at the head of
  the topic's trail, so the paper can be checked against the record.

Both are written in Chinese whatever the reader's language: they go on a wall in a Chinese
community. WeasyPrint lays the HTML out (fonts from Debian's fonts-noto-cjk), segno draws the
QR code as SVG so it prints sharp at any size.
"""

import logging
from pathlib import Path

import segno
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import links

from . import clock
from .models import AgendaItem, Meeting, ObserverRegistration, TrailEntry, TrailKind
from .workflow import STEP_NUMBER, Step

# WeasyPrint logs each of its seven layout steps at INFO: noise in a worker's or server's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

BOARD_LANGUAGE = "zh-hans"
STYLESHEET = Path(__file__).resolve().parent / "static" / "deliberation" / "print.css"


def qr_svg_data_uri(url):
    """The QR code of `url` as an SVG data URI (error correction M: survives a smudge)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2, dark="#000", light="#fff")


def _pdf(template, context):
    # Imported here: WeasyPrint loads Pango through cffi, which only the print views need.
    from weasyprint import CSS, HTML

    html = render_to_string(template, {**context, "LANGUAGE_CODE": BOARD_LANGUAGE})
    # No base URL: everything the page needs (the QR code, the fonts) is in it or on this
    # machine, so printing never fetches anything.
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


def publicity_started_at(topic):
    """When the topic entered publicity (its step's trail entry), or None."""
    return (
        TrailEntry.objects.filter(topic=topic, kind=TrailKind.STEP, data__to=Step.PUBLICIZE.value)
        .order_by("seq")
        .values_list("recorded_at", flat=True)
        .first()
    )


def poster_refusal(topic):
    """Why the topic has no publicity poster (None when it has one)."""
    if STEP_NUMBER[topic.step] < STEP_NUMBER[Step.PUBLICIZE]:
        return _(
            "A publicity poster is printed once the council's resolution is published: this topic is still at “%(step)s”."
        ) % {"step": Step(topic.step).label}
    if topic.publicity_ends_at is None:
        return _("This topic was closed without a resolution to publish, so it has no publicity poster.")
    return None


def meeting_notice_context(meeting):
    now = clock.now()
    url = links.absolute(meeting.get_absolute_url())
    taken = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count()
    return {
        "meeting": meeting,
        "community": meeting.community,
        "starts_at": timezone.localtime(meeting.starts_at),
        "agenda": list(AgendaItem.objects.filter(meeting=meeting).select_related("topic").order_by("position", "pk")),
        "materials": list(meeting.materials.order_by("added_at", "pk")),
        "seats_left": max(meeting.observer_seats - taken, 0),
        "url": url,
        "qr": qr_svg_data_uri(url),
        "cancelled": meeting.status == Meeting.Status.CANCELLED,
        "printed_at": timezone.localtime(now),
    }


def meeting_notice_pdf(meeting):
    with translation.override(BOARD_LANGUAGE):
        return _pdf("deliberation/print/meeting_notice.html", meeting_notice_context(meeting))


def topic_poster_context(topic):
    now = clock.now()
    url = links.absolute(topic.get_absolute_url())
    item = topic.agenda_item()
    vote = getattr(item, "vote", None) if item is not None else None
    head = TrailEntry.objects.filter(topic=topic).order_by("-seq").values("seq", "hash", "recorded_at").first()
    publicity_ends = timezone.localtime(topic.publicity_ends_at)
    started = publicity_started_at(topic)
    return {
        "topic": topic,
        "community": topic.community,
        "resolution": (item.resolution if item is not None and item.resolution else topic.resolution),
        "meeting": item.meeting if item is not None else None,
        "meeting_at": timezone.localtime(item.meeting.starts_at) if item is not None else None,
        "vote": vote,
        "publicity_starts": timezone.localtime(started) if started else None,
        "publicity_ends": publicity_ends,
        "objections_open": topic.step == Step.PUBLICIZE and now < topic.publicity_ends_at,
        "url": url,
        "record_url": links.absolute(f"/topics/{topic.pk}/record/"),
        "qr": qr_svg_data_uri(url),
        "head": head,
        "head_at": timezone.localtime(head["recorded_at"]) if head else None,
        "printed_at": timezone.localtime(now),
    }


def topic_poster_pdf(topic):
    with translation.override(BOARD_LANGUAGE):
        return _pdf("deliberation/print/topic_poster.html", topic_poster_context(topic))
