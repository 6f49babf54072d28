"""Council rules and the monthly deliberation day."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community

from .. import clock, notices, signals
from ..models import CouncilRules, Meeting
from ._helpers import _require
from .meetings import _default_location, _meeting_move

RULE_FIELDS = {
    "limit_collect",
    "limit_review",
    "limit_resolve",
    "limit_publicize",
    "limit_implement",
    "limit_evaluate",
    "quorum_numerator",
    "quorum_denominator",
    "majority_numerator",
    "majority_denominator",
    "publicity_days",
    "evaluation_days",
    "day_rule",
    "day_week",
    "day_weekday",
    "day_of_month",
    "time_of_day",
    "default_observer_seats",
    "location",
}
DAY_FIELDS = {"day_rule", "day_week", "day_weekday", "day_of_month", "time_of_day"}


@transaction.atomic
def council_rules_update(*, actor, community, **fields):
    """Staff set their council's rules. A changed deliberation day re-times the coming
    deliberation days whose notice has not gone out (and that staff never moved by hand)."""
    _require(actor, "council_rules.change", community, _("Only this community's staff change the council's rules."))
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise ValidationError(_("Unknown rule: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    rules, _created = CouncilRules.objects.select_for_update().get_or_create(community=community)
    changed = [name for name, value in fields.items() if getattr(rules, name) != value]
    for name in changed:
        setattr(rules, name, fields[name])
    rules.full_clean()
    rules.updated_at, rules.updated_by = clock.now(), actor
    rules.save(update_fields=[*changed, "updated_at", "updated_by"])
    if DAY_FIELDS & set(changed):
        deliberation_days_ensure(community_ids=[community.pk])
    return rules


def _add_months(year, month, months):
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def deliberation_days_ensure(*, community_ids=None, months=2, now=None):
    """Keep each community's deliberation days created for the rest of this month and the
    next `months` calendar months.

    Safe to run from several beat or worker processes at once: each day is created with
    get_or_create on (community, month), which a unique constraint backs, so a month gets
    exactly one deliberation day however many runs race for it. Returns how many it created.
    """
    now = now or clock.now()
    local = timezone.localtime(now)
    # The rest of this month and the next `months` whole calendar months.
    horizon = timezone.make_aware(datetime.datetime(*_add_months(local.year, local.month, months + 1), 1))
    months_ahead = [_add_months(local.year, local.month, n) for n in range(months + 1)]
    firsts = [datetime.date(y, m, 1) for y, m in months_ahead]
    communities = Community.objects.select_related("council_rules").order_by("pk")
    meetings = Meeting.objects.filter(deliberation_month__in=firsts)
    if community_ids is not None:
        communities = communities.filter(pk__in=community_ids)
        meetings = meetings.filter(community_id__in=community_ids)
    existing = {
        (community_id, month): starts_at
        for community_id, month, starts_at in meetings.values_list("community_id", "deliberation_month", "starts_at")
    }
    created = 0
    for community in communities.iterator(chunk_size=500):
        try:
            rules = community.council_rules
        except CouncilRules.DoesNotExist:
            rules = CouncilRules(community=community)
        for first in firsts:
            starts_at = rules.deliberation_day(first.year, first.month)
            if not now < starts_at < horizon:
                continue
            if (community.pk, first) in existing:
                if existing[community.pk, first] != starts_at:
                    _deliberation_day_retime(community, first, rules, starts_at, now)
                continue
            with transaction.atomic():
                meeting, was_created = Meeting.objects.get_or_create(
                    community=community,
                    deliberation_month=first,
                    defaults={
                        "starts_at": starts_at,
                        "is_deliberation_day": True,
                        "location": _default_location(community, rules),
                        "observer_seats": rules.default_observer_seats,
                        "created_at": now,
                    },
                )
                if was_created:
                    created += 1
                    notices.meeting_scheduled(meeting)
                    signals.send_on_commit(signals.meeting_scheduled, Meeting, meeting_id=meeting.pk, actor_id=None)
    return created


def _deliberation_day_retime(community, first, rules, starts_at, now):
    """Follow a changed rule: move a coming deliberation day nobody moved by hand and whose
    notice is not yet due."""
    lead = datetime.timedelta(days=settings.NOTICE_LEAD_DAYS)
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .filter(
                community=community,
                deliberation_month=first,
                status=Meeting.Status.SCHEDULED,
                moved_at__isnull=True,
                starts_at__gt=now + lead,
            )
            .exclude(starts_at=starts_at)
            .first()
        )
        if meeting is None or starts_at <= now + lead:
            return
        _meeting_move(meeting, actor=None, starts_at=starts_at, by_hand=False)
