"""The surveys, activities and evaluation API (CONTRACT.md: `surveys/`, `responses/`, `results/`).

Views parse input and call one service (writes) or one selector (reads); refusals become
400/403/409 through `core.api.exception_handler`.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from communities.api import ListFiltersOnly
from communities.models import Community
from communities.permissions import can, roles_for

from . import selectors, services
from .filters import ActivityFilter, SurveyFilter
from .models import Answer, Engagement, EvaluationRound, Survey
from .permissions import area_q, builds_survey, sees_report
from .serializers import (
    ActivityAttendanceResultSerializer,
    ActivitySerializer,
    AnswerHiddenSerializer,
    AttendanceInSerializer,
    EngagementSerializer,
    HideSerializer,
    IndicatorSerializer,
    PersonAtActivitySerializer,
    RankingRowSerializer,
    RatingInSerializer,
    RatingOutSerializer,
    ResponseInSerializer,
    ResponseOutSerializer,
    RoundComputedSerializer,
    RoundDetailSerializer,
    RoundSerializer,
    ScoreInSerializer,
    ScoreSetSerializer,
    SignUpSerializer,
    SurveyDetailSerializer,
    SurveyResultsSerializer,
    SurveySerializer,
)
from .views import visible_rows

CONFLICT = OpenApiResponse(description="The state forbids it (closed, already done, full); `detail` says why.")
FORBIDDEN = OpenApiResponse(description="Not allowed for this person.")
BAD_INPUT = OpenApiResponse(description="Field errors; nothing is saved.")


def _results_communities(request, survey):
    raw = request.query_params.get("community")
    if not raw:
        return None
    roles = roles_for(request.user)
    allowed = (
        survey.communities().filter(area_q(request.user))
        if (roles.superuser or roles.staff_of or roles.is_official or roles.evaluator)
        else Community.objects.none()
    )
    if not raw.isdigit() or not allowed.filter(pk=raw).exists():
        raise exceptions.ValidationError({"community": [_("Choose a community of the survey within your area.")]})
    return Community.objects.filter(pk=raw)


@extend_schema_view(
    list=extend_schema(summary="Surveys; `community` keeps those whose scope covers it"),
    retrieve=extend_schema(summary="A survey with its questions and their choices"),
)
class SurveyViewSet(ListFiltersOnly, viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    filterset_class = SurveyFilter
    queryset = Survey.objects.none()

    def get_queryset(self):
        surveys = selectors.survey_list()
        if self.action == "retrieve":
            surveys = surveys.prefetch_related("questions__choices")
        return surveys

    def get_serializer_class(self):
        return SurveyDetailSerializer if self.action == "retrieve" else SurveySerializer

    @extend_schema(
        summary="Answer a survey, once (a verified resident of its scope)",
        request=ResponseInSerializer,
        responses={
            201: ResponseOutSerializer,
            400: BAD_INPUT,
            401: OpenApiResponse(description="Not logged in."),
            403: FORBIDDEN,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def responses(self, request, pk=None):
        survey = self.get_object()
        serializer = ResponseInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response = services.response_submit(
            actor=request.user, survey=survey, answers=serializer.validated_data["answers"]
        )
        return Response(ResponseOutSerializer(response).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Aggregated answers: staff, officials and evaluators of the scope; residents once closed",
        parameters=[OpenApiParameter("community", int, description="Narrow to one community of your area.")],
        responses={
            200: SurveyResultsSerializer,
            400: BAD_INPUT,
            401: OpenApiResponse(description="Not logged in."),
            403: FORBIDDEN,
        },
    )
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated], filter_backends=[])
    def results(self, request, pk=None):
        survey = self.get_object()
        if not can(request.user, "survey.results", survey):
            if survey.state() != Survey.State.CLOSED and can(request.user, "survey.answer", survey):
                raise PermissionDenied(_("Residents see the results once the survey has closed."))
            raise PermissionDenied(_("You may not see the results of this survey."))
        builds = builds_survey(request.user, survey)
        staff_of = roles_for(request.user).staff_of
        results = selectors.survey_results(
            survey, communities=_results_communities(request, survey), include_hidden=builds or bool(staff_of)
        )
        for question in results["questions"]:
            for text in question.get("texts", ()):
                text["can_hide"] = builds or text.pop("community_id") in staff_of
        return Response(results)

    @extend_schema(
        summary="Hide an abusive free-text answer from residents, or show it again",
        request=HideSerializer,
        responses={
            200: AnswerHiddenSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such answer."),
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], url_path="hide")
    def hide(self, request, pk=None):
        survey = self.get_object()
        serializer = HideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        answer = (
            Answer.objects.select_related("question__survey", "response")
            .filter(pk=data["answer"], question__survey=survey)
            .first()
        )
        if answer is None:
            raise Http404
        if data["hidden"]:
            answer = services.answer_hide(actor=request.user, answer=answer, reason=data["reason"])
        else:
            answer = services.answer_unhide(actor=request.user, answer=answer)
        return Response({"answer": str(answer.pk), "hidden": answer.is_hidden, "reason": answer.hidden_reason})


@extend_schema_view(
    list=extend_schema(summary="Community activities; filters `community`, `category`, `when`"),
    retrieve=extend_schema(summary="One activity with its places taken"),
)
class ActivityViewSet(
    ListFiltersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    queryset = selectors.activity_list()

    def get_queryset(self):
        return selectors.activity_list()

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="Publish an activity (the community's staff)",
        responses={201: ActivitySerializer, 400: BAD_INPUT, 403: FORBIDDEN},
    )
    def create(self, request):
        serializer = ActivitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        activity = services.activity_publish(
            actor=request.user,
            community=data["community"],
            theme=data["theme"],
            category=data["category"],
            description=data.get("description", ""),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            place=data["place"],
            capacity=data["capacity"],
            organiser=data.get("organiser"),
        )
        return Response(ActivitySerializer(selectors.activity_detail(activity.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an activity (the community's staff)",
        responses={200: ActivitySerializer, 400: BAD_INPUT, 403: FORBIDDEN, 409: CONFLICT},
    )
    def update(self, request, pk=None, partial=False):
        activity = self.get_object()
        serializer = ActivitySerializer(activity, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "community"}
        if "community" in serializer.validated_data and serializer.validated_data["community"] != activity.community:
            raise exceptions.ValidationError({"community": [_("An activity cannot move to another community.")]})
        services.activity_update(actor=request.user, activity=activity, **fields)
        return Response(ActivitySerializer(selectors.activity_detail(activity.pk)).data)

    @extend_schema(
        summary="Cancel an activity (the community's staff)",
        request=None,
        responses={200: ActivitySerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        activity = services.activity_cancel(actor=request.user, activity=self.get_object())
        return Response(ActivitySerializer(selectors.activity_detail(activity.pk)).data)

    @extend_schema(
        methods=["post"],
        summary="Take a place (a resident of the community): 201, or 200 when already signed up",
        request=None,
        responses={200: SignUpSerializer, 201: SignUpSerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    @extend_schema(
        methods=["delete"], summary="Give the place back", request=None, responses={204: None, 409: CONFLICT}
    )
    @action(detail=True, methods=["post", "delete"])
    def signup(self, request, pk=None):
        activity = self.get_object()
        if request.method == "DELETE":
            services.signup_cancel(actor=request.user, activity=activity)
            return Response(status=status.HTTP_204_NO_CONTENT)
        signup, created = services.signup_take(actor=request.user, activity=activity)
        return Response(
            SignUpSerializer(signup).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Who signed up and who came (the community's staff)",
        responses={200: PersonAtActivitySerializer(many=True), 403: FORBIDDEN},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def signups(self, request, pk=None):
        activity = self.get_object()
        if not can(request.user, "activity.manage", activity):
            raise PermissionDenied(_("Only this community's staff see who signed up."))
        return Response(PersonAtActivitySerializer(selectors.activity_people(activity), many=True).data)

    @extend_schema(
        summary="Record attendance: a resident with the code, or staff with the list of people who came",
        request=AttendanceInSerializer,
        responses={
            200: ActivityAttendanceResultSerializer,
            201: ActivityAttendanceResultSerializer,
            400: BAD_INPUT,
            403: FORBIDDEN,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        activity = self.get_object()
        serializer = AttendanceInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "code" in data:
            _attendance, created = services.attendance_check_in(
                actor=request.user, activity=activity, code=data["code"]
            )
            return Response({"checked_in": True}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        recorded = services.attendance_record(actor=request.user, activity=activity, users=data["users"])
        return Response({"recorded": recorded}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rate an activity one attended, 1-5, once",
        request=RatingInSerializer,
        responses={201: RatingOutSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def rating(self, request, pk=None):
        activity = self.get_object()
        serializer = RatingInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.activity_rate(actor=request.user, activity=activity, **serializer.validated_data)
        return Response(RatingOutSerializer(rating).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Engagements of third-party evaluators: one's own (superusers: all)"),
    retrieve=extend_schema(summary="One engagement"),
)
class EngagementViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = EngagementSerializer
    filter_backends = []
    queryset = Engagement.objects.none()

    def get_queryset(self):
        engagements = Engagement.objects.select_related("evaluator", "street", "district").prefetch_related(
            "communities"
        )
        if getattr(self, "swagger_fake_view", False):
            return engagements.none()
        if roles_for(self.request.user).superuser:
            return engagements
        return engagements.filter(evaluator=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Evaluation rounds one may see: one's own as evaluator, one's area's once published"),
    retrieve=extend_schema(summary="A round with its indicators and the ranking one may see"),
)
class EvaluationRoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    filter_backends = []
    queryset = EvaluationRound.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EvaluationRound.objects.none()
        return selectors.rounds_for(self.request.user).prefetch_related("indicators")

    def get_serializer_class(self):
        return RoundDetailSerializer if self.action == "retrieve" else RoundSerializer

    def retrieve(self, request, pk=None):
        evaluation_round = self.get_object()
        _indicators, rows = selectors.round_ranking(evaluation_round)
        evaluation_round.visible_ranking = visible_rows(request.user, evaluation_round, rows)
        return Response(RoundDetailSerializer(evaluation_round).data)

    @extend_schema(
        summary="Define a round with weighted indicators (the engaged evaluator)",
        responses={201: RoundSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 409: CONFLICT},
    )
    def create(self, request):
        serializer = RoundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evaluation_round = services.round_create(
            actor=request.user,
            engagement=data["engagement"],
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            indicators=[
                {"name": i["name"], "source": i["source"], "weight": i["weight"]} for i in data.get("indicators", [])
            ],
        )
        return Response(RoundSerializer(evaluation_round).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Compute the indicators from the portal's records",
        request=None,
        responses={200: RoundComputedSerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def compute(self, request, pk=None):
        scored = services.round_compute(actor=request.user, evaluation_round=self.get_object())
        return Response({"scores": scored})

    @extend_schema(
        summary="Score a community by hand on an indicator, with evidence",
        request=ScoreInSerializer,
        responses={200: ScoreSetSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        evaluation_round = self.get_object()
        serializer = ScoreInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        indicator = evaluation_round.indicators.filter(pk=data["indicator"]).first()
        if indicator is None:
            raise exceptions.ValidationError({"indicator": [_("This round has no such indicator.")]})
        community = Community.objects.filter(pk=data["community"]).first()
        if community is None:
            raise exceptions.ValidationError({"community": [_("No community has this id.")]})
        score = services.score_set(
            actor=request.user, indicator=indicator, community=community, value=data["value"], evidence=data["evidence"]
        )
        return Response(
            {"indicator": indicator.pk, "community": community.pk, "value": score.value, "evidence": score.evidence}
        )

    @extend_schema(
        summary="Publish the round: reports and ranking become visible",
        request=None,
        responses={200: RoundSerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        evaluation_round = services.round_publish(actor=request.user, evaluation_round=self.get_object())
        return Response(RoundSerializer(evaluation_round).data)

    @extend_schema(
        summary="One community's report: its scores with evidence, total and rank",
        responses={
            200: RankingRowSerializer,
            403: FORBIDDEN,
            404: OpenApiResponse(description="Not part of the round."),
        },
    )
    @action(detail=True, methods=["get"], url_path="report/<int:community_id>")
    def report(self, request, pk=None, community_id=None):
        evaluation_round = self.get_object()
        indicators, rows = selectors.round_ranking(evaluation_round)
        row = next((r for r in rows if r["community"].pk == int(community_id)), None)
        if row is None:
            raise Http404
        if not sees_report(request.user, evaluation_round, row["community"]):
            raise PermissionDenied(_("You may not see this community's report."))
        data = RankingRowSerializer(row).data
        data["indicators"] = IndicatorSerializer(indicators, many=True).data
        data["out_of"] = len(rows)
        return Response(data)
