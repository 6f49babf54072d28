"""Who may publish to an area, and whose area an announcement reaches.

An area is a Community, a Street or a District. Committee staff publish to their
community; a street's officials to the street or any community in it; a district's
officials to the district, any street or any community in it. A person reads what is
addressed to the places they belong to: residents and staff their community with its street
and district, officials their street or district and everything in it. On the pages,
announcements to a whole street or district are public (`public_q`): anyone may read them.
"""

from dataclasses import dataclass

from django.db.models import Q

from communities.models import Community, District, Street
from communities.permissions import (
    Predicate,
    is_official_over,
    is_staff_of,
    is_superuser,
    predicate,
    register_rule,
    roles_for,
)

from .models import Announcement, BodyProfile, Service


def area_of(obj):
    """The area an announcement is addressed to, or the object itself when it is an area."""
    if isinstance(obj, Announcement):
        return obj.area
    return obj


@predicate
def may_publish_to(user, obj):
    roles = roles_for(user)
    area = area_of(obj)
    if roles.superuser:
        return True
    if isinstance(area, Community):
        return area.pk in roles.staff_of or roles.oversees(area.street_id, area.street.district_id)
    if isinstance(area, Street):
        return area.pk in roles.official_streets or area.district_id in roles.official_districts
    if isinstance(area, District):
        return area.pk in roles.official_districts
    return False


@predicate
def publishes_somewhere(user, obj):
    """Staff and officials publish to the area they serve (the admin's add button)."""
    roles = roles_for(user)
    return roles.superuser or bool(roles.staff_of) or roles.is_official


@predicate
def oversees_area(user, obj):
    """Officials over the area (a community's announcements are theirs to watch too)."""
    roles = roles_for(user)
    area = area_of(obj)
    if isinstance(area, Community):
        return roles.oversees(area.street_id, area.street.district_id)
    if isinstance(area, Street):
        return roles.oversees(area.pk, area.district_id)
    if isinstance(area, District):
        return area.pk in roles.official_districts
    return False


def _body_community(obj):
    if isinstance(obj, (BodyProfile, Service)):
        return obj.community
    return obj


def public_q(prefix=""):
    """Q over Announcement selecting the public ones: those addressed to a whole street or
    town, or a whole district. They are for everyone, logged in or not, wherever they live;
    a community's own announcements stay with the people of its area."""
    return Q(**{f"{prefix}street__isnull": False}) | Q(**{f"{prefix}district__isnull": False})


@predicate
def is_public(user, obj):
    return isinstance(obj, Announcement) and (obj.street_id is not None or obj.district_id is not None)


runs_body = Predicate(lambda user, obj: is_staff_of(user, _body_community(obj)) or is_superuser(user, obj), "runs_body")

INFORMATION_RULES = {
    "announcement.add": publishes_somewhere,
    "announcement.publish": may_publish_to,
    "announcement.change": may_publish_to,
    "announcement.view_reads": may_publish_to | oversees_area,
    # Pages only: the API's list and detail keep to the requester's area (CONTRACT).
    "announcement.read_public": is_public,
    "body_profile.change": runs_body,
    "service.change": runs_body,
    "service.view_all": runs_body | Predicate(lambda u, o: is_official_over(u, _body_community(o)), "oversees"),
}


def register():
    for action, rule in INFORMATION_RULES.items():
        register_rule(action, rule)


@dataclass(frozen=True)
class Reach:
    """The places whose announcements a person reads."""

    everything: bool = False
    communities: frozenset = frozenset()
    streets: frozenset = frozenset()
    districts: frozenset = frozenset()
    # Officials: whole streets and districts, with every community in them.
    whole_streets: frozenset = frozenset()
    whole_districts: frozenset = frozenset()

    @property
    def empty(self):
        return not (self.everything or self.communities or self.whole_streets or self.whole_districts)

    def q(self, prefix=""):
        """Q over Announcement selecting what this reach reads."""
        if self.everything:
            return Q()
        if self.empty:
            return Q(pk__in=[])
        p = prefix
        q = Q(**{f"{p}community_id__in": sorted(self.communities)})
        q |= Q(**{f"{p}street_id__in": sorted(self.streets | self.whole_streets)})
        q |= Q(**{f"{p}district_id__in": sorted(self.districts | self.whole_districts)})
        if self.whole_streets:
            q |= Q(**{f"{p}community__street_id__in": sorted(self.whole_streets)})
        if self.whole_districts:
            q |= Q(**{f"{p}community__street__district_id__in": sorted(self.whole_districts)})
            q |= Q(**{f"{p}street__district_id__in": sorted(self.whole_districts)})
        return q

    def covers(self, community):
        """Whether announcements addressed to `community` (a Community) reach this person."""
        return (
            self.everything
            or community.pk in self.communities
            or community.street_id in self.whole_streets
            or community.street.district_id in self.whole_districts
        )


_REACH_ATTR = "_civic_information_reach"


def reach_of(user):
    """Where a person belongs, for reading announcements (at most 2 queries, once per request)."""
    roles = roles_for(user)
    if not roles.authenticated:
        return Reach()
    cached = getattr(user, _REACH_ATTR, None)
    if cached is not None:
        return cached
    if roles.superuser:
        reach = Reach(everything=True)
    else:
        own = set(roles.staff_of)
        if roles.resident_of:
            own.add(roles.resident_of)
        places = list(Community.objects.filter(pk__in=own).values_list("street_id", "street__district_id"))
        districts = {district for _street, district in places} | set(roles.official_districts)
        if roles.official_streets:
            districts |= set(Street.objects.filter(pk__in=roles.official_streets).values_list("district_id", flat=True))
        reach = Reach(
            communities=frozenset(own),
            streets=frozenset(street for street, _district in places),
            districts=frozenset(districts),
            whole_streets=frozenset(roles.official_streets),
            whole_districts=frozenset(roles.official_districts),
        )
    setattr(user, _REACH_ATTR, reach)
    return reach
