"""The nudge before a survey closes: `surveys.closing_nudge`, NOTICE_NUDGE_HOURS (48) before
it closes, to the verified residents of the communities it covers who have not answered it.

Beat runs `plan` every minute; it creates one notice per survey and closing time under a
key (a unique constraint), so a second beat or a repeated run adds nothing, and a survey
whose closing time changes is nudged for its new time only. Recipients are resolved when the
dispatcher sends, so whoever answered meanwhile is left out.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Residency
from notifications import links
from notifications import services as notice_services
from notifications.registry import Content, NoticeKind, moment_words, registry
from notifications.sms import fit

from .models import Participation, Survey

CLOSING_NUDGE = "surveys.closing_nudge"


def recipients(survey, notice):
    residents = Residency.objects.filter(community__in=survey.communities(), status=Residency.Status.VERIFIED)
    answered = Participation.objects.filter(survey=survey).values("user_id")
    return get_user_model().objects.filter(pk__in=residents.values("user_id")).exclude(pk__in=answered)


def _holds(survey, notice):
    told = parse_datetime(notice.params.get("closes_at") or "")
    now = timezone.now()
    return told == survey.closes_at and survey.opens_at <= now < survey.closes_at


def content(survey, notice):
    closes = moment_words(survey.closes_at)
    url = links.absolute(survey.get_absolute_url())
    return Content(
        title=_("“%(title)s” closes %(date)s") % {"title": survey.title, **closes},
        body="\n".join(
            [
                _(
                    "The survey “%(title)s” takes answers until %(date)s, %(time)s. You have not answered it yet; it takes a few minutes."
                )
                % {"title": survey.title, **closes},
                url,
            ]
        ),
        url=url,
        sms=fit(_("Survey closes %(short)s") % closes, url, optional=survey.title),
    )


def plan(*, now=None):
    """Create the nudges of the surveys closing within the lead, once each. Returns how many."""
    now = now or timezone.now()
    lead = datetime.timedelta(hours=settings.NOTICE_NUDGE_HOURS)
    created = 0
    for survey in Survey.objects.filter(opens_at__lte=now, closes_at__gt=now, closes_at__lte=now + lead):
        created += notice_services.notice_schedule_once(
            kind=CLOSING_NUDGE,
            subject=survey,
            moment=survey.closes_at,
            due_at=now,
            params={"closes_at": survey.closes_at.isoformat()},
        )
    return created


def register():
    registry.register(
        NoticeKind(
            name=CLOSING_NUDGE,
            label=gettext_lazy("Survey closes soon"),
            subject_model=Survey,
            recipients=recipients,
            content=content,
            is_current=_holds,
            community_key=lambda survey: survey.community_id,
            subject_key="survey",
        )
    )
