"""Reads for pages, the admin and the API, each in a fixed number of queries.

Topics and meetings are public records: anyone may read them. What a viewer may *do* with
one (`next_steps`, `can_edit` on a comment...) is computed here with the same predicates the
services enforce, so a button is never offered that the service would refuse for want of
a role.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Avg, Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import BodyKind, Membership
from communities.permissions import can, community_scope_q

from . import clock, dashboard, trail
from .models import (
    AgendaItem,
    Attendance,
    Ballot,
    Comment,
    CouncilRules,
    Meeting,
    Objection,
    ObserverRegistration,
    ProgressReport,
    Rating,
    Support,
    Task,
    Topic,
    TopicCategory,
    TrailEntry,
    TrailKind,
)
from .workflow import CONSULTATION_STEPS, STEPS, Step, moves_from, permission_blocker

User = get_user_model()


# Council rules and the council
def council_rules_for(community):
    """The community's rules, or the defaults (unsaved) when staff never changed them."""
    try:
        return CouncilRules.objects.get(community=community)
    except CouncilRules.DoesNotExist:
        return CouncilRules(community=community)


def council_members(community, on=None):
    seats = Membership.objects.current(on).filter(body__community=community, body__kind=BodyKind.DELIBERATION_COUNCIL)
    return User.objects.filter(pk__in=seats.values("user_id")).order_by("display_name", "username")


@dataclass(frozen=True)
class Quorum:
    council_size: int
    present: int
    needed: int

    @property
    def met(self):
        return self.council_size > 0 and self.present >= self.needed


def meeting_quorum(meeting, rules=None):
    """Council members present at a meeting against the quorum the rules ask for (2 queries)."""
    rules = rules or council_rules_for(meeting.community)
    members = council_members(meeting.community, on=timezone.localdate(meeting.starts_at))
    size = members.count()
    present = Attendance.objects.filter(
        meeting=meeting, status=Attendance.Status.PRESENT, member__in=members.values("pk")
    ).count()
    return Quorum(council_size=size, present=present, needed=rules.quorum_needed(size))


# Topics
def _count_of(rows, field="topic"):
    counted = rows.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def topic_list(*, community=None, step=None, search=None, overdue=None, user=None, now=None):
    """Topics, newest first, with their overdue flag and comment and support counts.

    `user` limits the list to the communities that person runs or oversees (the admin,
    officials' lists); without it every topic is listed, as the public pages do.
    """
    topics = (
        Topic.objects.select_related("community", "raised_by")
        .with_overdue(now)
        .annotate(
            comment_count=_count_of(Comment.objects.filter(hidden=False, held=False)),
            support_count=_count_of(Support.objects.all()),
        )
    )
    if user is not None:
        topics = topics.filter(community_scope_q(user, "community__"))
    if community is not None:
        topics = topics.filter(community=community)
    if step:
        topics = topics.filter(step=step)
    if search:
        topics = topics.filter(Q(title__icontains=search) | Q(body__icontains=search))
    if overdue is not None:
        overdue_q = Q(pk__in=Topic.objects.overdue(now).values("pk"))
        topics = topics.filter(overdue_q) if overdue else topics.exclude(overdue_q)
    return topics.order_by("-created_at", "-pk")


def topic_get(topic_id, now=None):
    """One topic with what its page header needs, or Topic.DoesNotExist."""
    return (
        Topic.objects.select_related("community__street__district", "raised_by", "raised_by_body")
        .with_overdue(now)
        .get(pk=topic_id)
    )


def topics_by_step(topics=None):
    return (topics if topics is not None else Topic.objects.all()).count_by_step()


def overdue_topics(user=None, now=None):
    topics = Topic.objects.overdue(now).select_related("community")
    if user is not None:
        topics = topics.filter(community_scope_q(user, "community__"))
    return topics.order_by("step_due_at")


def topic_history(topic):
    """The step changes as the API shows them: from, to, at, by, note, hash (1 query)."""
    entries = (
        TrailEntry.objects.filter(topic=topic, kind__in=[TrailKind.RAISED, TrailKind.STEP])
        .select_related("actor")
        .order_by("seq")
    )
    history = []
    for entry in entries:
        raised = entry.kind == TrailKind.RAISED
        history.append(
            {
                "from": None if raised else entry.data.get("from"),
                "to": Step.COLLECT.value if raised else entry.data.get("to"),
                "outcome": "pending" if raised else entry.data.get("outcome"),
                "at": entry.recorded_at,
                "by": entry.actor.name if entry.actor else None,
                "note": "" if raised else entry.data.get("note", ""),
                "seq": entry.seq,
                "hash": entry.hash,
            }
        )
    return history


def topic_staff_edit(topic):
    """When staff (anyone but its author) last changed the topic's wording, or None (1 query)."""
    return (
        TrailEntry.objects.filter(topic=topic, kind=TrailKind.EDITED, data__by_staff=True)
        .order_by("-seq")
        .values_list("recorded_at", flat=True)
        .first()
    )


def topic_timeline(topic):
    """Every trail entry of the topic with its hashes, oldest first (1 query); an edit's
    entry carries `edit_summary`, what changed from what to what, in the reader's words."""
    entries = list(TrailEntry.objects.filter(topic=topic).select_related("actor").order_by("seq"))
    for entry in entries:
        if entry.kind == TrailKind.EDITED:
            entry.edit_summary = edit_summary(entry.data)
    return entries


def edit_summary(data):
    """One line for a topic edit's trail entry: each changed field, before → after (the
    description by its length: the trail holds its digest, not its text)."""
    before, after = data.get("before"), data.get("after")
    if not before or not after:
        return ""
    categories = dict(TopicCategory.choices)
    parts = []
    for field in data.get("changed", []):
        if field == "title":
            parts.append(_("title: “%(before)s” → “%(after)s”") % {"before": before["title"], "after": after["title"]})
        elif field == "body":
            parts.append(
                _("description: %(before)s → %(after)s characters")
                % {"before": before["body_length"], "after": after["body_length"]}
            )
        elif field == "category":
            parts.append(
                _("category: %(before)s → %(after)s")
                % {
                    "before": categories.get(before["category"], "—"),
                    "after": categories.get(after["category"], "—"),
                }
            )
    summary = "; ".join(str(part) for part in parts)
    return _("by staff: %(changes)s") % {"changes": summary} if data.get("by_staff") else summary


def topic_steps(topic, history=None):
    """The seven steps with when the topic entered each and whether it is done, current or ahead."""
    history = history if history is not None else topic_history(topic)
    entered = {}
    for change in history:
        entered.setdefault(change["to"], change["at"])
    current = STEPS.index(Step(topic.step))
    steps = []
    for index, step in enumerate(STEPS):
        state = "done" if index < current else "current" if index == current else "ahead"
        # A negative outcome jumps to the archive: the steps it passed over were never taken.
        if state == "done" and step not in entered:
            state = "skipped"
        steps.append({"step": step.value, "label": step.label, "state": state, "entered_at": entered.get(step)})
    return steps


def next_steps(user, topic, now=None):
    """The moves out of the topic's step, each with whether `user` may make it now and why not.

    [{"step", "label", "action", "outcome", "needs_note", "allowed", "blockers"}]
    """
    now = now or clock.now()
    result = []
    for target, move in moves_from(topic.step):
        permitted = move.who(user, topic)
        blockers = [] if permitted else [str(permission_blocker(move))]
        blockers += [str(reason) for reason in move.guard(topic, now)]
        result.append(
            {
                "step": target.value,
                "label": str(target.label),
                "action": str(move.label),
                "outcome": move.outcome.value if move.outcome else None,
                "needs_note": move.needs_note,
                "allowed": permitted and not blockers,
                "blockers": blockers,
            }
        )
    return result


# The consultation is read a page of threads at a time: a topic with hundreds of comments
# would otherwise be one very long page, slow to render and to read on a phone.
THREADS_PER_PAGE = 50


def topic_threads(topic):
    """The topic's top-level comments, oldest first: what the consultation is paged by."""
    return Comment.objects.filter(topic=topic, parent__isnull=True).order_by("created_at", "pk")


def thread_page(comment):
    """The page of the consultation that shows `comment` (in its thread)."""
    root = comment if comment.parent_id is None else comment.parent
    before = topic_threads(comment.topic_id).filter(
        Q(created_at__lt=root.created_at) | Q(created_at=root.created_at, pk__lt=root.pk)
    )
    return before.count() // THREADS_PER_PAGE + 1


def topic_comments(topic, user=None, now=None, *, start=0, stop=None):
    """Threads of the topic in 2 queries whatever their number: top-level comments, oldest
    first, each with `.thread` (its replies, oldest first); `start` and `stop` take one page
    of them.

    Each comment carries what this viewer may see and do: `shown` (its text may be shown),
    `can_edit`, `can_reply`, `can_report`. A hidden comment's text is shown to its author and
    to staff only; for everyone else its `body` is emptied and only the fact that it was
    hidden remains (with `hidden_reason` when staff hid it).
    """
    now = now or clock.now()
    replies = Comment.objects.select_related("author").order_by("created_at", "pk")
    comments = list(
        topic_threads(topic)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies, to_attr="thread"))[start:stop]
    )
    moderator = user is not None and can(user, "comment.moderate", topic)
    participant = user is not None and can(user, "comment.post", topic)
    open_for_comments = topic.step in CONSULTATION_STEPS
    user_id = getattr(user, "pk", None)
    for comment in comments:
        for item in [comment, *comment.thread]:
            mine = user_id is not None and item.author_id == user_id
            item.shown = item.is_visible or mine or moderator
            if not item.shown:
                # Nothing downstream can show what it does not hold.
                item.body = ""
            item.can_edit = mine and item.is_visible and open_for_comments and now <= item.editable_until()
            item.can_report = participant and not mine and item.is_visible
            item.can_reply = participant and open_for_comments and item.is_visible
    return comments


def topic_comment_count(topic):
    return Comment.objects.filter(topic=topic, hidden=False, held=False).count()


def topic_support(topic, user=None):
    supports = Support.objects.filter(topic=topic)
    counts = supports.aggregate(count=Count("pk"), mine=Count("pk", filter=Q(user_id=getattr(user, "pk", None))))
    return {"count": counts["count"], "mine": bool(counts["mine"])}


def topic_objections(topic):
    return list(Objection.objects.filter(topic=topic).select_related("author", "answered_by").order_by("created_at"))


def topic_agenda(topic):
    """Every meeting that took the topic up, with its vote and roll-call ballots (2 queries)."""
    ballots = Ballot.objects.select_related("member").order_by("member__display_name")
    return list(
        AgendaItem.objects.filter(topic=topic)
        .select_related("meeting", "vote")
        .prefetch_related(Prefetch("vote__ballots", queryset=ballots))
        .order_by("meeting__starts_at")
    )


def topic_progress(topic):
    """Tasks with owners, supervisors and reports, and the topic's overall progress (2 queries)."""
    reports = ProgressReport.objects.select_related("reported_by").order_by("created_at", "pk")
    tasks = list(
        Task.objects.filter(topic=topic)
        .select_related("owner_body", "owner_user", "supervisor")
        .prefetch_related(Prefetch("reports", queryset=reports))
        .order_by("due_date", "pk")
    )
    percent = round(sum(t.percent for t in tasks) / len(tasks)) if tasks else 0
    return {"tasks": tasks, "percent": percent, "done": sum(1 for t in tasks if t.is_done), "count": len(tasks)}


def topic_ratings(topic, user=None):
    """Mean, distribution and count of the outcome's ratings (1 query), and the viewer's own."""
    summary = Rating.objects.filter(topic=topic).aggregate(
        count=Count("pk"),
        mean=Avg("score"),
        mine=Count("pk", filter=Q(user_id=getattr(user, "pk", None))),
        **{f"s{score}": Count("pk", filter=Q(score=score)) for score in range(1, 6)},
    )
    return {
        "count": summary["count"],
        "mean": round(summary["mean"], 2) if summary["mean"] is not None else None,
        "distribution": {score: summary[f"s{score}"] for score in range(1, 6)},
        "rated": bool(summary["mine"]),
    }


def topic_trail_status(topic):
    return trail.verify(topic_ids=[topic.pk])


def topic_record(topic):
    """The whole record of a topic as JSON-ready data: the archive's export."""
    history = topic_history(topic)
    comments = topic_comments(topic)
    progress = topic_progress(topic)
    ratings = topic_ratings(topic)

    def comment_row(comment):
        return {
            "id": comment.pk,
            "author": comment.author.name,
            "posted_at": comment.created_at,
            "edited_at": comment.edited_at,
            "body": comment.body if comment.is_visible else None,
            "hidden_reason": comment.hidden_reason if not comment.is_visible else "",
        }

    meetings = []
    for item in topic_agenda(topic):
        meeting = item.meeting
        vote = getattr(item, "vote", None)
        attendance = (
            Attendance.objects.filter(meeting=meeting).select_related("member").order_by("member__display_name")
        )
        meetings.append(
            {
                "meeting": meeting.pk,
                "starts_at": meeting.starts_at,
                "location": meeting.location,
                "status": meeting.status,
                "minutes": meeting.minutes,
                "attendance": [{"member": a.member.name, "status": a.status} for a in attendance],
                "resolution": item.resolution,
                "vote": None
                if vote is None
                else {
                    "for": vote.votes_for,
                    "against": vote.votes_against,
                    "abstain": vote.abstentions,
                    "present": vote.present,
                    "council_size": vote.council_size,
                    "quorum_met": vote.quorum_met,
                    "passed": vote.passed,
                    "roll_call": [{"member": b.member.name, "choice": b.choice} for b in vote.ballots.all()],
                },
            }
        )
    record = {
        "topic": {
            "id": topic.pk,
            "community": topic.community_id,
            "title": topic.title,
            "body": topic.body,
            "category": topic.category,
            "step": topic.step,
            "outcome": topic.outcome,
            "outcome_note": topic.outcome_note,
            "resolution": topic.resolution,
            "raised_at": topic.created_at,
            "raised_by_body": topic.raised_by_body.name if topic.raised_by_body_id else None,
            "archived_at": topic.archived_at,
        },
        "history": history,
        "comments": [{**comment_row(c), "replies": [comment_row(r) for r in c.thread]} for c in comments],
        "supports": topic_support(topic)["count"],
        "meetings": meetings,
        "objections": [
            {"lodged_at": o.created_at, "body": o.body, "answer": o.answer, "answered_at": o.answered_at}
            for o in topic_objections(topic)
        ],
        "tasks": [
            {
                "title": t.title,
                "owner": str(t.owner),
                "supervisor": t.supervisor.name,
                "due_date": t.due_date,
                "percent": t.percent,
                "done_at": t.done_at,
                "reports": [
                    {"at": r.created_at, "percent": r.percent, "note": r.note, "file": r.attachment_name}
                    for r in t.reports.all()
                ],
            }
            for t in progress["tasks"]
        ],
        "progress": progress["percent"],
        "ratings": {k: v for k, v in ratings.items() if k != "rated"},
        "trail": [
            {"seq": e.seq, "kind": e.kind, "at": e.recorded_at, "hash": e.hash, "prev_hash": e.prev_hash}
            for e in TrailEntry.objects.filter(topic=topic).order_by("seq")
        ],
    }
    return trail.jsonable(record)


# Meetings
def meeting_list(*, community=None, upcoming=None, user=None, now=None):
    meetings = Meeting.objects.select_related("community").with_seats_left()
    if user is not None:
        meetings = meetings.filter(community_scope_q(user, "community__"))
    if community is not None:
        meetings = meetings.filter(community=community)
    if upcoming is True:
        meetings = meetings.upcoming(now).order_by("starts_at")
    elif upcoming is False:
        meetings = meetings.filter(starts_at__lt=now or clock.now()).order_by("-starts_at")
    else:
        meetings = meetings.order_by("-starts_at")
    return meetings


def meeting_get(meeting_id):
    """One meeting with `seats_taken` and `seats_left`, or Meeting.DoesNotExist."""
    return Meeting.objects.select_related("community__street__district").with_seats_left().get(pk=meeting_id)


def meeting_agenda(meeting):
    return list(AgendaItem.objects.filter(meeting=meeting).select_related("topic", "vote").order_by("position", "pk"))


def meeting_attendance(meeting):
    """Every council member with their recorded attendance (None when not yet recorded)."""
    recorded = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    members = list(council_members(meeting.community, on=timezone.localdate(meeting.starts_at)))
    rows = [{"member": m, "status": recorded[m.pk].status if m.pk in recorded else None} for m in members]
    known = {m.pk for m in members}
    # Someone who left the council since keeps the attendance they had.
    for member_id, attendance in recorded.items():
        if member_id not in known:
            rows.append({"member": attendance.member, "status": attendance.status})
    return rows


def meeting_observers(meeting):
    return list(
        ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True)
        .select_related("user")
        .order_by("registered_at")
    )


def observer_registration_for(user, meeting):
    if user is None or not user.is_authenticated:
        return None
    return ObserverRegistration.objects.filter(meeting=meeting, user=user, cancelled_at__isnull=True).first()


# Single records for the pages and the API (fetch-and-check: missing -> DoesNotExist)
def comment_get(comment_id):
    return Comment.objects.select_related("topic__community__street__district", "author").get(pk=comment_id)


def objection_get(objection_id):
    return Objection.objects.select_related("topic__community__street__district", "author").get(pk=objection_id)


def progress_attachment_get(report_id):
    """A progress report that carries a file, or ProgressReport.DoesNotExist."""
    return ProgressReport.objects.exclude(attachment="").get(pk=report_id)


def task_get(task_id):
    return Task.objects.select_related(
        "topic__community__street__district", "owner_body", "owner_user", "supervisor"
    ).get(pk=task_id)


def topics_in_step_order(topics):
    """A topic list ordered the way the method runs (collect first), newest first in each step."""
    order = Case(
        *(When(step=step, then=Value(number)) for number, step in enumerate(STEPS)), output_field=IntegerField()
    )
    return topics.annotate(step_order=order).order_by("step_order", "-created_at", "-pk")


def community_topic_counts(community, now=None):
    """How many of a community's topics stand in each step, and how many are overdue (2 queries)."""
    topics = Topic.objects.filter(community=community)
    counts = topics.count_by_step()
    overdue = topics.overdue(now).count()
    return counts, overdue


def meetings_with_agenda(meetings):
    """Meetings with their agenda items (topic and vote), ordered, in one more query."""
    items = AgendaItem.objects.select_related("topic", "vote").order_by("position", "pk")
    return meetings.prefetch_related(Prefetch("agenda_items", queryset=items, to_attr="agenda"))


def meetings_of(community, *, upcoming, now=None):
    """A community's coming meetings (soonest first) or past ones (latest first), each with
    `seats_left` and `agenda_count`."""
    meetings = meeting_list(community=community, upcoming=upcoming, now=now)
    counted = AgendaItem.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting")
    return meetings.annotate(
        agenda_count=Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)
    )


def body_ids_of(user):
    """The bodies a person currently sits on (owners of implementation tasks)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(Membership.objects.current().filter(user=user).values_list("body_id", flat=True))


def comment_as_seen_by(comment, user, now=None):
    """One comment with what `user` may see and do with it, by the rules of topic_comments."""
    now = now or clock.now()
    topic = comment.topic
    user_id = getattr(user, "pk", None)
    mine = user_id is not None and comment.author_id == user_id
    participant = user is not None and can(user, "comment.post", topic)
    open_for_comments = topic.step in CONSULTATION_STEPS
    comment.shown = comment.is_visible or mine or (user is not None and can(user, "comment.moderate", topic))
    if not comment.shown:
        comment.body = ""
    comment.can_edit = mine and comment.is_visible and open_for_comments and now <= comment.editable_until()
    comment.can_report = participant and not mine and comment.is_visible
    comment.can_reply = participant and open_for_comments and comment.is_visible and comment.parent_id is None
    return comment


# Figures other apps read (surveys' evaluation): deliberation's own definitions, read here.
# "On time" has one meaning, written in deliberation.dashboard (the dashboards' step table
# reads the same stays).
topics_on_time_counts = dashboard.topics_on_time_counts


def rating_means(communities, start, end):
    """{community_id: mean rating (1-5)} of the ratings given in [start, end)."""
    rows = (
        Rating.objects.filter(topic__community__in=communities, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("topic__community_id")
        .annotate(mean=Avg("score"))
    )
    return {row["topic__community_id"]: row["mean"] for row in rows}
