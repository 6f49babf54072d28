"""The emergency announcement notice: in-app and by SMS to everyone living in the area,
the moment the announcement is published (registered from InformationConfig.ready)."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Residency
from notifications import links
from notifications import selectors as notice_selectors
from notifications import services as notice_services
from notifications.models import Notice
from notifications.registry import IN_APP, SMS, Content, NoticeKind, registry
from notifications.sms import fit

from .models import Announcement, Category
from .text import plain

EMERGENCY = "information.emergency"


def link(announcement):
    return links.absolute(announcement.get_absolute_url())


def area_residencies(announcement):
    residencies = Residency.objects.filter(status=Residency.Status.VERIFIED)
    if announcement.community_id:
        return residencies.filter(community_id=announcement.community_id)
    if announcement.street_id:
        return residencies.filter(community__street_id=announcement.street_id)
    return residencies.filter(community__street__district_id=announcement.district_id)


def emergency_recipients(announcement, notice):
    return get_user_model().objects.filter(pk__in=area_residencies(announcement).values("user_id"))


def emergency_content(announcement, notice):
    url = link(announcement)
    return Content(
        title=_("Emergency: %(title)s") % {"title": announcement.title},
        body="\n\n".join([plain(announcement.body_html, limit=2000), url]),
        url=url,
        sms=fit(
            _("[Emergency] %(title)s") % {"title": announcement.title}, url, optional=plain(announcement.body_html)
        ),
    )


def still_holds(announcement, notice):
    """Still an emergency, published and not yet expired when the notice falls due."""
    return announcement.category == Category.EMERGENCY and announcement.state() == "published"


def emergency_changed(announcement):
    """Called by the services inside the transaction that saved the announcement.

    An emergency goes out once, when it is published: a notice that already went is never
    repeated; one still waiting follows the announcement's publishing time or is withdrawn.
    """
    notices = list(notice_selectors.notices_about(announcement, [EMERGENCY]).select_for_update())
    if any(n.status == Notice.Status.DISPATCHED for n in notices):
        return None
    notice_services.notices_supersede(
        subject=announcement, kinds=[EMERGENCY], reason="The announcement changed before its notice went out."
    )
    if announcement.category != Category.EMERGENCY or announcement.state() == "expired":
        return None
    return notice_services.notice_schedule(
        kind=EMERGENCY,
        subject=announcement,
        due_at=max(announcement.publish_at, timezone.now()),
        community_key=announcement.community_id,
    )


def emergency_withdrawn(announcement):
    """The announcement is being deleted: what has not gone out yet never will."""
    notice_services.notices_supersede(subject=announcement, kinds=[EMERGENCY], reason="The announcement was deleted.")
    notice_services.deliveries_withdraw(subject=announcement, kinds=[EMERGENCY], reason="The announcement was deleted.")


def register():
    registry.register(
        NoticeKind(
            name=EMERGENCY,
            label=gettext_lazy("Emergency announcement"),
            subject_model=Announcement,
            recipients=emergency_recipients,
            content=emergency_content,
            is_current=still_holds,
            channels=(IN_APP, SMS),
            community_key=lambda announcement: announcement.community_id,
            subject_key="announcement",
        )
    )
