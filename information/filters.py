"""Query-string filters of the information API. An unknown value is a 400 on its field."""

import django_filters
from django.utils.translation import gettext_lazy as _

from communities.filters import community_filter
from communities.models import Community, District, Street
from core.filters import choice_filter, id_filter

from .models import AnnouncementState, Category, ServiceCategory

STATES = [*AnnouncementState.choices, ("all", _("All"))]


class AnnouncementFilter(django_filters.FilterSet):
    community = community_filter(
        Community.objects.select_related("street"),
        method="filter_nothing",
        help_text=_("Community id: what is addressed to it, its street or its district (within your own area)."),
    )
    category = choice_filter(Category.choices, _("Unknown category: %(value)s."), method="filter_nothing")
    state = choice_filter(
        STATES,
        _("Unknown state: %(value)s."),
        method="filter_nothing",
        help_text=_(
            "`published` (default) for readers; `scheduled`, `expired` or `all` list the announcements "
            "of the areas you may publish to."
        ),
    )

    def filter_nothing(self, queryset, name, value):
        # The view hands the cleaned values to the selectors, which hold what they mean.
        return queryset


class ServiceFilter(django_filters.FilterSet):
    community = community_filter(method="filter_nothing")
    street = id_filter(Street.objects.all(), _("No street or town has this id."), method="filter_id")
    district = id_filter(District.objects.all(), _("No district has this id."), method="filter_id")
    category = choice_filter(ServiceCategory.choices, _("Unknown category: %(value)s."), method="filter_nothing")
    search = django_filters.CharFilter(method="filter_nothing", help_text=_("Part of the name, description or place."))

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_id(self, queryset, name, value: int):
        # The type hint tells the schema these take ids; the selector applies them.
        return queryset
