"""Topics and the records their seven steps produce: consultation, meetings, votes, publicity,
implementation, evaluation, and the hash-chained trail that keeps all of it verifiable.

Rows are written by deliberation.services only; the trail refuses every change after insert.
"""

import datetime
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import BooleanField, Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import Body, Community
from core.uploads import DOCUMENTS_AND_PHOTOS, PHOTOS_AND_PDF, FileCheck

from . import clock
from .workflow import STEP_NUMBER, Outcome, Step

COMMENT_MAX = 5000
TOPIC_BODY_MAX = 5000
OBJECTION_MAX = 2000
RATING_COMMENT_MAX = 1000
NOTE_MAX = 2000
REASON_MAX = 300
COMMENT_EDIT_WINDOW = datetime.timedelta(minutes=15)
REPORTS_TO_HOLD = 3


class TopicCategory(models.TextChoices):
    PUBLIC_SPACE = "public_space", _("Public space and facilities")
    ENVIRONMENT = "environment", _("Environment and sanitation")
    SAFETY = "safety", _("Safety and order")
    PROPERTY = "property", _("Property management")
    SERVICES = "services", _("Public services")
    CARE = "care", _("Elderly people and children")
    CULTURE = "culture", _("Culture and activities")
    OTHER = "other", _("Other opinions and suggestions")


class TopicQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(step=Step.ARCHIVE)

    def overdue(self, now=None):
        """Topics that stayed in their step past the council rules' time limit."""
        return self.open().filter(step_due_at__lt=now or clock.now())

    def with_overdue(self, now=None):
        return self.annotate(
            overdue=Case(
                When(Q(step_due_at__lt=now or clock.now()) & ~Q(step=Step.ARCHIVE), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )

    def count_by_step(self):
        counts = dict(self.order_by().values_list("step").annotate(n=Count("pk")))
        return {step.value: counts.get(step.value, 0) for step in Step}


class Topic(models.Model):
    """A matter raised in a community and carried through the seven steps (议题)."""

    community = models.ForeignKey(Community, models.PROTECT, related_name="topics", verbose_name=_("community"))
    title = models.CharField(_("title"), max_length=120, validators=[MinLengthValidator(2)])
    body = models.TextField(_("description"), validators=[MaxLengthValidator(TOPIC_BODY_MAX)])
    category = models.CharField(_("category"), max_length=20, choices=TopicCategory.choices, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="topics_raised", verbose_name=_("raised by")
    )
    raised_by_body = models.ForeignKey(
        Body,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="topics_raised",
        verbose_name=_("raised on behalf of"),
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices, default=Step.COLLECT)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_note = models.TextField(_("reason for the outcome"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    step_entered_at = models.DateTimeField(_("entered its step at"), default=timezone.now)
    step_due_at = models.DateTimeField(_("step due by"), null=True, blank=True)
    publicity_ends_at = models.DateTimeField(_("publicity ends at"), null=True, blank=True)
    evaluation_ends_at = models.DateTimeField(_("evaluation closes at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "step"]),
            models.Index(fields=["step", "step_due_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"/topics/{self.pk}/"

    @property
    def step_number(self):
        return STEP_NUMBER[self.step]

    @property
    def is_archived(self):
        return self.step == Step.ARCHIVE

    @property
    def is_overdue(self):
        annotated = getattr(self, "overdue", None)
        if annotated is not None:
            return annotated
        return self.step != Step.ARCHIVE and self.step_due_at is not None and self.step_due_at < clock.now()

    def agenda_item(self):
        """Where the council takes (or took) the topic up: the latest meeting not cancelled."""
        return (
            self.agenda_items.exclude(meeting__status=Meeting.Status.CANCELLED)
            .select_related("meeting", "vote")
            .order_by("-meeting__starts_at", "-pk")
            .first()
        )


class CouncilRules(models.Model):
    """The council's rules (议事规则): time limits, quorum, majority and the deliberation day."""

    class DayRule(models.TextChoices):
        NTH_WEEKDAY = "nth_weekday", _("A weekday of the month (e.g. the third Thursday)")
        DAY_OF_MONTH = "day_of_month", _("A day of the month")

    class Week(models.IntegerChoices):
        FIRST = 1, _("first")
        SECOND = 2, _("second")
        THIRD = 3, _("third")
        FOURTH = 4, _("fourth")
        LAST = 5, _("last")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    community = models.OneToOneField(
        Community, models.CASCADE, related_name="council_rules", verbose_name=_("community")
    )
    limit_collect = models.PositiveSmallIntegerField(
        _("days to collect"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    limit_review = models.PositiveSmallIntegerField(
        _("days to review"), default=15, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    limit_resolve = models.PositiveSmallIntegerField(
        _("days to resolve"), default=45, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    limit_publicize = models.PositiveSmallIntegerField(
        _("days to publicize"), default=14, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    limit_implement = models.PositiveSmallIntegerField(
        _("days to implement"), default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    limit_evaluate = models.PositiveSmallIntegerField(
        _("days to evaluate"), default=21, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    quorum_numerator = models.PositiveSmallIntegerField(
        _("quorum (numerator)"), default=2, validators=[MinValueValidator(1)]
    )
    quorum_denominator = models.PositiveSmallIntegerField(
        _("quorum (denominator)"), default=3, validators=[MinValueValidator(1)]
    )
    majority_numerator = models.PositiveSmallIntegerField(
        _("majority: more than (numerator)"), default=1, validators=[MinValueValidator(1)]
    )
    majority_denominator = models.PositiveSmallIntegerField(
        _("majority: more than (denominator)"), default=2, validators=[MinValueValidator(1)]
    )
    publicity_days = models.PositiveSmallIntegerField(
        _("publicity period (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    evaluation_days = models.PositiveSmallIntegerField(
        _("evaluation window (days)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    day_rule = models.CharField(
        _("deliberation day"), max_length=15, choices=DayRule.choices, default=DayRule.NTH_WEEKDAY
    )
    day_week = models.PositiveSmallIntegerField(_("week of the month"), choices=Week.choices, default=Week.THIRD)
    day_weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.THURSDAY)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"), default=15, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    time_of_day = models.TimeField(_("time of day"), default=datetime.time(19, 0))
    default_observer_seats = models.PositiveSmallIntegerField(
        _("gallery seats"), default=20, validators=[MaxValueValidator(1000)]
    )
    location = models.CharField(_("meeting place"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )

    class Meta:
        verbose_name = _("council rules")
        verbose_name_plural = _("council rules")

    def __str__(self):
        return str(_("Council rules of %(community)s") % {"community": self.community})

    def limit_days(self, step):
        return getattr(self, f"limit_{step}", None)

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.quorum_numerator > self.quorum_denominator:
            errors["quorum_numerator"] = _("A quorum cannot be more than all council members.")
        if self.majority_numerator >= self.majority_denominator:
            errors["majority_numerator"] = _("A majority must be a share of those present below one.")
        if self.limit_publicize < self.publicity_days:
            errors["limit_publicize"] = _("The time to publicize cannot be shorter than the publicity period.")
        if self.limit_evaluate < self.evaluation_days:
            errors["limit_evaluate"] = _("The time to evaluate cannot be shorter than the evaluation window.")
        if errors:
            raise ValidationError(errors)

    def quorum_needed(self, council_size):
        # Integer arithmetic: 2/3 of 9 is 6 exactly, with no float rounding.
        return -(-council_size * self.quorum_numerator // self.quorum_denominator)

    def majority_reached(self, votes_for, present):
        return votes_for * self.majority_denominator > present * self.majority_numerator

    def describe_day(self):
        time = self.time_of_day.strftime("%H:%M")
        if self.day_rule == self.DayRule.DAY_OF_MONTH:
            return _("day %(day)d of every month, %(time)s") % {"day": self.day_of_month, "time": time}
        return _("the %(week)s %(weekday)s of every month, %(time)s") % {
            "week": self.get_day_week_display(),
            "weekday": self.get_day_weekday_display(),
            "time": time,
        }

    def deliberation_day(self, year, month):
        """The month's deliberation day as an aware datetime in the portal's time zone."""
        if self.day_rule == self.DayRule.DAY_OF_MONTH:
            day = datetime.date(year, month, self.day_of_month)
        else:
            first = datetime.date(year, month, 1)
            offset = (self.day_weekday - first.weekday()) % 7
            candidates = []
            day = first + datetime.timedelta(days=offset)
            while day.month == month:
                candidates.append(day)
                day += datetime.timedelta(days=7)
            day = candidates[-1] if self.day_week == self.Week.LAST else candidates[self.day_week - 1]
        return timezone.make_aware(datetime.datetime.combine(day, self.time_of_day))


class MeetingQuerySet(models.QuerySet):
    def with_seats_left(self):
        return self.annotate(
            seats_taken=Count("observers", filter=Q(observers__cancelled_at__isnull=True), distinct=True)
        ).annotate(seats_left=F("observer_seats") - F("seats_taken"))

    def upcoming(self, now=None):
        return self.filter(status=Meeting.Status.SCHEDULED, starts_at__gte=now or clock.now())


class Meeting(models.Model):
    """A council meeting: the monthly deliberation day (每月集中议事日) or an extra one."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey(Community, models.PROTECT, related_name="meetings", verbose_name=_("community"))
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    location = models.CharField(_("place"), max_length=200)
    observer_seats = models.PositiveSmallIntegerField(
        _("gallery seats"), default=20, validators=[MaxValueValidator(1000)]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    is_deliberation_day = models.BooleanField(_("monthly deliberation day"), default=False)
    # Held offline and entered afterwards: its date was already past, no notice went out.
    recorded_late = models.BooleanField(_("recorded late"), default=False)
    # The month a deliberation day stands for: it keeps that month taken after the day is
    # moved or cancelled, so the scheduler never creates a second one.
    deliberation_month = models.DateField(_("deliberation month"), null=True, blank=True, editable=False)
    minutes = models.TextField(_("minutes"), blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=REASON_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    moved_at = models.DateTimeField(_("last moved at"), null=True, blank=True)
    # Where people who cannot come follow the meeting: Tencent Meeting, a livestream...
    online_link = models.URLField(
        _("online link"),
        max_length=500,
        blank=True,
        help_text=_("A Tencent Meeting invitation or a livestream address, for those who follow from home."),
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["community", "deliberation_month"], name="one_deliberation_day_a_month"),
            models.CheckConstraint(
                condition=Q(is_deliberation_day=False, deliberation_month__isnull=True)
                | Q(is_deliberation_day=True, deliberation_month__isnull=False),
                name="deliberation_day_has_a_month",
            ),
        ]
        indexes = [models.Index(fields=["community", "starts_at"])]

    def __str__(self):
        moment = timezone.localtime(self.starts_at).strftime("%Y-%m-%d %H:%M")
        return f"{self.community} · {moment}"

    def get_absolute_url(self):
        return f"/meetings/{self.pk}/"

    @property
    def notice_at(self):
        """When the agenda goes out: NOTICE_LEAD_DAYS (5) days before the meeting."""
        return self.starts_at - datetime.timedelta(days=settings.NOTICE_LEAD_DAYS)

    @property
    def has_started(self):
        return self.starts_at <= clock.now()


def _meeting_material_upload_to(instance, filename):
    # Never the uploader's file name in a path: it is kept for display only.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"deliberation/materials/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class MeetingMaterial(models.Model):
    """A paper for a meeting (agenda papers, a plan, a budget), public on the meeting page."""

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="materials", verbose_name=_("meeting"))
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"), upload_to=_meeting_material_upload_to, validators=[FileCheck(DOCUMENTS_AND_PHOTOS.name)]
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_type = models.CharField(_("file type"), max_length=100, blank=True)
    file_size = models.PositiveIntegerField(_("file size (bytes)"), null=True, blank=True)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("added by")
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("meeting material")
        verbose_name_plural = _("meeting materials")
        ordering = ["meeting", "added_at", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"/meetings/materials/{self.pk}/"

    @property
    def community(self):
        return self.meeting.community


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="agenda_items", verbose_name=_("meeting"))
    topic = models.ForeignKey(Topic, models.PROTECT, related_name="agenda_items", verbose_name=_("topic"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    resolution = models.TextField(_("resolution"), blank=True, validators=[MaxLengthValidator(TOPIC_BODY_MAX)])
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("accepted by")
    )
    added_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["meeting", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "topic"], name="topic_once_per_agenda")]

    def __str__(self):
        return f"{self.position}. {self.topic}"


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="attendance", verbose_name=_("meeting"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="council_attendance", verbose_name=_("council member")
    )
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "member__display_name"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_member")]

    def __str__(self):
        return f"{self.member} · {self.get_status_display()}"


class Vote(models.Model):
    """The council's vote on one agenda item, with the quorum as it stood when it was taken."""

    agenda_item = models.OneToOneField(AgendaItem, models.PROTECT, related_name="vote", verbose_name=_("agenda item"))
    votes_for = models.PositiveSmallIntegerField(_("for"))
    votes_against = models.PositiveSmallIntegerField(_("against"))
    abstentions = models.PositiveSmallIntegerField(_("abstentions"))
    present = models.PositiveSmallIntegerField(_("members present"))
    council_size = models.PositiveSmallIntegerField(_("council members"))
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("adopted"))
    roll_call = models.BooleanField(_("roll-call vote"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.votes_for}:{self.votes_against}:{self.abstentions}"

    @property
    def topic(self):
        return self.agenda_item.topic


class Ballot(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", pgettext_lazy("vote", "For")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    vote = models.ForeignKey(Vote, models.PROTECT, related_name="ballots", verbose_name=_("vote"))
    member = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("member"))
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)

    class Meta:
        verbose_name = _("roll-call ballot")
        verbose_name_plural = _("roll-call ballots")
        constraints = [models.UniqueConstraint(fields=["vote", "member"], name="one_ballot_per_member")]


class ObserverRegistration(models.Model):
    """A seat in the public gallery (群众旁听席)."""

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="observers", verbose_name=_("meeting"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="gallery_registrations", verbose_name=_("resident")
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )

    class Meta:
        verbose_name = _("gallery registration")
        verbose_name_plural = _("gallery registrations")
        ordering = ["meeting", "registered_at"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_gallery_seat_per_person")]

    def __str__(self):
        return f"{self.user} @ {self.meeting}"

    @property
    def is_active(self):
        return self.cancelled_at is None


class Comment(models.Model):
    topic = models.ForeignKey(Topic, models.PROTECT, related_name="comments", verbose_name=_("topic"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="deliberation_comments", verbose_name=_("author")
    )
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="replies", verbose_name=_("in reply to")
    )
    body = models.TextField(_("comment"), validators=[MaxLengthValidator(COMMENT_MAX)])
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("why it is hidden"), max_length=REASON_MAX, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("hidden by")
    )
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    # Hidden by residents' reports, waiting for a moderator's decision.
    held = models.BooleanField(_("held for moderation"), default=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["topic", "parent", "created_at"])]

    def __str__(self):
        return self.body[:60]

    @property
    def community(self):
        return self.topic.community

    @property
    def is_visible(self):
        return not self.hidden and not self.held

    def editable_until(self):
        return self.created_at + COMMENT_EDIT_WINDOW


class CommentReport(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("comment report status", "Open")
        UPHELD = "upheld", _("Upheld: comment hidden")
        DISMISSED = "dismissed", _("Dismissed: comment kept")

    comment = models.ForeignKey(Comment, models.CASCADE, related_name="reports", verbose_name=_("comment"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("reported by")
    )
    reason = models.CharField(_("reason"), max_length=REASON_MAX)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_person")]

    def __str__(self):
        return self.reason

    @property
    def community(self):
        return self.comment.topic.community


class Support(models.Model):
    topic = models.ForeignKey(Topic, models.PROTECT, related_name="supports", verbose_name=_("topic"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("resident"))
    created_at = models.DateTimeField(_("supported at"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="one_support_per_resident")]


class Objection(models.Model):
    """A resident's objection to a published resolution, and staff's public answer."""

    topic = models.ForeignKey(Topic, models.PROTECT, related_name="objections", verbose_name=_("topic"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("author"))
    body = models.TextField(_("objection"), validators=[MaxLengthValidator(OBJECTION_MAX)])
    created_at = models.DateTimeField(_("lodged at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True, validators=[MaxLengthValidator(OBJECTION_MAX)])
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.body[:60]

    @property
    def community(self):
        return self.topic.community


def supervisory_committee_members():
    """People sitting on a supervisory committee today (a task's supervisor is one of them)."""
    from communities.models import BodyKind, Membership

    seats = Membership.objects.current().filter(body__kind=BodyKind.SUPERVISORY_COMMITTEE)
    return Q(pk__in=seats.values("user_id"))


def _progress_upload_to(instance, filename):
    # Never the uploader's file name in a path: it is kept for display only.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"deliberation/progress/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Task(models.Model):
    """Implementation work (执行) owned by a body or a person, supervised by the supervisory committee."""

    topic = models.ForeignKey(Topic, models.PROTECT, related_name="tasks", verbose_name=_("topic"))
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(NOTE_MAX)])
    owner_body = models.ForeignKey(
        Body, models.PROTECT, null=True, blank=True, related_name="deliberation_tasks", verbose_name=_("owner (body)")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="deliberation_tasks",
        verbose_name=_("owner (person)"),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="supervised_tasks",
        verbose_name=_("supervisor"),
        # What the admin offers (and its autocomplete finds): supervisory-committee members only.
        limit_choices_to=supervisory_committee_members,
    )
    due_date = models.DateField(_("due date"))
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("implementation task")
        verbose_name_plural = _("implementation tasks")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_body__isnull=False, owner_user__isnull=True)
                | Q(owner_body__isnull=True, owner_user__isnull=False),
                name="task_has_one_owner",
            ),
            models.CheckConstraint(condition=Q(percent__lte=100), name="task_percent_at_most_100"),
        ]

    def __str__(self):
        return self.title

    @property
    def community(self):
        return self.topic.community

    @property
    def owner(self):
        return self.owner_body or self.owner_user

    @property
    def is_done(self):
        return self.done_at is not None


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, models.PROTECT, related_name="reports", verbose_name=_("task"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"), validators=[MaxValueValidator(100)])
    note = models.TextField(_("note"), validators=[MaxLengthValidator(NOTE_MAX)])
    attachment = models.FileField(
        _("photo or file"), upload_to=_progress_upload_to, blank=True, validators=[FileCheck(PHOTOS_AND_PDF.name)]
    )
    attachment_name = models.CharField(_("file name"), max_length=200, blank=True)
    attachment_type = models.CharField(_("file type"), max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(_("file size (bytes)"), null=True, blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_at_most_100")]

    def __str__(self):
        return f"{self.task} · {self.percent}%"


class Rating(models.Model):
    """A resident's rating of the outcome (测评), once, during the evaluation window."""

    topic = models.ForeignKey(Topic, models.PROTECT, related_name="ratings", verbose_name=_("topic"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("resident"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(RATING_COMMENT_MAX)])
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="one_rating_per_resident"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]


class PublicityRead(models.Model):
    """A verified resident opened a topic's page while its resolution was published: the
    nudge before the publicity ends is for those who have not."""

    topic = models.ForeignKey(Topic, models.CASCADE, related_name="+", verbose_name=_("topic"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("resident"))
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("publicity read")
        verbose_name_plural = _("publicity reads")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="publicity_read_once")]

    def __str__(self):
        return f"{self.user_id} @ {self.topic_id}"


class TrailKind(models.TextChoices):
    RAISED = "raised", _("Topic raised")
    EDITED = "edited", _("Topic edited")
    STEP = "step", _("Step changed")
    COMMENT = "comment", _("Comment posted")
    COMMENT_EDITED = "comment_edited", _("Comment edited")
    COMMENT_HELD = "comment_held", _("Comment held after reports")
    COMMENT_HIDDEN = "comment_hidden", _("Comment hidden")
    COMMENT_RESTORED = "comment_restored", _("Comment restored")
    SUPPORT = "support", _("Support given")
    SUPPORT_WITHDRAWN = "support_withdrawn", _("Support withdrawn")
    AGENDA = "agenda", _("Put on a meeting's agenda")
    MEETING_MOVED = "meeting_moved", _("Meeting moved")
    MEETING_CANCELLED = "meeting_cancelled", _("Meeting cancelled")
    MEETING_HELD = "meeting_held", _("Minutes recorded")
    ATTENDANCE = "attendance", _("Attendance recorded")
    VOTE = "vote", _("Vote recorded")
    OBJECTION = "objection", _("Objection lodged")
    OBJECTION_ANSWERED = "objection_answered", _("Objection answered")
    TASK = "task", _("Task planned")
    PROGRESS = "progress", _("Progress reported")
    RATING = "rating", _("Outcome rated")
    POSTED = "posted", _("Posted on the bulletin board")


class TrailRefused(Exception):
    """The trail is append-only: an entry once written is never changed or removed."""


class TrailEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TrailRefused("The deliberation trail is append-only: entries are never updated.")

    def delete(self):
        raise TrailRefused("The deliberation trail is append-only: entries are never deleted.")

    def _raw_delete(self, using):
        raise TrailRefused("The deliberation trail is append-only: entries are never deleted.")


class TrailEntry(models.Model):
    """One link of a topic's hash chain (记录和溯源).

    Each topic keeps its own chain, numbered from 1: entries are appended while the topic's row
    is locked, so topics never wait for one another and a chain can be verified on its own.
    `hash` is SHA-256 over the previous entry's hash and this entry's canonical JSON (see
    deliberation.trail), so changing any field of any entry breaks the chain from there on.
    """

    topic = models.ForeignKey(Topic, models.PROTECT, related_name="trail", verbose_name=_("topic"))
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=TrailKind.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    data = models.JSONField(_("content"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = TrailEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("trail entry")
        verbose_name_plural = _("trail")
        ordering = ["topic", "seq"]
        constraints = [models.UniqueConstraint(fields=["topic", "seq"], name="trail_seq_unique_per_topic")]

    def __str__(self):
        return f"{self.topic_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TrailRefused("The deliberation trail is append-only: entries are never updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TrailRefused("The deliberation trail is append-only: entries are never deleted.")

    def payload(self):
        from .trail import payload

        return payload(
            topic_id=self.topic_id,
            seq=self.seq,
            kind=self.kind,
            recorded_at=self.recorded_at,
            actor_id=self.actor_id,
            data=self.data,
        )


def _posting_upload_to(instance, filename):
    suffix = PurePosixPath(filename).suffix.lower()
    return f"deliberation/postings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Posting(models.Model):
    """Staff put a printed notice up on a bulletin board (公示栏): where, when, a photo.

    A meeting's notice or a topic's publicity poster; the record enters the trail of the topic
    (of every topic on the meeting's agenda), so the paper on the wall is part of the record.
    """

    class Document(models.TextChoices):
        MEETING_NOTICE = "meeting_notice", _("Meeting notice")
        TOPIC_POSTER = "topic_poster", _("Publicity poster")

    document = models.CharField(_("what was posted"), max_length=20, choices=Document.choices)
    meeting = models.ForeignKey(
        Meeting, models.PROTECT, null=True, blank=True, related_name="postings", verbose_name=_("meeting")
    )
    topic = models.ForeignKey(
        Topic, models.PROTECT, null=True, blank=True, related_name="postings", verbose_name=_("topic")
    )
    place = models.CharField(_("where"), max_length=200)
    posted_at = models.DateTimeField(_("posted at"))
    photo = models.FileField(
        _("photo"), upload_to=_posting_upload_to, blank=True, validators=[FileCheck(PHOTOS_AND_PDF.name)]
    )
    photo_name = models.CharField(_("file name"), max_length=200, blank=True)
    photo_type = models.CharField(_("file type"), max_length=100, blank=True)
    photo_size = models.PositiveIntegerField(_("file size (bytes)"), null=True, blank=True)
    photo_sha256 = models.CharField(_("SHA-256 of the photo"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("bulletin-board posting")
        verbose_name_plural = _("bulletin-board postings")
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(document="meeting_notice", meeting__isnull=False, topic__isnull=True)
                | Q(document="topic_poster", meeting__isnull=True, topic__isnull=False),
                name="posting_names_its_document",
            ),
        ]

    def __str__(self):
        return f"{self.get_document_display()} · {self.place}"

    @property
    def community(self):
        return (self.meeting or self.topic).community

    def photo_url(self):
        return f"/postings/{self.pk}/photo/" if self.photo else ""
