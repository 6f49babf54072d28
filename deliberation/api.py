"""The deliberation API: topics and their seven steps, consultation, meetings and the public
gallery, votes, attendance, objections, implementation tasks and ratings.

Topics and meetings are public records: anyone may read them. Every write is one service
call; the services check the role (403), the input (400) and the state of things (409, with
the guard's `blockers`). Someone not logged in gets 401 for any write. A topic, meeting or
comment that does not exist is a 404, and an id that is not a number never reaches a query.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from communities.api import ListFiltersOnly
from communities.permissions import can
from core.parsers import UPLOAD_PARSERS

from . import selectors, services
from .filters import MeetingFilter, TopicFilter
from .models import AgendaItem, Comment, Meeting, Objection, Task, Topic, Vote
from .serializers import (
    AdvanceSerializer,
    AgendaAddSerializer,
    AttendanceInputSerializer,
    AttendanceSerializer,
    CommentCreateSerializer,
    CommentEditSerializer,
    CommentModerateSerializer,
    CommentReportResultSerializer,
    CommentReportSerializer,
    CommentSerializer,
    MeetingCancelSerializer,
    MeetingCreateSerializer,
    MeetingSerializer,
    MeetingUpdateSerializer,
    MinutesSerializer,
    ObjectionAnswerSerializer,
    ObjectionCreateSerializer,
    ObjectionSerializer,
    ObserverSerializer,
    ProgressCreateSerializer,
    ProgressReportSerializer,
    RatingCreateSerializer,
    RatingSerializer,
    RatingSummarySerializer,
    SupportSerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TopicDetailSerializer,
    TopicRaiseSerializer,
    TopicRecordSerializer,
    TopicSerializer,
    TopicUpdateSerializer,
    VoteCreateSerializer,
    VoteSerializer,
    WithdrawSerializer,
)

BAD_INPUT = OpenApiResponse(description="Bad input: field errors or `detail`; nothing is changed.")
NOT_LOGGED_IN = OpenApiResponse(description="Not logged in.")
NOT_ALLOWED = OpenApiResponse(description="The requester's role does not allow this.")
NOT_FOUND = OpenApiResponse(description="No such record.")
CONFLICT = OpenApiResponse(description="The state of things refuses it: `detail` and `blockers`.")
WRITE_ERRORS = {400: BAD_INPUT, 401: NOT_LOGGED_IN, 403: NOT_ALLOWED, 404: NOT_FOUND, 409: CONFLICT}
# Comments, topics and objections count against the poster's and the address's limits (core.throttling).
POSTING_ERRORS = {
    **WRITE_ERRORS,
    429: OpenApiResponse(description="Posting too fast: `detail` says how long to wait; Retry-After too."),
}


def _get(fetch, pk, message):
    try:
        return fetch(pk)
    except (Topic.DoesNotExist, Meeting.DoesNotExist, Comment.DoesNotExist, Objection.DoesNotExist, Task.DoesNotExist):
        raise exceptions.NotFound(message) from None


def _topic(pk):
    return _get(selectors.topic_get, pk, _("There is no such topic."))


def _meeting(pk):
    return _get(selectors.meeting_get, pk, _("There is no such meeting."))


def topic_detail(topic, user):
    """A topic as GET topics/{id}/ shows it: with its history and the requester's next steps."""
    topic.comment_count = selectors.topic_comment_count(topic)
    topic.support_count = selectors.topic_support(topic)["count"]
    topic.history = selectors.topic_history(topic)
    topic.next_steps = selectors.next_steps(user, topic)
    return TopicDetailSerializer(topic).data


def meeting_detail(meeting_id):
    meeting = _meeting(meeting_id)
    meeting.agenda = selectors.meeting_agenda(meeting)
    return MeetingSerializer(meeting).data


# Topics
@extend_schema_view(
    list=extend_schema(summary="Topics, newest first", responses=TopicSerializer(many=True)),
)
class TopicViewSet(ListFiltersOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TopicSerializer
    filterset_class = TopicFilter
    posting_scopes = {"create": "topic", "comments": "comment", "objections": "objection"}

    def get_queryset(self):
        return selectors.topic_list()

    @extend_schema(summary="A topic with its history and the requester's next steps", responses=TopicDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(topic_detail(_topic(pk), request.user))

    @extend_schema(
        summary="Raise a topic (verified residents and staff of the community): step `collect`",
        request=TopicRaiseSerializer,
        responses={201: TopicDetailSerializer, **POSTING_ERRORS},
    )
    def create(self, request):
        serializer = TopicRaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        topic = services.topic_raise(
            actor=request.user,
            community=data["community"],
            title=data["title"],
            body=data["body"],
            category=data["category"],
            raised_by_body=data["raised_by_body"],
        )
        return Response(topic_detail(_topic(topic.pk), request.user), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Complete or correct a topic while it is being collected (its author or staff)",
        request=TopicUpdateSerializer,
        responses={200: TopicDetailSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        topic = _topic(pk)
        serializer = TopicUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.topic_update(actor=request.user, topic=topic, **serializer.validated_data)
        return Response(topic_detail(_topic(pk), request.user))

    @extend_schema(
        summary="Move the topic to its next step (or to the archive with a negative outcome)",
        description=(
            "One of `next_steps`. A guard that holds the move, a skipped step, or a topic that has "
            "meanwhile moved answers 409 with `detail` and `blockers`; anyone the step does not "
            "allow gets 403."
        ),
        request=AdvanceSerializer,
        responses={200: TopicDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def advance(self, request, pk=None):
        topic = _topic(pk)
        serializer = AdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.topic_advance(
            actor=request.user, topic=topic, to=data["to"], note=data["note"], expected_step=data.get("expected_step")
        )
        return Response(topic_detail(_topic(pk), request.user))

    @extend_schema(
        summary="Withdraw one's own topic while it is being collected",
        request=WithdrawSerializer,
        responses={200: TopicDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request, pk=None):
        topic = _topic(pk)
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.topic_withdraw(actor=request.user, topic=topic, note=serializer.validated_data["note"])
        return Response(topic_detail(_topic(pk), request.user))

    @extend_schema(
        methods=["GET"],
        summary="The topic's comments, thread by thread (replies follow their comment)",
        responses=CommentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Comment on the topic, or reply with `parent` (verified residents, while consultation is open)",
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **POSTING_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None):
        topic = _topic(pk)
        if request.method == "POST":
            serializer = CommentCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            comment = services.comment_post(
                actor=request.user,
                topic=topic,
                body=serializer.validated_data["body"],
                parent=serializer.validated_data["parent"],
            )
            seen = selectors.comment_as_seen_by(selectors.comment_get(comment.pk), request.user)
            return Response(CommentSerializer(seen).data, status=status.HTTP_201_CREATED)
        flat = [item for thread in selectors.topic_comments(topic, request.user) for item in (thread, *thread.thread)]
        page = self.paginate_queryset(flat)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        methods=["POST"],
        summary="Support the topic (verified residents, while consultation is open)",
        request=None,
        responses={201: SupportSerializer, 200: SupportSerializer, **WRITE_ERRORS},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Withdraw one's support",
        request=None,
        responses={204: None, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post", "delete"], filter_backends=[])
    def support(self, request, pk=None):
        topic = _topic(pk)
        if request.method == "DELETE":
            services.support_withdraw(actor=request.user, topic=topic)
            return Response(status=status.HTTP_204_NO_CONTENT)
        _support, created = services.support_give(actor=request.user, topic=topic)
        summary = selectors.topic_support(topic, request.user)
        return Response(SupportSerializer(summary).data, status=status.HTTP_201_CREATED if created else 200)

    @extend_schema(
        methods=["GET"], summary="Objections to the published resolution", responses=ObjectionSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        summary="Object to the resolution during its publicity period (verified residents)",
        request=ObjectionCreateSerializer,
        responses={201: ObjectionSerializer, **POSTING_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def objections(self, request, pk=None):
        topic = _topic(pk)
        if request.method == "POST":
            serializer = ObjectionCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            objection = services.objection_lodge(
                actor=request.user, topic=topic, body=serializer.validated_data["body"]
            )
            return Response(
                ObjectionSerializer(selectors.objection_get(objection.pk)).data, status=status.HTTP_201_CREATED
            )
        page = self.paginate_queryset(selectors.topic_objections(topic))
        return self.get_paginated_response(ObjectionSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"], summary="Implementation tasks with their progress reports", responses=TaskSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        summary="Plan an implementation task (staff): one owner, a supervisor from the supervisory committee",
        request=TaskCreateSerializer,
        responses={201: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def tasks(self, request, pk=None):
        topic = _topic(pk)
        if request.method == "POST":
            serializer = TaskCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            task = services.task_create(
                actor=request.user,
                topic=topic,
                title=data["title"],
                description=data["description"],
                due_date=data["due_date"],
                supervisor=data["supervisor"],
                owner_body=data.get("owner_body"),
                owner_user=data.get("owner_user"),
            )
            return Response(TaskSerializer(selectors.task_get(task.pk)).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.topic_progress(topic)["tasks"])
        return self.get_paginated_response(TaskSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="Residents' ratings of the outcome: mean, distribution, count",
        responses=RatingSummarySerializer,
    )
    @extend_schema(
        methods=["POST"],
        summary="Rate the outcome 1-5, once, during the evaluation (verified residents)",
        request=RatingCreateSerializer,
        responses={201: RatingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def ratings(self, request, pk=None):
        topic = _topic(pk)
        if request.method == "POST":
            serializer = RatingCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            rating = services.rating_give(actor=request.user, topic=topic, **serializer.validated_data)
            return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)
        return Response(RatingSummarySerializer(selectors.topic_ratings(topic, request.user)).data)

    @extend_schema(
        summary="The topic's whole record (the archive's export): steps, comments, meetings, votes, "
        "objections, tasks, ratings and the trail's hashes",
        responses={200: TopicRecordSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def record(self, request, pk=None):
        return Response(selectors.topic_record(_topic(pk)))


# Comments
@extend_schema_view(retrieve=extend_schema(summary="One comment", responses=CommentSerializer))
class CommentViewSet(viewsets.GenericViewSet):
    serializer_class = CommentSerializer
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return Comment.objects.none()

    def _comment(self, pk):
        return _get(selectors.comment_get, pk, _("There is no such comment."))

    def retrieve(self, request, pk=None):
        return Response(CommentSerializer(selectors.comment_as_seen_by(self._comment(pk), request.user)).data)

    @extend_schema(
        summary="Edit one's comment within 15 minutes of posting it",
        request=CommentEditSerializer,
        responses={200: CommentSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        comment = self._comment(pk)
        serializer = CommentEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.comment_edit(actor=request.user, comment=comment, body=serializer.validated_data["body"])
        return Response(CommentSerializer(selectors.comment_as_seen_by(self._comment(pk), request.user)).data)

    @extend_schema(
        summary="Report a comment to the moderators (residents of the community)",
        request=CommentReportSerializer,
        responses={201: CommentReportResultSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        comment = self._comment(pk)
        serializer = CommentReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.comment_report(
            actor=request.user, comment=comment, reason=serializer.validated_data["reason"]
        )
        return Response(CommentReportResultSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Keep a comment (reports dismissed) or hide it with a reason its author sees (staff)",
        request=CommentModerateSerializer,
        responses={200: CommentSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def moderate(self, request, pk=None):
        comment = self._comment(pk)
        serializer = CommentModerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.comment_moderate(actor=request.user, comment=comment, **serializer.validated_data)
        return Response(CommentSerializer(selectors.comment_as_seen_by(self._comment(pk), request.user)).data)


# Objections and tasks
@extend_schema_view(retrieve=extend_schema(summary="One objection with its answer", responses=ObjectionSerializer))
class ObjectionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ObjectionSerializer
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return Objection.objects.select_related("author", "answered_by")

    @extend_schema(
        summary="Answer an objection in public (staff)",
        request=ObjectionAnswerSerializer,
        responses={200: ObjectionSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        objection = _get(selectors.objection_get, pk, _("There is no such objection."))
        serializer = ObjectionAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.objection_answer(actor=request.user, objection=objection, answer=serializer.validated_data["answer"])
        return Response(ObjectionSerializer(selectors.objection_get(objection.pk)).data)


@extend_schema_view(
    retrieve=extend_schema(summary="One implementation task with its reports", responses=TaskSerializer)
)
class TaskViewSet(viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return Task.objects.none()

    def retrieve(self, request, pk=None):
        return Response(TaskSerializer(_get(selectors.task_get, pk, _("There is no such task."))).data)

    @extend_schema(
        summary="Report progress on a task, optionally with a photo or PDF (staff, the owner, the supervisor)",
        request={"application/json": ProgressCreateSerializer, "multipart/form-data": ProgressCreateSerializer},
        responses={201: ProgressReportSerializer, **WRITE_ERRORS, 413: OpenApiResponse(description="File too large.")},
    )
    @action(detail=True, methods=["post"], parser_classes=UPLOAD_PARSERS)
    def progress(self, request, pk=None):
        task = _get(selectors.task_get, pk, _("There is no such task."))
        serializer = ProgressCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = services.progress_report(
            actor=request.user,
            task=task,
            percent=data["percent"],
            note=data["note"],
            attachment=data.get("attachment"),
        )
        return Response(ProgressReportSerializer(report).data, status=status.HTTP_201_CREATED)


# Meetings
@extend_schema_view(
    list=extend_schema(summary="Council meetings, latest first", responses=MeetingSerializer(many=True))
)
class MeetingViewSet(ListFiltersOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self):
        return selectors.meetings_with_agenda(selectors.meeting_list())

    def _meeting(self, pk):
        return _meeting(pk)

    @extend_schema(
        summary="A meeting with its agenda, gallery seats left and when its notice goes out",
        responses=MeetingSerializer,
    )
    def retrieve(self, request, pk=None):
        return Response(meeting_detail(pk))

    @extend_schema(
        summary="Schedule a meeting, optionally with its agenda (the community's staff)",
        request=MeetingCreateSerializer,
        responses={201: MeetingSerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        serializer = MeetingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        meeting = services.meeting_schedule(
            actor=request.user,
            community=data["community"],
            starts_at=data["starts_at"],
            location=data["location"],
            observer_seats=data.get("observer_seats"),
            agenda=data["agenda"],
        )
        return Response(meeting_detail(meeting.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move a scheduled meeting, change its place or its gallery seats (staff)",
        request=MeetingUpdateSerializer,
        responses={200: MeetingSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        meeting = self._meeting(pk)
        serializer = MeetingUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.meeting_move(actor=request.user, meeting=meeting, **serializer.validated_data)
        return Response(meeting_detail(pk))

    @extend_schema(
        summary="Cancel a scheduled meeting with a reason (staff)",
        request=MeetingCancelSerializer,
        responses={200: MeetingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        meeting = self._meeting(pk)
        serializer = MeetingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.meeting_cancel(actor=request.user, meeting=meeting, reason=serializer.validated_data["reason"])
        return Response(meeting_detail(pk))

    @extend_schema(
        summary="Record the minutes once the meeting has started (staff)",
        request=MinutesSerializer,
        responses={200: MeetingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def minutes(self, request, pk=None):
        meeting = self._meeting(pk)
        serializer = MinutesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.meeting_minutes_record(
            actor=request.user, meeting=meeting, minutes=serializer.validated_data["minutes"]
        )
        return Response(meeting_detail(pk))

    @extend_schema(
        summary="Accept a topic under review onto the agenda (staff)",
        request=AgendaAddSerializer,
        responses={201: MeetingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def agenda(self, request, pk=None):
        meeting = self._meeting(pk)
        serializer = AgendaAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        topic = _topic(serializer.validated_data["topic"])
        services.agenda_add(
            actor=request.user, meeting=meeting, topic=topic, position=serializer.validated_data.get("position")
        )
        return Response(meeting_detail(pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take a topic off the agenda before the meeting (staff)",
        request=None,
        responses={200: MeetingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["delete"], url_path="agenda/<int:topic_id>", filter_backends=[])
    def agenda_remove(self, request, pk=None, topic_id=None):
        meeting = self._meeting(pk)
        services.agenda_remove(actor=request.user, meeting=meeting, topic=_topic(topic_id))
        return Response(meeting_detail(pk))

    def _attendance(self, meeting):
        return AttendanceSerializer(
            {"attendance": selectors.meeting_attendance(meeting), "quorum": selectors.meeting_quorum(meeting)}
        ).data

    @extend_schema(methods=["GET"], summary="Council attendance and the quorum", responses=AttendanceSerializer)
    @extend_schema(
        methods=["POST"],
        summary="Record council members as present, absent or excused (staff; until the first vote)",
        request=AttendanceInputSerializer,
        responses={200: AttendanceSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def attendance(self, request, pk=None):
        meeting = self._meeting(pk)
        if request.method == "POST":
            serializer = AttendanceInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            entries = {row["member"]: row["status"] for row in serializer.validated_data["entries"]}
            services.attendance_record(actor=request.user, meeting=meeting, entries=entries)
        return Response(self._attendance(meeting))

    @extend_schema(methods=["GET"], summary="The votes taken at the meeting", responses=VoteSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="Record the council's vote on an agenda item (staff, for the council)",
        description=(
            "Counts (`votes_for`, `votes_against`, `abstentions`) or a roll call (`ballots`). "
            "Refused with 409 without a quorum present; a recorded vote is final."
        ),
        request=VoteCreateSerializer,
        responses={201: VoteSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def votes(self, request, pk=None):
        meeting = self._meeting(pk)
        if request.method == "POST":
            serializer = VoteCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            if not can(request.user, "meeting.manage", meeting):
                raise exceptions.PermissionDenied(_("Only this community's staff record the council's votes."))
            item = AgendaItem.objects.filter(meeting=meeting, topic_id=data["topic"]).first()
            if item is None:
                raise ValidationError({"topic": _("This topic is not on the meeting's agenda.")})
            ballots = data.get("ballots")
            vote = services.vote_record(
                actor=request.user,
                agenda_item=item,
                resolution=data["resolution"],
                votes_for=data.get("votes_for"),
                votes_against=data.get("votes_against"),
                abstentions=data.get("abstentions"),
                ballots=None if ballots is None else {b["member"]: b["choice"] for b in ballots},
            )
            return Response(VoteSerializer(_vote(vote.pk)).data, status=status.HTTP_201_CREATED)
        votes = (
            Vote.objects.filter(agenda_item__meeting=meeting)
            .select_related("agenda_item")
            .prefetch_related("ballots__member")
            .order_by("agenda_item__position", "pk")
        )
        page = self.paginate_queryset(votes)
        return self.get_paginated_response(VoteSerializer(page, many=True).data)

    @extend_schema(
        methods=["POST"],
        summary="Take a seat in the public gallery (verified residents of the community)",
        description="201 for a new seat, 200 when the requester already has one, 409 when every seat is taken.",
        request=None,
        responses={201: ObserverSerializer, 200: ObserverSerializer, **WRITE_ERRORS},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Give one's gallery seat back",
        request=None,
        responses={204: None, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post", "delete"], filter_backends=[])
    def observers(self, request, pk=None):
        meeting = self._meeting(pk)
        if request.method == "DELETE":
            services.observer_cancel(actor=request.user, meeting=meeting)
            return Response(status=status.HTTP_204_NO_CONTENT)
        registration, created = services.observer_register(actor=request.user, meeting=meeting)
        registration.seats_left = _meeting(pk).seats_left
        return Response(ObserverSerializer(registration).data, status=status.HTTP_201_CREATED if created else 200)


def _vote(vote_id):
    return Vote.objects.select_related("agenda_item").prefetch_related("ballots__member").get(pk=vote_id)
