"""Schemathesis over the whole API (issue 7): no server error, every answer as the schema says.

The schema is read from `/api/schema/` and every operation in it is fuzzed in-process through
the WSGI application, three times: as someone not logged in, as a verified resident and as the
community's staff (Token header). Each answer must be no 5xx, carry a documented status code
and content type, and have a body and headers that match the schema.

Path parameters are drawn mostly from the ids of a small world (a community with topics in two
steps, a comment, a meeting and its notices, a survey, an activity, an announcement, a service),
so the fuzz reaches the views behind the lookups, not only their 404. The world is built once per module inside a
transaction rolled back at the end; each test runs in a savepoint of its own.

Generation is derandomized with a fixed seed and a few examples per operation, so CI stays
quick and a failure replays the same way.
"""

import datetime
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.views import APIView

from communities import services as community_services
from communities.models import BodyKind, Residency
from core import tokens
from deliberation import clock
from deliberation import services as deliberation
from deliberation.models import TopicCategory
from deliberation.workflow import Step
from information import services as information
from information.models import ServiceCategory
from notifications import services as notifications
from notifications.models import Delivery, Follow
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

# Six examples per operation and role, the same ones every run: about 1,700 requests in well
# under a minute of CPU. After changing the API, a deeper run by hand is worth it: turn the
# coverage phase on (boundary and malformed values of every parameter) with 15 examples.
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


def _build_world():
    """One community: its staff, a resident, a council; topics collecting views and under review,
    a meeting noticed at once, a survey, an activity, an announcement, a service."""
    now = timezone.now().replace(microsecond=0)
    day = datetime.timedelta(days=1)
    root = factories.superuser()
    community = factories.CommunityFactory()
    w = SimpleNamespace(community=community)
    w.staff = factories.staff_member(community, actor=root)
    w.resident = factories.resident(community, actor=root)
    council = [factories.council_member(community, actor=root) for _ in range(3)]
    w.collecting = deliberation.topic_raise(
        actor=w.resident, community=community, title="加装声控灯", body=BODY, category=CATEGORY
    )
    w.comment = deliberation.comment_post(actor=council[0], topic=w.collecting, body="赞成，老人晚上上下楼太危险。")
    notifications.follow(user=w.resident, subject=w.collecting)
    with clock.travel(now - 10 * day):
        w.review = deliberation.topic_raise(
            actor=w.resident, community=community, title="修补路面", body=BODY, category=CATEGORY
        )
        w.review = deliberation.topic_advance(actor=w.staff, topic=w.review, to=Step.REVIEW)
    # Inside the notice lead time: noticed at once, so the resident's inbox holds it.
    w.meeting = deliberation.meeting_schedule(
        actor=w.staff, community=community, starts_at=now + 2 * day, location="议事厅"
    )
    notifications.notices_dispatch()
    w.survey = surveys.survey_create(
        actor=w.staff,
        title="夜间照明意见征集",
        scope=Scope.COMMUNITY,
        place=community,
        opens_at=now - day,
        closes_at=now + 7 * day,
    )
    surveys.question_add(
        actor=w.staff, survey=w.survey, kind=QuestionKind.SINGLE, text="哪一段最需要改造？", choices=["主街", "楼道"]
    )
    w.activity = surveys.activity_publish(
        actor=w.staff,
        community=community,
        theme="邻里节",
        category="culture",
        starts_at=now + 3 * day,
        ends_at=now + 3 * day + datetime.timedelta(hours=2),
        place="活动室",
        capacity=30,
    )
    w.announcement = information.announcement_publish(
        actor=w.staff, area=community, title="停水通知", body="明天上午停水。"
    )
    w.service = information.service_create(
        actor=w.staff,
        provider=community_services.body_create(
            actor=root, community=community, kind=BodyKind.SERVICE_CENTRE, name="便民服务中心"
        ),
        name="老年助餐",
        category=ServiceCategory.values[0],
        description="每周三接待",
        location="服务大厅",
        hours="周三下午",
        how_to_apply="直接来访",
    )
    w.tokens = {role: tokens.issue(getattr(w, role)) for role in ROLES[1:]}
    return w


def _known_ids(w):
    return {
        "communities": [w.community.pk],
        "residencies": list(Residency.objects.filter(community=w.community).values_list("pk", flat=True)),
        "topics": [w.collecting.pk, w.review.pk],
        "comments": [w.comment.pk],
        "meetings": [w.meeting.pk],
        "notifications": list(Delivery.objects.filter(recipient=w.resident).values_list("pk", flat=True)),
        "follows": list(Follow.objects.filter(user=w.resident).values_list("pk", flat=True)),
        "surveys": [w.survey.pk],
        "activities": [w.activity.pk],
        "announcements": [w.announcement.pk],
        "services": [w.service.pk],
    }


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Mostly an id that exists, else the drawn one: the fuzz reaches past the views' lookups."""
    collection = context.operation.path.split("/")[3]
    ids = KNOWN_IDS.get(collection)
    if not ids or "id" not in (path_parameters or {}):
        return st.just(path_parameters)
    return st.sampled_from([*ids, path_parameters["id"]]).map(lambda pk: {**path_parameters, "id": pk})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        w = _build_world()
        KNOWN_IDS.update(_known_ids(w))
        yield w
        KNOWN_IDS.clear()
        transaction.set_rollback(True)


@pytest.fixture
def connection_kept():
    """The WSGI app closes the database connection around each request, as a server should; here
    that would end the test's transaction, so keep it open as Django's test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def unthrottled(monkeypatch):
    """Fuzzing sends requests faster than any person: throttles would answer 429 to most."""
    monkeypatch.setattr(APIView, "get_throttles", lambda view: [])


@schema.parametrize()
# The world is shared by a test's examples on purpose; generating bodies may take a while.
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(case, role, world, db, connection_kept, unthrottled):
    headers = {"Authorization": f"Token {world.tokens[role]}"} if role in world.tokens else {}
    case.call_and_validate(headers=headers)


# Issue 13: bodies and parameters no generator draws. Every operation that takes a JSON body
# gets `[` x 5000; every query parameter of every operation gets a NUL byte. Each answer is
# JSON, 400 (or a refusal the operation documents before it reads the input), never a 5xx,
# and a status code the schema lists for that operation.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
DEEP_JSON = "[" * 5000


def _documented(operation):
    return {int(code) for code in operation.definition.raw.get("responses", {}) if code.isdigit()}


def _path(operation):
    ids = {**KNOWN_IDS}
    collection = operation.path.split("/")[3]
    return operation.path.replace("{id}", str((ids.get(collection) or [1])[0]))


@pytest.mark.parametrize(
    "operation",
    [op for op in OPERATIONS if any(body.media_type == "application/json" for body in op.body)],
    ids=lambda op: f"{op.method.upper()} {op.path}",
)
@pytest.mark.parametrize("role", ROLES)
def test_deeply_nested_json_is_a_json_400_everywhere(operation, role, world, client, unthrottled):
    headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[role]}"} if role in world.tokens else {}
    send = getattr(client, operation.method.lower())
    response = send(_path(operation), DEEP_JSON, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert response.status_code < 500, response.content[:300]
    assert response.status_code in _documented(operation), response.status_code
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    "operation", [op for op in OPERATIONS if list(op.query)], ids=lambda op: f"{op.method.upper()} {op.path}"
)
@pytest.mark.parametrize("role", ROLES)
def test_a_nul_byte_in_any_query_parameter_is_a_json_400(operation, role, world, db, connection_kept, unthrottled):
    headers = {"Authorization": f"Token {world.tokens[role]}"} if role in world.tokens else {}
    for parameter in operation.query:
        case = operation.Case(
            path_parameters={"id": (KNOWN_IDS.get(operation.path.split("/")[3]) or [1])[0]}
            if "{id}" in operation.path
            else {},
            query={parameter.name: "\x00x"},
            headers=headers,
        )
        response = case.call_and_validate(checks=None, headers=headers)
        assert response.status_code == 400, (parameter.name, response.status_code)
