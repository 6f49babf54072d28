"""The shape of GET /api/v1/dashboard/ (civic.dashboard.compute), field by field, for the schema.

Percentages are numbers from 0 to 100 with two decimals, null where nothing was there to count
(no answers, no residents). Maps keyed by a value (a bucket, a scale point, a step) are
objects whose keys are those values.
"""

from rest_framework import serializers

Percent = serializers.FloatField


def percent(help_text=""):
    return Percent(allow_null=True, help_text=help_text or "Per cent, two decimals; null when there is none to count.")


def counts(help_text):
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


def shares(help_text):
    return serializers.DictField(child=percent(), help_text=help_text)


class PeriodSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField(help_text="Inclusive.")


class DashboardFiltersSerializer(serializers.Serializer):
    district = serializers.IntegerField(allow_null=True)
    street = serializers.IntegerField(allow_null=True)
    typology = serializers.CharField(allow_blank=True)
    stage = serializers.CharField(allow_blank=True)
    community = serializers.IntegerField(allow_null=True)


class CountPercentSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    percent = percent()


class ParticipationSerializer(serializers.Serializer):
    """Residents who did each thing in the period (`any`: at least one of them)."""

    residents = serializers.IntegerField()
    commented = CountPercentSerializer()
    raised_topic = CountPercentSerializer()
    attended_meeting = CountPercentSerializer()
    attended_activity = CountPercentSerializer()
    answered_survey = CountPercentSerializer()
    any = CountPercentSerializer()


class ActivityParticipationSerializer(serializers.Serializer):
    """Activities attended in the twelve months to `until`, counted from attendance records."""

    since = serializers.DateField()
    until = serializers.DateField()
    residents = serializers.IntegerField()
    buckets = counts("Bucket (0, 1, 2-3, 4-6, 7-or-more) -> residents.")
    shares = shares("Bucket -> per cent of residents.")
    under_2 = percent("Per cent of residents who attended fewer than two.")
    mean = serializers.FloatField(allow_null=True)


class SatisfactionByBodySerializer(serializers.Serializer):
    """Per cent of good impressions (the ready-made impressions survey) of each body."""

    party_organisation = percent()
    residents_committee = percent()
    deliberation_council = percent()
    service_centre = percent()


class ImpressionSerializer(serializers.Serializer):
    good = serializers.IntegerField()
    answered = serializers.IntegerField()
    percent = percent()


class ImpressionsSerializer(serializers.Serializer):
    party_organisation = ImpressionSerializer()
    residents_committee = ImpressionSerializer()
    deliberation_council = ImpressionSerializer()
    service_centre = ImpressionSerializer()


class ScaleFigureSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True, help_text="On the 1-5 scale.")
    distribution = counts("Point (1-5) -> answers.")
    satisfied = percent("Per cent answering 4 or 5.")
    dissatisfied = percent("Per cent answering 1 or 2.")


class ReportedActivitiesSerializer(serializers.Serializer):
    """Activities residents say they took part in last year (the participation survey)."""

    answered = serializers.IntegerField()
    buckets = counts("Bucket -> answers.")
    under_2 = percent()


class InformationSatisfactionSerializer(serializers.Serializer):
    knowledge_satisfaction = ScaleFigureSerializer()
    taking_part_satisfaction = ScaleFigureSerializer()
    reported_activities = ReportedActivitiesSerializer()


class FunnelStepSerializer(serializers.Serializer):
    step = serializers.CharField(help_text="A step of the seven.")
    count = serializers.IntegerField(help_text="Topics of the period that reached it.")
    percent = percent()


class StepDaysSerializer(serializers.Serializer):
    step = serializers.CharField()
    stays = serializers.IntegerField(help_text="Stays in the step that ended in the period.")
    median_days = serializers.FloatField(allow_null=True)
    limit_days = serializers.FloatField(allow_null=True, help_text="The step's time limit; null when it has none.")
    on_time_percent = percent()


class OverdueTopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    step = serializers.CharField()
    due_at = serializers.DateTimeField()
    days_overdue = serializers.IntegerField()
    community_id = serializers.IntegerField()
    community = serializers.CharField()
    url = serializers.CharField(help_text="The topic's page.")


class MeetingFiguresSerializer(serializers.Serializer):
    meetings = serializers.IntegerField()
    held = serializers.IntegerField()
    on_time = serializers.IntegerField(help_text="Noticed at least NOTICE_LEAD_DAYS before.")
    short_notice = serializers.IntegerField()
    noticed = serializers.IntegerField()
    seats = serializers.IntegerField(help_text="Gallery seats offered.")
    taken = serializers.IntegerField()
    checked_in = serializers.IntegerField()
    on_time_percent = percent()
    not_noticed = serializers.IntegerField()
    seats_used_percent = percent()


class OutcomeRatingsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    distribution = counts("Score (1-5) -> ratings.")
    satisfied = percent()


class CadresByBodySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The body's kind.")
    count = serializers.IntegerField()
    over_50 = percent()
    junior_college_or_below = percent()


class CadresSerializer(serializers.Serializer):
    """The members of the communities' bodies on `until`."""

    count = serializers.IntegerField()
    aged = serializers.IntegerField(help_text="Members whose age is recorded.")
    over_50_count = serializers.IntegerField()
    over_50 = percent()
    age_bands = serializers.DictField(child=CountPercentSerializer(), help_text="Age band -> members.")
    education_counts = counts("Education -> members (`not_recorded` too).")
    education = shares("Education -> per cent of those with it recorded.")
    junior_college_or_below = percent()
    by_body = CadresByBodySerializer(many=True)


class GroupFiguresSerializer(serializers.Serializer):
    """The main figures of a group of communities (a typology, a stage) or of one community."""

    communities = serializers.IntegerField()
    residents = serializers.IntegerField()
    took_part = percent("Per cent of residents who took part in anything in the period.")
    under_2 = percent()
    topics = serializers.IntegerField()
    adopted = percent("Per cent of decided topics adopted.")
    overdue = serializers.IntegerField()
    rating_mean = serializers.FloatField(allow_null=True)
    good_committee = percent()
    good_council = percent()
    cadres_over_50 = percent()


class GroupSerializer(GroupFiguresSerializer):
    key = serializers.CharField(help_text="The typology's or stage's slug.")


class CommunitySummarySerializer(GroupFiguresSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    typology = serializers.CharField()
    stage = serializers.CharField()
    street_id = serializers.IntegerField()
    street = serializers.CharField()
    district_id = serializers.IntegerField()
    district = serializers.CharField()


class EvaluationRoundRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    organisation = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    url = serializers.CharField()


class EvaluationIndicatorSerializer(serializers.Serializer):
    name = serializers.CharField()
    weight = serializers.FloatField()


class EvaluationRankSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    community_id = serializers.IntegerField()
    community = serializers.CharField()
    total = serializers.FloatField(allow_null=True)
    scores = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="By indicator, in order.")


class DashboardEvaluationSerializer(serializers.Serializer):
    """The latest published third-party evaluation covering the area."""

    round = EvaluationRoundRefSerializer()
    indicators = EvaluationIndicatorSerializer(many=True)
    evaluated = serializers.IntegerField()
    ranking = EvaluationRankSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    """Every panel's figures for the official's area, the filters and the period."""

    generated_at = serializers.DateTimeField()
    period = PeriodSerializer()
    filters = DashboardFiltersSerializer()
    communities_count = serializers.IntegerField()
    residents = serializers.IntegerField()
    participation = ParticipationSerializer()
    activity_participation = ActivityParticipationSerializer()
    satisfaction_by_body = SatisfactionByBodySerializer()
    impressions = ImpressionsSerializer()
    impressions_surveys = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the impressions surveys counted."
    )
    information_satisfaction = InformationSatisfactionSerializer()
    topics_raised = serializers.IntegerField()
    topics_by_step = counts("Step -> topics standing in it.")
    funnel = FunnelStepSerializer(many=True)
    outcomes = counts("Outcome -> topics.")
    overdue = serializers.IntegerField(help_text="Topics past their step's time limit.")
    step_days = StepDaysSerializer(many=True)
    overdue_topics = OverdueTopicSerializer(many=True)
    meetings = MeetingFiguresSerializer()
    outcome_ratings = OutcomeRatingsSerializer()
    cadres = CadresSerializer()
    typologies = GroupSerializer(many=True)
    stages = GroupSerializer(many=True)
    communities = CommunitySummarySerializer(many=True)
    evaluation = DashboardEvaluationSerializer(allow_null=True, help_text="Null when no evaluation is published.")
