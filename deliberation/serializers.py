"""Shapes of the deliberation API: what goes out, and the input each write accepts.

Serializers only parse and present. Every write is one call into deliberation.services, so
the API refuses exactly what the pages and the admin refuse, with the same messages; the
length limits of free text are the services' too (one message, "at most 5,000 characters").
Free text is returned exactly as it was typed: JSON carries no markup that could run.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.models import Body, Community
from core.text import TextSerializerField

from .models import Attendance, Ballot, Meeting, TopicCategory, TrailKind
from .workflow import Outcome, Step

User = get_user_model()

COMMUNITY_ERRORS = {
    "does_not_exist": _("No community has this id."),
    "incorrect_type": _("Give the community's id as a number."),
}


def _text(**kwargs):
    """Free text as typed: no trimming, so what is stored is what was sent."""
    return TextSerializerField(trim_whitespace=False, **kwargs)


# Topics
TopicHistoryEntrySerializer = type(
    "TopicHistoryEntrySerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One step change from the topic's trail, with the hash of its trail entry.",
        # `from` is a Python keyword, so the class is built from a dict of its fields.
        "from": serializers.ChoiceField(choices=Step.choices, allow_null=True, help_text=_("Null when raised.")),
        "to": serializers.ChoiceField(choices=Step.choices),
        "outcome": serializers.ChoiceField(choices=Outcome.choices),
        "at": serializers.DateTimeField(),
        "by": serializers.CharField(allow_null=True),
        "note": serializers.CharField(allow_blank=True),
        "seq": serializers.IntegerField(help_text=_("The entry's number in the topic's trail.")),
        "hash": serializers.CharField(help_text=_("SHA-256 of the entry and of the entry before it.")),
    },
)


class NextStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    label = serializers.CharField()
    action = serializers.CharField(help_text=_("What the button that makes this move says."))
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    needs_note = serializers.BooleanField(help_text=_("The move needs a reason in `note`."))
    allowed = serializers.BooleanField(help_text=_("The requesting user may make this move now."))
    blockers = serializers.ListField(child=serializers.CharField(), help_text=_("Why the move is held, if it is."))


class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    community = serializers.IntegerField(source="community_id")
    community_name = serializers.CharField(source="community.name")
    title = serializers.CharField()
    body = serializers.CharField()
    category = serializers.ChoiceField(choices=TopicCategory.choices, allow_blank=True)
    step = serializers.ChoiceField(choices=Step.choices)
    step_label = serializers.CharField(source="get_step_display")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_note = serializers.CharField(allow_blank=True)
    resolution = serializers.CharField(allow_blank=True)
    raised_by = serializers.CharField(source="raised_by.name")
    raised_by_body = serializers.IntegerField(source="raised_by_body_id", allow_null=True)
    created_at = serializers.DateTimeField()
    step_entered_at = serializers.DateTimeField()
    step_due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", help_text=_("The step is past its time limit."))
    publicity_ends_at = serializers.DateTimeField(allow_null=True)
    evaluation_ends_at = serializers.DateTimeField(allow_null=True)
    archived_at = serializers.DateTimeField(allow_null=True)
    comment_count = serializers.IntegerField()
    support_count = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url", help_text=_("The topic's page."))


class TopicDetailSerializer(TopicSerializer):
    # The view attaches both from the selectors (a fixed number of queries).
    history = TopicHistoryEntrySerializer(many=True)
    next_steps = NextStepSerializer(many=True, help_text=_("The moves out of the current step, for the requester."))


class TopicRaiseSerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all(), error_messages=COMMUNITY_ERRORS)
    title = TextSerializerField(max_length=120)
    body = _text()
    category = serializers.ChoiceField(choices=TopicCategory.choices, required=False, allow_blank=True, default="")
    raised_by_body = serializers.PrimaryKeyRelatedField(
        queryset=Body.objects.all(), required=False, allow_null=True, default=None
    )


class TopicUpdateSerializer(serializers.Serializer):
    title = TextSerializerField(max_length=120, required=False)
    body = _text(required=False)
    category = serializers.ChoiceField(choices=TopicCategory.choices, required=False, allow_blank=True)


class AdvanceSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Step.choices, help_text=_("The step to move to."))
    note = _text(required=False, allow_blank=True, default="", help_text=_("Required when rejecting at review."))
    expected_step = serializers.ChoiceField(
        choices=Step.choices,
        required=False,
        help_text=_("The step the mover saw; a topic that has meanwhile moved answers 409."),
    )


class WithdrawSerializer(serializers.Serializer):
    note = _text(required=False, allow_blank=True, default="")


# Consultation
class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    author = serializers.CharField(source="author.name")
    body = serializers.CharField(
        allow_blank=True, help_text=_("Empty when the comment is hidden and the requester may not see it.")
    )
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    hidden = serializers.SerializerMethodField(help_text=_("Hidden by staff or held after residents' reports."))
    held = serializers.BooleanField(help_text=_("Held after residents' reports until a moderator decides."))
    hidden_reason = serializers.SerializerMethodField(help_text=_("Staff's reason, for the author and moderators."))
    can_edit = serializers.BooleanField(default=False)
    can_reply = serializers.BooleanField(default=False)
    can_report = serializers.BooleanField(default=False)

    @extend_schema_field(serializers.BooleanField())
    def get_hidden(self, comment):
        return not comment.is_visible

    @extend_schema_field(serializers.CharField())
    def get_hidden_reason(self, comment):
        return comment.hidden_reason if getattr(comment, "shown", False) else ""


class CommentCreateSerializer(serializers.Serializer):
    body = _text(help_text=_("At most 5,000 characters, stored and shown as typed."))
    parent = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text=_("The comment this replies to (same topic).")
    )


class CommentEditSerializer(serializers.Serializer):
    body = _text()


class CommentReportSerializer(serializers.Serializer):
    reason = TextSerializerField(max_length=300)


class CommentReportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    comment = serializers.IntegerField(source="comment_id")
    reason = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentModerateSerializer(serializers.Serializer):
    keep = serializers.BooleanField(help_text=_("True shows the comment again; false hides it with `reason`."))
    reason = TextSerializerField(max_length=300, required=False, allow_blank=True, default="")


class SupportSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mine = serializers.BooleanField(help_text=_("The requester supports the topic."))


# Publicity
class ObjectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    author = serializers.CharField(source="author.name")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    answer = serializers.CharField(allow_blank=True)
    answered_by = serializers.CharField(source="answered_by.name", allow_null=True, default=None)
    answered_at = serializers.DateTimeField(allow_null=True)


class ObjectionCreateSerializer(serializers.Serializer):
    body = _text()


class ObjectionAnswerSerializer(serializers.Serializer):
    answer = _text()


# Implementation
class ProgressReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    percent = serializers.IntegerField()
    note = serializers.CharField()
    reported_by = serializers.CharField(source="reported_by.name")
    created_at = serializers.DateTimeField()
    attachment = serializers.SerializerMethodField()
    attachment_name = serializers.CharField(allow_blank=True)
    attachment_type = serializers.CharField(allow_blank=True)
    attachment_size = serializers.IntegerField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_attachment(self, report):
        return reverse("progress-attachment", args=[report.pk]) if report.attachment else None


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    owner_body = serializers.IntegerField(source="owner_body_id", allow_null=True)
    owner_user = serializers.IntegerField(source="owner_user_id", allow_null=True)
    owner = serializers.SerializerMethodField()
    supervisor = serializers.IntegerField(source="supervisor_id")
    supervisor_name = serializers.CharField(source="supervisor.name")
    due_date = serializers.DateField()
    percent = serializers.IntegerField()
    done_at = serializers.DateTimeField(allow_null=True)
    reports = ProgressReportSerializer(many=True, source="reports.all")

    @extend_schema_field(serializers.CharField())
    def get_owner(self, task):
        return task.owner_body.name if task.owner_body_id else task.owner_user.name


class TaskCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = _text(required=False, allow_blank=True, default="")
    due_date = serializers.DateField()
    supervisor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text=_("A member of the community's supervisory committee.")
    )
    owner_body = serializers.PrimaryKeyRelatedField(queryset=Body.objects.all(), required=False, allow_null=True)
    owner_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)


class ProgressCreateSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    note = _text()
    attachment = serializers.FileField(
        required=False, allow_null=True, help_text=_("A photo (JPEG, PNG, WebP) or a PDF, at most 10 MB.")
    )


# Evaluation
class RatingSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    distribution = serializers.DictField(child=serializers.IntegerField(), help_text=_("Score (1-5) -> residents."))
    rated = serializers.BooleanField(help_text=_("The requester has rated the outcome."))


class RatingCreateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = _text(required=False, allow_blank=True, default="")


class RatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    score = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


# Meetings
class BallotSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member_id")
    name = serializers.CharField(source="member.name")
    choice = serializers.ChoiceField(choices=Ballot.Choice.choices)


class VoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.IntegerField(source="agenda_item.topic_id")
    meeting = serializers.IntegerField(source="agenda_item.meeting_id")
    resolution = serializers.CharField(source="agenda_item.resolution")
    votes_for = serializers.IntegerField()
    votes_against = serializers.IntegerField()
    abstentions = serializers.IntegerField()
    present = serializers.IntegerField()
    council_size = serializers.IntegerField()
    quorum_met = serializers.BooleanField()
    passed = serializers.BooleanField()
    roll_call = serializers.BooleanField()
    ballots = BallotSerializer(many=True, source="ballots.all")
    recorded_at = serializers.DateTimeField()


class AgendaVoteSerializer(serializers.Serializer):
    votes_for = serializers.IntegerField()
    votes_against = serializers.IntegerField()
    abstentions = serializers.IntegerField()
    present = serializers.IntegerField()
    council_size = serializers.IntegerField()
    quorum_met = serializers.BooleanField()
    passed = serializers.BooleanField()
    roll_call = serializers.BooleanField()


class AgendaItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    topic = serializers.IntegerField(source="topic_id")
    title = serializers.CharField(source="topic.title")
    step = serializers.ChoiceField(source="topic.step", choices=Step.choices)
    resolution = serializers.CharField(allow_blank=True)
    vote = serializers.SerializerMethodField()

    @extend_schema_field(AgendaVoteSerializer(allow_null=True))
    def get_vote(self, item):
        vote = getattr(item, "vote", None)
        return AgendaVoteSerializer(vote).data if vote is not None else None


class MeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    community = serializers.IntegerField(source="community_id")
    starts_at = serializers.DateTimeField()
    location = serializers.CharField()
    observer_seats = serializers.IntegerField()
    seats_left = serializers.IntegerField(help_text=_("Gallery seats not yet taken."))
    status = serializers.ChoiceField(choices=Meeting.Status.choices)
    is_deliberation_day = serializers.BooleanField()
    notice_at = serializers.DateTimeField(help_text=_("When the agenda goes out: NOTICE_LEAD_DAYS before."))
    minutes = serializers.CharField(allow_blank=True)
    cancel_reason = serializers.CharField(allow_blank=True)
    agenda = AgendaItemSerializer(many=True)
    url = serializers.CharField(source="get_absolute_url", help_text=_("The meeting's page."))


class MeetingCreateSerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all(), error_messages=COMMUNITY_ERRORS)
    starts_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    observer_seats = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    agenda = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=_("Ids of topics under review, in agenda order."),
    )

    def validate_agenda(self, agenda):
        if len(set(agenda)) != len(agenda):
            raise serializers.ValidationError(_("Each topic goes on the agenda once: an id appears twice."))
        return agenda


class MeetingUpdateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(required=False)
    location = serializers.CharField(max_length=200, required=False)
    observer_seats = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class MeetingCancelSerializer(serializers.Serializer):
    reason = TextSerializerField(max_length=300)


class MinutesSerializer(serializers.Serializer):
    minutes = _text()


class AgendaAddSerializer(serializers.Serializer):
    topic = serializers.IntegerField()
    position = serializers.IntegerField(min_value=1, max_value=999, required=False, allow_null=True)


class AttendanceEntrySerializer(serializers.Serializer):
    member = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attendance.Status.choices)


class AttendanceInputSerializer(serializers.Serializer):
    entries = AttendanceEntrySerializer(many=True, allow_empty=False)


class AttendanceRowSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    name = serializers.CharField(source="member.name")
    status = serializers.ChoiceField(choices=Attendance.Status.choices, allow_null=True)


class QuorumSerializer(serializers.Serializer):
    council_size = serializers.IntegerField()
    present = serializers.IntegerField()
    needed = serializers.IntegerField()
    met = serializers.BooleanField()


class AttendanceSerializer(serializers.Serializer):
    attendance = AttendanceRowSerializer(many=True)
    quorum = QuorumSerializer()


class BallotInputSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    choice = serializers.ChoiceField(choices=Ballot.Choice.choices)


class VoteCreateSerializer(serializers.Serializer):
    topic = serializers.IntegerField(help_text=_("The agenda item's topic."))
    resolution = _text()
    votes_for = serializers.IntegerField(min_value=0, required=False)
    votes_against = serializers.IntegerField(min_value=0, required=False)
    abstentions = serializers.IntegerField(min_value=0, required=False)
    ballots = BallotInputSerializer(
        many=True, required=False, help_text=_("A roll call instead of counts: each present member's choice.")
    )

    def validate(self, attrs):
        counts = [attrs.get(name) for name in ("votes_for", "votes_against", "abstentions")]
        if attrs.get("ballots") is None and any(count is None for count in counts):
            raise serializers.ValidationError(
                _("Give votes_for, votes_against and abstentions, or the roll call in ballots.")
            )
        return attrs


class ObserverSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="meeting_id")
    registered_at = serializers.DateTimeField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    seats_left = serializers.IntegerField()


# The topic's record (GET topics/{id}/record/, deliberation.selectors.topic_record): it is the
# archive's export, so its values are those of canonical JSON (deliberation.trail.jsonable):
# moments in UTC with microseconds, dates as YYYY-MM-DD, decimals as strings.
class RecordTopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    community = serializers.IntegerField(help_text="The community's id.")
    title = serializers.CharField()
    body = serializers.CharField()
    category = serializers.ChoiceField(choices=TopicCategory.choices, allow_blank=True)
    step = serializers.ChoiceField(choices=Step.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_note = serializers.CharField(allow_blank=True)
    resolution = serializers.CharField(allow_blank=True, help_text="The council's resolution, once resolved.")
    raised_at = serializers.DateTimeField()
    raised_by_body = serializers.CharField(allow_null=True, help_text="The body that raised it, if one did.")
    archived_at = serializers.DateTimeField(allow_null=True)


class RecordCommentReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(help_text="The author's name as others see it.")
    posted_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    body = serializers.CharField(allow_null=True, help_text="Null for a hidden comment.")
    hidden_reason = serializers.CharField(allow_blank=True, help_text="Why it is hidden; blank when it is not.")


class RecordCommentSerializer(RecordCommentReplySerializer):
    replies = RecordCommentReplySerializer(many=True)


class RecordAttendanceSerializer(serializers.Serializer):
    member = serializers.CharField()
    status = serializers.ChoiceField(choices=Attendance.Status.choices)


class RecordBallotSerializer(serializers.Serializer):
    member = serializers.CharField()
    choice = serializers.ChoiceField(choices=Ballot.Choice.choices)


RecordVoteSerializer = type(
    "RecordVoteSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The council's vote on the topic at one meeting, with the roll call.",
        # `for` is a Python keyword, so the class is built from a dict of its fields.
        "for": serializers.IntegerField(),
        "against": serializers.IntegerField(),
        "abstain": serializers.IntegerField(),
        "present": serializers.IntegerField(help_text="Council members present."),
        "council_size": serializers.IntegerField(),
        "quorum_met": serializers.BooleanField(),
        "passed": serializers.BooleanField(),
        "roll_call": RecordBallotSerializer(many=True),
    },
)


class RecordMeetingSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(help_text="The meeting's id.")
    starts_at = serializers.DateTimeField()
    location = serializers.CharField()
    status = serializers.ChoiceField(choices=Meeting.Status.choices)
    minutes = serializers.CharField(allow_blank=True)
    attendance = RecordAttendanceSerializer(many=True)
    resolution = serializers.CharField(allow_blank=True, help_text="The resolution put to the vote at this meeting.")
    vote = RecordVoteSerializer(allow_null=True, help_text="Null until the council has voted on it here.")


class RecordObjectionSerializer(serializers.Serializer):
    lodged_at = serializers.DateTimeField()
    body = serializers.CharField()
    answer = serializers.CharField(allow_blank=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class RecordProgressSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    percent = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    file = serializers.CharField(allow_blank=True, help_text="The attached file's name; blank when none.")


class RecordTaskSerializer(serializers.Serializer):
    title = serializers.CharField()
    owner = serializers.CharField()
    supervisor = serializers.CharField()
    due_date = serializers.DateField()
    percent = serializers.IntegerField()
    done_at = serializers.DateTimeField(allow_null=True)
    reports = RecordProgressSerializer(many=True)


class RecordRatingsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.CharField(allow_null=True, help_text="The mean score (1-5) as a decimal string; null unrated.")
    distribution = serializers.DictField(child=serializers.IntegerField(), help_text="Score (1-5) -> residents.")


class RecordTrailEntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The entry's number in the topic's trail.")
    kind = serializers.ChoiceField(choices=TrailKind.choices)
    at = serializers.DateTimeField()
    hash = serializers.CharField(help_text="SHA-256 of the entry and of the entry before it.")
    prev_hash = serializers.CharField(allow_blank=True, help_text="The hash of the entry before it.")


class TopicRecordSerializer(serializers.Serializer):
    """A topic's whole record, as the archive exports it."""

    topic = RecordTopicSerializer()
    history = TopicHistoryEntrySerializer(many=True)
    comments = RecordCommentSerializer(many=True)
    supports = serializers.IntegerField(help_text="Residents supporting it.")
    meetings = RecordMeetingSerializer(many=True)
    objections = RecordObjectionSerializer(many=True)
    tasks = RecordTaskSerializer(many=True)
    progress = serializers.IntegerField(help_text="The tasks' mean progress, in percent.")
    ratings = RecordRatingsSerializer()
    trail = RecordTrailEntrySerializer(many=True)
