"""Benchmark: the portal's pages under gunicorn, with production settings, on PostgreSQL and Redis.

    make bench          # one gunicorn (2 x cores + 1 workers) and one Celery worker
    make bench-scale    # two gunicorn processes (3 workers each) and two Celery workers,
                        # then the notice fan-out with one worker and with two, side by side

It creates the database when missing (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/civic_bench; REDIS_URL, default redis://127.0.0.1:6379/3),
migrates it, loads `seed_demo --size large` when it is not there yet (about two minutes,
once), refreshes the planner's statistics, collects the static files (served by whitenoise)
and starts gunicorn with DEBUG off and the URLs of `bench/urls.py`: the portal's plus a
trivial view. Then wrk drives, for --seconds each (in three turns), each page rotating over
many requests (bench/wrk_rotate.lua picks a path and a session cookie for every request, so
no per-person cache and no single hot page makes a figure look better than people find it):

- `trivial`: the trivial view (the ceiling: same gunicorn, settings and middleware, a tiny
  response);
- anonymous: `home`, `directory` (50 of its pages and filters), `community` (50 communities'
  pages), `topic` (the 50 topics nearest 300 comments), `meeting` (50 meetings);
- logged in: `home_logged_in`, `topic_logged_in` and `meeting_logged_in`, each over 200
  verified residents' sessions, every one reading topics or meetings of their own community;
- `dashboard`: as the demo official (a session cookie);

and --clients threads (`post_comments`), each its own verified resident with an API token,
post comments to one open topic for --post-seconds. Every comment carries a unique marker;
afterwards the database must hold each comment the portal answered 2xx for exactly once.

Before any figure every path is asked for once and every session asked whose it is; a
warm-up turn counts any answer but a 200 (wrk alone counts a redirect to the login page as
a success). It prints req/s, p50, p95 and failed requests of each page with its ratio to the
trivial view, each gunicorn process's resident memory and how busy the machine was, writes
all of it to var/bench/latest.json (the run before it to previous.json) and exits non-zero
when a goal of report.GOALS (issue 16) is missed, a request failed or a comment was lost or
doubled. Throttles (THROTTLE_* in civic/settings.py) are raised so the portal is measured,
not its limiter.
"""

import argparse
import datetime
import functools
import http.client
import itertools
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
from dataclasses import dataclass
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


ROTATION = 50  # topics, communities, meetings and directory pages each page rotates over
SESSIONS = 200  # residents' sessions the logged-in pages rotate over
COMMENTS = 300  # the topic pages measured carry about this many comments


@dataclass
class Page:
    """One measured page: its key in latest.json, what the table calls it, and the requests wrk
    rotates over, each a path and a session cookie ("" for an anonymous visitor)."""

    key: str
    label: str
    requests: list

    @property
    def goal(self):
        return report.GOALS.get(self.key)


class Targets:
    """What the pages are measured on, found in the large demo by queries: ROTATION topics
    (those nearest COMMENTS comments), communities and meetings, each logged-in page over
    SESSIONS verified residents of the communities concerned, each in a session of their own."""

    def __init__(self, posting_clients):
        from django.contrib.auth import get_user_model
        from django.db.models import Count, F, Func, Q

        from communities.models import Community, Residency
        from core import tokens
        from deliberation.models import Meeting, Topic
        from deliberation.workflow import CONSULTATION_STEPS

        self.users = get_user_model()
        by_comments = Topic.objects.annotate(comment_total=Count("comments"))
        nearest = by_comments.annotate(distance=Func(F("comment_total") - COMMENTS, function="ABS"))
        self.topics = list(nearest.filter(comment_total__gt=0).order_by("distance", "pk")[:ROTATION])
        if not any(topic.comment_total == COMMENTS for topic in self.topics):
            sys.exit(f"No topic with {COMMENTS} comments: is the large demo loaded?")
        self.meetings = list(
            Meeting.objects.exclude(status=Meeting.Status.CANCELLED)
            .annotate(items=Count("agenda_items"))
            .order_by("-items", "pk")[:ROTATION]
        )
        topic_communities = list(dict.fromkeys(topic.community_id for topic in self.topics))
        others = Community.objects.exclude(pk__in=topic_communities).order_by("pk").values_list("pk", flat=True)
        self.community_ids = [*topic_communities, *others[: max(ROTATION - len(topic_communities), 0)]]
        self.directory_paths = directory_paths()
        # The posting topic grows with every run: never a page that is measured.
        verified = Q(community__residencies__status=Residency.Status.VERIFIED)
        self.post_topic = (
            Topic.objects.filter(step__in=CONSULTATION_STEPS)
            .exclude(pk__in=[topic.pk for topic in self.topics])
            .annotate(residents=Count("community__residencies", filter=verified))
            .filter(residents__gte=posting_clients)
            .order_by("pk")
            .first()
        )
        posters = self.residents_of(self.post_topic.community_id, posting_clients)
        self.tokens = [tokens.issue(user) for user in posters]
        self.dashboard_cookie = session_cookie(self.users.objects.get(username="official"))
        # Logged in, each page is the reader's: SESSIONS residents spread over the topics (and
        # the meetings), each reading those of their own community.
        self.sessions, self.taken = {}, {}
        self.topic_readers = self.readers([(topic.community_id, topic.get_absolute_url()) for topic in self.topics])
        self.meeting_readers = self.readers(
            [(meeting.community_id, meeting.get_absolute_url()) for meeting in self.meetings]
        )

    def residents_of(self, community_id, count, exclude=()):
        from communities.models import Residency

        return list(
            self.users.objects.filter(
                residencies__community=community_id,
                residencies__status=Residency.Status.VERIFIED,
                is_active=True,
            )
            .exclude(pk__in=exclude)
            .order_by("pk")[:count]
        )

    def readers(self, pages):
        """(path, cookie) for SESSIONS residents spread over the pages: one more than an even
        share is taken on each, and the lists interleaved, so a community with too few residents
        leaves no page out and the rotation still reaches SESSIONS."""
        each = -(-SESSIONS // len(pages)) + 1
        per_page = []
        for community_id, path in pages:
            taken = self.taken.setdefault(community_id, [])
            readers = self.residents_of(community_id, each, exclude=taken)
            taken.extend(user.pk for user in readers)
            per_page.append([(path, user) for user in readers])
        interleaved = [entry for turn in itertools.zip_longest(*per_page) for entry in turn if entry is not None]
        requests = []
        for path, user in interleaved[: max(SESSIONS, len(pages))]:
            if user.pk not in self.sessions:
                self.sessions[user.pk] = (user.username, session_cookie(user))
            requests.append((path, self.sessions[user.pk][1]))
        return requests

    def pages(self):
        topic_paths = [(topic.get_absolute_url(), "") for topic in self.topics]
        meeting_paths = [(meeting.get_absolute_url(), "") for meeting in self.meetings]
        resident_cookies = sorted({cookie for _path, cookie in self.topic_readers})
        comments = sorted(topic.comment_total for topic in self.topics)
        topics_label = f"{len(self.topics)} topics, {comments[0]}-{comments[-1]} comments"
        return [
            Page("trivial", "trivial view (ceiling)", [("/bench/trivial/", "")]),
            Page("home", "home / (anonymous)", [("/", "")]),
            Page("home_logged_in", f"home /, {len(resident_cookies)} residents", [("/", c) for c in resident_cookies]),
            Page("directory", f"directory ({len(self.directory_paths)} pages)", self.directory_paths),
            Page(
                "community",
                f"{len(self.community_ids)} community pages",
                [(f"/communities/{pk}/", "") for pk in self.community_ids],
            ),
            Page("topic", f"topic pages ({topics_label})", topic_paths),
            Page("topic_logged_in", f"topic pages, {len(self.topic_readers)} residents", self.topic_readers),
            Page("meeting", f"{len(self.meetings)} meeting pages", meeting_paths),
            Page("meeting_logged_in", f"meeting pages, {len(self.meeting_readers)} residents", self.meeting_readers),
            Page("dashboard", "dashboard (the demo official)", [("/dashboard/", self.dashboard_cookie)]),
        ]

    def description(self):
        return {
            "topics": [topic.pk for topic in self.topics],
            "topic_comments": sorted(topic.comment_total for topic in self.topics),
            "communities": self.community_ids,
            "meetings": [meeting.pk for meeting in self.meetings],
            "resident_sessions": len(self.sessions),
            "post_topic": self.post_topic.pk,
        }


def directory_paths():
    """ROTATION of the directory's pages: its page numbers, then each typology, district and
    street filter (the first pages of each)."""
    from django.core.paginator import Paginator

    from communities.models import Community, District, Street, Typology
    from communities.views import DIRECTORY_PAGE_SIZE

    pages = Paginator(range(Community.objects.count()), DIRECTORY_PAGE_SIZE).num_pages
    paths = [("/communities/", "")] + [(f"/communities/?page={n}", "") for n in range(2, pages + 1)]
    paths += [(f"/communities/?typology={value}", "") for value, _label in Typology.choices]
    paths += [
        (f"/communities/?district={pk}", "") for pk in District.objects.order_by("pk").values_list("pk", flat=True)
    ]
    paths += [(f"/communities/?street={pk}", "") for pk in Street.objects.order_by("pk").values_list("pk", flat=True)]
    return paths[:ROTATION]


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


def status_of(url, headers):
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_pages(root, pages, targets):
    """Before any figure: every path answers 200 to an anonymous visitor and every session is its
    resident's (a page that redirects to the login, or a session that expired, is not measured)."""
    paths = sorted({path for page in pages if page.key != "dashboard" for path, _cookie in page.requests})
    for path in paths:
        status, _body = status_of(root + path, {})
        if status != 200:
            raise SystemExit(f"{root}{path} answered {status}, not 200: nothing to measure.")
    for username, cookie in [*targets.sessions.values(), ("official", targets.dashboard_cookie)]:
        status, body = status_of(f"{root}/api/v1/me/", {"Cookie": cookie})
        if status != 200 or json.loads(body).get("username") != username:
            raise SystemExit(f"The session made for {username} is not theirs ({status}): nothing to measure.")
    print(f"  {len(paths)} paths and {len(targets.sessions) + 1} sessions checked.", flush=True)


def request_file(page):
    folder = LOG_DIR / "requests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{page.key}.tsv"
    path.write_text("".join(f"{url}\t{cookie}\n" for url, cookie in page.requests))
    return path


def measure_page(page, root, *, seconds, connections, check=False, quiet=False):
    """wrk over the page's requests (bench/wrk_rotate.lua picks one at random for each). With
    `check`, every answer but a 200 counts as a failure (wrk alone counts a redirect as success)."""
    environment = {**os.environ, "BENCH_WRK_CHECK": "1" if check else "0"}
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
            str(BASE / "bench" / "wrk_rotate.lua"),
            root,
            "--",
            str(request_file(page)),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout
    result = report.parse_wrk(output, page.label, key=page.key, goal=page.goal)
    if check and result.errors:
        raise SystemExit(
            f"{page.label}: {result.errors} answers were not 200 in the warm-up ({output.strip()[-300:]})."
        )
    if not quiet:
        print(f"  {page.label}: {result.rate:.0f} req/s", flush=True)
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
        key="post_comments",
    )
    stored = Comment.objects.filter(topic=targets.post_topic, body__contains=f"[bench:{run}-").values_list(
        "body", flat=True
    )
    writes = report.reconcile([marker for poster in posters for marker in poster.accepted], stored)
    print(f"  {result.label}: {result.rate:.0f} comments/s", flush=True)
    return result, writes


def measure_web(targets, *, port, seconds, connections, post_seconds, load, processes):
    root = f"http://127.0.0.1:{port}"
    pages = targets.pages()
    check_pages(root, pages, targets)
    # A worker's first requests of a page load its templates, translations and connections:
    # not part of any figure. This turn also checks that every answer is a 200.
    for page in pages:
        measure_page(page, root, seconds=2, connections=connections, check=True, quiet=True)
    load.start(processes)
    # Pages take turns, ROUNDS times each: other load on the machine, which drifts during a
    # run, then weighs on every page alike instead of on whichever page was measured then.
    rounds = []
    for _round in range(ROUNDS):
        runs = []
        for page in pages:
            load.sample()
            runs.append(measure_page(page, root, seconds=max(seconds // ROUNDS, 1), connections=connections))
        rounds.append(runs)
    results = [functools.reduce(report.combined, runs) for runs in zip(*rounds)]
    load.sample()
    posted, writes = post_comments(targets, port=port, seconds=post_seconds)
    load.sample()
    return [*results, posted], writes


class Load:
    """How busy the machine was while the pages were measured: the 1-minute load average at the
    start of each turn, and the machine's CPU time split into this run's (gunicorn's workers,
    wrk, this process) and everyone else's (PostgreSQL's share of the run's queries included,
    so "others" is an upper bound)."""

    def __init__(self):
        self.samples = []
        self.started = None

    @staticmethod
    def _busy_seconds():
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_seconds(processes):
        tick = os.sysconf("SC_CLK_TCK")
        own = sum(os.times()[:4])  # this process and the children it waited for (wrk)
        for pid in gunicorn_pids(processes):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            own += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return own

    def start(self, processes):
        self.started = (time.monotonic(), self._busy_seconds(), self._own_seconds(processes))

    def sample(self):
        self.samples.append(round(os.getloadavg()[0], 2))

    def summary(self, processes):
        wall, busy, own = self.started
        wall, busy, own = time.monotonic() - wall, self._busy_seconds() - busy, self._own_seconds(processes) - own
        cpus = os.cpu_count() or 1
        samples = self.samples or [round(os.getloadavg()[0], 2)]
        return {
            "load_1min": {"min": min(samples), "max": max(samples), "mean": round(sum(samples) / len(samples), 2)},
            "cpu_busy_share": round(busy / (wall * cpus), 3),
            "cpu_share_of_this_run": round(own / (wall * cpus), 3),
            "cpu_share_of_others": round(max(busy - own, 0) / (wall * cpus), 3),
        }


def gunicorn_pids(processes):
    pids = []
    for process, _log in processes.running:
        if "gunicorn" in str(process.args[0]) and process.poll() is None:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            pids += [process.pid, *map(int, children)]
    return pids


def resident_memory(processes):
    """Each gunicorn process's resident memory (MiB), read from /proc while they still run."""
    masters = {process.pid for process, _log in processes.running}
    memory = []
    for pid in gunicorn_pids(processes):
        status = Path(f"/proc/{pid}/status").read_text()
        kilobytes = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))
        memory.append(
            {"pid": pid, "role": "master" if pid in masters else "worker", "rss_mib": round(kilobytes / 1024, 1)}
        )
    return memory


def machine(args, load, memory, targets):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BASE, capture_output=True, text=True).stdout
    return {
        "cpus": os.cpu_count(),
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit.strip(),
        "python": sys.version.split()[0],
        "postgresql": postgresql,
        "web_processes": args.web_processes,
        "gunicorn_workers": args.gunicorn_workers,
        "wrk_connections": args.connections,
        "seconds_per_page": args.seconds,
        **load,
        "gunicorn_rss_mib": memory,
        "targets": targets.description(),
    }


def write_latest(data):
    """var/bench/latest.json, the run before it kept as previous.json."""
    latest = LOG_DIR / "latest.json"
    if latest.exists():
        latest.replace(LOG_DIR / "previous.json")
    latest.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return latest


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
    processes, load = Processes(), Load()
    try:
        processes.celery(args.celery_workers)
        processes.web(args.web_processes, args.port, args.gunicorn_workers)
        results, writes = measure_web(
            targets,
            port=args.port,
            seconds=args.seconds,
            connections=args.connections,
            post_seconds=args.post_seconds,
            load=load,
            processes=processes,
        )
        memory, busy = resident_memory(processes), load.summary(processes)
    finally:
        processes.stop()
    fan_out = measure_fan_out([int(n) for n in args.fan_out.split(",") if n], args.residents) if args.fan_out else []

    print()
    print(report.ratio_table(results))
    print(
        f"\ncomments: {writes.accepted} accepted, {writes.stored} stored, {len(writes.lost)} lost, "
        f"{len(writes.doubled)} doubled, {writes.unanswered_stored} stored without an answer (client timeout)"
    )
    print("\ngunicorn's resident memory after the run: " + ", ".join(f"{m['role']} {m['rss_mib']} MiB" for m in memory))
    print(
        f"machine: load {busy['load_1min']['min']}-{busy['load_1min']['max']}, CPU busy {busy['cpu_busy_share']:.0%} "
        f"(this run {busy['cpu_share_of_this_run']:.0%}, others at most {busy['cpu_share_of_others']:.0%})"
    )
    if fan_out:
        print()
        print(report.fan_out_table(fan_out))
    data = report.latest(results, writes, machine(args, busy, memory, targets))
    if fan_out:
        data["fan_out"] = [
            {"celery_workers": n, "deliveries": sent, "seconds": round(sec, 2)} for n, sent, sec in fan_out
        ]
    print(f"\nWritten: {write_latest(data).relative_to(BASE)}")
    for line in data["missed"]:
        print(f"MISSED: {line}")
    if not data["missed"]:
        print("Every goal met (issue 16): each page's share of the trivial view, 0 errors, 0 lost or doubled.")
    return 1 if data["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
