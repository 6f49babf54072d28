"""Surveys of residents, community activities and third-party evaluation (第三方评估).

Three things the source article measured live here: residents' impressions of each body,
how often they take part in activities, and how satisfied they are with what they know of
and take part in; and the third-party evaluation of communities' performance.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Body, Community, District, Street

TEXT_ANSWER_MAX = 2000
HIDE_REASON_MAX = 200


class Scope(models.TextChoices):
    COMMUNITY = "community", _("One community")
    STREET = "street", _("A street or town")
    DISTRICT = "district", _("A district or county")
    CITY = "city", _("The whole city")


class ScopedQuerySet(models.QuerySet):
    def covering(self, community):
        """Rows whose scope includes this community (it must have its street loaded or loadable)."""
        return self.filter(
            Q(scope=Scope.CITY)
            | Q(scope=Scope.DISTRICT, district_id=community.street.district_id)
            | Q(scope=Scope.STREET, street_id=community.street_id)
            | Q(scope=Scope.COMMUNITY, community_id=community.pk)
        )

    def touching(self, communities):
        """Rows whose scope includes at least one of these communities (a queryset)."""
        return self.filter(
            Q(scope=Scope.CITY)
            | Q(scope=Scope.DISTRICT, district__in=communities.values("street__district_id"))
            | Q(scope=Scope.STREET, street__in=communities.values("street_id"))
            | Q(scope=Scope.COMMUNITY, community__in=communities.values("pk"))
        )


class ScopedPlace(models.Model):
    """A scope (community / street / district / city) and the one place it names."""

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.COMMUNITY)
    community = models.ForeignKey(
        Community, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("community")
    )
    street = models.ForeignKey(
        Street, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("street or town")
    )
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )

    class Meta:
        abstract = True

    @classmethod
    def scope_constraint(cls, name):
        return models.CheckConstraint(
            condition=(
                Q(scope=Scope.COMMUNITY, community__isnull=False, street__isnull=True, district__isnull=True)
                | Q(scope=Scope.STREET, community__isnull=True, street__isnull=False, district__isnull=True)
                | Q(scope=Scope.DISTRICT, community__isnull=True, street__isnull=True, district__isnull=False)
                | Q(scope=Scope.CITY, community__isnull=True, street__isnull=True, district__isnull=True)
            ),
            name=name,
        )

    @property
    def place(self):
        return {Scope.COMMUNITY: self.community, Scope.STREET: self.street, Scope.DISTRICT: self.district}.get(
            self.scope
        )

    @property
    def place_label(self):
        place = self.place
        return str(place) if place is not None else str(Scope.CITY.label)

    def communities(self):
        """The communities this scope covers, as a queryset."""
        communities = Community.objects.all()
        if self.scope == Scope.COMMUNITY:
            return communities.filter(pk=self.community_id)
        if self.scope == Scope.STREET:
            return communities.filter(street_id=self.street_id)
        if self.scope == Scope.DISTRICT:
            return communities.filter(street__district_id=self.district_id)
        return communities

    def covers(self, community):
        if self.scope == Scope.CITY:
            return True
        if self.scope == Scope.DISTRICT:
            return community.street.district_id == self.district_id
        if self.scope == Scope.STREET:
            return community.street_id == self.street_id
        return community.pk == self.community_id


# Surveys ---------------------------------------------------------------------------------


class ReadyMade(models.TextChoices):
    """The ready-made surveys whose answers the officials' dashboards read."""

    IMPRESSIONS = "impressions", _("Impressions of community bodies")
    PARTICIPATION = "participation", _("Participation and information")


class Survey(ScopedPlace):
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(4000)])
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"))
    anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_("Answers keep no link to the person who gave them; only the fact that they answered is kept."),
    )
    ready_made = models.CharField(_("ready-made survey"), max_length=20, choices=ReadyMade.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            ScopedPlace.scope_constraint("survey_scope_names_one_place"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="survey_closes_after_opening"),
        ]
        indexes = [models.Index(fields=["ready_made", "opens_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("survey-detail", args=[self.pk])

    class State(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("survey state", "Not open yet")
        OPEN = "open", pgettext_lazy("survey state", "Open")
        CLOSED = "closed", pgettext_lazy("survey state", "Closed")

    def state(self, now=None):
        now = now or timezone.now()
        if now < self.opens_at:
            return self.State.SCHEDULED
        if now >= self.closes_at:
            return self.State.CLOSED
        return self.State.OPEN

    def get_state_display(self):
        return self.State(self.state()).label

    @property
    def is_open(self):
        return self.state() == self.State.OPEN

    @property
    def is_closed(self):
        return self.state() == self.State.CLOSED


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale of 1 to 5")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Free text")


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
SCALE_MIN, SCALE_MAX = 1, 5


class Question(models.Model):
    survey = models.ForeignKey(Survey, models.CASCADE, related_name="questions", verbose_name=_("survey"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("explanation"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    required = models.BooleanField(_("required"), default=True)
    # Ready-made questions carry a key the dashboards look them up by (e.g. "party_organisation").
    key = models.SlugField(_("key"), max_length=40, blank=True)
    min_value = models.IntegerField(_("smallest number"), null=True, blank=True)
    max_value = models.IntegerField(_("largest number"), null=True, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], condition=~Q(key=""), name="question_key_unique"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(max_value__gte=models.F("min_value")),
                name="question_number_range",
            ),
        ]

    def __str__(self):
        return self.text

    @property
    def has_choices(self):
        return self.kind in CHOICE_KINDS

    @property
    def is_scale(self):
        return self.kind == QuestionKind.SCALE

    @property
    def is_number(self):
        return self.kind == QuestionKind.NUMBER

    @property
    def is_text(self):
        return self.kind == QuestionKind.TEXT


class Choice(models.Model):
    question = models.ForeignKey(Question, models.CASCADE, related_name="choices", verbose_name=_("question"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    label = models.CharField(pgettext_lazy("survey", "choice"), max_length=200)
    # Ready-made choices carry a value the dashboards count by (e.g. "good").
    value = models.SlugField(_("value"), max_length=20, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("survey", "choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "pk"]

    def __str__(self):
        return self.label


class AgeBand(models.TextChoices):
    UNDER_30 = "under_30", _("Under 30")
    FROM_30 = "30_44", _("30 to 44")
    FROM_45 = "45_59", _("45 to 59")
    FROM_60 = "60_74", _("60 to 74")
    FROM_75 = "75_plus", _("75 and over")
    UNKNOWN = "unknown", _("Age not known")

    @classmethod
    def for_birth_year(cls, birth_year, year):
        if not birth_year:
            return cls.UNKNOWN
        age = year - birth_year
        if age < 30:
            return cls.UNDER_30
        if age < 45:
            return cls.FROM_30
        if age < 60:
            return cls.FROM_45
        if age < 75:
            return cls.FROM_60
        return cls.FROM_75


class Participation(models.Model):
    """That a person answered a survey: the one-answer-per-resident lock.

    For an anonymous survey this row is the only trace of the person, and nothing links it
    to the answers: no key, no shared time (the response keeps only the day).
    """

    survey = models.ForeignKey(Survey, models.CASCADE, related_name="participations", verbose_name=_("survey"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="survey_participations", verbose_name=_("resident")
    )
    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    answered_at = models.DateTimeField(pgettext_lazy("survey", "answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["-answered_at"]
        constraints = [models.UniqueConstraint(fields=["survey", "user"], name="one_answer_per_resident")]
        indexes = [models.Index(fields=["community", "answered_at"])]

    def __str__(self):
        return f"{self.user} · {self.survey}"


class Response(models.Model):
    """One resident's filled-in survey.

    Keys are random (UUID), not a sequence, so that the order of responses cannot be matched
    with the order of participations; `respondent` stays empty in an anonymous survey.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, models.CASCADE, related_name="responses", verbose_name=_("survey"))
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("respondent"),
    )
    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    submitted_on = models.DateField(_("submitted on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["survey", "-submitted_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent"], condition=Q(respondent__isnull=False), name="one_named_response"
            )
        ]
        indexes = [models.Index(fields=["survey", "community"])]

    def __str__(self):
        return f"{self.survey} · {self.submitted_on}"


class Answer(models.Model):
    """One answer to one question; a multiple-choice answer is one row per choice ticked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, models.CASCADE, related_name="answers", verbose_name=_("response"))
    question = models.ForeignKey(Question, models.CASCADE, related_name="answers", verbose_name=_("question"))
    choice = models.ForeignKey(
        Choice,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=pgettext_lazy("survey", "choice"),
    )
    value = models.IntegerField(_("value"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True, validators=[MaxLengthValidator(TEXT_ANSWER_MAX)])
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("hidden by")
    )
    hidden_reason = models.CharField(_("why it is hidden"), max_length=HIDE_REASON_MAX, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("survey", "answer")
        verbose_name_plural = _("answers")
        ordering = ["question", "response"]
        indexes = [models.Index(fields=["question", "choice"])]

    def __str__(self):
        if self.choice_id:
            return str(self.choice)
        if self.value is not None:
            return str(self.value)
        return self.text[:60]

    @property
    def is_hidden(self):
        return self.hidden_at is not None


# Activities ------------------------------------------------------------------------------


class ActivityCategory(models.TextChoices):
    CULTURE = "culture", _("Culture and arts")
    SPORTS = "sports", _("Sports and fitness")
    VOLUNTEERING = "volunteering", _("Volunteering")
    ELDERLY = "elderly", _("Care for the elderly")
    CHILDREN = "children", _("Children and families")
    LEARNING = "learning", _("Talks and learning")
    HEALTH = "health", _("Health")
    ENVIRONMENT = "environment", _("Environment and greening")
    FESTIVAL = "festival", _("Festivals and neighbourhood gatherings")
    OTHER = "other", _("Other")


class ActivityQuerySet(models.QuerySet):
    def published(self):
        return self.filter(cancelled_at__isnull=True)

    def upcoming(self, now=None):
        return self.published().filter(ends_at__gte=now or timezone.now())


class Activity(models.Model):
    community = models.ForeignKey(Community, models.PROTECT, related_name="activities", verbose_name=_("community"))
    theme = models.CharField(_("theme"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=ActivityCategory.choices)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(4000)])
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200)
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    organiser = models.ForeignKey(
        Body,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organised by"),
        help_text=_("A body of the community or a social organisation."),
    )
    check_in_code = models.CharField(
        _("check-in code"),
        max_length=6,
        help_text=_("Shown at the activity; residents who attend enter it to check in."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    created_at = models.DateTimeField(_("published at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_has_a_place"),
        ]
        indexes = [models.Index(fields=["community", "starts_at"])]

    def __str__(self):
        return self.theme

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("activity-detail", args=[self.pk])

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None


class SignUp(models.Model):
    """A resident's place at an activity; cancelling frees it, signing up again takes it back."""

    activity = models.ForeignKey(Activity, models.CASCADE, related_name="signups", verbose_name=_("activity"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="activity_signups", verbose_name=_("resident")
    )
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["signed_up_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="one_signup_per_resident")]

    def __str__(self):
        return f"{self.user} · {self.activity}"

    @property
    def is_active(self):
        return self.cancelled_at is None


class Attendance(models.Model):
    """That a resident was at an activity: a resident's activities per year are counted from these."""

    class Method(models.TextChoices):
        LIST = "list", _("Checked in by staff")
        CODE = "code", _("Checked in with the code")

    activity = models.ForeignKey(Activity, models.CASCADE, related_name="attendances", verbose_name=_("activity"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="activity_attendances", verbose_name=_("resident")
    )
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    checked_in_at = models.DateTimeField(_("checked in at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["activity", "checked_in_at"]
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="one_attendance_per_resident")]
        indexes = [models.Index(fields=["user", "activity"])]

    def __str__(self):
        return f"{self.user} · {self.activity}"


class ActivityRating(models.Model):
    activity = models.ForeignKey(Activity, models.CASCADE, related_name="ratings", verbose_name=_("activity"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("resident"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity rating")
        verbose_name_plural = _("activity ratings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="one_activity_rating_per_resident"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="activity_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.activity} · {self.score}"


# Third-party evaluation ------------------------------------------------------------------


class Engagement(models.Model):
    """An evaluator engaged to evaluate some communities, a street or a district."""

    class Scope(models.TextChoices):
        COMMUNITIES = "communities", _("Named communities")
        STREET = "street", _("A street or town")
        DISTRICT = "district", _("A district or county")

    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="engagements", verbose_name=_("evaluator")
    )
    organisation = models.CharField(_("evaluating organisation"), max_length=120, blank=True)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    street = models.ForeignKey(
        Street, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("street or town")
    )
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    communities = models.ManyToManyField(Community, blank=True, related_name="+", verbose_name=_("communities"))
    engaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("engaged by")
    )
    engaged_at = models.DateTimeField(_("engaged at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation engagement")
        verbose_name_plural = _("evaluation engagements")
        ordering = ["-engaged_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="communities", street__isnull=True, district__isnull=True)
                    | Q(scope="street", street__isnull=False, district__isnull=True)
                    | Q(scope="district", street__isnull=True, district__isnull=False)
                ),
                name="engagement_scope_names_its_place",
            )
        ]

    def __str__(self):
        return f"{self.evaluator} · {self.area_label}"

    @property
    def area_label(self):
        if self.scope == self.Scope.STREET:
            return str(self.street)
        if self.scope == self.Scope.DISTRICT:
            return str(self.district)
        return str(self.Scope.COMMUNITIES.label)

    def community_q(self, prefix=""):
        """Q over Community (through `prefix`) selecting the communities engaged for."""
        if self.scope == self.Scope.STREET:
            return Q(**{f"{prefix}street_id": self.street_id})
        if self.scope == self.Scope.DISTRICT:
            return Q(**{f"{prefix}street__district_id": self.district_id})
        return Q(**{f"{prefix}pk__in": self.communities.values("pk")})

    def evaluated_communities(self):
        return Community.objects.filter(self.community_q()).select_related("street__district")


class Indicator(models.TextChoices):
    """Where an indicator's score comes from: computed from portal data, or scored by hand."""

    PARTICIPATION_RATE = "participation_rate", _("Participation rate")
    TOPICS_ON_TIME = "topics_on_time", _("Share of topics finished on time")
    OUTCOME_SATISFACTION = "outcome_satisfaction", _("Satisfaction with outcomes")
    BODY_IMPRESSIONS = "body_impressions", _("Good impressions of community bodies")
    ACTIVITY_PARTICIPATION = "activity_participation", _("Taking part in activities")
    MANUAL = "manual", _("Scored by hand with evidence")


class EvaluationRound(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being scored")
        PUBLISHED = "published", _("Published")

    engagement = models.ForeignKey(Engagement, models.PROTECT, related_name="rounds", verbose_name=_("engagement"))
    title = models.CharField(_("title"), max_length=120)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="round_period_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("evaluation-round", args=[self.pk])

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class RoundIndicator(models.Model):
    round = models.ForeignKey(
        EvaluationRound, models.CASCADE, related_name="indicators", verbose_name=_("evaluation round")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("indicator"), max_length=120)
    source = models.CharField(_("source"), max_length=30, choices=Indicator.choices)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0.01), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["round", "position", "pk"]
        constraints = [models.CheckConstraint(condition=Q(weight__gt=0), name="indicator_weight_positive")]

    def __str__(self):
        return self.name

    @property
    def is_computed(self):
        return self.source != Indicator.MANUAL


class Score(models.Model):
    """One community's score, 0-100, on one indicator of a round."""

    indicator = models.ForeignKey(RoundIndicator, models.CASCADE, related_name="scores", verbose_name=_("indicator"))
    community = models.ForeignKey(Community, models.PROTECT, related_name="+", verbose_name=_("community"))
    value = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Empty when the portal holds no data for it."),
    )
    evidence = models.TextField(_("evidence"), blank=True, validators=[MaxLengthValidator(2000)])
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("scored by")
    )
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["indicator", "community"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "community"], name="one_score_per_community"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0, value__lte=100), name="score_0_to_100"
            ),
        ]

    def __str__(self):
        return f"{self.indicator} · {self.community}: {self.value}"
