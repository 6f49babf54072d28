"""Fault drills against real PostgreSQL, Redis and Celery worker and beat processes.

Each drill starts `celery -A civic worker` (and beat where the drill needs one) as child
processes pointed at this test database and a Redis database of their own, breaks
something the way production breaks, and checks that every recipient ends with exactly one
sent delivery per channel, and that nothing goes out for a date that no longer holds.
"""

import contextlib
import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from communities.models import Residency
from deliberation import services as deliberation_services
from deliberation.models import AgendaItem, Meeting, Topic
from notifications.models import Delivery, Notice
from notifications.registry import EMAIL, IN_APP, SMS
from tests import factories

from .fake_tencent import FakeTencentSms

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _redis_db():
    """Databases 1-4 of the shared Redis: one per xdist worker, apart from the cache's 10+."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker[2:]) if worker[2:].isdigit() else 0
    return 1 + number % 4


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Drill:
    """Worker and beat processes for one drill, and the broker they share with this process."""

    def __init__(self, tmp_path, broker_url, **env):
        self.tmp = tmp_path
        self.broker_url = broker_url
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": broker_url,
            "CIVIC_VAR_DIR": str(tmp_path / "var"),
            "SMS_FILE_PATH": str(tmp_path / "sms"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "NOTICE_DISPATCH_INTERVAL": "1",
            "NOTICE_HANDOFF_LEASE_SECONDS": "4",
            "NOTICE_SEND_LEASE_SECONDS": "4",
            "NOTICE_RETRY_BASE_SECONDS": "1",
            "SMS_TIMEOUT": "1",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.env.pop("PYTEST_XDIST_WORKER", None)
        self.processes = {}
        self.supervised = {}
        self.restarts = 0

    def start(self, name, *args):
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 (the worker writes it until it is stopped)
        command = [sys.executable, "-m", "celery", "-A", "civic", *args]
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self.processes[name]

    def worker(self, name="worker", concurrency=2):
        return self.start(
            name,
            "worker",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}-{uuid.uuid4().hex[:8]}@drill",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
        )

    def supervise(self, name="worker"):
        """Start a worker that is started again whenever a drill finds it dead (`revive`), as
        production's supervisor (systemd `Restart=always`) does: kombu 5.7 can end a worker
        whose Redis dies while it holds an unacknowledged message (AttributeError in
        restore_unacked)."""
        self.supervised[name] = lambda: self.worker(name)
        return self.worker(name)

    def revive(self):
        for name, start in self.supervised.items():
            if name in self.processes and self.processes[name].poll() is not None:
                self.processes.pop(name)
                start()
                self.restarts += 1

    def beat(self, name="beat"):
        schedule = self.tmp / f"{name}-schedule"
        return self.start(name, "beat", "--schedule", str(schedule), "--max-interval", "1", "--loglevel", "WARNING")

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=20)

    def stop_all(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if name.startswith("beat") else signal.SIGKILL)

    def logs(self):
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(self.tmp.glob("*.log"))
        )


@pytest.fixture
def point_celery_at():
    """Publish this process's tasks to the drill's broker too (on_commit hands work over)."""
    from civic.celery import app

    previous = app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager
    # The worker processes run the tasks; this process only publishes them.
    app.conf.task_always_eager = False

    def point(url):
        app.conf.broker_url = url
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
        app._pool = None
        app.amqp._producer_pool = None

    yield point
    point(previous[0])
    app.conf.broker_transport_options = previous[1]
    app.conf.task_always_eager = previous[2]


@pytest.fixture
def drill(tmp_path, point_celery_at):
    import redis

    url = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{_redis_db()}"
    redis.Redis.from_url(url).flushdb()
    point_celery_at(url)
    running = Drill(tmp_path, url)
    yield running
    running.stop_all()


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this drill's own, so restarting it disturbs no one else."""
    port = _free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(tmp_path)]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: _answers(port), timeout=10, what="redis-server to answer")

        def stop(self):
            self.process.kill()
            self.process.wait(timeout=10)

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def _answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(condition, *, timeout, what, drill=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if drill is not None:
            drill.revive()
        time.sleep(0.2)
    state = list(Delivery.objects.values("channel", "status").annotate(n=Count("pk")).order_by("channel", "status"))
    raise AssertionError(
        f"timed out waiting for {what}; deliveries now: {state}" + (f"\n{drill.logs()}" if drill else "")
    )


def residents(community, count, *, email_every=10):
    """`count` verified residents with phone numbers, every tenth one taking e-mail too."""
    User = get_user_model()
    password = make_password(None)
    tag = uuid.uuid4().hex[:6]
    users = User.objects.bulk_create(
        [
            User(
                username=f"drill-{tag}-{n}",
                password=password,
                phone=f"15{community.pk % 10}{n:08d}",
                email=f"drill-{tag}-{n}@example.cn" if n % email_every == 0 else "",
                email_opt_in=n % email_every == 0,
            )
            for n in range(count)
        ]
    )
    Residency.objects.bulk_create(
        [Residency(user=user, community=community, status=Residency.Status.VERIFIED) for user in users]
    )
    return users


def expected_counts(users):
    return {IN_APP: len(users), SMS: len(users), EMAIL: sum(1 for u in users if u.email_opt_in)}


def sent_counts(**filters):
    rows = Delivery.objects.filter(status=Delivery.Status.SENT, **filters).values_list("channel", flat=True)
    rows = list(rows)
    return {channel: rows.count(channel) for channel in (IN_APP, SMS, EMAIL)}


def assert_exactly_once(users, drill, notice=None):
    filters = {"notice": notice} if notice else {}
    expected = expected_counts(users)
    wait_for(lambda: sent_counts(**filters) == expected, timeout=150, what=f"{expected} sent", drill=drill)
    assert not Delivery.objects.filter(**filters).exclude(status=Delivery.Status.SENT).exists()
    # One row per (recipient, channel) by constraint; and the SMS files, one per delivery
    # reference, match them one to one.
    files = list((drill.tmp / "sms").rglob("*.txt"))
    assert len(files) == expected[SMS]


def with_an_agenda(meeting, staff):
    """A meeting notice goes out only with an agenda: one item, laid down directly so that no
    other notice (a step change) joins the ones the drills count."""
    topic = Topic.objects.create(
        community=meeting.community,
        title="议程事项",
        body="楼道灯坏了三个月，晚上老人上下楼很危险。" * 2,
        raised_by=staff,
    )
    AgendaItem.objects.create(meeting=meeting, topic=topic, added_by=staff)
    return meeting


def short_notice_meeting(community, staff, days=2):
    return with_an_agenda(
        deliberation_services.meeting_schedule(
            actor=staff,
            community=community,
            starts_at=timezone.now() + datetime.timedelta(days=days),
            location="社区议事厅",
        ),
        staff,
    )


@pytest.fixture
def world(db):
    admin = factories.superuser()
    community = factories.CommunityFactory()
    staff = factories.staff_member(community, actor=admin)
    return community, staff


def test_sigkill_of_the_worker_mid_fan_out(drill, world):
    community, staff = world
    users = residents(community, 5000)
    drill.worker()
    drill.beat()
    with transaction.atomic():
        short_notice_meeting(community, staff)
    wait_for(lambda: sent_counts()[SMS] >= 400, timeout=60, what="the fan-out to be under way", drill=drill)
    drill.kill("worker")
    assert sent_counts()[SMS] < len(users), "the worker was killed too late to prove anything"
    drill.worker()
    assert_exactly_once(users, drill)


def test_redis_restart_mid_fan_out(drill, world, private_redis, point_celery_at):
    community, staff = world
    point_celery_at(private_redis.url)
    drill.env["REDIS_URL"] = private_redis.url
    users = residents(community, 5000)
    drill.supervise("worker")
    drill.beat()
    with transaction.atomic():
        short_notice_meeting(community, staff)
    wait_for(lambda: sent_counts()[SMS] >= 400, timeout=60, what="the fan-out to be under way", drill=drill)
    private_redis.stop()  # every queued message is lost with it: it keeps nothing on disk
    time.sleep(1)
    private_redis.start()
    assert sent_counts()[SMS] < len(users)
    assert_exactly_once(users, drill)


def test_redis_down_when_a_notice_falls_due(drill, world, private_redis, point_celery_at):
    """Staff schedule a meeting while Redis is down; its notice falls due during the outage, is
    delayed, and goes out exactly once after Redis is back."""
    import redis
    from rest_framework.test import APIClient

    community, staff = world
    point_celery_at(private_redis.url)
    drill.env["REDIS_URL"] = private_redis.url
    users = residents(community, 300)
    drill.supervise("worker")
    drill.beat()
    broker = redis.Redis.from_url(private_redis.url)
    wait_for(
        lambda: any(client["cmd"] == "brpop" for client in broker.client_list()),
        timeout=60,
        what="the worker to listen on the broker",
        drill=drill,
    )
    private_redis.stop()

    api = APIClient()
    api.force_authenticate(staff)
    lead = datetime.timedelta(days=settings.NOTICE_LEAD_DAYS)
    starts_at = timezone.now() + lead + datetime.timedelta(seconds=2)
    started = time.monotonic()
    response = api.post(
        "/api/v1/meetings/", {"community": community.pk, "starts_at": starts_at.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 10, "a dead broker may not hold up the request"
    notice = Notice.objects.get()
    time.sleep(max((notice.due_at - timezone.now()).total_seconds(), 0) + 3)
    assert not Delivery.objects.exists(), "nothing can go while the broker is down"
    drill.revive()

    restarted = timezone.now()
    private_redis.start()
    assert_exactly_once(users, drill)
    assert Delivery.objects.order_by("sent_at").values_list("sent_at", flat=True).first() >= restarted


def test_two_beats_and_two_workers_send_nothing_twice(drill, world):
    community, staff = world
    users = residents(community, 1500)
    for name in ("worker-a", "worker-b"):
        drill.worker(name)
    drill.beat("beat-a")
    drill.beat("beat-b")
    with transaction.atomic():
        short_notice_meeting(community, staff)
    assert_exactly_once(users, drill)
    # No delivery was claimed twice: each took exactly one attempt.
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def test_worker_and_beat_down_across_the_due_time(drill, world):
    community, staff = world
    users = residents(community, 300)
    lead = datetime.timedelta(days=settings.NOTICE_LEAD_DAYS)
    meeting = deliberation_services.meeting_schedule(
        actor=staff,
        community=community,
        starts_at=timezone.now() + lead + datetime.timedelta(seconds=3),
        location="议事厅",
    )
    with_an_agenda(meeting, staff)
    notice = Notice.objects.get()
    assert not notice.short_notice
    time.sleep(max((notice.due_at - timezone.now()).total_seconds(), 0) + 2)
    assert not Delivery.objects.exists(), "nothing may go while worker and beat are down"
    restarted = timezone.now()
    drill.worker()
    drill.beat()
    assert_exactly_once(users, drill)
    first = Delivery.objects.order_by("sent_at").values_list("sent_at", flat=True).first()
    assert first >= notice.due_at == meeting.notice_at
    assert (first - restarted).total_seconds() < 60


def test_an_exception_in_the_scheduling_transaction_queues_nothing(drill, world):
    community, staff = world
    residents(community, 50)
    drill.worker()
    drill.beat()
    with pytest.raises(RuntimeError), transaction.atomic():
        short_notice_meeting(community, staff)
        raise RuntimeError("the rest of the change failed")
    time.sleep(4)
    assert not Meeting.objects.exists()
    assert not Notice.objects.exists()
    assert not Delivery.objects.exists()
    assert not (drill.tmp / "sms").exists()


def test_a_meeting_moved_after_its_notice_was_queued_sends_nothing_for_the_old_date(drill, world):
    community, staff = world
    residents(community, 50)
    drill.worker()
    drill.beat()
    lead = datetime.timedelta(days=settings.NOTICE_LEAD_DAYS)
    meeting = deliberation_services.meeting_schedule(
        actor=staff,
        community=community,
        starts_at=timezone.now() + lead + datetime.timedelta(seconds=4),
        location="议事厅",
    )
    with_an_agenda(meeting, staff)
    old = Notice.objects.get()
    deliberation_services.meeting_move(
        actor=staff, meeting=meeting, starts_at=meeting.starts_at + datetime.timedelta(days=1)
    )
    time.sleep(max((old.due_at - timezone.now()).total_seconds(), 0) + 4)
    old.refresh_from_db()
    assert old.status == Notice.Status.SUPERSEDED
    assert not Delivery.objects.exists()
    assert Notice.objects.get(status=Notice.Status.PENDING).due_at == old.due_at + datetime.timedelta(days=1)


def test_sms_provider_errors_and_timeouts_are_retried_then_fail_visibly(drill, world, client):
    community, staff = world
    residents(community, 4, email_every=2)
    # Errors, then a timeout, then errors: every attempt fails, and the other channels go.
    with FakeTencentSms(mode=["internal", "timeout", "internal"], delay=2.5) as fake:
        drill.env.update(
            {
                "SMS_BACKEND": "notifications.sms.TencentBackend",
                "SMS_TENCENT_ENDPOINT": fake.endpoint,
                "SMS_TENCENT_SECRET_ID": "AKIDdrill",
                "SMS_TENCENT_SECRET_KEY": "drill",
                "SMS_TENCENT_SDK_APP_ID": "1400000001",
                "SMS_TENCENT_SIGN_NAME": "社区议事",
                "SMS_TENCENT_TEMPLATE_ID": "100001",
                "NOTICE_MAX_ATTEMPTS": "3",
            }
        )
        drill.worker(concurrency=4)
        drill.beat()
        with transaction.atomic():
            short_notice_meeting(community, staff)
        wait_for(
            lambda: Delivery.objects.filter(channel=SMS, status=Delivery.Status.FAILED).count() == 4,
            timeout=90,
            what="the SMS deliveries to fail",
            drill=drill,
        )
        assert sent_counts() == {IN_APP: 4, SMS: 0, EMAIL: 2}
        failed = list(Delivery.objects.filter(channel=SMS))
        assert {d.attempts for d in failed} == {3}
        assert all("InternalError" in d.last_error or "ClientNetworkError" in d.last_error for d in failed)
        # Three attempts for each of the four messages, each with its delivery's reference.
        refs = [r["body"]["SessionContext"] for r in fake.requests]
        assert len(refs) == 12 and len(set(refs)) == 4
    admin = get_user_model().objects.filter(is_superuser=True).first()
    client.force_login(admin)
    page = client.get("/admin/notifications/delivery/?status__exact=failed&channel__exact=sms").content.decode()
    assert "InternalError.Timeout" in page or "ClientNetworkError" in page
