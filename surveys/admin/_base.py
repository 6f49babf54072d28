"""What the surveys workspace's pages share: whose places and surveys a person sees, the scope's
place, read-only records, how a refused inline row is named."""

from django.contrib import admin
from django.db.models import Q

from communities.models import Community, District, Street
from communities.permissions import roles_for

from ..models import Engagement, Survey
from ..permissions import area_communities, engagements_for


def _builder_places(user):
    """The communities, streets and districts a person may build surveys for."""
    roles = roles_for(user)
    if roles.superuser:
        return Community.objects.all(), Street.objects.all(), District.objects.all()
    q_community = Q(pk__in=sorted(roles.staff_of))
    q_street, q_district = Q(pk__in=[]), Q(pk__in=[])
    for engagement in engagements_for(user):
        q_community |= engagement.community_q()
        if engagement.scope == Engagement.Scope.STREET:
            q_street |= Q(pk=engagement.street_id)
        elif engagement.scope == Engagement.Scope.DISTRICT:
            q_street |= Q(district_id=engagement.district_id)
            q_district |= Q(pk=engagement.district_id)
    return (
        Community.objects.filter(q_community),
        Street.objects.filter(q_street),
        District.objects.filter(q_district),
    )


def _visible_surveys(user):
    if roles_for(user).superuser:
        return Survey.objects.all()
    return Survey.objects.touching(area_communities(user))


class ScopeFormMixin:
    """Keeps only the place the scope names (the service says when it is missing)."""

    def clean_scope_place(self, data):
        scope = data.get("scope")
        for name in ("community", "street", "district"):
            if name != scope:
                data[name] = None
        return data


def _row_name(kind, form, position):
    """How a refused inline row is named on the form: "Question 2 (…)"."""
    label = (form.cleaned_data.get("text") or form.cleaned_data.get("name") or "").strip()[:30]
    return f"{kind} {position}" + (f" ({label})" if label else "")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
