"""Reminders and nudges: the day before a meeting, and two days before a window closes.

- `deliberation.meeting_reminder`, MEETING_REMINDER_HOURS (24) before a meeting, to the
  council's members and the gallery's registered observers: once per meeting and date.
  A meeting called or moved inside that time was told at once by its notice or change
  notice, and gets no reminder on top. A date that no longer holds (moved, cancelled) is
  never reminded of: the notice remembers the date it speaks of and is voided when due.
- `deliberation.rating_nudge`, NOTICE_NUDGE_HOURS (48) before a topic's evaluation window
  ends, to the community's verified residents who have not rated it.
- `deliberation.publicity_nudge`, as long before a publicity period ends, to the verified
  residents who have not read the published resolution (opened the topic's page during
  its publicity) nor objected to it.

Beat runs `plan` every minute. It only creates notices, each under a key naming its subject
and the moment it speaks of (a unique constraint), so two beats, a repeated run or a worker
killed halfway create nothing twice; the dispatcher then sends them exactly once per person
and channel like every notice, resolving the recipients when it sends, so nobody is nudged
for what they did meanwhile. Nothing is kept in a process and nothing waits in the broker.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import BodyKind, Membership, Residency
from notifications import links
from notifications import services as notice_services
from notifications.registry import Content, NoticeKind, moment_words, registry
from notifications.sms import fit

from . import clock
from .models import AgendaItem, Meeting, Objection, ObserverRegistration, PublicityRead, Rating, Topic
from .notices import MEETING_REMINDER
from .workflow import Step

RATING_NUDGE = "deliberation.rating_nudge"
PUBLICITY_NUDGE = "deliberation.publicity_nudge"


def _hours(name):
    return datetime.timedelta(hours=getattr(settings, name))


def _speaks_of(notice, field):
    return parse_datetime(notice.params.get(field) or "")


# The meeting reminder
def reminder_recipients(meeting, notice):
    council = Membership.objects.current().filter(
        body__community_id=meeting.community_id, body__kind=BodyKind.DELIBERATION_COUNCIL
    )
    observers = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True)
    return get_user_model().objects.filter(Q(pk__in=council.values("user_id")) | Q(pk__in=observers.values("user_id")))


def _reminder_holds(meeting, notice):
    return (
        meeting.status == Meeting.Status.SCHEDULED
        and _speaks_of(notice, "starts_at") == meeting.starts_at
        and meeting.starts_at > timezone.now()
    )


def reminder_content(meeting, notice):
    when = moment_words(meeting.starts_at)
    url = links.absolute(meeting.get_absolute_url())
    lines = [
        _("A reminder: the deliberation council of %(community)s meets on %(date)s at %(time)s.")
        % {"community": meeting.community.name, **when},
        _("Place: %(place)s") % {"place": meeting.location},
    ]
    if meeting.online_link:
        lines.append(_("Online: %(link)s") % {"link": meeting.online_link})
    items = AgendaItem.objects.filter(meeting=meeting).select_related("topic").order_by("position", "pk")
    if items:
        lines.extend(["", _("Agenda:")])
        lines.extend(f"{number}. {item.topic.title}" for number, item in enumerate(items, 1))
    lines.extend(
        [
            "",
            _(
                "Gallery observers: please arrive a little early to check in. If you cannot come, cancel your seat on the meeting page so someone else can take it."
            ),
            url,
        ]
    )
    return Content(
        title=_("Reminder: council meeting on %(date)s at %(time)s") % when,
        body="\n".join(lines),
        url=url,
        sms=fit(_("Reminder: council meets %(short)s") % when, url, optional=meeting.location),
    )


def meeting_reminders_plan(now):
    lead = _hours("MEETING_REMINDER_HOURS")
    meetings = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED, recorded_late=False, starts_at__gt=now, starts_at__lte=now + lead
    ).select_related("community")
    created = 0
    for meeting in meetings:
        remind_at = meeting.starts_at - lead
        # Called or moved inside the reminder's lead: its notice or change notice just told everyone.
        if meeting.created_at > remind_at or (meeting.moved_at is not None and meeting.moved_at > remind_at):
            continue
        created += _schedule_once(
            MEETING_REMINDER, meeting, meeting.starts_at, now, params={"starts_at": meeting.starts_at.isoformat()}
        )
    return created


def _schedule_once(kind, subject, moment, now, *, params):
    return int(
        notice_services.notice_schedule_once(kind=kind, subject=subject, moment=moment, due_at=now, params=params)
    )


# Nudges before a topic's window closes
def _verified_residents(community_id):
    return Residency.objects.filter(community_id=community_id, status=Residency.Status.VERIFIED).values("user_id")


def rating_recipients(topic, notice):
    rated = Rating.objects.filter(topic=topic).values("user_id")
    return get_user_model().objects.filter(pk__in=_verified_residents(topic.community_id)).exclude(pk__in=rated)


def _window_holds(step, field):
    """A nudge before a window ends still holds while the topic is in that step and the
    window ends when the nudge said, in the future."""

    def holds(topic, notice):
        ends = getattr(topic, field)
        return topic.step == step and _speaks_of(notice, "ends_at") == ends and ends > timezone.now()

    return holds


def rating_content(topic, notice):
    ends = moment_words(topic.evaluation_ends_at)
    url = links.absolute(topic.get_absolute_url())
    return Content(
        title=_("Rate “%(title)s” by %(date)s") % {"title": topic.title, **ends},
        body="\n".join(
            [
                _(
                    "The work decided on “%(title)s” in %(community)s is done. How well was it done? Residents rate it until %(date)s, %(time)s."
                )
                % {"title": topic.title, "community": topic.community.name, **ends},
                url,
            ]
        ),
        url=url,
        sms=fit(_("Rate the outcome by %(short)s") % ends, url, optional=topic.title),
    )


def publicity_recipients(topic, notice):
    done = PublicityRead.objects.filter(topic=topic).values("user_id")
    objected = Objection.objects.filter(topic=topic).values("author_id")
    return (
        get_user_model()
        .objects.filter(pk__in=_verified_residents(topic.community_id))
        .exclude(pk__in=done)
        .exclude(pk__in=objected)
    )


def publicity_content(topic, notice):
    ends = moment_words(topic.publicity_ends_at)
    url = links.absolute(topic.get_absolute_url())
    return Content(
        title=_("Publicity of “%(title)s” ends %(date)s") % {"title": topic.title, **ends},
        body="\n".join(
            [
                _(
                    "The council's resolution on “%(title)s” in %(community)s is published until %(date)s, %(time)s. Read it; if you object, say so on its page before then."
                )
                % {"title": topic.title, "community": topic.community.name, **ends},
                url,
            ]
        ),
        url=url,
        sms=fit(_("Resolution published until %(short)s") % ends, url, optional=topic.title),
    )


# The windows a nudge comes before: its kind, the step the topic is in, the field its end is in.
WINDOWS = (
    (RATING_NUDGE, Step.EVALUATE, "evaluation_ends_at"),
    (PUBLICITY_NUDGE, Step.PUBLICIZE, "publicity_ends_at"),
)


def topic_nudges_plan(now):
    lead = _hours("NOTICE_NUDGE_HOURS")
    created = 0
    for kind, step, field in WINDOWS:
        window = {f"{field}__gt": now, f"{field}__lte": now + lead}
        for topic in Topic.objects.filter(step=step, **window).select_related("community"):
            ends = getattr(topic, field)
            created += _schedule_once(kind, topic, ends, now, params={"ends_at": ends.isoformat()})
    return created


def plan(*, now=None):
    """Create the reminders and nudges whose time has come, once each. Returns how many."""
    now = now or clock.now()
    return meeting_reminders_plan(now) + topic_nudges_plan(now)


# What counts as having read a publicity
def publicity_read(*, user, topic):
    """A verified resident opened the topic's page during its publicity (idempotent)."""
    if not getattr(user, "is_authenticated", False) or topic.step != Step.PUBLICIZE:
        return
    try:
        with transaction.atomic():
            PublicityRead.objects.get_or_create(topic_id=topic.pk, user_id=user.pk, defaults={"read_at": clock.now()})
    except IntegrityError:  # two tabs at once: the other one recorded it
        pass


def register():
    registry.register(
        NoticeKind(
            name=MEETING_REMINDER,
            label=gettext_lazy("Meeting reminder"),
            subject_model=Meeting,
            recipients=reminder_recipients,
            content=reminder_content,
            is_current=_reminder_holds,
            community_key=lambda meeting: meeting.community_id,
            subject_key="meeting",
        )
    )
    registry.register(
        NoticeKind(
            name=RATING_NUDGE,
            label=gettext_lazy("Rating closes soon"),
            subject_model=Topic,
            recipients=rating_recipients,
            content=rating_content,
            is_current=_window_holds(Step.EVALUATE, "evaluation_ends_at"),
            community_key=lambda topic: topic.community_id,
            subject_key="topic",
        )
    )
    registry.register(
        NoticeKind(
            name=PUBLICITY_NUDGE,
            label=gettext_lazy("Publicity ends soon"),
            subject_model=Topic,
            recipients=publicity_recipients,
            content=publicity_content,
            is_current=_window_holds(Step.PUBLICIZE, "publicity_ends_at"),
            community_key=lambda topic: topic.community_id,
            subject_key="topic",
        )
    )
