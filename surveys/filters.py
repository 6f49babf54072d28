"""Query-string filters of the surveys and activities lists.

An unknown value is a 400 with a message on that field, never silently dropped.
"""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.filters import community_filter
from communities.models import Community
from core.filters import choice_filter

from .models import Activity, ActivityCategory, ReadyMade, Survey


class SurveyFilter(django_filters.FilterSet):
    community = community_filter(
        Community.objects.select_related("street"),
        method="filter_community",
        help_text=_("Surveys whose scope covers this community."),
    )
    state = choice_filter(Survey.State.choices, _("Unknown survey state: %(value)s."), method="filter_state")
    ready_made = choice_filter(ReadyMade.choices, _("Unknown ready-made survey: %(value)s."))

    class Meta:
        model = Survey
        fields = ["community", "state", "ready_made"]

    def filter_community(self, queryset, name, community):
        return queryset.covering(community)

    def filter_state(self, queryset, name, state):
        now = timezone.now()
        if state == Survey.State.SCHEDULED:
            return queryset.filter(opens_at__gt=now)
        if state == Survey.State.OPEN:
            return queryset.filter(opens_at__lte=now, closes_at__gt=now)
        return queryset.filter(closes_at__lte=now)


class ActivityFilter(django_filters.FilterSet):
    community = community_filter(Community.objects.select_related("street"), help_text=_("Community id."))
    category = choice_filter(ActivityCategory.choices, _("Unknown category: %(value)s."))
    when = choice_filter(
        [("upcoming", _("Coming up")), ("past", _("Past"))],
        _("Choose upcoming or past: %(value)s is neither."),
        method="filter_when",
    )

    class Meta:
        model = Activity
        fields = ["community", "category", "when"]

    def filter_when(self, queryset, name, when):
        now = timezone.now()
        if when == "upcoming":
            return queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")
        return queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
