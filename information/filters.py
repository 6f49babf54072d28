"""Query-string filters of the information API. An unknown value is a 400 on its field."""

import django_filters
from django.utils.translation import gettext_lazy as _

from communities.models import Community, District, Street

from .models import AnnouncementState, Category, ServiceCategory

STATES = [*AnnouncementState.choices, ("all", _("All"))]


class AnnouncementFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(
        queryset=Community.objects.select_related("street"),
        method="filter_nothing",
        help_text=_("Community id: what is addressed to it, its street or its district (within your own area)."),
        error_messages={"invalid_choice": _("No community has this id.")},
    )
    category = django_filters.ChoiceFilter(
        choices=Category.choices,
        method="filter_nothing",
        error_messages={"invalid_choice": _("Unknown category: %(value)s.")},
    )
    state = django_filters.ChoiceFilter(
        choices=STATES,
        method="filter_nothing",
        help_text=_(
            "`published` (default) for readers; `scheduled`, `expired` or `all` list the announcements "
            "of the areas you may publish to."
        ),
        error_messages={"invalid_choice": _("Unknown state: %(value)s.")},
    )

    def filter_nothing(self, queryset, name, value):
        # The view hands the cleaned values to the selectors, which hold what they mean.
        return queryset


class ServiceFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(
        queryset=Community.objects.all(),
        method="filter_nothing",
        error_messages={"invalid_choice": _("No community has this id.")},
    )
    street = django_filters.ModelChoiceFilter(
        queryset=Street.objects.all(),
        method="filter_id",
        error_messages={"invalid_choice": _("No street or town has this id.")},
    )
    district = django_filters.ModelChoiceFilter(
        queryset=District.objects.all(),
        method="filter_id",
        error_messages={"invalid_choice": _("No district has this id.")},
    )
    category = django_filters.ChoiceFilter(
        choices=ServiceCategory.choices,
        method="filter_nothing",
        error_messages={"invalid_choice": _("Unknown category: %(value)s.")},
    )
    search = django_filters.CharFilter(method="filter_nothing", help_text=_("Part of the name, description or place."))

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_id(self, queryset, name, value: int):
        # The type hint tells the schema these take ids; the selector applies them.
        return queryset
