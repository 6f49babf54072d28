"""Decisions as open data (决策公开): every archived topic with its outcome, resolution, vote
tally, the date of each step and the trail's hashes, as a page, CSV and JSON.

Public records, so anyone may read them; nothing in them names a resident: no authors, no
comments, no roll-call names, no notes of the people who moved a step. Each step's trail
hash lets anyone check the record against `verify_trail` and the topic's own page.
"""

import csv
import datetime
import io

from django import forms
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from communities.models import Community, District, Street
from core.api import Pagination
from core.pagination import other_parameters, page_links, page_or_404
from core.spreadsheets import safe_row
from deliberation.models import Topic, TopicCategory, TrailEntry, TrailKind, Vote
from deliberation.workflow import STEPS, Outcome, Step

CHUNK = 500
PAGE_SIZE = 20


class DecisionFilterForm(forms.Form):
    """The filters of the page and the export; the same words mean the same thing in both."""

    district = forms.ModelChoiceField(
        label=gettext_lazy("District"),
        queryset=District.objects.order_by("ring", "name"),
        required=False,
        empty_label=gettext_lazy("Any"),
        error_messages={"invalid_choice": gettext_lazy("No district has this id.")},
    )
    street = forms.ModelChoiceField(
        label=gettext_lazy("Street or town"),
        queryset=Street.objects.select_related("district").order_by("district__name", "name"),
        required=False,
        empty_label=gettext_lazy("Any"),
        error_messages={"invalid_choice": gettext_lazy("No street or town has this id.")},
    )
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"),
        queryset=Community.objects.order_by("code"),
        required=False,
        widget=forms.NumberInput,
        help_text=gettext_lazy("The community's number, as in its page's address."),
        error_messages={"invalid_choice": gettext_lazy("No community has this id.")},
    )
    since = forms.DateField(
        label=gettext_lazy("Archived from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("A date such as 2026-01-31."),
    )
    until = forms.DateField(
        label=gettext_lazy("Archived until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Inclusive."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].label_from_instance = lambda street: f"{street.district.name} · {street.name}"

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error(
                "until",
                _("The end of the period is before its start: choose an end on or after %(start)s.")
                % {"start": since.isoformat()},
            )
        return data


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def archived_decisions(*, district=None, street=None, community=None, since=None, until=None):
    """Archived topics, oldest archive first, each with `trail_entries` and `trail_head`."""
    entries = TrailEntry.objects.filter(topic=OuterRef("pk"))
    topics = (
        Topic.objects.filter(step=Step.ARCHIVE)
        .select_related("community__street__district")
        .annotate(
            trail_head=Subquery(entries.order_by("-seq").values("hash")[:1]),
            trail_entries=Subquery(
                entries.order_by().values("topic").annotate(n=Count("pk")).values("n"), output_field=IntegerField()
            ),
        )
    )
    if district is not None:
        topics = topics.filter(community__street__district=district)
    if street is not None:
        topics = topics.filter(community__street=street)
    if community is not None:
        topics = topics.filter(community=community)
    if since is not None:
        topics = topics.filter(archived_at__gte=_day_start(since))
    if until is not None:
        topics = topics.filter(archived_at__lt=_day_start(until + datetime.timedelta(days=1)))
    return topics.order_by("archived_at", "pk")


def _step_entries(topic_ids):
    """{topic id: {step: (at, hash)}} from the trail's raised and step entries (1 query)."""
    steps = {}
    rows = (
        TrailEntry.objects.filter(topic_id__in=topic_ids, kind__in=[TrailKind.RAISED, TrailKind.STEP])
        .order_by("topic_id", "seq")
        .values_list("topic_id", "kind", "data", "recorded_at", "hash")
    )
    for topic_id, kind, data, at, digest in rows:
        step = Step.COLLECT.value if kind == TrailKind.RAISED else (data or {}).get("to")
        if step:
            steps.setdefault(topic_id, {})[step] = (at, digest)
    return steps


def _tallies(topic_ids):
    """{topic id: the last vote on it} (1 query)."""
    votes = (
        Vote.objects.filter(agenda_item__topic_id__in=topic_ids)
        .select_related("agenda_item")
        .order_by("recorded_at", "pk")
    )
    return {vote.agenda_item.topic_id: vote for vote in votes}


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def decision_rows(topics):
    """The records of these topics as JSON-ready dicts, in 2 queries whatever their number."""
    topics = list(topics)
    ids = [topic.pk for topic in topics]
    steps = _step_entries(ids)
    tallies = _tallies(ids)
    rows = []
    for topic in topics:
        community = topic.community
        vote = tallies.get(topic.pk)
        entered = steps.get(topic.pk, {})
        rows.append(
            {
                "id": topic.pk,
                "title": topic.title,
                "category": topic.category,
                "community": {"id": community.pk, "name": community.name, "code": community.code},
                "street": {"id": community.street_id, "name": community.street.name},
                "district": {"id": community.street.district_id, "name": community.street.district.name},
                "outcome": topic.outcome,
                "outcome_label": str(Outcome(topic.outcome).label),
                "outcome_reason": topic.outcome_note,
                "resolution": topic.resolution,
                "tally": None
                if vote is None
                else {
                    "for": vote.votes_for,
                    "against": vote.votes_against,
                    "abstain": vote.abstentions,
                    "present": vote.present,
                    "council_size": vote.council_size,
                    "quorum_met": vote.quorum_met,
                    "passed": vote.passed,
                    "recorded_at": _iso(vote.recorded_at),
                },
                "raised_at": _iso(topic.created_at),
                "archived_at": _iso(topic.archived_at),
                "steps": [
                    {"step": step.value, "at": _iso(entered[step.value][0]), "hash": entered[step.value][1]}
                    for step in STEPS
                    if step.value in entered
                ],
                "trail": {"entries": topic.trail_entries or 0, "head": topic.trail_head},
            }
        )
    return rows


# The JSON export's shape, field by field (the schema's; decision_rows writes it).
class PlaceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CommunityRefSerializer(PlaceRefSerializer):
    code = serializers.CharField(help_text="The community's code, as in the directory.")


DecisionTallySerializer = type(
    "DecisionTallySerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The council's last vote on the topic.",
        # `for` is a Python keyword, so the class is built from a dict of its fields.
        "for": serializers.IntegerField(),
        "against": serializers.IntegerField(),
        "abstain": serializers.IntegerField(),
        "present": serializers.IntegerField(help_text="Council members present."),
        "council_size": serializers.IntegerField(),
        "quorum_met": serializers.BooleanField(),
        "passed": serializers.BooleanField(),
        "recorded_at": serializers.DateTimeField(),
    },
)


class DecisionStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    at = serializers.DateTimeField(help_text="When the topic entered the step (local time with its offset).")
    hash = serializers.CharField(help_text="The hash of that trail entry (`verify_trail` checks it).")


class DecisionTrailSerializer(serializers.Serializer):
    entries = serializers.IntegerField(help_text="Entries in the topic's trail.")
    head = serializers.CharField(allow_null=True, help_text="The hash of its last entry.")


class DecisionSerializer(serializers.Serializer):
    """One archived topic as open data: it names no resident."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.ChoiceField(choices=TopicCategory.choices, allow_blank=True)
    community = CommunityRefSerializer()
    street = PlaceRefSerializer()
    district = PlaceRefSerializer()
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_label = serializers.CharField(help_text="The outcome in the requester's language.")
    outcome_reason = serializers.CharField(allow_blank=True)
    resolution = serializers.CharField(allow_blank=True)
    tally = DecisionTallySerializer(allow_null=True, help_text="Null when the council never voted on it.")
    raised_at = serializers.DateTimeField()
    archived_at = serializers.DateTimeField(allow_null=True)
    steps = DecisionStepSerializer(many=True, help_text="The steps it passed through, in order.")
    trail = DecisionTrailSerializer()


class DecisionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DecisionSerializer(many=True)


CSV_COLUMNS = [
    "id", "title", "category", "community_id", "community", "community_code", "street", "district",
    "outcome", "outcome_reason", "resolution",
    "votes_for", "votes_against", "abstentions", "present", "council_size", "quorum_met", "passed",
    *[f"{step.value}_{part}" for step in STEPS for part in ("at", "hash")],
    "trail_entries", "trail_head",
]  # fmt: skip


def csv_row(row):
    tally = row["tally"] or {}
    steps = {entry["step"]: entry for entry in row["steps"]}
    values = [
        row["id"], row["title"], row["category"], row["community"]["id"], row["community"]["name"],
        row["community"]["code"], row["street"]["name"], row["district"]["name"],
        row["outcome"], row["outcome_reason"], row["resolution"],
        tally.get("for", ""), tally.get("against", ""), tally.get("abstain", ""), tally.get("present", ""),
        tally.get("council_size", ""), tally.get("quorum_met", ""), tally.get("passed", ""),
    ]  # fmt: skip
    for step in STEPS:
        entry = steps.get(step.value)
        values += [entry["at"], entry["hash"]] if entry else ["", ""]
    values += [row["trail"]["entries"], row["trail"]["head"] or ""]
    return values


def csv_stream(topics):
    """The whole export as CSV, a chunk of topics at a time (3 queries a chunk)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    # A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    yield "\ufeff"
    writer.writerow(CSV_COLUMNS)
    yield flush()
    ids = list(topics.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        ordered = {pk: n for n, pk in enumerate(chunk)}
        batch = sorted(topics.filter(pk__in=chunk), key=lambda topic: ordered[topic.pk])
        for row in decision_rows(batch):
            writer.writerow(safe_row(csv_row(row)))
        yield flush()


def _filters_or_400(params):
    form = DecisionFilterForm(params)
    if not form.is_valid():
        raise exceptions.ValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    return form.cleaned_data


# The API
class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # The export streams past the renderer and errors answer JSON (`handle_exception`).
        return data


class ExportPagination(Pagination):
    page_size = 100
    max_page_size = 1000


class DecisionExportView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, CsvRenderer]

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:
            raise exceptions.ValidationError({"format": [_("Choose csv or json.")]}) from None

    def handle_exception(self, exc):
        """Errors answer JSON even when CSV was asked for, like every other API error."""
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        summary="Archived decisions as open data (JSON, paginated; or the whole export as CSV)",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="json (default) or csv."),
            OpenApiParameter("district", OpenApiTypes.INT),
            OpenApiParameter("street", OpenApiTypes.INT),
            OpenApiParameter("community", OpenApiTypes.INT),
            OpenApiParameter("since", OpenApiTypes.DATE, description="Archived on or after this day."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Archived on or before this day."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(DecisionPageSerializer, description="A page of decisions."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The whole export (`?format=csv`)."),
            400: OpenApiResponse(
                description="An unknown place, a malformed date, or a period that ends before it starts."
            ),
        },
        auth=[],
    )
    def get(self, request):
        topics = archived_decisions(**_filters_or_400(request.query_params))
        if request.accepted_renderer.format == "csv":
            response = StreamingHttpResponse(csv_stream(topics), content_type="text/csv; charset=utf-8")
            stamp = timezone.localdate().isoformat()
            response["Content-Disposition"] = f'attachment; filename="civic-decisions-{stamp}.csv"'
            return response
        paginator = ExportPagination()
        page = paginator.paginate_queryset(topics, request, view=self)
        return paginator.get_paginated_response(decision_rows(page))


# The page
def decisions_page(request):
    form = DecisionFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "civic/open_data.html", {"form": form, "page": None}, status=400)
    page = page_or_404(
        request, archived_decisions(**form.cleaned_data), PAGE_SIZE, _("There is no such page of decisions.")
    )
    return render(
        request,
        "civic/open_data.html",
        {
            "form": form,
            "page": page,
            "rows": decision_rows(page.object_list),
            "page_range": page_links(page),
            "query": other_parameters(request, "format"),
            "filtered": any(value for value in form.cleaned_data.values()),
        },
    )
