"""Query-string filters of the surveys and activities lists.

An unknown value is a 400 with a message on that field, never silently dropped.
"""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community

from .models import Activity, ActivityCategory, ReadyMade, Survey

COMMUNITY_FILTER = {
    "queryset": Community.objects.select_related("street"),
    "help_text": _("Community id."),
    "error_messages": {"invalid_choice": _("No community has this id.")},
}


class SurveyFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(
        method="filter_community", **{**COMMUNITY_FILTER, "help_text": _("Surveys whose scope covers this community.")}
    )
    state = django_filters.ChoiceFilter(
        choices=Survey.State.choices,
        method="filter_state",
        error_messages={"invalid_choice": _("Unknown survey state: %(value)s.")},
    )
    ready_made = django_filters.ChoiceFilter(
        choices=ReadyMade.choices, error_messages={"invalid_choice": _("Unknown ready-made survey: %(value)s.")}
    )

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
    community = django_filters.ModelChoiceFilter(**COMMUNITY_FILTER)
    category = django_filters.ChoiceFilter(
        choices=ActivityCategory.choices, error_messages={"invalid_choice": _("Unknown category: %(value)s.")}
    )
    when = django_filters.ChoiceFilter(
        choices=[("upcoming", _("Coming up")), ("past", _("Past"))],
        method="filter_when",
        error_messages={"invalid_choice": _("Choose upcoming or past: %(value)s is neither.")},
    )

    class Meta:
        model = Activity
        fields = ["community", "category", "when"]

    def filter_when(self, queryset, name, when):
        now = timezone.now()
        if when == "upcoming":
            return queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")
        return queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
