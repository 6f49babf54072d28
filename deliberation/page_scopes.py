"""Which cached pages for anonymous visitors (core/page_cache.py) this app's records
appear on, so that a change to one of them renders those pages afresh.

- A topic's page: every change to it appends to its trail (apps.py, scope "topic:<id>").
- A meeting's page shows its agenda (the topics' titles, steps, outcomes, votes and
  resolutions), the council's attendance and quorum, the gallery's seats and the council
  rules, its materials and where its notice was posted: all meeting pages of a community share the scope "meetings:<community id>", replaced
  whenever any of that is saved or deleted.
- A community's page shows its council rules.
"""

import threading

from communities.models import Body, Membership, User
from communities.page_scopes import community_scope
from core.page_cache import pages_follow

from .models import (
    AgendaItem,
    Attendance,
    Ballot,
    CouncilRules,
    Meeting,
    MeetingMaterial,
    ObserverRegistration,
    Posting,
    Topic,
    TrailEntry,
    Vote,
)


def meetings_scope(community_id):
    return f"meetings:{community_id}"


class _MeetingCommunities:
    """Meeting id -> its community's id, remembered by this process (a meeting never moves to
    another community), so a cached meeting page is served without a query."""

    size = 10_000

    def __init__(self):
        self.known = {}
        self.lock = threading.Lock()

    def get(self, meeting_id):
        community_id = self.known.get(meeting_id)
        if community_id is None:
            community_id = Meeting.objects.filter(pk=meeting_id).values_list("community_id", flat=True).first()
            if community_id is not None:
                with self.lock:
                    if len(self.known) >= self.size:
                        self.known.clear()
                    self.known[meeting_id] = community_id
        return community_id


_meeting_communities = _MeetingCommunities()


def meeting_page_scope(meeting_id):
    """The scope of /meetings/<id>/ (a meeting that does not exist: one of its own, never cached)."""
    community_id = _meeting_communities.get(meeting_id)
    return meetings_scope(community_id) if community_id is not None else f"meeting-missing:{meeting_id}"


def _of_meeting(meeting_id):
    community_id = _meeting_communities.get(meeting_id)
    return [meetings_scope(community_id)] if community_id is not None else []


def _meeting(instance, update_fields):
    return [meetings_scope(instance.community_id)]


def _by_meeting(instance, update_fields):
    return _of_meeting(instance.meeting_id)


def _posting(instance, update_fields):
    """A meeting's page lists where its notice was posted (a poster's is on its topic's trail)."""
    return _of_meeting(instance.meeting_id) if instance.meeting_id else []


def _vote(instance, update_fields):
    meeting_ids = AgendaItem.objects.filter(pk=instance.agenda_item_id).values_list("meeting_id", flat=True)
    return [scope for meeting_id in meeting_ids for scope in _of_meeting(meeting_id)]


def _ballot(instance, update_fields):
    meeting_ids = AgendaItem.objects.filter(vote=instance.vote_id).values_list("meeting_id", flat=True)
    return [scope for meeting_id in meeting_ids for scope in _of_meeting(meeting_id)]


def _topic(instance, update_fields):
    return [meetings_scope(instance.community_id)]


def _trail_entry(instance, update_fields):
    if TrailEntry.topic.is_cached(instance):
        return [meetings_scope(instance.topic.community_id)]
    return [
        meetings_scope(pk) for pk in Topic.objects.filter(pk=instance.topic_id).values_list("community_id", flat=True)
    ]


def _council_rules(instance, update_fields):
    return [community_scope(instance.community_id), meetings_scope(instance.community_id)]


def _membership(instance, update_fields):
    """A council seat changes the quorum and the attendance list."""
    return [
        meetings_scope(pk) for pk in Body.objects.filter(pk=instance.body_id).values_list("community_id", flat=True)
    ]


def _person(instance, update_fields):
    """A council member's name is in the attendance of their community's meetings."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return []
    seats = Body.objects.filter(memberships__user=instance.pk).values_list("community_id", flat=True)
    attended = Meeting.objects.filter(attendance__member=instance.pk).values_list("community_id", flat=True)
    return [meetings_scope(pk) for pk in {*seats, *attended}]


def register():
    pages_follow(Meeting, _meeting)
    for model in (AgendaItem, Attendance, ObserverRegistration, MeetingMaterial):
        pages_follow(model, _by_meeting)
    pages_follow(Posting, _posting)
    pages_follow(Vote, _vote)
    pages_follow(Ballot, _ballot)
    pages_follow(Topic, _topic)
    pages_follow(TrailEntry, _trail_entry)
    pages_follow(CouncilRules, _council_rules)
    pages_follow(Membership, _membership)
    pages_follow(User, _person)
