"""The seven-step deliberation method (七步议事法): its steps, the moves between them, who may
make each move and what holds it back.

A topic moves collect -> review -> resolve -> publicize -> implement -> evaluate -> archive and
never skips a step. The only other way out is to the archive with a negative outcome. Every
move a topic may make is one row of TRANSITIONS; a pair that is not a row (a skip, a move
back) is refused. A row also names what else the move writes (the outcome's reason, the
resolution, the publicity and evaluation periods, the archive's date). A guard returns the
reasons a person understands why a move is held; the pages, the admin and the API show them
as `next_steps[].blockers`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from communities.permissions import Predicate, predicate, runs_community


class Step(models.TextChoices):
    COLLECT = "collect", _("Collect")
    REVIEW = "review", _("Review")
    RESOLVE = "resolve", _("Resolve")
    PUBLICIZE = "publicize", _("Publicize")
    IMPLEMENT = "implement", _("Implement")
    EVALUATE = "evaluate", _("Evaluate")
    ARCHIVE = "archive", _("Archive")


# The method's order; Step's declaration order is the same, this names it.
STEPS = [Step.COLLECT, Step.REVIEW, Step.RESOLVE, Step.PUBLICIZE, Step.IMPLEMENT, Step.EVALUATE, Step.ARCHIVE]
STEP_NUMBER = {step: number for number, step in enumerate(STEPS, start=1)}


# The method as the home page explains it: each step's Chinese name and what happens in it.
STEP_CHINESE = {
    Step.COLLECT: "收集",
    Step.REVIEW: "审查",
    Step.RESOLVE: "决议",
    Step.PUBLICIZE: "公示",
    Step.IMPLEMENT: "执行(监督)",
    Step.EVALUATE: "测评",
    Step.ARCHIVE: "归档",
}
STEP_SUMMARY = {
    Step.COLLECT: _(
        "Residents, bodies or staff raise a matter; public consultation starts and residents add their views."
    ),
    Step.REVIEW: _(
        "The committee checks the matter is in the council's remit and complete, then puts it on an agenda "
        "or declines it with a reason."
    ),
    Step.RESOLVE: _("The deliberation council meets on its monthly deliberation day, debates and votes."),
    Step.PUBLICIZE: _("The resolution is published for a publicity period; residents may object."),
    Step.IMPLEMENT: _("Named owners carry out the work under the supervisory committee and report progress."),
    Step.EVALUATE: _("Residents rate the outcome."),
    Step.ARCHIVE: _("The whole record is closed, kept read-only and can be exported."),
}


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Rejected at review")
    VOTED_DOWN = "voted_down", _("Voted down")
    WITHDRAWN = "withdrawn", _("Withdrawn by its author")


# Consultation (协商) comes before the decision: residents comment and support a topic
# until the council has voted on it.
CONSULTATION_STEPS = frozenset({Step.COLLECT, Step.REVIEW, Step.RESOLVE})
# The steps in which an implementation task may be planned or reported on.
TASK_STEPS = frozenset({Step.PUBLICIZE, Step.IMPLEMENT})

# A topic is complete enough for review when it says what the matter is.
MIN_BODY_FOR_REVIEW = 30


# Who may make a move.
@predicate
def is_author(user, topic):
    return bool(user is not None and user.is_authenticated and topic is not None and topic.raised_by_id == user.pk)


# The name keys WHO_LABEL: the rule is communities' runs_community.
by_staff = Predicate(runs_community.fn, "by_staff")
by_author = is_author

WHO_LABEL = {
    "by_staff": _("Only this community's committee staff can take this step."),
    "is_author": _("Only the person who raised the topic can withdraw it."),
}


# The guards: one per move, named for the step the move leads into (or the negative
# outcome it records). Each returns a list of reasons; an empty list lets the move happen.
def _date(moment):
    from django.utils import timezone

    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def body_too_short(body):
    """Why a description is too short for review, or "" (the review guard's rule and message;
    the raise and edit forms hold a description to it before review ever sees it)."""
    if len((body or "").strip()) < MIN_BODY_FOR_REVIEW:
        return _("Describe the matter in at least %(count)d characters.") % {"count": MIN_BODY_FOR_REVIEW}
    return ""


def guard_review(topic, now):
    blockers = []
    if not topic.category:
        blockers.append(_("Choose a category for the topic."))
    if too_short := body_too_short(topic.body):
        blockers.append(too_short)
    return blockers


def guard_withdraw(topic, now):
    return []


def guard_resolve(topic, now):
    if topic.agenda_item() is None:
        return [_("Accept the topic onto the agenda of a scheduled council meeting first.")]
    return []


def guard_reject(topic, now):
    return []


def _recorded_vote(topic):
    item = topic.agenda_item()
    if item is None:
        return None, [_("The topic is on no meeting's agenda.")]
    vote = getattr(item, "vote", None)
    if vote is None:
        return None, [
            _("Record the council's vote on this topic at the meeting of %(date)s.")
            % {"date": _date(item.meeting.starts_at)}
        ]
    return vote, []


def guard_publicize(topic, now):
    vote, blockers = _recorded_vote(topic)
    if vote is None:
        return blockers
    if not vote.quorum_met:
        blockers.append(_("The vote was taken without a quorum of the council."))
    if not vote.passed:
        blockers.append(
            _("The resolution did not win the majority (%(votes_for)d for, %(present)d present).")
            % {"votes_for": vote.votes_for, "present": vote.present}
        )
    if not (vote.agenda_item.resolution or "").strip():
        blockers.append(_("Record the text of the resolution."))
    return blockers


def guard_voted_down(topic, now):
    vote, blockers = _recorded_vote(topic)
    if vote is None:
        return blockers
    if vote.passed:
        return [_("The council adopted the resolution; publicize it instead.")]
    return []


def guard_implement(topic, now):
    blockers = []
    if topic.publicity_ends_at and now < topic.publicity_ends_at:
        blockers.append(_("The publicity period runs until %(date)s.") % {"date": _date(topic.publicity_ends_at)})
    unanswered = topic.objections.filter(answered_at__isnull=True).count()
    if unanswered:
        blockers.append(
            ngettext(
                "%(count)d objection has not been answered.",
                "%(count)d objections have not been answered.",
                unanswered,
            )
            % {"count": unanswered}
        )
    return blockers


def guard_evaluate(topic, now):
    tasks = list(topic.tasks.values_list("done_at", flat=True))
    if not tasks:
        return [_("Plan at least one implementation task.")]
    open_tasks = sum(1 for done_at in tasks if done_at is None)
    if open_tasks:
        return [
            ngettext(
                "%(count)d implementation task is not done.",
                "%(count)d implementation tasks are not done.",
                open_tasks,
            )
            % {"count": open_tasks}
        ]
    return []


def guard_archive(topic, now):
    if topic.evaluation_ends_at and now < topic.evaluation_ends_at:
        return [_("Residents can rate the outcome until %(date)s.") % {"date": _date(topic.evaluation_ends_at)}]
    return []


# What a move writes on the topic besides its step and outcome. Each takes the topic being
# moved (changing it in memory), the mover's note, the moment and the council's rules, and
# returns the fields it changed and what it adds to the trail entry of the move.
def keep_reason(topic, *, note, now, rules):
    """A negative outcome keeps the mover's note as its reason, shown on the topic."""
    topic.outcome_note = note
    return ["outcome_note"], {}


def record_resolution(topic, *, note, now, rules):
    """Leaving the vote: the topic takes the resolution of the meeting that voted on it."""
    item = topic.agenda_item()
    topic.resolution = item.resolution
    return ["resolution"], {"meeting": item.meeting_id, "vote": item.vote.pk, "resolution": item.resolution}


def open_publicity(topic, *, note, now, rules):
    """The objection period starts, as long as the council's rules say."""
    topic.publicity_ends_at = now + timedelta(days=rules.publicity_days)
    return ["publicity_ends_at"], {"publicity_ends": topic.publicity_ends_at}


def open_evaluation(topic, *, note, now, rules):
    """Residents' rating window starts, as long as the council's rules say."""
    topic.evaluation_ends_at = now + timedelta(days=rules.evaluation_days)
    return ["evaluation_ends_at"], {"evaluation_ends": topic.evaluation_ends_at}


def close_record(topic, *, note, now, rules):
    """The archive: the record is closed at this moment."""
    topic.archived_at = now
    return ["archived_at"], {}


@dataclass(frozen=True)
class Move:
    outcome: str | None  # the outcome the move records; None leaves it as it is
    who: Predicate
    guard: Callable
    needs_note: bool = False  # a reason the mover must give
    label: str = ""
    effects: tuple[Callable, ...] = ()  # what else the move writes, in this order


COLLECT, REVIEW, RESOLVE, PUBLICIZE, IMPLEMENT, EVALUATE, ARCHIVE = STEPS

# fmt: off
TRANSITIONS = {
    # from       to             outcome recorded     who        guard             reason  button                           also writes
    (COLLECT,   REVIEW):    Move(None,               by_staff,  guard_review,     False, _("Send to review")),
    (COLLECT,   ARCHIVE):   Move(Outcome.WITHDRAWN,  by_author, guard_withdraw,   False, _("Withdraw the topic"),          (keep_reason, close_record)),
    (REVIEW,    RESOLVE):   Move(None,               by_staff,  guard_resolve,    False, _("Accept for the vote")),
    (REVIEW,    ARCHIVE):   Move(Outcome.REJECTED,   by_staff,  guard_reject,     True,  _("Reject with a reason"),        (keep_reason, close_record)),
    (RESOLVE,   PUBLICIZE): Move(Outcome.ADOPTED,    by_staff,  guard_publicize,  False, _("Publicize the resolution"),    (record_resolution, open_publicity)),
    (RESOLVE,   ARCHIVE):   Move(Outcome.VOTED_DOWN, by_staff,  guard_voted_down, False, _("Archive as voted down"),       (keep_reason, record_resolution, close_record)),
    (PUBLICIZE, IMPLEMENT): Move(None,               by_staff,  guard_implement,  False, _("Start implementation")),
    (IMPLEMENT, EVALUATE):  Move(None,               by_staff,  guard_evaluate,   False, _("Open the evaluation"),         (open_evaluation,)),
    (EVALUATE,  ARCHIVE):   Move(None,               by_staff,  guard_archive,    False, _("Archive the record"),          (close_record,)),
}
# fmt: on


def moves_from(step):
    """The moves out of a step, in the method's order (the forward move first)."""
    return [(target, move) for (source, target), move in TRANSITIONS.items() if source == step]


def skip_blocker(source, target):
    if source == Step.ARCHIVE:
        return _("The topic is archived; its record is closed.")
    if source == target:
        return _("The topic is already at the step “%(step)s”.") % {"step": Step(target).label}
    return _("A topic cannot move from “%(source)s” to “%(target)s”: the seven steps are taken in order.") % {
        "source": Step(source).label,
        "target": Step(target).label,
    }


def may_move(user, topic, move):
    return move.who(user, topic)


def permission_blocker(move):
    return WHO_LABEL.get(move.who.name, _("You are not allowed to take this step."))


def due_after(step, rules):
    """How long a topic may stay in a step before it is overdue (None: no limit)."""
    days = rules.limit_days(step)
    return timedelta(days=days) if days else None
