"""The clerk's work queue on the admin's first page: what is waiting for someone, as counts
that link to the admin list filtered to exactly those rows.

Scoped like the admin lists: committee staff see their communities, officials their street
or district, superusers everything. A line shows only when the person may open its list.
One query per line (meetings: one for the week), whatever the number of communities.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from communities.models import Residency
from communities.permissions import community_scope_q, roles_for
from deliberation import clock
from deliberation.models import AgendaItem, Attendance, Comment, CommentReport, Meeting, Objection, Topic, Vote
from notifications.models import Delivery


@dataclass
class Line:
    label: str
    count: int
    url: str


def _url(name, **params):
    return reverse(f"admin:{name}_changelist") + ("?" + urlencode(params) if params else "")


def week_bounds(now=None):
    """Monday 00:00 to the next Monday 00:00, local time."""
    today = timezone.localtime(now or clock.now()).date()
    monday = today - datetime.timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    return start, start + datetime.timedelta(days=7)


def meetings_missing_records(user, now=None):
    """This week's meetings that have started (not cancelled) with no attendance recorded or an
    agenda item without its vote."""
    now = now or clock.now()
    start, end = week_bounds(now)
    no_attendance = ~Exists(Attendance.objects.filter(meeting=OuterRef("pk")))
    unvoted = Exists(
        AgendaItem.objects.filter(meeting=OuterRef("pk")).exclude(
            Exists(Vote.objects.filter(agenda_item=OuterRef("pk")))
        )
    )
    return (
        Meeting.objects.filter(community_scope_q(user, "community__"))
        .filter(starts_at__gte=start, starts_at__lt=end, starts_at__lte=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(no_attendance | unvoted)
    )


def work_queue(user, now=None):
    """[Line] for the person's admin index; [] for someone who runs or oversees nothing."""
    roles = roles_for(user)
    lines = evaluator_lines(user) if roles.evaluator else []
    if not (roles.superuser or roles.staff_of or roles.is_official):
        return lines
    now = now or clock.now()

    def add(label, rows, **filters):
        """A line counting `rows`, linking to their model's admin list filtered by `filters`,
        when the person may view that list."""
        meta = rows.model._meta
        if user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
            lines.append(Line(label, rows.count(), _url(f"{meta.app_label}_{meta.model_name}", **filters)))

    pending = Residency.Status.PENDING
    add(
        _("Residents waiting for verification"),
        Residency.objects.filter(community_scope_q(user, "community__"), status=pending),
        status__exact=pending,
    )
    add(
        _("Comments held for moderation"),
        Comment.objects.filter(community_scope_q(user, "topic__community__"), held=True),
        held__exact=1,
    )
    reported = CommentReport.Status.OPEN
    add(
        _("Reported comments to decide"),
        CommentReport.objects.filter(community_scope_q(user, "comment__topic__community__"), status=reported),
        status__exact=reported,
    )
    add(
        _("Objections not answered"),
        Objection.objects.filter(community_scope_q(user, "topic__community__"), answered_at__isnull=True),
        answered_at__isempty=1,
    )
    add(
        _("Topics past their time limit"),
        Topic.objects.filter(community_scope_q(user, "community__")).overdue(now),
        overdue="yes",
    )
    if user.has_perm("deliberation.view_meeting"):
        ids = sorted(meetings_missing_records(user, now).values_list("pk", flat=True))
        url = _url("deliberation_meeting", id__in=",".join(map(str, ids))) if ids else _url("deliberation_meeting")
        lines.append(Line(_("This week's meetings without attendance or votes"), len(ids), url))
    failed = Delivery.Status.FAILED
    add(
        _("Notice deliveries that failed"),
        Delivery.objects.filter(
            community_scope_q(user, "notice__community__") if not roles.superuser else Q(), status=failed
        ),
        status__exact=failed,
    )
    return lines


def evaluator_lines(user):
    """For the evaluator: each round being scored, with how many hand scores it still lacks,
    linking to its score sheet."""
    from surveys.models import EvaluationRound, Score

    lines = []
    rounds = (
        EvaluationRound.objects.filter(
            engagement__evaluator=user, engagement__ended_at__isnull=True, status=EvaluationRound.Status.DRAFT
        )
        .select_related("engagement")
        .prefetch_related("indicators")
    )
    for evaluation_round in rounds:
        manual = [indicator for indicator in evaluation_round.indicators.all() if not indicator.is_computed]
        needed = len(manual) * evaluation_round.engagement.evaluated_communities().count()
        given = Score.objects.filter(indicator__in=manual, value__isnull=False).count() if manual else 0
        lines.append(
            Line(
                _("Hand scores missing in “%(round)s”") % {"round": evaluation_round.title},
                needed - given,
                reverse("admin:surveys_evaluationround_scores", args=[evaluation_round.pk]),
            )
        )
    return lines


def scope_label(user):
    roles = roles_for(user)
    if roles.superuser:
        return _("All communities")
    if roles.evaluator and not (roles.staff_of or roles.is_official):
        return _("The rounds you evaluate")
    if roles.is_official:
        return _("The communities of your street or district")
    from communities.models import Community

    return "、".join(
        Community.objects.filter(pk__in=sorted(roles.staff_of)).order_by("code").values_list("name", flat=True)
    )
