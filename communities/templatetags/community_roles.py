"""The role badge beside a person's name: committee staff, council member or official of the
community the page is about. The portal says who holds a role, so a display name such as
"李婷（居委会工作人员）" cannot pass for one.

    {% load community_roles %}{% role_badge person community %}

One query per community and request, whatever the number of names on the page: the holders
are read once (staff and council seats of the community, officials of its street and district)
and kept on the request.
"""

from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from communities.models import CommunityUserObjectPermission, DistrictUserObjectPermission, StreetUserObjectPermission
from communities.permissions import MANAGE_COMMUNITY, OVERSEE_DISTRICT, OVERSEE_STREET, SIT_ON_COUNCIL

register = template.Library()

# Strongest first: one badge each, in this order.
LABELS = {
    OVERSEE_DISTRICT: _("official"),
    OVERSEE_STREET: _("official"),
    MANAGE_COMMUNITY: _("committee staff"),
    SIT_ON_COUNCIL: _("council member"),
}
ORDER = [OVERSEE_DISTRICT, OVERSEE_STREET, MANAGE_COMMUNITY, SIT_ON_COUNCIL]


def role_holders(community_id):
    """{user id: [codename, ...]} of who holds a role in the community, in one query."""
    codenames = [MANAGE_COMMUNITY, SIT_ON_COUNCIL]
    here = CommunityUserObjectPermission.objects.filter(
        content_object_id=community_id, permission__codename__in=codenames
    ).values_list("user_id", "permission__codename")
    street = StreetUserObjectPermission.objects.filter(
        content_object__communities=community_id, permission__codename=OVERSEE_STREET
    ).values_list("user_id", "permission__codename")
    district = DistrictUserObjectPermission.objects.filter(
        content_object__streets__communities=community_id, permission__codename=OVERSEE_DISTRICT
    ).values_list("user_id", "permission__codename")
    holders = {}
    for user_id, codename in here.union(street, district, all=True):
        holders.setdefault(user_id, set()).add(codename)
    return {user_id: [c for c in ORDER if c in held] for user_id, held in holders.items()}


def labels_for(person, community_id, cache):
    if community_id not in cache:
        cache[community_id] = role_holders(community_id)
    held = cache[community_id].get(getattr(person, "pk", None), [])
    labels = []
    for codename in held:
        label = str(LABELS[codename])
        if label not in labels:
            labels.append(label)
    return labels


@register.simple_tag(takes_context=True)
def role_badge(context, person, community):
    """The badges of `person` in `community` (a Community or its id), or nothing."""
    if person is None or community is None or getattr(person, "deleted_at", None):
        return ""
    community_id = getattr(community, "pk", community)
    request = context.get("request")
    cache = getattr(request, "_community_role_holders", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._community_role_holders = cache
    labels = labels_for(person, community_id, cache)
    if not labels:
        return ""
    return format_html_join(" ", '<span class="tag tag--role">{}</span>', ((label,) for label in labels))


@register.inclusion_tag("communities/_residency_hint.html", takes_context=True)
def residency_hint(context, community):
    """Beside a "verified residents only" notice: what this person can do about it. Someone
    already waiting for this community's staff is told so, not invited to join."""
    from communities.permissions import roles_for

    user = context.get("user")
    roles = roles_for(user) if user is not None and user.is_authenticated else None
    community_id = getattr(community, "pk", community)
    return {
        "community_id": community_id,
        "pending_here": roles is not None and roles.pending_in == community_id,
    }
