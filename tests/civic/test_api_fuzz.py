"""Schemathesis over the whole API (issue 7): no server error, every answer as the schema says.

The schema is read from `/api/schema/` and every operation in it is fuzzed in-process through
the WSGI application, three times: as someone not logged in, as a verified resident and as the
community's staff (Token header). Each answer must be no 5xx, carry a documented status code
and content type, and have a body and headers that match the schema.

Path parameters are drawn partly from the ids of a small world (a community with topics in
several steps, a meeting, a survey, an activity, an announcement, a notice), so the fuzz reaches
the views behind the lookups, not only their 404. The world is built once per module inside a
transaction rolled back at the end; each test runs in a savepoint of its own.

Generation is derandomized with a fixed seed and a few examples per operation, so CI stays
quick and a failure replays the same way.
"""

import datetime
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from deliberation import clock
from deliberation import services as deliberation
from deliberation.models import TopicCategory
from deliberation.workflow import Step
from information import services as information
from notifications import services as notifications
from notifications.models import Delivery
from surveys import services as surveys
from surveys.models import QuestionKind, Scope
from tests import factories

ROLES = ("anonymous", "resident", "staff")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
CATEGORY = TopicCategory.PUBLIC_SPACE
BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 2026,
        "generation": {"max-examples": 6, "deterministic": True, "database": "none"},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    get_wsgi_application(),
    config=CONFIG,
    headers={"Accept": "application/vnd.oai.openapi+json"},
)

# The world's ids, by the collection a path names; the hook below reads them at draw time.
KNOWN_IDS = {}


def _at(moment):
    return clock.travel(moment)


def _build_world():
    now = timezone.now().replace(microsecond=0)
    day = datetime.timedelta(days=1)
    root = factories.superuser()
    community = factories.CommunityFactory()
    w = SimpleNamespace(now=now, root=root, community=community)
    w.staff = factories.staff_member(community, actor=root)
    w.resident = factories.resident(community, actor=root)
    w.council = [factories.council_member(community, actor=root) for _ in range(3)]
    w.collecting = deliberation.topic_raise(actor=w.resident, community=community, title="加装声控灯", body=BODY, category=CATEGORY)
    w.comment = deliberation.comment_post(actor=w.resident, topic=w.collecting, body="赞成，老人晚上上下楼太危险。")
    with _at(now - 10 * day):
        w.review = deliberation.topic_raise(actor=w.resident, community=community, title="修补路面", body=BODY, category=CATEGORY)
        w.review = deliberation.topic_advance(actor=w.staff, topic=w.review, to=Step.REVIEW)
    with _at(now - day):
        w.meeting = deliberation.meeting_schedule(
            actor=w.staff, community=community, starts_at=now + 10 * day, location="议事厅"
        )
    w.survey = surveys.survey_create(
        actor=w.staff, title="夜间照明意见征集", scope=Scope.COMMUNITY, place=community,
        opens_at=now - day, closes_at=now + 7 * day,
    )
    surveys.question_add(
        actor=w.staff, survey=w.survey, kind=QuestionKind.SINGLE, text="哪一段最需要改造？", choices=["主街", "楼道"]
    )
    w.activity = surveys.activity_publish(
        actor=w.staff, community=community, theme="邻里节", category="culture",
        starts_at=now + 3 * day, ends_at=now + 3 * day + datetime.timedelta(hours=2), place="活动室", capacity=30,
    )
    w.announcement = information.announcement_publish(
        actor=w.staff, area=community, title="停水通知", body="明天上午停水。"
    )
    notifications.notices_dispatch()
    w.delivery = Delivery.objects.filter(recipient=w.resident, channel=Delivery.Channel.IN_APP).first()
    w.tokens = {role: Token.objects.create(user=getattr(w, role)).key for role in ROLES[1:]}
    return w


def _known_ids(w):
    return {
        "communities": [w.community.pk],
        "topics": [w.collecting.pk, w.review.pk],
        "comments": [w.comment.pk],
        "meetings": [w.meeting.pk],
        "surveys": [w.survey.pk],
        "activities": [w.activity.pk],
        "announcements": [w.announcement.pk],
        "notifications": [w.delivery.pk] if w.delivery else [],
    }


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, an id that exists: the view runs past its lookup."""
    collection = context.operation.path.split("/")[3]
    ids = KNOWN_IDS.get(collection)
    if not ids or "id" not in (path_parameters or {}):
        return st.just(path_parameters)
    return st.sampled_from([*ids, path_parameters["id"]]).map(lambda pk: {**path_parameters, "id": pk})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            w = _build_world()
            KNOWN_IDS.update(_known_ids(w))
            yield w
            KNOWN_IDS.clear()
            transaction.set_rollback(True)


@pytest.fixture
def unthrottled(monkeypatch):
    """Fuzzing sends requests faster than any person: throttles would answer 429 to most."""
    monkeypatch.setattr(APIView, "get_throttles", lambda view: [])


@schema.parametrize()
# The world is shared by a test's examples on purpose; generating bodies may take a while.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(case, role, world, db, unthrottled):
    headers = {"Authorization": f"Token {world.tokens[role]}"} if role in world.tokens else {}
    case.call_and_validate(headers=headers)
