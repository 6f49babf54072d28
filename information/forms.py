"""Forms of the information pages: they parse the filters; selectors decide what they mean."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Community

from .models import Category, ServiceCategory

ANY = ("", _("Any"))


class AnnouncementFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=[ANY, *Category.choices], required=False)


def _community_choices(communities):
    groups = {}
    for community in communities.select_related("street__district").order_by(
        "street__district__ring", "street__district__name", "street__name", "name"
    ):
        groups.setdefault(f"{community.street.district.name} · {community.street.name}", []).append(
            (community.pk, community.name)
        )
    return list(groups.items())


class ServiceFilterForm(forms.Form):
    search = forms.CharField(label=_("Search"), max_length=60, required=False, widget=forms.SearchInput)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), choices=[ANY, *ServiceCategory.choices], required=False)

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["search"].widget.attrs["placeholder"] = _("What do you need?")
        listed = communities if communities is not None else Community.objects.all()
        self.fields["community"].choices = [ANY, *_community_choices(listed)]

    def clean_community(self):
        community_id = self.cleaned_data.get("community")
        if community_id is None:
            return None
        return Community.objects.select_related("street__district").get(pk=community_id)

    def selector_kwargs(self):
        data = self.cleaned_data
        return {
            "community": data.get("community"),
            "category": data.get("category") or None,
            "search": (data.get("search") or "").strip() or None,
        }
