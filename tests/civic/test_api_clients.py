"""The API as an app developer meets it: clients generated from `/api/schema/` by tools nobody
here wrote, and the residents' and the clerk's errands driven through them.

- openapi-python-client (pinned in requirements-dev.txt) generates a Python package from the
  schema as a Chinese-speaking developer fetches it, into a temporary folder; every module of
  it imports, its module names are ASCII, and the generator says nothing beyond KNOWN_WARNINGS
  (each explained there).
- openapi-typescript (npm, pinned) writes the schema's TypeScript types and `tsc --noEmit`
  compiles clients/ts/usage.ts against them: a field the usage reads that the schema renames or
  drops fails the build.
- Two flows go through the generated Python client only (its request functions and models;
  the data they start from is set up through the services): a resident's (token, me/, a
  filtered community list, the community's topics with history and next steps, a comment and a
  reply, a gallery seat, the inbox read, a survey answered and the second answer refused, the
  announcements) and the clerk's (a meeting with an agenda, a move refused with its blockers
  and `code`, a move made). The client talks HTTP to the whole Django stack through httpx's WSGI
  transport, in the test's own database transaction.
"""

import datetime
import importlib
import json
import os
import pkgutil
import shutil
import subprocess  # nosec B404  # runs the pinned generators and tsc on files this test wrote
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from deliberation import services as deliberation_services
from deliberation.workflow import Step
from information import services as information_services
from notifications import services as notice_services
from notifications.models import Delivery
from notifications.registry import IN_APP
from surveys import services as survey_services
from surveys.models import QuestionKind, Scope
from tests.factories import PASSWORD

BASE = Path(settings.BASE_DIR)
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
OPENAPI_TYPESCRIPT = BASE / "node_modules" / ".bin" / "openapi-typescript"
TSC = BASE / "node_modules" / ".bin" / "tsc"
USAGE = BASE / "clients" / "ts"
PACKAGE = "civic_client"
# The generator's own formatting hooks (ruff) are left out: the package is read, not committed.
CONFIG = f"project_name_override: civic-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
# What openapi-python-client may say while generating, beyond naming the folder, and why.
KNOWN_WARNINGS: dict[str, str] = {}
# Generated modules known not to import, and why. Remove a line once its cause is fixed; any
# other module that does not import fails the test.
KNOWN_BROKEN = {}  # every generated module imports: keep it so


def _need(path, install):
    if Path(path).exists():
        return
    message = f"needs {path} ({install})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _run(command, cwd):
    result = subprocess.run(  # nosec B603  # fixed argument lists, no shell
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"{Path(command[0]).name} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    """The schema as a developer in Chinese fetches it: it must not depend on the language."""
    with django_db_blocker.unblock():
        response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture(scope="module")
def generated(schema, tmp_path_factory):
    """The generated Python package, importable while the module's tests run; and what the
    generator said."""
    _need(GENERATOR, "pip install -r requirements-dev.txt")
    folder = tmp_path_factory.mktemp("python-client")
    (folder / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    output = _run(
        [GENERATOR, "generate", "--path", "schema.json", "--config", "config.yaml", "--meta", "none"]
        + ["--output-path", PACKAGE],
        cwd=folder,
    )
    said = [line for line in output.splitlines() if line.strip() and not line.startswith("Generating ")]
    sys.path.insert(0, str(folder))
    try:
        yield {"folder": folder / PACKAGE, "said": said}
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_python_client_generates_without_warnings_and_every_module_imports(generated):
    unexplained = [line for line in generated["said"] if not any(known in line for known in KNOWN_WARNINGS)]
    assert not unexplained, "openapi-python-client said:\n" + "\n".join(generated["said"])
    package = importlib.import_module(PACKAGE)
    broken, names = {}, []
    for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
        names.append(module.name)
        try:
            importlib.import_module(module.name)
        except Exception as error:  # every broken module is listed, not the first
            broken[module.name] = repr(error)
    assert len(names) > 150
    unexplained = {name: error for name, error in broken.items() if name not in KNOWN_BROKEN}
    assert not unexplained, "Generated modules that do not import:\n" + json.dumps(unexplained, indent=1)
    assert all(name.isascii() for name in names), [name for name in names if not name.isascii()]


def test_typescript_types_from_the_schema_compile_with_the_usage_file(schema, tmp_path):
    _need(OPENAPI_TYPESCRIPT, "npm ci")
    _need(TSC, "npm ci")
    (tmp_path / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    said = _run([OPENAPI_TYPESCRIPT, "schema.json", "--output", "civic-api.d.ts"], cwd=tmp_path)
    assert "civic-api.d.ts" in said and "error" not in said.lower() and "warn" not in said.lower(), said
    for name in ("usage.ts", "tsconfig.json"):
        shutil.copy(USAGE / name, tmp_path / name)
    _run([TSC, "--noEmit", "--project", "tsconfig.json"], cwd=tmp_path)


# The flows: everything below speaks to the API through the generated package only.


def api(generated, name):
    return importlib.import_module(f"{PACKAGE}.api.v1.{name}")


def models(generated):
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture
def over_wsgi():
    """Requests keep the test's database connection, as Django's own test client does: the WSGI
    handler would close it at the end of every request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def connect(generated, token=None):
    import httpx

    client_module = importlib.import_module(f"{PACKAGE}.client")
    transport = httpx.WSGITransport(app=get_wsgi_application())
    options = {
        "base_url": "http://testserver",
        "headers": {"Accept-Language": "en"},
        "raise_on_unexpected_status": True,
        "httpx_args": {"transport": transport},
    }
    if token is None:
        return client_module.Client(**options)
    return client_module.AuthenticatedClient(token=token, prefix="Token", **options)


def log_in(generated, user):
    answer = api(generated, "v1_auth_token_create").sync_detailed(
        client=connect(generated), body=models(generated).TokenRequestRequest(username=user.username, password=PASSWORD)
    )
    assert answer.status_code == 200, answer.content
    return connect(generated, answer.parsed.token)


@pytest.fixture
def errands(world, flow, settings, over_wsgi):
    """What the flows find: a topic in each of collect and review, a meeting with gallery seats
    whose notice reached the residents, an open survey and an announcement, all in one community."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    collecting = flow.raise_topic(title="加装楼道扶手")
    reviewing = flow.at(Step.REVIEW)
    meeting = flow.meeting(days=2, observer_seats=10)
    deliberation_services.agenda_add(actor=world.staff, meeting=meeting, topic=reviewing)
    notice_services.notices_dispatch()
    queued = Delivery.objects.filter(channel=IN_APP, status="queued").values_list("pk", flat=True)
    notice_services.deliveries_send(channel=IN_APP, ids=list(queued))
    now = timezone.now()
    survey = survey_services.survey_create(
        actor=world.staff,
        title="夜间照明意见征集",
        scope=Scope.COMMUNITY,
        place=world.community,
        anonymous=True,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=7),
    )
    survey_services.question_add(
        actor=world.staff, survey=survey, kind=QuestionKind.SINGLE, text="哪一段最需要改造？", choices=["主街", "楼道"]
    )
    survey_services.question_add(actor=world.staff, survey=survey, kind=QuestionKind.SCALE, text="满意吗？")
    announcement = information_services.announcement_publish(
        actor=world.staff, area=world.community, title="停水通知", body="明天上午 9 点到 12 点停水。"
    )
    return {
        "collecting": collecting,
        "reviewing": reviewing,
        "meeting": meeting,
        "survey": survey,
        "announcement": announcement,
    }


def test_a_residents_errands_through_the_generated_client(generated, world, errands):
    m = models(generated)
    me_client = log_in(generated, world.resident)

    me = api(generated, "v1_me_retrieve").sync(client=me_client)
    assert me.username == world.resident.username

    communities = api(generated, "v1_communities_list").sync(client=me_client, street=world.community.street_id)
    assert world.community.pk in [row.id for row in communities.results]
    assert world.other_community.pk not in [row.id for row in communities.results]

    topics = api(generated, "v1_topics_list").sync(client=me_client, community=world.community.pk)
    assert {errands["collecting"].pk, errands["reviewing"].pk} <= {row.id for row in topics.results}
    topic = api(generated, "v1_topics_retrieve").sync(errands["reviewing"].pk, client=me_client)
    assert [(entry.to.value, entry.from_ and entry.from_.value) for entry in topic.history] == [
        ("collect", None),
        ("review", "collect"),
    ]
    assert topic.next_steps and all(not step.allowed and step.blockers for step in topic.next_steps)

    comments = api(generated, "v1_topics_comments_create")
    first = comments.sync(
        errands["collecting"].pk, client=me_client, body=m.CommentCreateRequest(body="同意，老人多。")
    )
    reply = comments.sync(
        errands["collecting"].pk,
        client=me_client,
        body=m.CommentCreateRequest(body="补充：三楼最暗。", parent=first.id),
    )
    assert reply.parent == first.id
    listed = api(generated, "v1_topics_comments_list").sync(errands["collecting"].pk, client=me_client)
    assert [(row.id, row.parent) for row in listed.results] == [(first.id, None), (reply.id, first.id)]

    seat = api(generated, "v1_meetings_observers_create").sync_detailed(errands["meeting"].pk, client=me_client)
    assert seat.status_code == 201 and seat.parsed.seats_left == 9

    inbox = api(generated, "v1_notifications_list").sync(client=me_client, unread=True)
    assert inbox.count >= 1 and errands["meeting"].pk in [row.meeting for row in inbox.results]
    notice = next(row for row in inbox.results if row.meeting == errands["meeting"].pk)
    read = api(generated, "v1_notifications_read_create").sync(notice.id, client=me_client)
    assert read.read is True
    assert api(generated, "v1_notifications_unread_count_retrieve").sync(client=me_client).unread == inbox.count - 1

    surveys = api(generated, "v1_surveys_list").sync(client=me_client, community=world.community.pk)
    assert errands["survey"].pk in [row.id for row in surveys.results]
    survey = api(generated, "v1_surveys_retrieve").sync(errands["survey"].pk, client=me_client)
    single, scale = survey.questions
    answers = m.ResponseInRequest(
        answers=[
            m.AnswerInRequest(question=single.id, choices=[single.choices[1].id]),
            m.AnswerInRequest(question=scale.id, value=4),
        ]
    )
    answer = api(generated, "v1_surveys_responses_create")
    assert answer.sync_detailed(errands["survey"].pk, client=me_client, body=answers).status_code == 201
    again = answer.sync_detailed(errands["survey"].pk, client=me_client, body=answers)
    assert again.status_code == 409 and again.parsed.code == m.ConflictErrorCodeEnum.ALREADY_ANSWERED

    news = api(generated, "v1_announcements_list").sync(client=me_client, community=world.community.pk)
    assert errands["announcement"].pk in [row.id for row in news.results]
    opened = api(generated, "v1_announcements_retrieve").sync(errands["announcement"].pk, client=me_client)
    assert opened.title == "停水通知"


def test_the_clerks_errands_through_the_generated_client(generated, world, errands):
    m = models(generated)
    clerk = log_in(generated, world.staff)
    topic = errands["collecting"]

    advance = api(generated, "v1_topics_advance_create")
    moved = advance.sync_detailed(topic.pk, client=clerk, body=m.AdvanceRequest(to=m.TopicStepEnum.REVIEW))
    assert moved.status_code == 200 and moved.parsed.step == m.TopicStepEnum.REVIEW

    refused = advance.sync_detailed(topic.pk, client=clerk, body=m.AdvanceRequest(to=m.TopicStepEnum.RESOLVE))
    assert refused.status_code == 409
    assert refused.parsed.code == m.ConflictErrorCodeEnum.WORKFLOW_BLOCKED
    assert refused.parsed.blockers == ["Accept the topic onto the agenda of a scheduled council meeting first."]

    starts_at = timezone.now() + datetime.timedelta(days=10)
    meeting = api(generated, "v1_meetings_create").sync_detailed(
        client=clerk,
        body=m.MeetingCreateRequest(
            community=world.community.pk,
            starts_at=starts_at,
            location="社区议事厅",
            observer_seats=12,
            agenda=[topic.pk],
        ),
    )
    assert meeting.status_code == 201, meeting.content
    assert [item.topic for item in meeting.parsed.agenda] == [topic.pk]
    assert meeting.parsed.observer_seats == 12

    moved = advance.sync_detailed(topic.pk, client=clerk, body=m.AdvanceRequest(to=m.TopicStepEnum.RESOLVE))
    assert moved.status_code == 200 and moved.parsed.step == m.TopicStepEnum.RESOLVE
    assert [entry.to for entry in moved.parsed.history][-1] == m.TopicStepEnum.RESOLVE
