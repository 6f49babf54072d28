"""The notices deliberation sends, and when.

Kinds (registered with the notifications app from DeliberationConfig.ready):
- the meeting notice, due NOTICE_LEAD_DAYS (5) days before a meeting, with its agenda, to the
  council, the community's verified residents and the gallery's registered observers;
- a meeting's change and cancellation notices, at once, when the meeting notice already went;
- a topic's step change, to its author and followers (commenters follow by default);
- an objection's answer, to its author;
- the daily digest of overdue topics, to the community's staff.

The deliberation services call the hooks below inside their own transactions, so a notice
is due exactly when the change that calls for it is committed, and never otherwise.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import BodyKind, Community, CommunityUserObjectPermission, Membership, Residency
from communities.permissions import MANAGE_COMMUNITY
from notifications import links
from notifications import selectors as notice_selectors
from notifications import services as notice_services
from notifications.models import Notice
from notifications.registry import EMAIL, IN_APP, Content, Daily, Followable, NoticeKind, moment_words, registry
from notifications.sms import fit

from . import clock
from .models import AgendaItem, Meeting, Objection, ObserverRegistration, Topic
from .workflow import Outcome, Step

MEETING_NOTICE = "deliberation.meeting_notice"
MEETING_CHANGED = "deliberation.meeting_changed"
MEETING_CANCELLED = "deliberation.meeting_cancelled"
STEP_CHANGED = "deliberation.step_changed"
OBJECTION_ANSWERED = "deliberation.objection_answered"
OVERDUE_DIGEST = "deliberation.overdue_digest"
# Sent by deliberation.reminders; named here so a move or a cancellation withdraws it.
MEETING_REMINDER = "deliberation.meeting_reminder"

TELLING_KINDS = (MEETING_NOTICE, MEETING_CHANGED)
MEETING_KINDS = (MEETING_NOTICE, MEETING_CHANGED, MEETING_CANCELLED)


def link(obj):
    return links.absolute(obj.get_absolute_url())


# Meetings: who hears, and what they read
def meeting_recipients(meeting, notice):
    council = Membership.objects.current().filter(
        body__community_id=meeting.community_id, body__kind=BodyKind.DELIBERATION_COUNCIL
    )
    residents = Residency.objects.filter(community_id=meeting.community_id, status=Residency.Status.VERIFIED)
    observers = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True)
    return get_user_model().objects.filter(
        Q(pk__in=council.values("user_id"))
        | Q(pk__in=residents.values("user_id"))
        | Q(pk__in=observers.values("user_id"))
    )


def _meeting_params(meeting):
    return {"starts_at": meeting.starts_at.isoformat(), "location": meeting.location}


def _holds(meeting, notice):
    """The meeting is still on at the time the notice speaks of, and still to come."""
    told = parse_datetime(notice.params.get("starts_at", ""))
    return (
        meeting.status == Meeting.Status.SCHEDULED and told == meeting.starts_at and meeting.starts_at > timezone.now()
    )


def _agenda_lines(meeting):
    items = AgendaItem.objects.filter(meeting=meeting).select_related("topic").order_by("position", "pk")
    lines = [f"{number}. {item.topic.title} {link(item.topic)}" for number, item in enumerate(items, 1)]
    return lines or [_("No topics are on the agenda yet; the meeting page shows them as they are added.")]


def _gallery_line(meeting):
    if meeting.observer_seats == 0:
        return _("This meeting has no public gallery.")
    taken = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count()
    left = max(meeting.observer_seats - taken, 0)
    if left == 0:
        return _("The public gallery is full (%(seats)d seats).") % {"seats": meeting.observer_seats}
    return _(
        "Public gallery: %(left)d of %(seats)d seats left. Verified residents register for a seat on the meeting page: %(url)s"
    ) % {"left": left, "seats": meeting.observer_seats, "url": link(meeting)}


def _meeting_body(meeting, opening):
    when = moment_words(meeting.starts_at)
    lines = [
        opening,
        _("When: %(date)s, %(time)s") % when,
        _("Place: %(place)s") % {"place": meeting.location},
        "",
        _("Agenda:"),
        *_agenda_lines(meeting),
        "",
        _gallery_line(meeting),
    ]
    return "\n".join(lines)


def meeting_notice_content(meeting, notice):
    when = moment_words(meeting.starts_at)
    if notice.short_notice:
        title = _("Short notice: council meeting on %(date)s") % when
    else:
        title = _("Council meeting on %(date)s") % when
    opening = _("The deliberation council of %(community)s meets on %(date)s at %(time)s.") % {
        "community": meeting.community.name,
        **when,
    }
    if notice.short_notice:
        opening += " " + _("This meeting was called at short notice, less than %(days)d days ahead.") % {
            "days": settings.NOTICE_LEAD_DAYS
        }
    return Content(
        title=title,
        body=_meeting_body(meeting, opening),
        url=link(meeting),
        sms=fit(_("Council meets %(short)s") % when, link(meeting), optional=meeting.location),
    )


def meeting_changed_content(meeting, notice):
    when = moment_words(meeting.starts_at)
    previous = parse_datetime(notice.params.get("previous_starts_at") or "")
    if notice.params.get("agenda_changed"):
        opening = _("The agenda of the council meeting of %(community)s on %(date)s at %(time)s has changed.") % {
            "community": meeting.community.name,
            **when,
        }
    else:
        opening = _("The council meeting of %(community)s has changed: it is now on %(date)s at %(time)s.") % {
            "community": meeting.community.name,
            **when,
        }
    if previous is not None and previous != meeting.starts_at:
        opening += " " + _("It was set for %(date)s, %(time)s.") % moment_words(previous)
    if notice.params.get("previous_location") and notice.params["previous_location"] != meeting.location:
        opening += " " + _("It moves from %(old)s to %(new)s.") % {
            "old": notice.params["previous_location"],
            "new": meeting.location,
        }
    title = _("Meeting changed: now %(date)s, %(time)s") % when
    if notice.params.get("agenda_changed"):
        title = _("New agenda: council meeting on %(date)s") % when
    return Content(
        title=title,
        body=_meeting_body(meeting, opening),
        url=link(meeting),
        sms=fit(_("Meeting changed: now %(short)s") % when, link(meeting), optional=meeting.location),
    )


def meeting_cancelled_content(meeting, notice):
    told = parse_datetime(notice.params.get("starts_at") or "") or meeting.starts_at
    when = moment_words(told)
    lines = [
        _("The council meeting of %(community)s on %(date)s at %(time)s is cancelled.")
        % {"community": meeting.community.name, **when}
    ]
    if meeting.cancel_reason:
        lines.append(_("Reason: %(reason)s") % {"reason": meeting.cancel_reason})
    lines.append(_("Its topics wait for another meeting's agenda."))
    return Content(
        title=_("Meeting of %(date)s cancelled") % when,
        body="\n".join(lines),
        url=link(meeting),
        sms=fit(_("Meeting of %(short)s cancelled") % when, link(meeting)),
    )


# Hooks the deliberation services call inside their transactions
def _locked_meeting_notices(meeting):
    """Lock the meeting's notices first: a dispatcher expanding one right now finishes, and
    we then see whether it went out (PostgreSQL re-reads a locked row after the wait)."""
    return list(notice_selectors.notices_about(meeting, MEETING_KINDS).select_for_update().order_by("pk"))


def _last_told(notices):
    told = [n for n in notices if n.kind in TELLING_KINDS and n.status == Notice.Status.DISPATCHED]
    return max(told, key=lambda n: (n.dispatched_at, n.pk)) if told else None


def _schedule_meeting_notice(meeting):
    now = clock.now()
    short = meeting.notice_at <= now
    return notice_services.notice_schedule(
        kind=MEETING_NOTICE,
        subject=meeting,
        due_at=max(meeting.notice_at, now),
        short_notice=short,
        params=_meeting_params(meeting),
    )


def meeting_scheduled(meeting):
    """A new meeting: its notice is due NOTICE_LEAD_DAYS before it, or at once (short notice)."""
    return _schedule_meeting_notice(meeting)


def meeting_moved(meeting, *, previous_starts_at=None):
    """Before its notice went: the pending notice gives way to one for the new date. After:
    what is still queued for the old date is withdrawn and a change notice goes at once."""
    told = _last_told(_locked_meeting_notices(meeting))
    if told is None:
        notice = _schedule_meeting_notice(meeting)
        notice_services.notices_supersede(
            subject=meeting, kinds=TELLING_KINDS, by=notice, reason="The meeting moved before its notice went out."
        )
        return notice
    notice_services.deliveries_withdraw(
        subject=meeting, kinds=TELLING_KINDS, reason="The meeting moved; a change notice went instead."
    )
    # A reminder of the old date still queued for SMS or e-mail must not go out after the move.
    notice_services.deliveries_withdraw(
        subject=meeting, kinds=(MEETING_REMINDER,), reason="The meeting moved after its reminder was written."
    )
    notice = notice_services.notice_schedule(
        kind=MEETING_CHANGED,
        subject=meeting,
        due_at=clock.now(),
        params={
            **_meeting_params(meeting),
            "previous_starts_at": told.params.get("starts_at"),
            "previous_location": told.params.get("location"),
        },
    )
    notice_services.notices_supersede(
        subject=meeting, kinds=TELLING_KINDS, by=notice, reason="A newer change notice replaced it."
    )
    return notice


def agenda_changed(meeting):
    """A topic went on or off the agenda. Before the notice went, the pending notice carries
    the agenda as it stands when it goes (or, with none pending because the agenda was empty
    when it was due, a notice is called now). After: a change notice with the new agenda."""
    if meeting.starts_at <= clock.now():
        return None
    notices = _locked_meeting_notices(meeting)
    told = _last_told(notices)
    if told is None:
        pending = [n for n in notices if n.kind == MEETING_NOTICE and n.status == Notice.Status.PENDING]
        return pending[0] if pending else _schedule_meeting_notice(meeting)
    notice = notice_services.notice_schedule(
        kind=MEETING_CHANGED,
        subject=meeting,
        due_at=clock.now(),
        params={**_meeting_params(meeting), "agenda_changed": True},
    )
    notice_services.notices_supersede(
        subject=meeting, kinds=TELLING_KINDS, by=notice, reason="A newer change notice replaced it."
    )
    return notice


def meeting_cancelled(meeting):
    """Before its notice went: nothing goes. After: a cancellation notice goes at once."""
    told = _last_told(_locked_meeting_notices(meeting))
    if told is None:
        notice_services.notices_supersede(
            subject=meeting, kinds=TELLING_KINDS, reason="The meeting was cancelled before its notice went out."
        )
        return None
    notice_services.deliveries_withdraw(
        subject=meeting, kinds=TELLING_KINDS, reason="The meeting was cancelled; a cancellation notice went instead."
    )
    notice_services.deliveries_withdraw(
        subject=meeting, kinds=(MEETING_REMINDER,), reason="The meeting was cancelled after its reminder was written."
    )
    notice = notice_services.notice_schedule(
        kind=MEETING_CANCELLED, subject=meeting, due_at=clock.now(), params={"starts_at": told.params.get("starts_at")}
    )
    notice_services.notices_supersede(
        subject=meeting, kinds=TELLING_KINDS, by=notice, reason="The meeting was cancelled."
    )
    return notice


def meeting_notice_state(meeting):
    """When the meeting's notice is (or was) due, and whether it came at short notice."""
    notice = notice_selectors.notices_about(meeting, [MEETING_NOTICE]).exclude(status=Notice.Status.SUPERSEDED).last()
    if notice is None:
        return None
    return {"due_at": notice.due_at, "short_notice": notice.short_notice, "status": notice.status}


# Topics: step changes to the author and followers
def topic_recipients(topic, notice):
    users = get_user_model().objects.filter(Q(pk=topic.raised_by_id) | Q(pk__in=notice_selectors.follower_ids(topic)))
    actor = notice.params.get("actor")
    return users.exclude(pk=actor) if actor else users


def step_changed_content(topic, notice):
    target = Step(notice.params["to"])
    outcome = notice.params.get("outcome")
    lines = [
        _("The topic “%(title)s” of %(community)s moved from “%(from)s” to “%(to)s”.")
        % {
            "title": topic.title,
            "community": topic.community.name,
            "from": Step(notice.params["from"]).label,
            "to": target.label,
        }
    ]
    if outcome and outcome != Outcome.PENDING:
        lines.append(_("Outcome: %(outcome)s") % {"outcome": Outcome(outcome).label})
    if notice.params.get("note"):
        lines.append(_("Note: %(note)s") % {"note": notice.params["note"]})
    lines.append(link(topic))
    return Content(
        title=_("“%(title)s” is now at “%(step)s”") % {"title": topic.title, "step": target.label},
        body="\n".join(lines),
        url=link(topic),
        sms=fit(_("Topic now at “%(step)s”") % {"step": target.label}, link(topic), optional=topic.title),
    )


def step_changed(topic, *, source, target, actor=None, note=""):
    return notice_services.notice_schedule(
        kind=STEP_CHANGED,
        subject=topic,
        # The moment of the change (the demo lays its history down at the moments it tells of).
        due_at=clock.now(),
        params={
            "from": str(source),
            "to": str(target),
            "outcome": str(topic.outcome),
            "note": note[:500],
            "actor": getattr(actor, "pk", None),
        },
    )


def comment_posted(comment):
    """Commenters follow the topic by default (unless they unfollowed it)."""
    notice_services.follow_by_default(user=comment.author, subject=comment.topic)


# Objections: the answer to its author
def objection_recipients(objection, notice):
    return get_user_model().objects.filter(pk=objection.author_id)


def objection_answered_content(objection, notice):
    topic = objection.topic
    return Content(
        title=_("Your objection to “%(title)s” was answered") % {"title": topic.title},
        body="\n".join(
            [
                _("The staff of %(community)s answered your objection to the resolution on “%(title)s”.")
                % {"community": topic.community.name, "title": topic.title},
                "",
                _("Your objection: %(text)s") % {"text": objection.body},
                _("Answer: %(text)s") % {"text": objection.answer},
                "",
                link(topic),
            ]
        ),
        url=link(topic),
        sms=fit(_("Your objection was answered:"), link(topic)),
    )


def objection_answered(objection):
    return notice_services.notice_schedule(kind=OBJECTION_ANSWERED, subject=objection, due_at=clock.now())


# Overdue topics: a daily digest to the community's staff
def staff_recipients(community, notice):
    staff = CommunityUserObjectPermission.objects.filter(
        content_object_id=community.pk, permission__codename=MANAGE_COMMUNITY
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=staff)


def communities_with_overdue_topics(now):
    return Community.objects.filter(pk__in=Topic.objects.overdue(now).values("community_id")).order_by("pk")


def overdue_digest_content(community, notice):
    topics = list(Topic.objects.overdue(timezone.now()).filter(community=community).order_by("step_due_at", "pk"))
    lines = [
        _("%(count)d topics of %(community)s are past their step's time limit:")
        % {"count": len(topics), "community": community.name},
        "",
    ]
    for topic in topics:
        lines.append(
            _("• %(title)s — “%(step)s”, due %(date)s: %(url)s")
            % {
                "title": topic.title,
                "step": Step(topic.step).label,
                "date": formats.date_format(timezone.localtime(topic.step_due_at), "DATE_FORMAT"),
                "url": link(topic),
            }
        )
    return Content(
        title=_("Overdue topics in %(community)s: %(count)d") % {"community": community.name, "count": len(topics)},
        body="\n".join(lines),
        url=link(community),
    )


def _still_overdue(community, notice):
    return Topic.objects.overdue(timezone.now()).filter(community=community).exists()


def register():
    meeting_kind = {
        "subject_model": Meeting,
        "recipients": meeting_recipients,
        "community_key": lambda meeting: meeting.community_id,
        "subject_key": "meeting",
    }
    registry.register(
        NoticeKind(
            name=MEETING_NOTICE,
            label=gettext_lazy("Meeting notice"),
            content=meeting_notice_content,
            is_current=_holds,
            **meeting_kind,
        )
    )
    registry.register(
        NoticeKind(
            name=MEETING_CHANGED,
            label=gettext_lazy("Meeting changed"),
            content=meeting_changed_content,
            is_current=_holds,
            **meeting_kind,
        )
    )
    registry.register(
        NoticeKind(
            name=MEETING_CANCELLED,
            label=gettext_lazy("Meeting cancelled"),
            content=meeting_cancelled_content,
            is_current=lambda meeting, notice: meeting.status == Meeting.Status.CANCELLED,
            **meeting_kind,
        )
    )
    registry.register(
        NoticeKind(
            name=STEP_CHANGED,
            label=gettext_lazy("Topic moved on"),
            subject_model=Topic,
            recipients=topic_recipients,
            content=step_changed_content,
            channels=(IN_APP, EMAIL),
            community_key=lambda topic: topic.community_id,
            subject_key="topic",
        )
    )
    registry.register(
        NoticeKind(
            name=OBJECTION_ANSWERED,
            label=gettext_lazy("Objection answered"),
            subject_model=Objection,
            recipients=objection_recipients,
            content=objection_answered_content,
            community_key=lambda objection: objection.topic.community_id,
            subject_key="objection",
        )
    )
    registry.register(
        NoticeKind(
            name=OVERDUE_DIGEST,
            label=gettext_lazy("Overdue topics (daily)"),
            subject_model=Community,
            recipients=staff_recipients,
            content=overdue_digest_content,
            is_current=_still_overdue,
            channels=(IN_APP, EMAIL),
            community_key=lambda community: community.pk,
            subject_key="community",
        )
    )
    registry.register_daily(
        Daily(kind=OVERDUE_DIGEST, subjects=communities_with_overdue_topics, at=datetime.time(8, 0))
    )
    registry.register_followable(Followable(name="topic", model=Topic))
