"""Activities: publishing, signing up, checking in, rating."""

import datetime
import math
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities.models import Body, Residency
from core import attempts
from core.errors import Conflict

from ..models import Activity, ActivityRating, Attendance, SignUp
from ._helpers import _int, _require

# A resident may check in with the code from an hour before the start until the evening after.
CHECK_IN_EARLY = datetime.timedelta(hours=1)
CHECK_IN_LATE = datetime.timedelta(hours=12)
# Wrong check-in codes a person may type for one activity in a quarter of an hour; then even
# the right one waits (so guessing 10^6 codes is out of reach; staff can still check them in).
# Counted in the cache, shared by every process through Redis.
CHECK_IN_ATTEMPTS = 5
CHECK_IN_ATTEMPT_WINDOW = 15 * 60


ACTIVITY_FIELDS = ("theme", "category", "description", "starts_at", "ends_at", "place", "capacity", "organiser")


def new_check_in_code():
    return f"{secrets.randbelow(1_000_000):06d}"


def _check_activity(activity):
    if activity.starts_at and activity.ends_at and activity.ends_at <= activity.starts_at:
        raise ValidationError({"ends_at": _("The activity must end after it starts.")})
    if activity.organiser_id is not None:
        organiser = Body.objects.filter(pk=activity.organiser_id).values_list("community_id", flat=True).first()
        if organiser != activity.community_id:
            raise ValidationError(
                {"organiser": _("The organiser must be a body or social organisation of this community.")}
            )
    activity.full_clean(exclude=["created_by"])


@transaction.atomic
def activity_publish(
    *, actor, community, theme, category, starts_at, ends_at, place, capacity, organiser=None, description=""
):
    _require(actor, "activity.manage", community, _("Only this community's staff publish its activities."))
    activity = Activity(
        community=community,
        theme=(theme or "").strip(),
        category=category,
        description=(description or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=(place or "").strip(),
        capacity=capacity,
        organiser=organiser,
        check_in_code=new_check_in_code(),
        created_by=actor,
    )
    _check_activity(activity)
    activity.save()
    return activity


@transaction.atomic
def activity_update(*, actor, activity, **fields):
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, "activity.manage", activity)
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown activity fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    changed = {name for name, value in fields.items() if getattr(activity, name) != value}
    for name in changed:
        setattr(activity, name, fields[name])
    if "capacity" in changed:
        taken = activity.signups.filter(cancelled_at__isnull=True).count()
        if activity.capacity < taken:
            raise Conflict(
                _("%(taken)d residents have signed up: there must be at least as many places.") % {"taken": taken}
            )
    _check_activity(activity)
    if changed:
        activity.save(update_fields=sorted(changed))
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity):
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, "activity.manage", activity)
    if activity.is_cancelled:
        raise Conflict(_("This activity is already cancelled."))
    activity.cancelled_at = timezone.now()
    activity.save(update_fields=["cancelled_at"])
    return activity


def _open_for_sign_up(activity, now):
    if activity.is_cancelled:
        raise Conflict(_("This activity has been cancelled."))
    if activity.starts_at <= now:
        raise Conflict(_("This activity has already started; sign-up is closed."))


@transaction.atomic
def signup_take(*, actor, activity, now=None):
    """Take a place. Returns (sign-up, created). The last place goes to one resident only."""
    now = now or timezone.now()
    # The row lock makes sign-ups for one activity queue up, so the count below is exact.
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(
        actor,
        "activity.sign_up",
        activity,
        _("Only residents of %(community)s can sign up.") % {"community": activity.community},
    )
    _open_for_sign_up(activity, now)
    signup = SignUp.objects.filter(activity=activity, user=actor).first()
    if signup is not None and signup.is_active:
        return signup, False
    taken = SignUp.objects.filter(activity=activity, cancelled_at__isnull=True).count()
    if taken >= activity.capacity:
        raise Conflict(_("All %(capacity)d places are taken.") % {"capacity": activity.capacity})
    if signup is None:
        signup = SignUp.objects.create(activity=activity, user=actor, signed_up_at=now)
    else:
        signup.cancelled_at = None
        signup.signed_up_at = now
        signup.save(update_fields=["cancelled_at", "signed_up_at"])
    return signup, True


@transaction.atomic
def signup_cancel(*, actor, activity, now=None):
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    signup = SignUp.objects.filter(activity=activity, user=actor, cancelled_at__isnull=True).first()
    if signup is None:
        raise Conflict(_("You have not signed up for this activity."))
    if activity.starts_at <= now:
        raise Conflict(_("This activity has already started; the sign-up stands."))
    signup.cancelled_at = now
    signup.save(update_fields=["cancelled_at"])
    return signup


def _attendance_window(activity, now):
    if activity.is_cancelled:
        raise Conflict(_("This activity has been cancelled."))
    if now < activity.starts_at - CHECK_IN_EARLY:
        raise Conflict(_("Check-in opens an hour before the activity starts."))


@transaction.atomic
def attendance_check_in(*, actor, activity, code, now=None):
    """A resident at the activity checks in with the code shown there. Returns (attendance, created)."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(
        actor,
        "activity.check_in",
        activity,
        _("Only residents of %(community)s can check in.") % {"community": activity.community},
    )
    _attendance_window(activity, now)
    if now > activity.ends_at + CHECK_IN_LATE:
        raise Conflict(_("Check-in for this activity has closed."))
    key, wait = attempts.attempts_left(
        "check-in", f"{activity.pk}:{actor.pk}", CHECK_IN_ATTEMPTS, CHECK_IN_ATTEMPT_WINDOW
    )
    if wait:
        minutes = math.ceil(wait / 60)
        message = ngettext(
            "Too many wrong check-in codes. Please wait %(minutes)d minute, or ask the staff at the activity to check you in.",
            "Too many wrong check-in codes. Please wait %(minutes)d minutes, or ask the staff at the activity to check you in.",
            minutes,
        ) % {"minutes": minutes}
        raise attempts.TooManyAttempts(wait, message)
    if not secrets.compare_digest(str(code or "").strip(), activity.check_in_code):
        attempts.wrong_guess(key, CHECK_IN_ATTEMPT_WINDOW)
        raise ValidationError({"code": _("This is not the activity's check-in code.")})
    return Attendance.objects.get_or_create(
        activity=activity, user=actor, defaults={"method": Attendance.Method.CODE, "checked_in_at": now}
    )


@transaction.atomic
def attendance_record(*, actor, activity, users, now=None):
    """Staff tick off who came, from the sign-up list or among the community's residents."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, "activity.manage", activity)
    _attendance_window(activity, now)
    user_ids = sorted({getattr(user, "pk", user) for user in users})
    residents = set(
        Residency.objects.verified()
        .filter(community_id=activity.community_id, user_id__in=user_ids)
        .values_list("user_id", flat=True)
    )
    signed_up = set(activity.signups.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    strangers = [user_id for user_id in user_ids if user_id not in residents and user_id not in signed_up]
    if strangers:
        raise ValidationError(
            {"users": _("Only residents of this community or people who signed up can be checked in.")}
        )
    present = set(activity.attendances.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    created = Attendance.objects.bulk_create(
        [
            Attendance(
                activity=activity, user_id=user_id, method=Attendance.Method.LIST, checked_in_at=now, recorded_by=actor
            )
            for user_id in user_ids
            if user_id not in present
        ]
    )
    return len(created)


@transaction.atomic
def activity_rate(*, actor, activity, score, comment="", now=None):
    now = now or timezone.now()
    _require(actor, "activity.rate", activity, _("Only residents who attended can rate an activity."))
    if now < activity.starts_at:
        raise Conflict(_("An activity can be rated once it has taken place."))
    try:
        score = _int(score)
    except TypeError:
        score = None
    if score is None or not 1 <= score <= 5:
        raise ValidationError({"score": _("Give a score from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": _("Keep the comment to 500 characters.")})
    try:
        with transaction.atomic():
            return ActivityRating.objects.create(
                activity=activity, user=actor, score=score, comment=comment, created_at=now
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already rated this activity.")) from exc
