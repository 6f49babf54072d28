"""What a community's page (for anonymous visitors, from the page cache) shows of this app's
records: whenever one of them changes, the pages of the communities concerned are rendered
afresh. information and deliberation declare theirs (profiles, services, council rules)."""

from core.page_cache import pages_follow

from .models import Body, Community, District, Membership, Street, User


def community_scope(community_id):
    """The scope of a community's page (communities/views.py community_detail)."""
    return f"community:{community_id}"


def _scopes(community_ids):
    return [community_scope(pk) for pk in community_ids]


def _community(instance, update_fields):
    return _scopes([instance.pk])


def _street(instance, update_fields):
    return _scopes(Community.objects.filter(street=instance.pk).values_list("pk", flat=True))


def _district(instance, update_fields):
    return _scopes(Community.objects.filter(street__district=instance.pk).values_list("pk", flat=True))


def _body(instance, update_fields):
    return _scopes([instance.community_id])


def _membership(instance, update_fields):
    # By the body's id: when a body is deleted its memberships go first, the body row is gone.
    return _scopes(Body.objects.filter(pk=instance.body_id).values_list("community_id", flat=True))


def _person(instance, update_fields):
    """A post-holder's name is on their community's page; a login (last_login) changes nothing."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return []
    return _scopes(Body.objects.filter(memberships__user=instance.pk).values_list("community_id", flat=True).distinct())


def register():
    pages_follow(Community, _community)
    pages_follow(Street, _street)
    pages_follow(District, _district)
    pages_follow(Body, _body)
    pages_follow(Membership, _membership)
    pages_follow(User, _person)
