"""Announcements, duties and services on pages other apps own (the home and community pages),
each in a fixed number of queries."""

from django import template
from django.utils.safestring import mark_safe

from .. import selectors
from ..permissions import reach_of
from ..text import sanitise

register = template.Library()


@register.filter
def sanitised(fragment):
    """Stored HTML is sanitised when saved; sanitising again on the way out costs little."""
    return mark_safe(sanitise(fragment or ""))  # nosec B308 B703 # nh3 just cleaned it


@register.simple_tag
def area_announcements(user, community=None, limit=selectors.HOME_LIMIT):
    """The newest published announcements that reach `user` (about `community` when given)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(selectors.announcements_for(user, community=community)[:limit])


@register.simple_tag
def unread_among(user, announcements):
    return selectors.announcement_unread_ids(user, announcements) if announcements else set()


@register.simple_tag
def reaches(user, community):
    """Whether announcements addressed to `community` reach this person."""
    return reach_of(user).covers(community)


@register.simple_tag
def with_profiles(bodies):
    """The bodies, each with `.info`: its duties, office hours and contact, or None (1 query)."""
    bodies = list(bodies)
    profiles = selectors.profiles_for(bodies)
    for body in bodies:
        body.info = profiles.get(body.pk)
    return bodies


@register.simple_tag
def community_services(community, limit=6):
    return selectors.community_services(community, limit=limit)
