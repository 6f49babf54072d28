"""Who may do what: roles are stored (guardian object permissions, verified residencies),
what a role allows is computed here by predicates that pages, admin and API all call.

A predicate takes (user, obj) where obj is a Community or anything that leads to one
through `community_of`. Predicates compose with |, & and ~ the way adhocracy4's rules do;
the table every app registers its rules into, and `can`, are the kernel's (core/rules.py).
"""

from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery

from core.rules import (  # noqa: F401  (can and register_rule: the apps ask them here)
    Predicate,
    can,
    predicate,
    register_rule,
    register_rules,
)

from .models import (
    Community,
    CommunityUserObjectPermission,
    DistrictUserObjectPermission,
    Membership,
    Residency,
    StreetUserObjectPermission,
)

MANAGE_COMMUNITY = "manage_community"
SIT_ON_COUNCIL = "sit_on_council"
OVERSEE_STREET = "oversee_street"
OVERSEE_DISTRICT = "oversee_district"
EVALUATE = "communities.evaluate_communities"


class Role:
    RESIDENT = "resident"
    COUNCIL_MEMBER = "council_member"
    COMMITTEE_STAFF = "committee_staff"
    STREET_OFFICIAL = "street_official"
    DISTRICT_OFFICIAL = "district_official"
    EVALUATOR = "evaluator"
    SUPERUSER = "superuser"


@dataclass(frozen=True)
class Roles:
    """Everything one user holds, loaded once per request."""

    authenticated: bool = False
    superuser: bool = False
    resident_of: int | None = None
    pending_in: int | None = None
    staff_of: frozenset = frozenset()
    council_of: frozenset = frozenset()
    official_streets: frozenset = frozenset()
    official_districts: frozenset = frozenset()
    evaluator: bool = False

    @property
    def names(self):
        names = []
        if self.resident_of:
            names.append(Role.RESIDENT)
        if self.council_of:
            names.append(Role.COUNCIL_MEMBER)
        if self.staff_of:
            names.append(Role.COMMITTEE_STAFF)
        if self.official_streets:
            names.append(Role.STREET_OFFICIAL)
        if self.official_districts:
            names.append(Role.DISTRICT_OFFICIAL)
        if self.evaluator:
            names.append(Role.EVALUATOR)
        if self.superuser:
            names.append(Role.SUPERUSER)
        return names

    @property
    def is_official(self):
        return bool(self.official_streets or self.official_districts)

    def oversees(self, street_id, district_id):
        return street_id in self.official_streets or district_id in self.official_districts


ANONYMOUS_ROLES = Roles()
_CACHE_ATTR = "_civic_roles"


def roles_for(user):
    if user is None or not user.is_authenticated:
        return ANONYMOUS_ROLES
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    residencies = dict(Residency.objects.active().filter(user=user).values_list("status", "community_id"))
    community_perms = CommunityUserObjectPermission.objects.filter(
        user=user, permission__codename__in=(MANAGE_COMMUNITY, SIT_ON_COUNCIL)
    ).values_list("permission__codename", "content_object_id")
    staff_of, council_of = set(), set()
    for codename, community_id in community_perms:
        (staff_of if codename == MANAGE_COMMUNITY else council_of).add(community_id)
    streets = StreetUserObjectPermission.objects.filter(user=user, permission__codename=OVERSEE_STREET).values_list(
        "content_object_id", flat=True
    )
    districts = DistrictUserObjectPermission.objects.filter(
        user=user, permission__codename=OVERSEE_DISTRICT
    ).values_list("content_object_id", flat=True)
    roles = Roles(
        authenticated=True,
        superuser=user.is_superuser,
        resident_of=residencies.get(Residency.Status.VERIFIED),
        pending_in=residencies.get(Residency.Status.PENDING),
        staff_of=frozenset(staff_of),
        council_of=frozenset(council_of),
        official_streets=frozenset(streets),
        official_districts=frozenset(districts),
        evaluator=user.is_superuser
        or user.user_permissions.filter(
            codename="evaluate_communities", content_type__app_label="communities"
        ).exists(),
    )
    setattr(user, _CACHE_ATTR, roles)
    return roles


def forget_roles(user):
    """Drop the cached roles (and bodies) after a grant, a revoke or a post changed them."""
    for attr in (_CACHE_ATTR, _BODIES_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


_BODIES_ATTR = "_civic_bodies"


def bodies_of(user):
    """The ids of the bodies a person currently sits on, loaded once per request when first
    asked (owners of implementation tasks): not part of `roles_for`, which every page loads."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, _BODIES_ATTR, None)
    if cached is None:
        cached = frozenset(Membership.objects.current().filter(user=user).values_list("body_id", flat=True))
        setattr(user, _BODIES_ATTR, cached)
    return cached


def community_of(obj):
    """The community an object belongs to: itself, or its `community` attribute."""
    if obj is None:
        return None
    if isinstance(obj, Community):
        return obj
    return getattr(obj, "community", None)


def _community_id(obj):
    if isinstance(obj, int):
        return obj
    community = community_of(obj)
    return community.pk if community is not None else getattr(obj, "community_id", None)


@predicate
def is_authenticated(user, obj):
    return roles_for(user).authenticated


@predicate
def is_superuser(user, obj):
    return roles_for(user).superuser


@predicate
def is_evaluator(user, obj):
    return roles_for(user).evaluator


@predicate
def is_resident_of(user, obj):
    roles = roles_for(user)
    return roles.resident_of is not None and roles.resident_of == _community_id(obj)


@predicate
def is_staff_of(user, obj):
    return _community_id(obj) in roles_for(user).staff_of


@predicate
def is_council_member_of(user, obj):
    return _community_id(obj) in roles_for(user).council_of


@predicate
def is_official_over(user, obj):
    roles = roles_for(user)
    if not roles.is_official:
        return False
    community = community_of(obj)
    if community is None:
        return False
    return roles.oversees(community.street_id, community.street.district_id)


@predicate
def is_official(user, obj):
    return roles_for(user).is_official


@predicate
def runs_a_community(user, obj):
    """Committee staff of any community."""
    return bool(roles_for(user).staff_of)


@predicate
def has_admin_account(user, obj):
    """Django's own gate to the admin (an active staff account); communities.services keeps the
    flag in step with the roles that work there."""
    return bool(user is not None and user.is_active and user.is_staff)


@predicate
def is_live_residency(user, obj):
    """A residency still running (pending or verified) of an account that was not deleted."""
    return isinstance(obj, Residency) and obj.status in Residency.ACTIVE and obj.user.deleted_at is None


@predicate
def is_own_residency(user, obj):
    return isinstance(obj, Residency) and user.is_authenticated and obj.user_id == user.pk


def contact_visible_q(viewer, prefix=""):
    """People whose contact data `viewer` may see, as a Q on User (with `prefix` to reach it):
    those with a pending or verified residency in a community the viewer runs as staff (all
    live accounts for a superuser). Former, declined and deleted residents are not among them."""
    roles = roles_for(viewer)
    live = Q(**{f"{prefix}deleted_at__isnull": True})
    if roles.superuser:
        return live
    return live & Q(
        **{
            f"{prefix}residencies__status__in": list(Residency.ACTIVE),
            f"{prefix}residencies__community_id__in": sorted(roles.staff_of),
        }
    )


# The committee staff of the object's community (or a superuser): what every app's rules
# call running a community.
runs_community = is_staff_of | is_superuser

# What each role may do. Keys are the actions pages, admin and API ask about.
COMMUNITY_RULES = {
    "community.create": is_superuser,
    "community.change": runs_community,
    "residency.verify": runs_community,
    # The resident's phone on a residency row: only while it runs, for its community's staff.
    "residency.contact": is_own_residency | (is_live_residency & runs_community),
    "residency.request": is_authenticated,
    "body.change": runs_community,
    "role.grant_staff": is_superuser,
    "role.grant_official": is_superuser,
    "dashboard.view": is_official | is_superuser,
    # The staff workspace: the roles that work in the admin, with an account it lets in.
    "admin.open": (runs_a_community | is_official | is_evaluator | is_superuser) & has_admin_account,
}

register_rules(COMMUNITY_RULES)


# Querysets scoped to a user, for lists, the admin and the API.
def community_scope_q(user, prefix=""):
    """Q selecting the communities a user runs or oversees (staff and officials)."""
    roles = roles_for(user)
    if roles.superuser:
        return Q()
    q = Q(**{f"{prefix}pk__in": sorted(roles.staff_of)})
    if roles.official_streets:
        q |= Q(**{f"{prefix}street_id__in": sorted(roles.official_streets)})
    if roles.official_districts:
        q |= Q(**{f"{prefix}street__district_id__in": sorted(roles.official_districts)})
    return q


def communities_in_scope(user):
    return Community.objects.filter(community_scope_q(user))


class CommunityKeyScope:
    """The communities app's answers for apps that keep a community as a bare integer key
    (core/scopes.py): notifications' notices."""

    def runs(self, user, key):
        return key is not None and runs_community(user, key)

    def watches(self, user, key):
        if key is None:
            return False
        roles = roles_for(user)
        if roles.superuser or key in roles.staff_of:
            return True
        if not roles.is_official:
            return False
        place = Community.objects.filter(pk=key).values_list("street_id", "street__district_id").first()
        return place is not None and roles.oversees(*place)

    def watched_q(self, user, field):
        roles = roles_for(user)
        if roles.superuser:
            return Q()
        if not roles.is_official:
            return Q(**{f"{field}__in": sorted(roles.staff_of)})
        return Q(**{f"{field}__in": communities_in_scope(user).values("pk")})

    def name_expression(self, field):
        return Subquery(Community.objects.filter(pk=OuterRef(field)).values("name")[:1])

    def name(self, key):
        if key is None:
            return ""
        return Community.objects.filter(pk=key).values_list("name", flat=True).first() or ""
