"""Query-string filters of the API lists.

An unknown value (a typology that does not exist, a district id that names nothing, a
word where an id belongs) is a 400 with a message on that field: a filter that is
silently dropped would answer a different question than the one asked.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import choice_filter, id_filter

from .models import Community, District, Residency, Stage, Street, Typology
from .selectors import community_list


def community_filter(queryset=None, **options):
    """A filter by a community's id, for every app's lists (a missing id is a 400 on the field)."""
    queryset = Community.objects.all() if queryset is None else queryset
    return id_filter(queryset, _("No community has this id."), **options)


class CommunityFilter(django_filters.FilterSet):
    typology = choice_filter(
        Typology.choices,
        _("Unknown typology: %(value)s."),
        help_text=_("One of the eight typologies (see typologies/)."),
    )
    stage = choice_filter(
        Stage.choices,
        _("Unknown development stage: %(value)s."),
        help_text=_("One of the three development stages (see stages/)."),
    )
    district = id_filter(
        District.objects.all(),
        _("No district has this id."),
        field_name="street__district",
        help_text=_("District id."),
    )
    street = id_filter(Street.objects.all(), _("No street or town has this id."), help_text=_("Street or town id."))
    search = django_filters.CharFilter(help_text=_("Part of the name, code or address."))

    class Meta:
        model = Community
        fields = ["typology", "stage", "district", "street", "search"]

    def filter_queryset(self, queryset):
        # The directory page and the API mean the same thing by each filter: the selector
        # holds that meaning once. `queryset` is the selector's unfiltered list already.
        return community_list(**self.form.cleaned_data)


class ResidencyFilter(django_filters.FilterSet):
    status = choice_filter(Residency.Status.choices, _("Unknown status: %(value)s."))
    community = community_filter(help_text=_("Community id."))

    class Meta:
        model = Residency
        fields = ["status", "community"]
