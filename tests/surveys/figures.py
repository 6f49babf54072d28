"""This app's dashboard figures for an area, read through its registered provider
(surveys.dashboard) exactly as the officials' dashboards compose them."""

import datetime

from django.utils import timezone

from communities.dashboard import resident_rows
from core import dashboards
from surveys import dashboard


def surveys_figures(communities=None, *, since=None, until=None):
    """The panels surveys.dashboard shapes for `communities` (a queryset; None: the city) over
    the period (default: the twelve months up to today)."""
    today = timezone.localdate()
    since = since or today - datetime.timedelta(days=365)
    until = until or today
    area = dashboards.Area.of(None if communities is None else communities.values("pk"), since, until)
    totals = {
        "residents": dashboards.summed(resident_rows(area).values(), dashboards.registry.provider("residents").figures),
        "surveys": dashboards.summed(dashboard.survey_rows(area).values(), dashboard.SurveyFigures),
    }
    return dashboard.survey_panels(totals, area)
