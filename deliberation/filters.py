"""Query-string filters of the deliberation API lists.

An unknown value (a step that does not exist, a community id that names nothing) is a 400
with a message on that field, never a silently empty list. What each filter means lives once,
in the selectors the pages use too.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from communities.filters import community_filter
from core.filters import choice_filter

from . import selectors
from .models import Meeting, Topic
from .workflow import Step


class TopicFilter(django_filters.FilterSet):
    community = community_filter(help_text=_("Community id."))
    step = choice_filter(Step.choices, _("Unknown step: %(value)s."), help_text=_("One of the seven steps."))
    overdue = django_filters.BooleanFilter(help_text=_("Only topics past (true) or within (false) their step's limit."))
    search = django_filters.CharFilter(help_text=_("Part of the title or description."))

    class Meta:
        model = Topic
        fields = ["community", "step", "overdue", "search"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.topic_list(
            community=data.get("community"),
            step=data.get("step") or None,
            overdue=data.get("overdue"),
            search=data.get("search") or None,
        )


class MeetingFilter(django_filters.FilterSet):
    community = community_filter(help_text=_("Community id."))
    upcoming = django_filters.BooleanFilter(
        help_text=_("True: scheduled meetings still to come, soonest first; false: past meetings.")
    )

    class Meta:
        model = Meeting
        fields = ["community", "upcoming"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.meetings_with_agenda(
            selectors.meeting_list(community=data.get("community"), upcoming=data.get("upcoming"))
        )
