"""Benchmark: the portal's pages under gunicorn, with production settings, on PostgreSQL and Redis.

    make bench          # one gunicorn (2 x cores + 1 workers) and one Celery worker
    make bench-scale    # two gunicorn processes (3 workers each) and two Celery workers,
                        # then the notice fan-out with one worker and with two, side by side

It creates the database when missing (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/civic_bench; REDIS_URL, default redis://127.0.0.1:6379/3),
migrates it, loads `seed_demo --size large` when it is not there yet (about two minutes,
once), refreshes the planner's statistics, collects the static files (served by whitenoise)
and starts gunicorn with DEBUG off and the URLs of `bench/urls.py`: the portal's plus a
trivial view. Then wrk drives, for --seconds each (in three turns):

- the trivial view (the ceiling: same gunicorn, settings and middleware, a tiny response);
- home, the community directory, a topic page with 300 comments, a meeting page (anonymous:
  the directory and topic pages then come from the cache, see core/page_cache.py);
- the same topic page for a resident of its community, logged in (rendered every time);
- the dashboard, as the demo official (a session cookie);

and --clients threads, each its own verified resident with an API token, post comments to
one open topic for --post-seconds. Every comment carries a unique marker; afterwards the
database must hold each comment the portal answered 2xx for exactly once.

It prints req/s, p50, p95 and failed requests of each page with its ratio to the trivial
view, and exits non-zero when a target is missed: the directory and the topic page at least
0.5 of the trivial view, no failed request, no lost or doubled comment. Throttles
(THROTTLE_* in civic/settings.py) are raised so the portal is measured, not its limiter.
"""

import argparse
import datetime
import functools
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

from bench import report  # noqa: E402

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/civic_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
}
UNTHROTTLED = "1000000/min"
ROUNDS = 3
LOG_DIR = BASE / "var" / "bench"
BIN = Path(sys.executable).parent


def throttle_names():
    """Every THROTTLE_* variable the settings read: a limit added later is raised too."""
    settings_text = (BASE / "civic" / "settings.py").read_text()
    return sorted(set(re.findall(r"environ\.get\(\"(THROTTLE_[A-Z0-9_]+)\"", settings_text)))


def configure_environment():
    """Production settings for this process and every process it starts."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    for name in throttle_names():
        os.environ[name] = UNTHROTTLED


def ensure_database():
    """CREATE DATABASE when DATABASE_URL names one that does not exist yet."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench/web.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    server = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None}
    connection = psycopg2.connect(dbname="postgres", password=config["PASSWORD"] or None, **server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            print(f"Creating the database {config['NAME']}.", flush=True)
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    connection.close()


def prepare_data():
    """Migrations, the large demo (each of its steps knows whether it is loaded) and static files."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print("Checking for the large demo (seed_demo --size large: about two minutes the first time).", flush=True)
    started = time.perf_counter()
    output = StringIO()
    call_command("seed_demo", size="large", stdout=output)
    if "created" in output.getvalue():
        print(output.getvalue(), end="")
        print(f"Loaded in {time.perf_counter() - started:.0f} s.", flush=True)
    # The planner's statistics as a production database's autovacuum keeps them: without
    # them a fresh load plans the comment threads' prefetch as a full scan.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    call_command("collectstatic", interactive=False, verbosity=0)


class Targets:
    """What the pages are measured on, found in the large demo by a query."""

    def __init__(self, posting_clients):
        from django.contrib.auth import get_user_model
        from django.db.models import Count, Q

        from communities.models import Residency
        from core import tokens
        from deliberation.models import Meeting, Topic
        from deliberation.workflow import CONSULTATION_STEPS

        by_comments = Topic.objects.annotate(comment_total=Count("comments"))
        self.page_topic = by_comments.filter(comment_total=300).order_by("pk").first()
        if self.page_topic is None:
            sys.exit("No topic with 300 comments: is the large demo loaded?")
        self.meeting = Meeting.objects.annotate(items=Count("agenda_items")).order_by("-items", "pk").first()
        # The posting topic grows with every run: never the page that is measured.
        verified = Q(community__residencies__status=Residency.Status.VERIFIED)
        self.post_topic = (
            Topic.objects.filter(step__in=CONSULTATION_STEPS)
            .exclude(pk=self.page_topic.pk)
            .annotate(residents=Count("community__residencies", filter=verified))
            .filter(residents__gte=posting_clients)
            .order_by("pk")
            .first()
        )
        residents = list(
            get_user_model()
            .objects.filter(
                residencies__community=self.post_topic.community_id,
                residencies__status=Residency.Status.VERIFIED,
                is_active=True,
            )
            .order_by("pk")[:posting_clients]
        )
        self.tokens = [tokens.issue(user) for user in residents]
        self.dashboard_cookie = session_cookie(get_user_model().objects.get(username="official"))
        # Logged in, the topic page is rendered for the reader every time: its cost uncached.
        reader = (
            get_user_model()
            .objects.filter(
                residencies__community=self.page_topic.community_id, residencies__status=Residency.Status.VERIFIED
            )
            .order_by("pk")
            .first()
        )
        self.reader_cookie = session_cookie(reader)


def session_cookie(user):
    """A logged-in session in the database, as gunicorn's processes will read it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class Processes:
    """gunicorn and Celery workers started for the run, stopped (and waited for) at its end."""

    def __init__(self):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.running = []

    def start(self, name, command):
        log = open(LOG_DIR / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(command, cwd=BASE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.running.append((process, log))
        return process

    def web(self, count, port, workers):
        """`count` gunicorn processes on one port: the kernel spreads connections (SO_REUSEPORT).
        Each loads the portal before forking its workers, so none is still starting when measured."""
        for number in range(count):
            self.start(
                f"gunicorn-{number}",
                [
                    BIN / "gunicorn",
                    "civic.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--reuse-port",
                    "--preload",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "60",
                ],
            )
        wait_until_serving(f"http://127.0.0.1:{port}/bench/trivial/", self.running)

    def celery(self, count):
        from civic.celery import app

        for number in range(count):
            self.start(
                f"celery-{number}",
                [
                    BIN / "celery",
                    "-A",
                    "civic",
                    "worker",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "WARNING",
                    "--hostname",
                    f"bench{number}@%h",
                ],
            )
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=1.0) or []) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{count} Celery workers did not answer within a minute; see {LOG_DIR}.")

    def stop(self):
        for process, _log in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, log in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self.running = []


def wait_until_serving(url, running):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process, _log in running):
            raise SystemExit(f"gunicorn stopped while starting; see {LOG_DIR}.")
        try:
            with urllib.request.urlopen(url, timeout=10):  # nosec B310 # the bench's own http://127.0.0.1 URL
                return
        except OSError:  # refused while gunicorn binds, or a timeout while its workers boot
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within a minute; see {LOG_DIR}.")


def check_page(url, headers):
    """One request first: a page that redirects (to the login) or fails is not measured."""
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{url} answered {status}, not 200: nothing to measure.")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def measure_page(label, url, *, seconds, connections, headers=(), target=False, quiet=False):
    header_args = [arg for header in headers for arg in ("-H", header)]
    check_page(url, dict(header.split(": ", 1) for header in headers))
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "20s",
            "-s",
            str(BASE / "bench" / "wrk_report.lua"),
            *header_args,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = report.parse_wrk(output, label, target=target)
    if not quiet:
        print(f"  {label}: {result.rate:.0f} req/s", flush=True)
    return result


class Poster(threading.Thread):
    """One client: a resident posting comments over the API, each with a unique marker."""

    def __init__(self, number, token, port, topic_id, deadline, run):
        super().__init__(daemon=True)
        self.number, self.token, self.port, self.topic_id = number, token, port, topic_id
        self.deadline, self.run_id = deadline, run
        self.accepted, self.latencies, self.errors = [], [], 0

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        sequence = 0
        while time.monotonic() < self.deadline:
            sequence += 1
            marker = f"{self.run_id}-{self.number}-{sequence}"
            body = json.dumps({"body": report.comment_body(marker)})
            started = time.perf_counter()
            try:
                connection.request("POST", f"/api/v1/topics/{self.topic_id}/comments/", body, headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()
                continue
            self.latencies.append((time.perf_counter() - started) * 1000)
            if 200 <= response.status < 300:
                self.accepted.append(marker)
            else:
                self.errors += 1
        connection.close()


def post_comments(targets, *, port, seconds):
    """The clients post at once for `seconds`; then the database is counted."""
    from deliberation.models import Comment

    run = secrets.token_hex(4)
    deadline = time.monotonic() + seconds
    posters = [Poster(n, token, port, targets.post_topic.pk, deadline, run) for n, token in enumerate(targets.tokens)]
    started = time.perf_counter()
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join()
    elapsed = time.perf_counter() - started
    latencies = [ms for poster in posters for ms in poster.latencies] or [0.0]
    result = report.Result(
        label=f"post comments ({len(posters)} clients)",
        requests=sum(len(poster.accepted) for poster in posters),
        seconds=elapsed,
        p50_ms=report.percentile(latencies, 0.5),
        p95_ms=report.percentile(latencies, 0.95),
        errors=sum(poster.errors for poster in posters),
    )
    stored = Comment.objects.filter(topic=targets.post_topic, body__contains=f"[bench:{run}-").values_list(
        "body", flat=True
    )
    writes = report.reconcile([marker for poster in posters for marker in poster.accepted], stored)
    print(f"  {result.label}: {result.rate:.0f} comments/s", flush=True)
    return result, writes


def measure_web(targets, *, port, seconds, connections, post_seconds):
    root = f"http://127.0.0.1:{port}"
    pages = [
        ("trivial view (ceiling)", "/bench/trivial/", (), False),
        ("home /", "/", (), False),
        ("community directory", "/communities/", (), True),
        (f"topic page ({targets.page_topic.comment_total} comments)", targets.page_topic.get_absolute_url(), (), True),
        (
            "topic page, resident logged in",
            targets.page_topic.get_absolute_url(),
            (f"Cookie: {targets.reader_cookie}",),
            False,
        ),
        ("meeting page", targets.meeting.get_absolute_url(), (), False),
        ("dashboard (official)", "/dashboard/", (f"Cookie: {targets.dashboard_cookie}",), False),
    ]
    # A worker's first requests of a page load its templates, translations and connections:
    # not part of any figure.
    for label, path, headers, _target in pages:
        measure_page(label, root + path, seconds=2, connections=connections, headers=headers, quiet=True)
    # Pages take turns, ROUNDS times each: other load on the machine, which drifts during a
    # run, then weighs on every page alike instead of on whichever page was measured then.
    rounds = [
        [
            measure_page(
                label,
                root + path,
                seconds=max(seconds // ROUNDS, 1),
                connections=connections,
                headers=headers,
                target=target,
            )
            for label, path, headers, target in pages
        ]
        for _round in range(ROUNDS)
    ]
    results = [functools.reduce(report.combined, runs) for runs in zip(*rounds)]
    posted, writes = post_comments(targets, port=port, seconds=post_seconds)
    return [*results, posted], writes


def time_fan_out(community, staff):
    """From the meeting's commit to the last in-app delivery sent, the workers doing all the work."""
    from django.utils import timezone

    from deliberation import services
    from notifications.models import Delivery, Notice

    started = time.perf_counter()
    services.meeting_schedule(
        actor=staff, community=community, starts_at=timezone.now() + datetime.timedelta(days=1), location="社区议事厅"
    )
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        notice = Notice.objects.filter(community=community, status=Notice.Status.DISPATCHED).first()
        in_app = Delivery.objects.filter(notice=notice, channel=Delivery.Channel.IN_APP)
        if notice is not None and not in_app.exclude(status=Delivery.Status.SENT).exists():
            return in_app.count(), time.perf_counter() - started
        time.sleep(0.1)
    raise SystemExit(f"The notice was not fanned out within 15 minutes; see {LOG_DIR}.")


def measure_fan_out(worker_counts, residents):
    """bench/notices.py's community of `residents`, its notice fanned out by 1, 2, ... Celery workers."""
    from django.db import connection

    from bench import notices

    community = notices.community_with_residents(residents, with_sms=False)
    staff = notices.staff_for(community)
    rows = []
    for count in worker_counts:
        notices.clean(community)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_delivery")
        processes = Processes()
        try:
            processes.celery(count)
            sent, seconds = time_fan_out(community, staff)
        finally:
            processes.stop()
        rows.append((count, sent, seconds))
        print(f"  fan-out with {count} Celery worker(s): {sent / seconds:,.0f} deliveries/s", flush=True)
    notices.clean(community)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web-processes", type=int, default=1, help="gunicorn processes sharing the port")
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="worker processes of each gunicorn (default: gunicorn's advice, 2 x cores + 1)",
    )
    parser.add_argument("--celery-workers", type=int, default=1, help="Celery workers running during the bench")
    parser.add_argument("--seconds", type=int, default=15, help="wrk's time per page, in 3 turns")
    parser.add_argument("--connections", type=int, default=8, help="wrk's open connections")
    parser.add_argument("--clients", type=int, default=50, help="residents posting comments at once")
    parser.add_argument("--post-seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--fan-out", default="", help="Celery worker counts to time the notice fan-out with, e.g. 1,2 (none by default)"
    )
    parser.add_argument("--residents", type=int, default=20_000, help="residents the fan-out notice goes to")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("The load generator wrk is missing: apt-get install wrk (Debian, Ubuntu) or brew install wrk.")

    configure_environment()
    ensure_database()
    import django

    django.setup()
    from civic.celery import app

    prepare_data()
    targets = Targets(args.clients)
    if len(targets.tokens) < args.clients:
        sys.exit(f"Only {len(targets.tokens)} verified residents can post to topic {targets.post_topic.pk}.")
    app.control.purge()  # tasks left over from an interrupted run
    print(
        f"{args.web_processes} gunicorn process(es) x {args.gunicorn_workers} workers, "
        f"{args.celery_workers} Celery worker(s); wrk {args.connections} connections, {args.seconds} s a page; "
        f"throttles raised: {', '.join(throttle_names())}.",
        flush=True,
    )
    processes = Processes()
    try:
        processes.celery(args.celery_workers)
        processes.web(args.web_processes, args.port, args.gunicorn_workers)
        results, writes = measure_web(
            targets, port=args.port, seconds=args.seconds, connections=args.connections, post_seconds=args.post_seconds
        )
    finally:
        processes.stop()
    fan_out = measure_fan_out([int(n) for n in args.fan_out.split(",") if n], args.residents) if args.fan_out else []

    print()
    print(report.ratio_table(results))
    print(
        f"\ncomments: {writes.accepted} accepted, {writes.stored} stored, {len(writes.lost)} lost, "
        f"{len(writes.doubled)} doubled, {writes.unanswered_stored} stored without an answer (client timeout)"
    )
    if fan_out:
        print()
        print(report.fan_out_table(fan_out))
    missed = report.missed_targets(results, writes)
    print()
    for line in missed:
        print(f"MISSED: {line}")
    if not missed:
        print("Every target met: directory and topic page >= 0.5 of the trivial view, 0 errors, 0 lost or doubled.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
