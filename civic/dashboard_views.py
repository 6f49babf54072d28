"""The officials' dashboards as pages, exports (CSV, XLSX) and `GET /api/v1/dashboard/`.

Every path asks the same questions in the same order: who is looking (their scope, or 403),
which area and period (the filters, or 400 for bad input and 403 for a place outside the
scope), then reads the figures. No path shows figures of a place outside the viewer's scope.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from communities.models import Community, Stage, Typology

from . import dashboard_tables as tables
from .dashboard import DashboardFilterForm, dashboard, places, scope_for
from .dashboard_serializers import DashboardSerializer

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _refused(request, message, status=403, *, back=True):
    context = {"message": message, "status": status, "back": back}
    return render(request, "civic/dashboard_error.html", context, status=status)


def scope_label(scope, area):
    """The area a scope covers, in words: the city, or the districts and streets overseen."""
    if scope.city:
        return _("The whole city")
    districts = {p["district_id"]: p["district"] for p in area}
    streets = {p["street_id"]: p["street"] for p in area}
    names = [districts[pk] for pk in scope.districts if pk in districts]
    names += [streets[pk] for pk in scope.streets if pk in streets]
    return "、".join(names) or _("No communities yet")


def _describe(filters, area):
    """What the filters narrow the area to, in words, for headings and export files."""
    parts = []
    if filters.community is not None:
        parts += [p["name"] for p in area if p["id"] == filters.community][:1]
    if filters.district is not None:
        parts += [p["district"] for p in area if p["district_id"] == filters.district][:1]
    if filters.street is not None:
        parts += [p["street"] for p in area if p["street_id"] == filters.street][:1]
    if filters.typology:
        parts.append(str(Typology(filters.typology).label))
    if filters.stage:
        parts.append(str(Stage(filters.stage).label))
    return parts


def _period_text(filters):
    return _("%(since)s to %(until)s") % {
        "since": formats.date_format(filters.since, "DATE_FORMAT"),
        "until": formats.date_format(filters.until, "DATE_FORMAT"),
    }


# The exports keep the figures as computed; the page rounds them (core.figures). Said in each export.
EXACT_NOTE = gettext_lazy(
    "Figures are exact, as computed (percentages, scores and means to two decimals); "
    "the dashboard page shows them rounded half up to one decimal, means of a 1-5 scale to two."
)


def _key_figures(figures):
    participation = figures["participation"]
    return [
        (_("Verified residents"), formats.number_format(figures["residents"], force_grouping=True)),
        (_("Took part in the period"), tables.charts.percent_text(participation["any"]["percent"])),
        (
            _("Attended fewer than 2 activities"),
            tables.charts.percent_text(figures["activity_participation"]["under_2"]),
        ),
        (_("Topics raised"), formats.number_format(figures["topics_raised"], force_grouping=True)),
        (_("Overdue topics now"), formats.number_format(figures["overdue"], force_grouping=True)),
        (_("Cadres over 50"), tables.charts.percent_text(figures["cadres"]["over_50"])),
    ]


def _read(request, community_id=None):
    """(scope, area places, form, filters, community place) for the request, or an HttpResponse."""
    try:
        scope = scope_for(request.user)
    except PermissionDenied as exc:
        return _refused(request, str(exc), back=False)
    area = places(scope)
    place = None
    if community_id is not None:
        place = next((p for p in area if p["id"] == community_id), None)
        if place is None:
            if Community.objects.filter(pk=community_id).exists():
                return _refused(request, _("That community is outside the area you oversee."))
            raise Http404(_("There is no such community."))
    form = DashboardFilterForm(request.GET, places=area, community=community_id)
    try:
        filters = form.filters()
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    except ValidationError:
        return scope, area, form, None, place
    return scope, area, form, filters, place


def _page(request, community_id=None):
    read = _read(request, community_id)
    if isinstance(read, HttpResponse):
        return read
    scope, area, form, filters, place = read
    template = "civic/dashboard_community.html" if place else "civic/dashboard.html"
    context = {"form": form, "place": place, "scope_label": scope_label(scope, area)}
    if place:
        context["place_typology"] = Typology(place["typology"]).label
        context["place_stage"] = Stage(place["stage"]).label
    if filters is None:
        return render(request, template, context, status=400)
    figures = dashboard(scope, filters, area)
    keys = tables.COMMUNITY_PANELS if place else [key for key, _label in tables.PANELS]
    query = urlencode(filters.query(place=place is None))
    export_base = (reverse("dashboard-community", args=[place["id"]]) if place else reverse("dashboard")) + "export/"
    context.update(
        figures=figures,
        panels=tables.panels(figures, keys),
        filters=filters,
        narrowed=_describe(filters, area) if not place else [],
        period=_period_text(filters),
        key_figures=_key_figures(figures),
        query=query,
        export_base=export_base,
        generated_at=parse_datetime(figures["generated_at"]),
        formats=tables.EXPORT_FORMATS,
        filtered=bool(request.GET),
    )
    return render(request, template, context)


@login_required
def dashboard_page(request):
    return _page(request)


@login_required
def community_dashboard_page(request, community_id):
    return _page(request, community_id)


@login_required
def dashboard_export(request, panel, fmt, community_id=None):
    allowed = tables.COMMUNITY_PANELS if community_id is not None else [key for key, _label in tables.PANELS]
    if panel not in allowed or fmt not in tables.EXPORT_FORMATS:
        raise Http404(_("There is no such export."))
    read = _read(request, community_id)
    if isinstance(read, HttpResponse):
        return read
    scope, area, form, filters, place = read
    if filters is None:
        message = " ".join(
            f"{form.fields[name].label}: {error}" for name, errors in form.errors.items() for error in errors
        )
        return _refused(request, message, status=400)
    figures = dashboard(scope, filters, area)
    built = tables.BUILDERS[panel](figures)
    where = place["name"] if place else " · ".join([scope_label(scope, area), *_describe(filters, area)])
    heading = [
        _("Civic dashboard: %(panel)s") % {"panel": built.title},
        _("Area: %(area)s") % {"area": where},
        _("Period: %(period)s") % {"period": _period_text(filters)},
        _("Figures as of %(moment)s")
        % {
            "moment": formats.date_format(
                timezone.localtime(parse_datetime(figures["generated_at"])), "DATETIME_FORMAT"
            )
        },
        str(EXACT_NOTE),
    ]
    body = tables.panel_csv(built, heading) if fmt == "csv" else tables.panel_xlsx(built, heading)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"civic-dashboard-{place['code'] + '-' if place else ''}{panel}-{filters.since}-{filters.until}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class DashboardView(APIView):
    """The officials' dashboard as JSON: every panel's figures for the area and period asked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The officials' dashboard: participation, deliberation, satisfaction, cadres, typologies, evaluation",
        parameters=[
            OpenApiParameter("district", OpenApiTypes.INT, description="A district of the official's area."),
            OpenApiParameter("street", OpenApiTypes.INT, description="A street or town of the official's area."),
            OpenApiParameter("typology", OpenApiTypes.STR, enum=Typology.values),
            OpenApiParameter("stage", OpenApiTypes.STR, enum=Stage.values),
            OpenApiParameter(
                "since", OpenApiTypes.DATE, description="Start of the period (default: a year before `until`)."
            ),
            OpenApiParameter("until", OpenApiTypes.DATE, description="End of the period, inclusive (default: today)."),
        ],
        responses={
            200: DashboardSerializer,
            400: OpenApiResponse(description="An unknown filter value, or a period that ends before it starts."),
            401: OpenApiResponse(description="Not logged in."),
            403: OpenApiResponse(description="Not an official, or a place outside the official's area."),
        },
    )
    def get(self, request):
        scope = scope_for(request.user)
        area = places(scope)
        filters = DashboardFilterForm(request.query_params, places=area).filters()
        return Response(dashboard(scope, filters, area))
