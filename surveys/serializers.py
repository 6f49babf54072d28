"""Shapes of the surveys, activities and evaluation API. Serializers parse and present; writes
are calls into the services."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.models import Body, Community
from core.text import TextSerializerField

from .models import (
    Activity,
    ActivityCategory,
    Choice,
    Engagement,
    EvaluationRound,
    Indicator,
    Question,
    QuestionKind,
    ReadyMade,
    RoundIndicator,
    Scope,
    SignUp,
    Survey,
)

COMMUNITY_ERRORS = {
    "does_not_exist": _("No community has this id."),
    "incorrect_type": _("Give the community's id as a number."),
}


# Surveys


class SurveyChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["id", "position", "label", "value"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    choices = SurveyChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "position",
            "text",
            "help_text",
            "kind",
            "kind_label",
            "required",
            "key",
            "min_value",
            "max_value",
            "choices",
        ]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    scope = serializers.ChoiceField(choices=Scope.choices, read_only=True)
    place = serializers.CharField(source="place_label", read_only=True)
    state = serializers.SerializerMethodField()
    ready_made = serializers.ChoiceField(choices=ReadyMade.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "title",
            "description",
            "scope",
            "community",
            "street",
            "district",
            "place",
            "opens_at",
            "closes_at",
            "state",
            "anonymous",
            "ready_made",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Survey.State.choices))
    def get_state(self, survey):
        return survey.state().value


class SurveyDetailSerializer(SurveySerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(SurveySerializer.Meta):
        fields = SurveySerializer.Meta.fields + ["questions"]
        read_only_fields = fields


class AnswerInSerializer(serializers.Serializer):
    question = serializers.IntegerField(help_text=_("The question's id."))
    choices = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Choice ids (one for a single-choice question).")
    )
    value = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("A point of the 1-5 scale, or a number.")
    )
    text = TextSerializerField(
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text=_("A free-text answer, at most 2,000 characters."),
    )


class ResponseInSerializer(serializers.Serializer):
    answers = AnswerInSerializer(many=True, allow_empty=True)


class ResponseOutSerializer(serializers.Serializer):
    survey = serializers.IntegerField(source="survey_id")
    submitted_on = serializers.DateField()
    anonymous = serializers.BooleanField(source="survey.anonymous")


class HideSerializer(serializers.Serializer):
    answer = serializers.UUIDField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    hidden = serializers.BooleanField(default=True, help_text=_("False shows a hidden answer again."))


# Activities


class ActivitySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    category = serializers.ChoiceField(choices=ActivityCategory.choices)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    organiser_name = serializers.CharField(source="organiser.name", read_only=True, default=None, allow_null=True)
    taken = serializers.IntegerField(read_only=True, help_text=_("Places taken."))
    places_left = serializers.SerializerMethodField()
    cancelled = serializers.BooleanField(source="is_cancelled", read_only=True)
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all(), error_messages=COMMUNITY_ERRORS)
    organiser = serializers.PrimaryKeyRelatedField(
        queryset=Body.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("No body has this id.")},
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "community",
            "community_name",
            "theme",
            "category",
            "category_label",
            "description",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "taken",
            "places_left",
            "organiser",
            "organiser_name",
            "cancelled",
        ]
        read_only_fields = [
            "id",
            "community_name",
            "category_label",
            "taken",
            "places_left",
            "organiser_name",
            "cancelled",
        ]
        extra_kwargs = {"capacity": {"min_value": 1}}

    @extend_schema_field(serializers.IntegerField())
    def get_places_left(self, activity):
        return max(activity.capacity - getattr(activity, "taken", 0), 0)


class SignUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignUp
        fields = ["activity", "signed_up_at", "cancelled_at"]
        read_only_fields = fields


class PersonAtActivitySerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.name")
    signed_up_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    attended = serializers.BooleanField()


class AttendanceInSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False, max_length=6, help_text=_("A resident checks in with the activity's code.")
    )
    users = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Staff check in these people (user ids).")
    )

    def validate(self, attrs):
        if ("code" in attrs) == ("users" in attrs):
            raise serializers.ValidationError(_("Send either the check-in code or the list of people who came."))
        return attrs


class RatingInSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = TextSerializerField(max_length=500, required=False, allow_blank=True, default="")


class RatingOutSerializer(serializers.Serializer):
    activity = serializers.IntegerField(source="activity_id")
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


# Evaluation


class EngagementSerializer(serializers.ModelSerializer):
    evaluator_name = serializers.CharField(source="evaluator.name", read_only=True)
    area = serializers.CharField(source="area_label", read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "evaluator",
            "evaluator_name",
            "organisation",
            "scope",
            "street",
            "district",
            "communities",
            "area",
            "engaged_at",
            "ended_at",
        ]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer):
    source = serializers.ChoiceField(choices=Indicator.choices)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal(100), coerce_to_string=False
    )

    class Meta:
        model = RoundIndicator
        fields = ["id", "position", "name", "source", "source_label", "weight"]
        read_only_fields = ["id", "position", "source_label"]


class RoundSerializer(serializers.ModelSerializer):
    engagement = serializers.PrimaryKeyRelatedField(
        queryset=Engagement.objects.all(), error_messages={"does_not_exist": _("No engagement has this id.")}
    )
    area = serializers.CharField(source="engagement.area_label", read_only=True)
    indicators = IndicatorSerializer(many=True, required=False)
    status = serializers.ChoiceField(choices=EvaluationRound.Status.choices, read_only=True)

    class Meta:
        model = EvaluationRound
        fields = [
            "id",
            "engagement",
            "area",
            "title",
            "period_start",
            "period_end",
            "status",
            "computed_at",
            "published_at",
            "indicators",
        ]
        read_only_fields = ["id", "area", "status", "computed_at", "published_at"]


class ScoreOutSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="indicator_id")
    value = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, coerce_to_string=False)
    evidence = serializers.CharField()


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    community = serializers.IntegerField(source="community.pk")
    community_name = serializers.CharField(source="community.name")
    total = serializers.FloatField(allow_null=True)
    scores = serializers.SerializerMethodField()

    @extend_schema_field(ScoreOutSerializer(many=True))
    def get_scores(self, row):
        return [ScoreOutSerializer(score).data for score in row["scores"] if score is not None]


class RoundDetailSerializer(RoundSerializer):
    ranking = RankingRowSerializer(many=True, read_only=True, source="visible_ranking")

    class Meta(RoundSerializer.Meta):
        fields = RoundSerializer.Meta.fields + ["ranking"]


class ScoreInSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    community = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    evidence = serializers.CharField(max_length=2000)


# GET surveys/{id}/results/ (surveys.selectors.survey_results): what each kind of question adds.
class ResultChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The choice's id.")
    label = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField(help_text="Answers that picked it.")
    percent = serializers.FloatField(allow_null=True, help_text="Of those who answered the question; null if none did.")


class ResultScalePointSerializer(serializers.Serializer):
    value = serializers.IntegerField(help_text="A point of the 1-5 scale.")
    count = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class ResultNumberSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    min = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)


class ResultTextSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The answer's id (to hide it: surveys/{id}/hide/).")
    text = serializers.CharField()
    hidden = serializers.BooleanField()
    hidden_reason = serializers.CharField(allow_blank=True)
    submitted_on = serializers.DateField()
    can_hide = serializers.BooleanField(help_text="The requester may hide it.")


class ResultGroupSerializer(serializers.Serializer):
    """One group of a breakdown (a typology, a stage or an age band) that answered."""

    key = serializers.CharField()
    label = serializers.CharField()
    answered = serializers.IntegerField()
    choices = ResultChoiceSerializer(many=True, required=False, help_text="Choice questions.")
    mean = serializers.FloatField(allow_null=True, required=False, help_text="Scale and number questions.")


class ResultBreakdownsSerializer(serializers.Serializer):
    typology = ResultGroupSerializer(many=True)
    stage = ResultGroupSerializer(many=True)
    age_band = ResultGroupSerializer(many=True)


class ResultQuestionSerializer(serializers.Serializer):
    """One question's results; which of the optional fields it has follows its `kind`."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    key = serializers.CharField(allow_blank=True, help_text="A ready-made survey's key for the question.")
    required = serializers.BooleanField()
    answered = serializers.IntegerField(help_text="Respondents who answered it.")
    skipped = serializers.IntegerField(help_text="Respondents who left it out.")
    choices = ResultChoiceSerializer(many=True, required=False, help_text="Single and multiple choice.")
    mean = serializers.FloatField(allow_null=True, required=False, help_text="Scale: the mean point.")
    distribution = ResultScalePointSerializer(many=True, required=False, help_text="Scale: each point.")
    summary = ResultNumberSummarySerializer(required=False, help_text="Number.")
    texts = ResultTextSerializer(many=True, required=False, help_text="Free text: the latest answers shown.")
    hidden = serializers.IntegerField(required=False, help_text="Free text: answers hidden by moderation.")
    shown_count = serializers.IntegerField(required=False, help_text="Free text: answers the requester may see.")
    breakdowns = ResultBreakdownsSerializer(required=False, help_text="All but free text.")


class SurveyResultsSerializer(serializers.Serializer):
    survey = serializers.IntegerField(help_text="The survey's id.")
    respondents = serializers.IntegerField()
    questions = ResultQuestionSerializer(many=True)


class AnswerHiddenSerializer(serializers.Serializer):
    answer = serializers.CharField(help_text="The answer's id.")
    hidden = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True, help_text="Why it is hidden; blank when it is not.")


class ActivityAttendanceResultSerializer(serializers.Serializer):
    """A check-in by code answers `checked_in`; staff recording attendance answer `recorded`."""

    checked_in = serializers.BooleanField(required=False, help_text="The requester is checked in.")
    recorded = serializers.IntegerField(required=False, help_text="People whose attendance was recorded.")


class RoundComputedSerializer(serializers.Serializer):
    scores = serializers.IntegerField(help_text="Scores computed from the portal's records.")


class ScoreSetSerializer(serializers.Serializer):
    indicator = serializers.IntegerField()
    community = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, coerce_to_string=False)
    evidence = serializers.CharField(allow_blank=True)
