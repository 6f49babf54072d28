"""Query-string filters of the API lists.

An unknown value (a typology that does not exist, a district id that names nothing, a
word where an id belongs) is a 400 with a message on that field: a filter that is
silently dropped would answer a different question than the one asked.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Community, District, Residency, Stage, Street, Typology
from .selectors import community_list


class CommunityFilter(django_filters.FilterSet):
    typology = django_filters.ChoiceFilter(
        choices=Typology.choices,
        help_text=_("One of the eight typologies (see typologies/)."),
        error_messages={"invalid_choice": _("Unknown typology: %(value)s.")},
    )
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices,
        help_text=_("One of the three development stages (see stages/)."),
        error_messages={"invalid_choice": _("Unknown development stage: %(value)s.")},
    )
    district = django_filters.ModelChoiceFilter(
        field_name="street__district",
        queryset=District.objects.all(),
        help_text=_("District id."),
        error_messages={"invalid_choice": _("No district has this id.")},
    )
    street = django_filters.ModelChoiceFilter(
        queryset=Street.objects.all(),
        help_text=_("Street or town id."),
        error_messages={"invalid_choice": _("No street or town has this id.")},
    )
    search = django_filters.CharFilter(help_text=_("Part of the name, code or address."))

    class Meta:
        model = Community
        fields = ["typology", "stage", "district", "street", "search"]

    def filter_queryset(self, queryset):
        # The directory page and the API mean the same thing by each filter: the selector
        # holds that meaning once. `queryset` is the selector's unfiltered list already.
        return community_list(**self.form.cleaned_data)


class ResidencyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Residency.Status.choices,
        error_messages={"invalid_choice": _("Unknown status: %(value)s.")},
    )
    community = django_filters.ModelChoiceFilter(
        queryset=Community.objects.all(),
        help_text=_("Community id."),
        error_messages={"invalid_choice": _("No community has this id.")},
    )

    class Meta:
        model = Residency
        fields = ["status", "community"]
