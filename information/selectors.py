"""Reads for the pages, the admin and the API, each in a fixed number of queries."""

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from communities.models import Body, BodyKind, Community

from .models import Announcement, AnnouncementRead, Attachment, BodyProfile, Service
from .permissions import public_q, reach_of

HOME_LIMIT = 5
COMMUNITY_PAGE_LIMIT = 10


def _with_area(announcements):
    return announcements.select_related("community__street__district", "street__district", "district")


def announcements_for(user, *, community=None, category=None, now=None):
    """Published announcements that reach `user`, pinned first, then newest.

    `community` narrows them to those addressed to that community, its street or its
    district; it never widens them beyond the person's own area.
    """
    announcements = Announcement.objects.published(now).filter(reach_of(user).q())
    if community is not None:
        announcements = announcements.for_community(community)
    if category:
        announcements = announcements.filter(category=category)
    return _with_area(announcements).prefetch_related("attachments").in_order()


def public_announcements(*, community=None, category=None, now=None):
    """Published announcements to a whole street or district (`public_q`), pinned first, then
    newest: what the pages show to a visitor who belongs to no area (not logged in, or not yet
    verified). `community` keeps those of its street and district."""
    announcements = Announcement.objects.published(now).filter(public_q())
    if community is not None:
        announcements = announcements.for_community(community)
    if category:
        announcements = announcements.filter(category=category)
    return _with_area(announcements).prefetch_related("attachments").in_order()


def announcements_for_page(user, *, community=None, category=None, now=None):
    """(announcements, public): the person's area's announcements, or, for someone who belongs
    to no area, the public ones."""
    if reach_of(user).empty:
        return public_announcements(community=community, category=category, now=now), True
    return announcements_for(user, community=community, category=category, now=now), False


def announcements_managed_by(user, *, state=None, now=None):
    """Announcements of the areas a person may publish to, in any state (staff, officials)."""
    from communities.permissions import roles_for

    roles = roles_for(user)
    announcements = Announcement.objects.all()
    if not roles.superuser:
        q = Q(community_id__in=sorted(roles.staff_of))
        if roles.official_streets:
            streets = sorted(roles.official_streets)
            q |= Q(street_id__in=streets) | Q(community__street_id__in=streets)
        if roles.official_districts:
            districts = sorted(roles.official_districts)
            q |= (
                Q(district_id__in=districts)
                | Q(street__district_id__in=districts)
                | Q(community__street__district_id__in=districts)
            )
        announcements = announcements.filter(q)
    now = now or timezone.now()
    if state == "published":
        announcements = announcements.published(now)
    elif state == "scheduled":
        announcements = announcements.scheduled(now)
    elif state == "expired":
        announcements = announcements.expired(now)
    return _with_area(announcements).prefetch_related("attachments").in_order()


def announcement_get(announcement_id):
    """One announcement with its area and attachments, or Announcement.DoesNotExist."""
    return _with_area(Announcement.objects.all()).prefetch_related("attachments").get(pk=announcement_id)


def announcement_visible_to(user, announcement, now=None, *, public=False):
    """Readers see it while it is published and addressed to their area; those who may
    change it see it in every state. With `public` (the pages), anyone sees a published
    announcement to a whole street or district."""
    from communities.permissions import can

    if can(user, "announcement.change", announcement):
        return True
    if announcement.state(now) != "published":
        return False
    if public and can(user, "announcement.read_public", announcement):
        return True
    return Announcement.objects.filter(pk=announcement.pk).filter(reach_of(user).q()).exists()


def read_counts(announcement_ids):
    """{announcement id: number of people who opened it} in one query."""
    rows = (
        AnnouncementRead.objects.filter(announcement_id__in=list(announcement_ids))
        .order_by()
        .values_list("announcement_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def attachment_get(announcement, attachment_id):
    return Attachment.objects.get(announcement=announcement, pk=attachment_id)


def announcement_unread_ids(user, announcements):
    """Which of these announcements the person has not opened yet (1 query)."""
    if not user.is_authenticated:
        return set()
    ids = [a.pk for a in announcements]
    read = set(
        AnnouncementRead.objects.filter(user=user, announcement_id__in=ids).values_list("announcement_id", flat=True)
    )
    return set(ids) - read


# Bodies: duties, office hours, contact
def profiles_for(bodies):
    """{body id: BodyProfile} for these bodies, in one query."""
    ids = [body.pk for body in bodies]
    return {profile.body_id: profile for profile in BodyProfile.objects.filter(body_id__in=ids)}


def council_body(community):
    return Body.objects.filter(community=community, kind=BodyKind.DELIBERATION_COUNCIL).first()


# Services
def service_list(*, community=None, category=None, search=None, district=None, street=None, include_inactive=False):
    services = Service.objects.select_related("provider", "community__street__district")
    if not include_inactive:
        services = services.filter(active=True)
    if community is not None:
        services = services.filter(community=community)
    if street is not None:
        services = services.filter(community__street=street)
    if district is not None:
        services = services.filter(community__street__district=district)
    if category:
        services = services.filter(category=category)
    if search:
        services = services.filter(
            Q(name__icontains=search)
            | Q(description__icontains=search)
            | Q(location__icontains=search)
            | Q(provider__name__icontains=search)
        )
    return services.order_by("community__code", "category", "name", "pk")


def service_get(service_id):
    return Service.objects.select_related("provider", "community__street__district").get(pk=service_id)


def community_services(community, limit=None):
    services = service_list(community=community)
    return list(services[:limit] if limit else services)


def communities_with_services():
    return Community.objects.filter(Exists(Service.objects.filter(community=OuterRef("pk"), active=True)))
