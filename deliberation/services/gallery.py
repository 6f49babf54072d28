"""The public gallery: observers' registrations and check-ins."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock
from ..models import Meeting, ObserverRegistration
from ._helpers import _lock_meeting, _require

# Gallery check-in opens this long before a meeting starts.
CHECK_IN_OPENS = datetime.timedelta(hours=2)


@transaction.atomic
def observer_register(*, actor, meeting):
    """Take a gallery seat. Returns (registration, created). The meeting row is locked while
    the seats are counted, so the last seat goes to exactly one person."""
    meeting = _lock_meeting(meeting)
    _require(actor, "observer.register", meeting, _("Only verified residents of this community can register."))
    if meeting.status != Meeting.Status.SCHEDULED or meeting.has_started:
        raise Conflict(_("Registration for this meeting has closed."))
    registration = ObserverRegistration.objects.filter(meeting=meeting, user=actor).first()
    if registration is not None and registration.is_active:
        return registration, False
    taken = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count()
    if taken >= meeting.observer_seats:
        raise Conflict(
            _("All %(seats)d gallery seats are taken.") % {"seats": meeting.observer_seats},
            [_("No gallery seat is left.")],
        )
    now = clock.now()
    if registration is not None:
        registration.cancelled_at, registration.registered_at = None, now
        registration.save(update_fields=["cancelled_at", "registered_at"])
    else:
        registration = ObserverRegistration.objects.create(meeting=meeting, user=actor, registered_at=now)
    return registration, True


@transaction.atomic
def observer_cancel(*, actor, meeting):
    meeting = _lock_meeting(meeting)
    registration = ObserverRegistration.objects.filter(meeting=meeting, user=actor, cancelled_at__isnull=True).first()
    if registration is None:
        raise Conflict(_("You are not registered for this meeting."))
    if meeting.has_started:
        raise Conflict(_("The meeting has already started."))
    registration.cancelled_at = clock.now()
    registration.save(update_fields=["cancelled_at"])
    return registration


@transaction.atomic
def observer_check_in(*, actor, registration):
    registration = (
        ObserverRegistration.objects.select_for_update(of=("self",))
        .select_related("meeting__community")
        .get(pk=registration.pk)
    )
    meeting = registration.meeting
    _require(actor, "observer.check_in", meeting, _("Only this community's staff check observers in."))
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("The meeting was cancelled."))
    if not registration.is_active:
        raise Conflict(_("This registration was cancelled."))
    now = clock.now()
    if now < meeting.starts_at - CHECK_IN_OPENS:
        raise Conflict(_("Check-in opens two hours before the meeting."))
    if registration.checked_in_at is None:
        registration.checked_in_at, registration.checked_in_by = now, actor
        registration.save(update_fields=["checked_in_at", "checked_in_by"])
    return registration
