"""Reads of places and people, shaped for the pages and the API."""

from django.db.models import Prefetch, Q

from .models import Body, Community, Membership


def community_list(*, typology=None, stage=None, district=None, street=None, search=None):
    communities = Community.objects.select_related("street__district")
    if typology:
        communities = communities.filter(typology=typology)
    if stage:
        communities = communities.filter(stage=stage)
    if district:
        communities = communities.filter(street__district=district)
    if street:
        communities = communities.filter(street=street)
    if search:
        communities = communities.filter(
            Q(name__icontains=search) | Q(code__icontains=search) | Q(address__icontains=search)
        )
    return communities.order_by("code")


def community_bodies(community):
    """The community's bodies with their current post-holders, in two queries."""
    current = Membership.objects.current().select_related("user").order_by("post", "user__display_name")
    return (
        Body.objects.filter(community=community)
        .prefetch_related(Prefetch("memberships", queryset=current, to_attr="current_members"))
        .order_by("kind", "name")
    )
