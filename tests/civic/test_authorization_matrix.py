"""The authorization matrix (issue 7): no one gets in where they don't belong.

Every mutating endpoint of the API, found in the OpenAPI schema so a new one cannot slip
through, is tried by four outsiders against the objects of one TARGET community: someone not
logged in, a verified resident of the neighbouring community on the same street, that
community's staff, and an official of another district. Each must be refused (401/403/404)
without a single write to the database, while the rightful person, sending the very same
request, succeeds: so a refusal is the permission check's doing, not a malformed request's.

Then requests that name, inside an object of the requester's own community, an object of
the target's (a reply to another topic's comment, a vote on another meeting's topic, ...),
and every admin page and list action of every registered model.

The world is built once per module, through the services, inside a transaction that is
rolled back at the end; each test runs in a savepoint of its own.
"""

import contextlib
import datetime
import re
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from communities import services as community_services
from communities.models import (
    BodyKind,
    CommunityUserObjectPermission,
    DistrictUserObjectPermission,
    Membership,
    Post,
    StreetUserObjectPermission,
)
from deliberation import clock
from deliberation import services as deliberation
from deliberation.models import MeetingMaterial, ObserverRegistration, Posting, TopicCategory, TrailEntry, Vote
from deliberation.workflow import Step
from information import services as information
from information.models import ServiceCategory
from notifications import services as notifications
from notifications.models import Delivery, Follow
from surveys import services as surveys
from surveys.models import Answer, Engagement, Indicator, Participation, QuestionKind, Scope, Score, SignUp
from tests import factories

API = "/api/v1/"
REFUSED = {401, 403, 404}
OUTSIDERS = ("anonymous", "neighbour_resident", "neighbour_staff", "far_official")
BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"
CATEGORY = TopicCategory.PUBLIC_SPACE
PDF = b"%PDF-1.4\n" + b"0" * 64


# The world


def _at(moment):
    """The deliberation services' clock, set back to lay down the world's history."""
    return clock.travel(moment)


def _build_world():
    """District A (target street with TARGET and its neighbour), district B far away."""
    now = timezone.now().replace(microsecond=0)
    root = factories.superuser()
    district, far_district = factories.DistrictFactory(), factories.DistrictFactory()
    street = factories.StreetFactory(district=district)
    target = factories.CommunityFactory(street=street)
    neighbour = factories.CommunityFactory(street=street)
    far = factories.CommunityFactory(street=factories.StreetFactory(district=far_district))
    w = SimpleNamespace(now=now, root=root, district=district, street=street)
    w.target, w.neighbour, w.far = target, neighbour, far
    w.anonymous = AnonymousUser()
    w.staff = factories.staff_member(target, actor=root)
    w.council_body, w.council = _council(root, target, 3)
    w.supervisory = community_services.body_create(
        actor=root, community=target, kind=BodyKind.SUPERVISORY_COMMITTEE, name="监督委员会"
    )
    w.supervisor = factories.resident(target, actor=root)
    community_services.membership_add(actor=root, body=w.supervisory, user=w.supervisor, post=Post.MEMBER)
    w.author = factories.resident(target, actor=root)
    w.resident = factories.resident(target, actor=root)
    w.resident2 = factories.resident(target, actor=root)
    w.newcomer = factories.UserFactory()
    w.pending = community_services.residency_request(user=w.newcomer, community=target)
    w.neighbour_resident = factories.resident(neighbour, actor=root)
    w.neighbour_staff = factories.staff_member(neighbour, actor=root)
    w.neighbour_council = _council(root, neighbour, 1)[1][0]
    w.far_official = factories.official(district=far_district, actor=root)
    w.evaluator = factories.evaluator(actor=root)
    w.street_official = factories.official(street=street, actor=root)
    w.district_official = factories.official(district=district, actor=root)
    _deliberation(w)
    _neighbour_deliberation(w)
    _surveys_and_activities(w)
    _announcements_and_notices(w)
    _evaluation(w)
    return w


def _council(root, community, size):
    """A council whose members sat since before the oldest meeting of the world."""
    body = community_services.body_create(
        actor=root, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name="居民议事会"
    )
    members = [factories.resident(community, actor=root) for _ in range(size)]
    since = timezone.localdate() - datetime.timedelta(days=90)
    for member in members:
        community_services.membership_add(actor=root, body=body, user=member, post=Post.MEMBER, term_start=since)
    return body, members


def _adopt(w, topic, meeting, when):
    """The council adopts `topic` at `meeting` (attendance taken); publicity starts at `when`."""
    with _at(meeting.starts_at + datetime.timedelta(minutes=30)):
        deliberation.vote_record(
            actor=w.staff,
            agenda_item=topic.agenda_item(),
            votes_for=3,
            votes_against=0,
            abstentions=0,
            resolution="同意更换全部楼道灯。",
        )
    with _at(when):
        return deliberation.topic_advance(actor=w.staff, topic=topic, to=Step.PUBLICIZE)


def _topic(author, community, title):
    return deliberation.topic_raise(actor=author, community=community, title=title, body=BODY, category=CATEGORY)


def _raise_to_resolve(author, staff, meeting, raised, title):
    with _at(raised):
        topic = _topic(author, meeting.community, title)
        topic = deliberation.topic_advance(actor=staff, topic=topic, to=Step.REVIEW)
        deliberation.agenda_add(actor=staff, meeting=meeting, topic=topic)
        return deliberation.topic_advance(actor=staff, topic=topic, to=Step.RESOLVE)


def _deliberation(w):
    now, day = w.now, datetime.timedelta(days=1)
    # Collecting: comments, support, follows.
    w.collecting = _topic(w.author, w.target, "加装声控灯")
    w.comment = deliberation.comment_post(actor=w.resident, topic=w.collecting, body="赞成，老人晚上上下楼太危险。")
    w.author_comment = deliberation.comment_post(actor=w.author, topic=w.collecting, body="谢谢大家支持。")
    deliberation.support_give(actor=w.resident2, topic=w.collecting)
    # Under review: for an agenda.
    with _at(now - 10 * day):
        w.review = _topic(w.author, w.target, "修补路面")
        w.review = deliberation.topic_advance(actor=w.staff, topic=w.review, to=Step.REVIEW)
    # A meeting to come, with one topic on its agenda and a seat taken in the gallery.
    with _at(now - day):
        w.upcoming = deliberation.meeting_schedule(
            actor=w.staff, community=w.target, starts_at=now + 10 * day, location="议事厅"
        )
    w.queued = _raise_to_resolve(w.author, w.staff, w.upcoming, now - day, title="增设充电桩")
    deliberation.observer_register(actor=w.resident2, meeting=w.upcoming)
    # Its agenda paper and the record that its notice went up on the board.
    w.material = MeetingMaterial.objects.create(
        meeting=w.upcoming, title="议程材料", file="deliberation/materials/agenda.pdf", added_by=w.staff
    )
    w.posting = Posting.objects.create(
        meeting=w.upcoming,
        document=Posting.Document.MEETING_NOTICE,
        place="一号楼大厅公示栏",
        posted_at=now,
        recorded_by=w.staff,
    )
    # A meeting under way: attendance taken, one topic waiting for its vote.
    with _at(now - 20 * day):
        w.held = deliberation.meeting_schedule(
            actor=w.staff, community=w.target, starts_at=now - datetime.timedelta(hours=1), location="议事厅"
        )
    w.voting = _raise_to_resolve(w.author, w.staff, w.held, now - 20 * day, title="规范宠物管理")
    with _at(now - datetime.timedelta(minutes=50)):
        deliberation.attendance_record(actor=w.staff, meeting=w.held, entries=dict.fromkeys(w.council, "present"))
    # A meeting held 35 days ago adopted three topics, now publicized, implemented, evaluated.
    with _at(now - 40 * day):
        past = deliberation.meeting_schedule(
            actor=w.staff, community=w.target, starts_at=now - 35 * day, location="议事厅"
        )
    titles = ("公示议题", "实施议题", "评议议题")
    adopted = [_raise_to_resolve(w.author, w.staff, past, now - 38 * day, title=t) for t in titles]
    with _at(past.starts_at + datetime.timedelta(minutes=5)):
        deliberation.attendance_record(actor=w.staff, meeting=past, entries=dict.fromkeys(w.council, "present"))
    w.publicized = _adopt(w, adopted[0], past, now - day)
    w.implementing = _adopt(w, adopted[1], past, now - 30 * day)
    w.evaluating = _adopt(w, adopted[2], past, now - 34 * day)
    with _at(now - 22 * day):
        w.implementing = deliberation.topic_advance(actor=w.staff, topic=w.implementing, to=Step.IMPLEMENT)
        w.evaluating = deliberation.topic_advance(actor=w.staff, topic=w.evaluating, to=Step.IMPLEMENT)
        w.task = _task(w, w.implementing)
        done = _task(w, w.evaluating)
        deliberation.progress_report(actor=w.staff, task=done, percent=100, note="已完成")
    with _at(now - day):
        w.evaluating = deliberation.topic_advance(actor=w.staff, topic=w.evaluating, to=Step.EVALUATE)
    with _at(now - datetime.timedelta(hours=5)):
        w.objection = deliberation.objection_lodge(actor=w.resident2, topic=w.publicized, body="施工噪音怎么控制？")
    w.rating = deliberation.rating_give(actor=w.resident2, topic=w.evaluating, score=4)
    notifications.follow(user=w.resident, subject=w.collecting)
    w.follow = Follow.objects.get(user=w.resident)
    w.rules = deliberation.council_rules_update(actor=w.staff, community=w.target, publicity_days=7)
    w.report = deliberation.comment_report(actor=w.resident2, comment=w.author_comment, reason="与议题无关")


def _task(w, topic):
    return deliberation.task_create(
        actor=w.staff,
        topic=topic,
        title="更换楼道灯",
        due_date=timezone.localdate(clock.now()) + datetime.timedelta(days=30),
        supervisor=w.supervisor,
        owner_user=w.staff,
    )


def _neighbour_deliberation(w):
    """The neighbour's own topic, comment and meeting, which outsiders are entitled to use."""
    w.own_topic = _topic(w.neighbour_resident, w.neighbour, "修车棚")
    w.own_comment = deliberation.comment_post(actor=w.neighbour_resident, topic=w.own_topic, body="同意。")
    with _at(w.now - datetime.timedelta(days=20)):
        w.own_meeting = deliberation.meeting_schedule(
            actor=w.neighbour_staff,
            community=w.neighbour,
            starts_at=w.now - datetime.timedelta(hours=1),
            location="议事厅",
        )
    w.own_voting = _raise_to_resolve(
        w.neighbour_resident, w.neighbour_staff, w.own_meeting, w.now - datetime.timedelta(days=20), title="修车棚"
    )
    with _at(w.now - datetime.timedelta(minutes=50)):
        deliberation.attendance_record(
            actor=w.neighbour_staff, meeting=w.own_meeting, entries={w.neighbour_council: "present"}
        )
    with _at(w.now - datetime.timedelta(days=1)):
        w.own_upcoming = deliberation.meeting_schedule(
            actor=w.neighbour_staff, community=w.neighbour, starts_at=w.now + datetime.timedelta(days=9)
        )


def _surveys_and_activities(w):
    now, day = w.now, datetime.timedelta(days=1)
    w.survey = surveys.survey_create(
        actor=w.staff,
        title="夜间照明意见征集",
        scope=Scope.COMMUNITY,
        place=w.target,
        opens_at=now - day,
        closes_at=now + 7 * day,
    )
    w.question = surveys.question_add(
        actor=w.staff, survey=w.survey, kind=QuestionKind.SINGLE, text="哪一段最需要改造？", choices=["主街", "楼道"]
    )
    w.text_question = surveys.question_add(
        actor=w.staff, survey=w.survey, kind=QuestionKind.TEXT, text="其他建议", required=False
    )
    w.choice = w.question.choices.order_by("position").first()
    surveys.response_submit(
        actor=w.resident2,
        survey=w.survey,
        answers=[
            {"question": w.question.pk, "choices": [w.choice.pk]},
            {"question": w.text_question.pk, "text": "多装灯"},
        ],
    )
    w.text_answer = Answer.objects.get(question=w.text_question)
    w.own_survey = surveys.survey_create(
        actor=w.neighbour_staff,
        title="车棚意见",
        scope=Scope.COMMUNITY,
        place=w.neighbour,
        opens_at=now - day,
        closes_at=now + 7 * day,
    )
    w.activity = surveys.activity_publish(
        actor=w.staff,
        community=w.target,
        theme="邻里节",
        category="culture",
        starts_at=now + 3 * day,
        ends_at=now + 3 * day + datetime.timedelta(hours=2),
        place="活动室",
        capacity=30,
    )
    surveys.signup_take(actor=w.resident2, activity=w.activity)
    w.held_activity = surveys.activity_publish(
        actor=w.staff,
        community=w.target,
        theme="健康讲座",
        category="culture",
        starts_at=now - datetime.timedelta(hours=3),
        ends_at=now - datetime.timedelta(hours=1),
        place="活动室",
        capacity=30,
    )
    surveys.attendance_record(actor=w.staff, activity=w.held_activity, users=[w.resident, w.resident2])
    w.activity_rating = surveys.activity_rate(actor=w.resident2, activity=w.held_activity, score=5)
    w.signup = SignUp.objects.get(activity=w.activity)


def _announcements_and_notices(w):
    attachment = SimpleUploadedFile("notice.pdf", PDF, content_type="application/pdf")
    w.announcement = information.announcement_publish(
        actor=w.staff, area=w.target, title="停水通知", body="明天上午停水。", attachments=[attachment]
    )
    w.attachment = w.announcement.attachments.get()
    w.own_announcement = information.announcement_publish(
        actor=w.neighbour_staff, area=w.neighbour, title="停电通知", body="明天下午停电。"
    )
    w.body_profile = information.body_profile_update(actor=w.staff, body=w.council_body, duties="议事协商")
    w.committee = community_services.body_create(
        actor=w.root, community=w.target, kind=BodyKind.RESIDENTS_COMMITTEE, name="居委会"
    )
    w.service = information.service_create(
        actor=w.staff,
        provider=w.committee,
        name="议事咨询",
        category=ServiceCategory.values[0],
        description="每周三接待",
        location="议事厅",
        hours="周三下午",
        how_to_apply="直接来访",
    )
    notifications.notices_dispatch()
    # The author hears of every step their topics took.
    w.delivery = Delivery.objects.filter(recipient=w.author, channel=Delivery.Channel.IN_APP).first()
    notifications.deliveries_send(channel=Delivery.Channel.IN_APP, ids=[w.delivery.pk])
    w.notice = w.delivery.notice


def _evaluation(w):
    w.engagement = surveys.engagement_create(
        actor=w.root,
        evaluator=w.evaluator,
        scope=Engagement.Scope.DISTRICT,
        district=w.district,
        organisation="评估中心",
    )
    w.round = surveys.round_create(
        actor=w.evaluator,
        engagement=w.engagement,
        title="年度评估",
        period_start=timezone.localdate() - datetime.timedelta(days=90),
        period_end=timezone.localdate(),
        indicators=[{"name": "现场检查", "source": Indicator.MANUAL, "weight": 100}],
    )
    w.indicator = w.round.indicators.get()
    for community in (w.target, w.neighbour):
        surveys.score_set(actor=w.evaluator, indicator=w.indicator, community=community, value=80, evidence="现场查看")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def w(world, db):
    return world


# Nothing changed: a refused request writes nothing at all. Watching the statements a
# request runs is exact and costs nothing, where comparing the tables would cost a scan.

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# A login stamps last_login and writes a session; axes logs it: none of it is the data.
BOOKKEEPING = re.compile(r"django_session|axes_|SET \S*last_login\S* = ", re.IGNORECASE)


@contextlib.contextmanager
def writes_nothing(what):
    with CaptureQueriesContext(connection) as captured:
        yield
    statements = [query["sql"] for query in captured.captured_queries]
    written = [sql for sql in statements if WRITE.match(sql) and not BOOKKEEPING.search(sql)]
    assert not written, f"{what} wrote to the database: {written[:3]}"


# The API's mutating endpoints, from its own OpenAPI schema.

MUTATING_METHODS = ("post", "put", "patch", "delete")


def mutating_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in MUTATING_METHODS and path.startswith(API)
    )


OPERATIONS = mutating_operations()


class Call:
    """How to send one endpoint a request that would succeed for `rightful`.

    `path` fills the path's parameters from the world; `data` is the body; `refused_also`
    lists statuses besides 401/403/404 an outsider may get, each with its reason.
    """

    def __init__(self, rightful, path=None, data=None, refused_also=()):
        self.rightful = rightful
        self.path = path or (lambda w: {})
        self.data = data or (lambda w: {})
        self.refused_also = dict(refused_also)


def _soon(days):
    return (timezone.now() + datetime.timedelta(days=days)).isoformat()


def _activity(w):
    start = timezone.now() + datetime.timedelta(days=5)
    return {
        "community": w.target.pk,
        "theme": "读书会",
        "category": "culture",
        "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
        "place": "活动室",
        "capacity": 20,
    }


NOT_YOURS = "acts on the requester's own record, which an outsider does not have: nothing to undo"

CALLS = {
    "POST /api/v1/activities/": Call("staff", data=_activity),
    "PUT /api/v1/activities/{id}/": Call("staff", lambda w: {"id": w.activity.pk}, _activity),
    "PATCH /api/v1/activities/{id}/": Call("staff", lambda w: {"id": w.activity.pk}, lambda w: {"theme": "读书会"}),
    "POST /api/v1/activities/{id}/attendance/": Call(
        "staff", lambda w: {"id": w.held_activity.pk}, lambda w: {"users": [w.council[0].pk]}
    ),
    "POST /api/v1/activities/{id}/cancel/": Call("staff", lambda w: {"id": w.activity.pk}),
    "POST /api/v1/activities/{id}/rating/": Call(
        "resident", lambda w: {"id": w.held_activity.pk}, lambda w: {"score": 4}
    ),
    "POST /api/v1/activities/{id}/signup/": Call("resident", lambda w: {"id": w.activity.pk}),
    "DELETE /api/v1/activities/{id}/signup/": Call(
        "resident2", lambda w: {"id": w.activity.pk}, refused_also={409: NOT_YOURS}
    ),
    "POST /api/v1/announcements/": Call(
        "staff", data=lambda w: {"community": w.target.pk, "title": "停气通知", "body": "周五停气。"}
    ),
    "PATCH /api/v1/announcements/{id}/": Call(
        "staff", lambda w: {"id": w.announcement.pk}, lambda w: {"title": "停水通知（更正）"}
    ),
    "DELETE /api/v1/announcements/{id}/": Call("staff", lambda w: {"id": w.announcement.pk}),
    "PATCH /api/v1/comments/{id}/": Call("resident", lambda w: {"id": w.comment.pk}, lambda w: {"body": "赞成。"}),
    "POST /api/v1/comments/{id}/moderate/": Call(
        "staff", lambda w: {"id": w.author_comment.pk}, lambda w: {"keep": False, "reason": "离题"}
    ),
    "POST /api/v1/comments/{id}/report/": Call(
        "author", lambda w: {"id": w.comment.pk}, lambda w: {"reason": "与议题无关"}
    ),
    "POST /api/v1/evaluation-rounds/": Call(
        "evaluator",
        data=lambda w: {
            "engagement": w.engagement.pk,
            "title": "季度评估",
            "period_start": str(timezone.localdate() - datetime.timedelta(days=30)),
            "period_end": str(timezone.localdate()),
            "indicators": [{"name": "现场检查", "source": Indicator.MANUAL, "weight": "100"}],
        },
    ),
    "POST /api/v1/evaluation-rounds/{id}/compute/": Call("evaluator", lambda w: {"id": w.round.pk}),
    "POST /api/v1/evaluation-rounds/{id}/publish/": Call("evaluator", lambda w: {"id": w.round.pk}),
    "POST /api/v1/evaluation-rounds/{id}/scores/": Call(
        "evaluator",
        lambda w: {"id": w.round.pk},
        lambda w: {"indicator": w.indicator.pk, "community": w.target.pk, "value": "75", "evidence": "复查"},
    ),
    "DELETE /api/v1/follows/{id}/": Call("resident", lambda w: {"id": w.follow.pk}),
    "POST /api/v1/meetings/": Call(
        "staff",
        data=lambda w: {
            "community": w.target.pk,
            "starts_at": _soon(12),
            "location": "议事厅",
            "agenda": [w.review.pk],
        },
    ),
    "PATCH /api/v1/meetings/{id}/": Call("staff", lambda w: {"id": w.upcoming.pk}, lambda w: {"location": "二楼"}),
    "POST /api/v1/meetings/{id}/agenda/": Call(
        "staff", lambda w: {"id": w.upcoming.pk}, lambda w: {"topic": w.review.pk}
    ),
    "DELETE /api/v1/meetings/{id}/agenda/{topic_id}/": Call(
        "staff", lambda w: {"id": w.upcoming.pk, "topic_id": w.queued.pk}
    ),
    "POST /api/v1/meetings/{id}/attendance/": Call(
        "staff",
        lambda w: {"id": w.held.pk},
        lambda w: {"entries": [{"member": w.council[0].pk, "status": "excused"}]},
    ),
    "POST /api/v1/meetings/{id}/cancel/": Call("staff", lambda w: {"id": w.upcoming.pk}, lambda w: {"reason": "改期"}),
    "POST /api/v1/meetings/{id}/minutes/": Call(
        "staff", lambda w: {"id": w.held.pk}, lambda w: {"minutes": "应到三人，实到三人。"}
    ),
    "POST /api/v1/meetings/{id}/observers/": Call("resident", lambda w: {"id": w.upcoming.pk}),
    "DELETE /api/v1/meetings/{id}/observers/": Call(
        "resident2", lambda w: {"id": w.upcoming.pk}, refused_also={409: NOT_YOURS}
    ),
    "POST /api/v1/meetings/{id}/votes/": Call(
        "staff",
        lambda w: {"id": w.held.pk},
        lambda w: {
            "topic": w.voting.pk,
            "resolution": "同意。",
            "votes_for": 3,
            "votes_against": 0,
            "abstentions": 0,
        },
    ),
    "POST /api/v1/notifications/{id}/read/": Call("author", lambda w: {"id": w.delivery.pk}),
    "POST /api/v1/objections/{id}/answer/": Call(
        "staff", lambda w: {"id": w.objection.pk}, lambda w: {"answer": "施工安排在工作日白天。"}
    ),
    "POST /api/v1/residencies/{id}/reject/": Call(
        "staff", lambda w: {"id": w.pending.pk}, lambda w: {"note": "查无此人"}
    ),
    "POST /api/v1/residencies/{id}/verify/": Call("staff", lambda w: {"id": w.pending.pk}),
    "POST /api/v1/surveys/{id}/hide/": Call(
        "staff",
        lambda w: {"id": w.survey.pk},
        lambda w: {"answer": str(w.text_answer.pk), "reason": "广告", "hidden": True},
    ),
    "POST /api/v1/surveys/{id}/responses/": Call(
        "resident",
        lambda w: {"id": w.survey.pk},
        lambda w: {"answers": [{"question": w.question.pk, "choices": [w.choice.pk]}]},
    ),
    "POST /api/v1/tasks/{id}/progress/": Call(
        "staff", lambda w: {"id": w.task.pk}, lambda w: {"percent": 50, "note": "已完成一半"}
    ),
    "POST /api/v1/topics/": Call(
        "resident",
        data=lambda w: {"community": w.target.pk, "title": "增设座椅", "body": BODY, "category": CATEGORY},
    ),
    "PATCH /api/v1/topics/{id}/": Call(
        "author", lambda w: {"id": w.collecting.pk}, lambda w: {"title": "加装声控灯和扶手"}
    ),
    "POST /api/v1/topics/{id}/advance/": Call(
        "staff", lambda w: {"id": w.collecting.pk}, lambda w: {"to": Step.REVIEW, "note": ""}
    ),
    "POST /api/v1/topics/{id}/comments/": Call(
        "resident", lambda w: {"id": w.collecting.pk}, lambda w: {"body": "同意。", "parent": w.author_comment.pk}
    ),
    "POST /api/v1/topics/{id}/objections/": Call(
        "resident", lambda w: {"id": w.publicized.pk}, lambda w: {"body": "施工时间太长。"}
    ),
    "POST /api/v1/topics/{id}/ratings/": Call("resident", lambda w: {"id": w.evaluating.pk}, lambda w: {"score": 5}),
    "POST /api/v1/topics/{id}/support/": Call("resident", lambda w: {"id": w.collecting.pk}),
    "DELETE /api/v1/topics/{id}/support/": Call("resident2", lambda w: {"id": w.collecting.pk}),
    "POST /api/v1/topics/{id}/tasks/": Call(
        "staff",
        lambda w: {"id": w.implementing.pk},
        lambda w: {
            "title": "安装扶手",
            "due_date": str(timezone.localdate() + datetime.timedelta(days=20)),
            "supervisor": w.supervisor.pk,
            "owner_user": w.staff.pk,
        },
    ),
    "POST /api/v1/topics/{id}/withdraw/": Call("author", lambda w: {"id": w.collecting.pk}, lambda w: {"note": ""}),
}

# Endpoints open to everyone, or acting only on the requester's own records: anonymous
# callers of the latter are still refused (401).
OPEN_TO_ALL = {
    "POST /api/v1/auth/signup/": "signing up is open to everyone",
    "POST /api/v1/auth/sms-code/": "asking for a login code is open to everyone",
    "POST /api/v1/auth/sms-login/": "logging in is open to everyone",
    "POST /api/v1/auth/token/": "logging in is open to everyone",
}
OWN_RECORDS = {
    "PATCH /api/v1/me/": "changes the requester's own profile",
    "POST /api/v1/me/delete/": "deletes the requester's own account (after their password or an SMS code)",
    "POST /api/v1/notifications/read-all/": "marks the requester's own inbox read",
    "POST /api/v1/residencies/": "anyone signed in may ask to join a community; its staff decide",
    "POST /api/v1/follows/": "topics are public records; following one subscribes only the requester",
    "POST /api/v1/auth/logout/": "ends the token the request was sent with, no one else's",
    "POST /api/v1/auth/logout-all/": "ends every token of the requester, no one else's",
}


def call_for(operation):
    if operation in CALLS:
        return CALLS[operation]
    pytest.fail(
        f"{operation} has no entry in CALLS: say who may use it, on which objects of the world and with "
        "what body, so the matrix can check that everyone else is refused"
    )


def user(w, who):
    found = getattr(w, who)
    if not found.is_authenticated:
        return None
    # A fresh instance: roles are cached on the user object.
    return type(found).objects.get(pk=found.pk)


def send(w, who, operation, call):
    method, template = operation.split(" ", 1)
    client = APIClient()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    acting = user(w, who)
    if acting is not None:
        client.force_authenticate(acting)
    path = template.format(**call.path(w))
    return getattr(client, method.lower())(path, call.data(w), format="json")


def test_every_mutating_endpoint_is_in_the_matrix():
    unmapped = [op for op in OPERATIONS if op not in CALLS and op not in OPEN_TO_ALL and op not in OWN_RECORDS]
    stale = [op for op in (*CALLS, *OPEN_TO_ALL, *OWN_RECORDS) if op not in OPERATIONS]
    assert not unmapped, f"endpoints with no authorization check in this matrix: {unmapped}"
    assert not stale, f"matrix entries for endpoints the API no longer has: {stale}"


CHECKED = [op for op in OPERATIONS if op not in OPEN_TO_ALL and op not in OWN_RECORDS]


@pytest.mark.parametrize("operation", CHECKED)
def test_the_rightful_user_succeeds(w, operation):
    """The same request an outsider is refused works for the person it is meant for."""
    call = call_for(operation)
    response = send(w, call.rightful, operation, call)
    assert 200 <= response.status_code < 300, (call.rightful, response.status_code, response.content[:500])


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("operation", CHECKED)
def test_outsiders_are_refused(w, operation, who):
    call = call_for(operation)
    with writes_nothing(f"{operation} by {who}"):
        response = send(w, who, operation, call)
    allowed = {401} if who == "anonymous" else REFUSED | set(call.refused_also)
    assert response.status_code in allowed, (who, response.status_code, response.content[:500])


@pytest.mark.parametrize("operation", sorted(OWN_RECORDS))
def test_own_record_endpoints_need_a_login(w, operation):
    response = send(w, "anonymous", operation, Call(None))
    assert response.status_code == 401


# Reads of one's own personal data: only ever the requester's.
OWN_READS = {"GET /api/v1/me/export/": "a copy of the requester's own personal data"}


@pytest.mark.parametrize("operation", sorted(OWN_READS))
def test_own_data_reads_need_a_login_and_hold_only_ones_own(w, operation):
    assert send(w, "anonymous", operation, Call(None)).status_code == 401
    for who in OUTSIDERS[1:]:
        response = send(w, who, operation, Call(None))
        assert response.status_code == 200, (who, response.status_code)
        text = response.content.decode()
        assert response.json()["profile"]["id"] == getattr(w, who).pk
        for person in (w.author, w.resident, w.staff, w.newcomer):
            assert person.phone not in text and person.email not in text, (who, person)


def test_deleting_an_account_touches_no_one_elses_record(w):
    """The only account a deletion reaches is the requester's own: the target's people keep theirs."""
    from communities.models import User

    before = {u.pk: (u.phone, u.email, u.is_active) for u in User.objects.filter(pk__in=[w.author.pk, w.staff.pk])}
    acting = user(w, "neighbour_resident")
    client = APIClient()
    client.force_authenticate(acting)
    response = client.post(f"{API}me/delete/", {"confirm": True, "password": factories.PASSWORD}, format="json")
    assert response.status_code == 200
    after = {u.pk: (u.phone, u.email, u.is_active) for u in User.objects.filter(pk__in=[w.author.pk, w.staff.pk])}
    assert after == before
    assert User.objects.get(pk=acting.pk).deleted_at is not None


@pytest.mark.parametrize("operation", ["POST /api/v1/auth/logout/", "POST /api/v1/auth/logout-all/"])
def test_logging_out_ends_only_the_callers_own_tokens(w, operation):
    from core import tokens

    others = {who: tokens.issue(getattr(w, who)) for who in ("staff", "neighbour_staff", "author")}
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(w.resident)}")
    assert caller.post(operation.split(" ", 1)[1]).status_code == 204
    for who, key in others.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get(f"{API}me/").status_code == 200, who


# Nested references: an object of the requester's own scope naming one outside it.

NESTED = [
    (
        "a reply on one's own topic to the target topic's comment",
        "neighbour_resident",
        "post",
        lambda w: f"{API}topics/{w.own_topic.pk}/comments/",
        lambda w: {"body": "同意。", "parent": w.comment.pk},
    ),
    (
        "a reply on the target topic to one's own comment",
        "neighbour_resident",
        "post",
        lambda w: f"{API}topics/{w.collecting.pk}/comments/",
        lambda w: {"body": "同意。", "parent": w.own_comment.pk},
    ),
    (
        "a vote at one's own meeting on the target's topic",
        "neighbour_staff",
        "post",
        lambda w: f"{API}meetings/{w.own_meeting.pk}/votes/",
        lambda w: {"topic": w.voting.pk, "resolution": "同意。", "votes_for": 1, "votes_against": 0, "abstentions": 0},
    ),
    (
        "a roll call at one's own meeting naming the target's council",
        "neighbour_staff",
        "post",
        lambda w: f"{API}meetings/{w.own_meeting.pk}/votes/",
        lambda w: {
            "topic": w.own_voting.pk,
            "resolution": "同意。",
            "ballots": [{"member": m.pk, "choice": "for"} for m in w.council],
        },
    ),
    (
        "attendance at one's own meeting naming the target's council",
        "neighbour_staff",
        "post",
        lambda w: f"{API}meetings/{w.own_meeting.pk}/attendance/",
        lambda w: {"entries": [{"member": w.council[0].pk, "status": "present"}]},
    ),
    (
        "the target's topic on one's own agenda",
        "neighbour_staff",
        "post",
        lambda w: f"{API}meetings/{w.own_upcoming.pk}/agenda/",
        lambda w: {"topic": w.review.pk},
    ),
    (
        "a meeting of one's own community with the target's topic on its agenda",
        "neighbour_staff",
        "post",
        lambda w: f"{API}meetings/",
        lambda w: {"community": w.neighbour.pk, "starts_at": _soon(12), "agenda": [w.review.pk]},
    ),
    (
        "taking the target's topic off one's own agenda",
        "neighbour_staff",
        "delete",
        lambda w: f"{API}meetings/{w.own_upcoming.pk}/agenda/{w.queued.pk}/",
        lambda w: {},
    ),
    (
        "a topic of one's own community raised for the target's council",
        "neighbour_staff",
        "post",
        lambda w: f"{API}topics/",
        lambda w: {
            "community": w.neighbour.pk,
            "title": "修车棚",
            "body": BODY,
            "category": CATEGORY,
            "raised_by_body": w.council_body.pk,
        },
    ),
    (
        "an answer to one's own survey with the target survey's question",
        "neighbour_resident",
        "post",
        lambda w: f"{API}surveys/{w.own_survey.pk}/responses/",
        lambda w: {"answers": [{"question": w.question.pk, "choices": [w.choice.pk]}]},
    ),
    (
        "hiding the target survey's answer through one's own survey",
        "neighbour_staff",
        "post",
        lambda w: f"{API}surveys/{w.own_survey.pk}/hide/",
        lambda w: {"answer": str(w.text_answer.pk), "reason": "广告", "hidden": True},
    ),
    (
        "an activity of one's own community organised by the target's council",
        "neighbour_staff",
        "post",
        lambda w: f"{API}activities/",
        lambda w: {**_activity(w), "community": w.neighbour.pk, "organiser": w.council_body.pk},
    ),
    (
        "removing the target announcement's attachment through one's own announcement",
        "neighbour_staff",
        "patch",
        lambda w: f"{API}announcements/{w.own_announcement.pk}/",
        lambda w: {"remove_attachments": [w.attachment.pk]},
    ),
    (
        "moving the target's activity to the neighbouring community",
        "staff",
        "put",
        lambda w: f"{API}activities/{w.activity.pk}/",
        lambda w: {**_activity(w), "community": w.neighbour.pk},
    ),
    (
        "a task of the target's topic supervised by the neighbour's resident",
        "staff",
        "post",
        lambda w: f"{API}topics/{w.implementing.pk}/tasks/",
        lambda w: {
            "title": "安装扶手",
            "due_date": str(timezone.localdate() + datetime.timedelta(days=20)),
            "supervisor": w.neighbour_resident.pk,
            "owner_user": w.staff.pk,
        },
    ),
    (
        "a score for a community outside the evaluator's engagement",
        "evaluator",
        "post",
        lambda w: f"{API}evaluation-rounds/{w.round.pk}/scores/",
        lambda w: {"indicator": w.indicator.pk, "community": w.far.pk, "value": "75", "evidence": "复查"},
    ),
    (
        "staff publishing to the neighbouring community",
        "staff",
        "post",
        lambda w: f"{API}announcements/",
        lambda w: {"community": w.neighbour.pk, "title": "停气通知", "body": "周五停气。"},
    ),
    (
        "staff scheduling a meeting of the neighbouring community",
        "staff",
        "post",
        lambda w: f"{API}meetings/",
        lambda w: {"community": w.neighbour.pk, "starts_at": _soon(12)},
    ),
    (
        "a resident raising a topic in the neighbouring community",
        "resident",
        "post",
        lambda w: f"{API}topics/",
        lambda w: {"community": w.neighbour.pk, "title": "修车棚", "body": BODY, "category": CATEGORY},
    ),
]


@pytest.mark.parametrize(("case", "who", "method", "path", "data"), NESTED, ids=[case[0] for case in NESTED])
def test_nested_references_outside_ones_scope_are_refused(w, case, who, method, path, data):
    client = APIClient()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_authenticate(user(w, who))
    with writes_nothing(case):
        response = getattr(client, method)(path(w), data(w), format="json")
    assert response.status_code in {400, 403, 404}, (response.status_code, response.content[:500])


# The admin: every registered model's pages, for the target's objects.

# The city's geography is public: staff and officials may look at it, never change it.
PUBLIC_IN_ADMIN = {"communities.District", "communities.Street"}

ADMIN_TARGETS = {
    "auth.Group": lambda w: Group.objects.get(name="Committee staff"),
    "communities.District": lambda w: w.district,
    "communities.Street": lambda w: w.street,
    "communities.Community": lambda w: w.target,
    "communities.Body": lambda w: w.council_body,
    "communities.Membership": lambda w: Membership.objects.get(user=w.council[0]),
    "communities.Residency": lambda w: w.pending,
    "communities.User": lambda w: w.resident,
    "communities.CommunityUserObjectPermission": lambda w: CommunityUserObjectPermission.objects.get(user=w.staff),
    "communities.StreetUserObjectPermission": lambda w: StreetUserObjectPermission.objects.get(user=w.street_official),
    "communities.DistrictUserObjectPermission": lambda w: DistrictUserObjectPermission.objects.get(
        user=w.district_official
    ),
    "deliberation.Topic": lambda w: w.collecting,
    "deliberation.Meeting": lambda w: w.upcoming,
    "deliberation.Comment": lambda w: w.comment,
    "deliberation.CommentReport": lambda w: w.report,
    "deliberation.Objection": lambda w: w.objection,
    "deliberation.Task": lambda w: w.task,
    "deliberation.Vote": lambda w: Vote.objects.filter(agenda_item__meeting__community=w.target).first(),
    "deliberation.Rating": lambda w: w.rating,
    "deliberation.ObserverRegistration": lambda w: ObserverRegistration.objects.get(user=w.resident2),
    "deliberation.TrailEntry": lambda w: TrailEntry.objects.filter(topic=w.collecting).first(),
    "deliberation.CouncilRules": lambda w: w.rules,
    "deliberation.MeetingMaterial": lambda w: w.material,
    "deliberation.Posting": lambda w: w.posting,
    "surveys.Survey": lambda w: w.survey,
    "surveys.Response": lambda w: w.text_answer.response,
    "surveys.Answer": lambda w: w.text_answer,
    "surveys.Participation": lambda w: Participation.objects.get(survey=w.survey),
    "surveys.Activity": lambda w: w.activity,
    "surveys.Attendance": lambda w: w.held_activity.attendances.first(),
    "surveys.SignUp": lambda w: w.signup,
    "surveys.ActivityRating": lambda w: w.activity_rating,
    "surveys.Engagement": lambda w: w.engagement,
    "surveys.EvaluationRound": lambda w: w.round,
    "surveys.Score": lambda w: Score.objects.get(indicator=w.indicator, community=w.target),
    "notifications.Notice": lambda w: w.notice,
    "notifications.Delivery": lambda w: w.delivery,
    "information.Announcement": lambda w: w.announcement,
    "information.BodyProfile": lambda w: w.body_profile,
    "information.Service": lambda w: w.service,
}

# What an add form must not offer an outsider to attach a new row to.
TARGET_CHOICES = {
    "communities.Community": lambda w: w.target,
    "communities.Body": lambda w: w.council_body,
    "deliberation.Topic": lambda w: w.collecting,
    "deliberation.Meeting": lambda w: w.upcoming,
    "surveys.Survey": lambda w: w.survey,
    "surveys.Activity": lambda w: w.activity,
    "surveys.Engagement": lambda w: w.engagement,
}

ADMIN_MODELS = sorted(model._meta.label for model in admin.site._registry)


def admin_url(obj, view):
    meta = obj._meta
    args = [obj.pk] if view in ("change", "delete") else []
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def admin_client(w, who):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    acting = user(w, who) if who != "root" else w.root
    if acting is not None:
        client.force_login(acting)
    return client


def test_every_admin_model_has_a_target():
    assert sorted(ADMIN_TARGETS) == ADMIN_MODELS


def _refused(response):
    """Login page, 403, 404, or Django's "doesn't exist" bounce to the admin index."""
    if response.status_code in (403, 404):
        return True
    if response.status_code != 302:
        return False
    return response.url.startswith(reverse("admin:login")) or response.url == reverse("admin:index")


def _offers_no_target(w, response):
    form = response.context_data["adminform"].form
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        target = TARGET_CHOICES.get(queryset.model._meta.label) if queryset is not None else None
        if target is not None and queryset.filter(pk=target(w).pk).exists():
            return False
    return True


@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_target_is_where_the_pages_look(w, label):
    """The pages below are the right ones: a superuser opens the target's change page."""
    obj = ADMIN_TARGETS[label](w)
    assert obj is not None, f"the world holds no {label} of the target community"
    assert admin_client(w, "root").get(admin_url(obj, "change")).status_code == 200


def _admin_pages(client, obj):
    """The list, the change, add and delete pages, and posts to the change and delete pages."""
    return {
        "changelist": client.get(admin_url(obj, "changelist")),
        "change": client.get(admin_url(obj, "change")),
        "add": client.get(admin_url(obj, "add")),
        "delete": client.get(admin_url(obj, "delete")),
        "change (post)": client.post(admin_url(obj, "change"), {"_save": "Save"}),
        "delete (post)": client.post(admin_url(obj, "delete"), {"post": "yes"}),
    }


@pytest.mark.parametrize("who", ("anonymous", "neighbour_resident"))
def test_admin_sends_people_without_admin_access_to_the_login(w, who):
    client = admin_client(w, who)
    login = reverse("admin:login")
    for label in ADMIN_MODELS:
        with writes_nothing(f"{who} in the admin of {label}"):
            pages = _admin_pages(client, ADMIN_TARGETS[label](w))
        for page, response in pages.items():
            assert response.status_code == 302 and response.url.startswith(login), (label, page, response.status_code)


@pytest.mark.parametrize("who", ("neighbour_staff", "far_official"))
@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_pages_refuse_staff_and_officials_of_elsewhere(w, label, who):
    obj = ADMIN_TARGETS[label](w)
    public = label in PUBLIC_IN_ADMIN
    with writes_nothing(f"{who} in the admin of {label}"):
        pages = _admin_pages(admin_client(w, who), obj)
    changelist, change, add = pages.pop("changelist"), pages.pop("change"), pages.pop("add")
    if changelist.status_code == 200:
        assert public or admin_url(obj, "change").encode() not in changelist.content, "the list shows the target"
    else:
        assert _refused(changelist), changelist.status_code
    assert _refused(change) or (public and change.status_code == 200), change.status_code
    assert _refused(add) or (add.status_code == 200 and _offers_no_target(w, add)), add.status_code
    for page, response in pages.items():
        assert _refused(response), (page, response.status_code, response.get("Location"))


def _action_names(model_admin):
    names = [getattr(action, "__name__", action) for action in model_admin.actions or ()]
    return ["delete_selected", *names]


@pytest.mark.parametrize("who", ("neighbour_staff", "far_official"))
@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_actions_leave_the_target_alone(w, label, who):
    """Each action of the list, run on the target's row, does nothing to it."""
    obj = ADMIN_TARGETS[label](w)
    model_admin = admin.site._registry[type(obj)]
    client = admin_client(w, who)
    for name in _action_names(model_admin):
        with writes_nothing(f"{who} running {name} on the target's {label}"):
            response = client.post(
                admin_url(obj, "changelist"), {"action": name, "_selected_action": [obj.pk], "post": "yes"}
            )
        assert response.status_code in (200, 302, 403), (name, response.status_code)
