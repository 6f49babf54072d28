"""Council meetings as iCalendar (RFC 5545), for "add to calendar" and a community's feed.

One VEVENT per meeting, the same UID whatever feed it comes from, so a calendar program that
imported the single meeting and subscribes to the feed keeps one entry; a moved meeting keeps
its UID and raises its SEQUENCE, a cancelled one is sent as STATUS:CANCELLED so subscribed
calendars drop it. Times are written in the portal's time zone with its VTIMEZONE.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from notifications import links

from .models import AgendaItem, Meeting

# A council meeting has no stated end; calendars need one. Two hours is the usual evening.
MEETING_LENGTH = datetime.timedelta(hours=2)
PRODID = "-//Civic//Community council meetings//ZH"


def _uid(meeting):
    host = urlsplit(settings.SITE_URL).hostname or "civic"
    return f"meeting-{meeting.pk}@{host}"


def _description(meeting, agenda):
    lines = []
    if agenda:
        lines.append(_("Agenda:"))
        lines.extend(f"{number}. {item.topic.title}" for number, item in enumerate(agenda, 1))
    else:
        lines.append(_("No topics are on the agenda yet; the meeting page shows them as they are added."))
    if meeting.online_link:
        lines.extend(["", _("Online: %(link)s") % {"link": meeting.online_link}])
    lines.extend(["", _("Meeting page: %(url)s") % {"url": links.absolute(meeting.get_absolute_url())}])
    return "\n".join(lines)


def _title(meeting):
    if meeting.is_deliberation_day:
        return _("Deliberation day, %(community)s") % {"community": meeting.community.name}
    return _("Council meeting, %(community)s") % {"community": meeting.community.name}


def meeting_event(meeting, agenda, *, stamp):
    event = Event()
    starts = timezone.localtime(meeting.starts_at)
    event.add("uid", _uid(meeting))
    event.add("dtstamp", stamp)
    event.add("dtstart", starts)
    event.add("dtend", starts + MEETING_LENGTH)
    event.add("summary", _title(meeting))
    event.add("location", meeting.location)
    event.add("description", _description(meeting, agenda))
    event.add("url", links.absolute(meeting.get_absolute_url()))
    # Seconds since it was created: grows with every move, as SEQUENCE must.
    moved = meeting.moved_at or meeting.created_at
    event.add("sequence", max(int((moved - meeting.created_at).total_seconds()), 0))
    event.add("last-modified", (meeting.moved_at or meeting.created_at).astimezone(datetime.UTC))
    event.add("status", "CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED")
    if meeting.online_link:
        event.add("conference", meeting.online_link, parameters={"value": "URI"})
    return event


def _calendar(name):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    return calendar


def _agendas(meetings):
    by_meeting = {}
    items = AgendaItem.objects.filter(meeting__in=meetings).select_related("topic").order_by("position", "pk")
    for item in items:
        by_meeting.setdefault(item.meeting_id, []).append(item)
    return by_meeting


def meetings_ics(meetings, *, name):
    """One calendar holding `meetings`, as bytes."""
    meetings = list(meetings)
    calendar = _calendar(name)
    stamp = timezone.now().astimezone(datetime.UTC)
    agendas = _agendas(meetings)
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, agendas.get(meeting.pk, []), stamp=stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_ics(meeting):
    return meetings_ics([meeting], name=_title(meeting))


def community_feed_meetings(community, now):
    """The community's coming meetings, and those cancelled that were to come (so a
    subscribed calendar removes them)."""
    return (
        Meeting.objects.filter(community=community, starts_at__gte=now)
        .exclude(status=Meeting.Status.HELD)
        .select_related("community")
        .order_by("starts_at", "pk")
    )


def community_ics(community, now):
    name = _("Council meetings, %(community)s") % {"community": community.name}
    return meetings_ics(community_feed_meetings(community, now), name=name)
