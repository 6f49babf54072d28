"""`make run` keeps serving (issue 13, findings 5 and 6; issue 12's banner and shutdown).

- Beat on a fresh deployment makes its var directory, or stops saying what to do.
- bin/keep-running starts a command again whenever it ends, and stops it cleanly.
- The drill: make run's processes (Procfile.dev under honcho) on a private redis-server;
  Redis is killed under an ETA message the worker holds and started again: the web server
  answers throughout, honcho keeps every process, the worker comes back and runs a task.
- Development logs stay quiet (no INFO lines, no "No hostname was supplied"), and Ctrl-C
  stops everything with no ERROR line and nothing killed.
"""

import contextlib
import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
KEEP_RUNNING = ROOT / "bin" / "keep-running"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url():
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def _env(tmp_path, **extra):
    env = {key: value for key, value in os.environ.items() if key not in {"PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"}}
    env.update(DEBUG="1", CIVIC_VAR_DIR=str(tmp_path / "var"), LOG_LEVEL="INFO", **extra)
    return env


def _wait(predicate, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def _stop(process, sig=signal.SIGTERM, timeout=30):
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# Finding 5: beat on a fresh deployment
@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.redis
def test_beat_makes_its_var_directory_on_a_fresh_deployment(tmp_path, settings):
    env = _env(tmp_path / "fresh", DATABASE_URL=_database_url(), REDIS_URL=settings.REDIS_URL)
    assert not (tmp_path / "fresh").exists()
    with open(tmp_path / "beat.log", "wb") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "civic", "beat", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        var = tmp_path / "fresh" / "var"
        assert _wait(lambda: any(var.glob("celerybeat-schedule*")), 60), (tmp_path / "beat.log").read_text()
        time.sleep(1)
        assert beat.poll() is None, (tmp_path / "beat.log").read_text()
    finally:
        _stop(beat)


def test_beat_says_what_to_do_when_it_cannot_make_it(tmp_path):
    from civic.celery import ensure_schedule_directory

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from civic.celery import ensure_schedule_directory as e; e(sys.argv[1])",
         str(blocker / "var" / "celerybeat-schedule")],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 78
    assert "Create that directory and let this user write it" in result.stderr
    assert "CIVIC_VAR_DIR" in result.stderr
    ensure_schedule_directory(tmp_path / "made" / "here" / "schedule")
    assert (tmp_path / "made" / "here").is_dir()


# bin/keep-running
def test_keep_running_starts_a_command_again_and_stops_it_cleanly(tmp_path):
    starts = tmp_path / "starts"
    script = f"echo started >> {starts}; sleep 0.3"
    supervisor = subprocess.Popen(
        [sys.executable, str(KEEP_RUNNING), "job", "--", "sh", "-c", script],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert _wait(lambda: starts.exists() and len(starts.read_text().split()) >= 3, 30)
    os.killpg(supervisor.pid, signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0
    assert "job ended (exit 0); starting it again" in supervisor.stderr.read()


def test_keep_running_passes_one_sigterm_and_waits(tmp_path):
    marker = tmp_path / "stopped"
    child = f"trap 'echo clean > {marker}; exit 0' TERM; while true; do sleep 0.1; done"
    supervisor = subprocess.Popen(
        [sys.executable, str(KEEP_RUNNING), "job", "--", "sh", "-c", child], start_new_session=True
    )
    time.sleep(1)
    os.killpg(supervisor.pid, signal.SIGTERM)  # as honcho does
    assert supervisor.wait(timeout=30) == 0
    assert marker.read_text().strip() == "clean"


def test_keep_running_takes_its_command_with_it_when_killed(tmp_path):
    pid_file = tmp_path / "pid"
    supervisor = subprocess.Popen(
        [sys.executable, str(KEEP_RUNNING), "job", "--", "sh", "-c", f"echo $$ > {pid_file}; exec sleep 600"],
        start_new_session=True,
    )
    assert _wait(lambda: pid_file.exists() and pid_file.read_text().strip(), 30)
    pid = int(pid_file.read_text())
    os.killpg(supervisor.pid, signal.SIGKILL)
    supervisor.wait(timeout=10)

    def gone():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    assert _wait(gone, 10)


# Finding 6: the drill
class PrivateRedis:
    def __init__(self, tmp_path):
        self.port = _free_port()
        self.tmp = tmp_path
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        assert _wait(answers, 20)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def _healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as response:  # nosec B310 # our own test server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _make_run(tmp_path, redis_url, web_port):
    env = _env(
        tmp_path,
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        CIVIC_ADDR=f"127.0.0.1:{web_port}",
        SMS_FILE_PATH=str(tmp_path / "sms"),
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("LOG_LEVEL")
    with open(tmp_path / "make-run.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "bin" / "honcho-dev"), "-f", "Procfile.dev", "start"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _send(redis_url, name, **options):
    from celery import Celery

    sender = Celery("drill", broker=redis_url)
    sender.conf.broker_connection_retry_on_startup = False
    with sender.connection_for_write() as conn:
        sender.send_task(name, connection=conn, **options)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.redis
def test_make_run_on_redis_survives_a_redis_restart(tmp_path):
    from knox.models import AuthToken

    from tests import factories

    redis = PrivateRedis(tmp_path)
    redis.start()
    web_port = _free_port()
    honcho = _make_run(tmp_path, redis.url, web_port)
    log = tmp_path / "make-run.log"
    try:
        assert _wait(lambda: _healthz(web_port) == 200, 90), log.read_text()
        time.sleep(3)  # worker and beat connected
        # The worker holds an ETA message, as a meeting's notice does.
        _send(redis.url, "civic.prune_tokens", eta=timezone.now() + datetime.timedelta(hours=1))
        time.sleep(2)
        redis.kill()
        for _ in range(10):
            assert _healthz(web_port) == 200, log.read_text()[-4000:]  # cache degraded, still serving
            time.sleep(1)
        redis.start()
        assert honcho.poll() is None, log.read_text()[-4000:]
        # The worker is back on the restarted Redis: it runs a task sent there.
        person = factories.UserFactory()
        AuthToken.objects.create(user=person, expiry=datetime.timedelta(days=-1))

        def token_pruned():
            try:
                _send(redis.url, "civic.prune_tokens")
            except Exception:
                return False
            return _wait(lambda: not AuthToken.objects.filter(user=person).exists(), 10, step=0.5)

        assert _wait(token_pruned, 90, step=1), log.read_text()[-6000:]
        assert _healthz(web_port) == 200
        assert honcho.poll() is None
        # honcho stopped nothing: a worker that kombu ended was started again by its supervisor.
        assert "stopped (rc=" not in log.read_text(), log.read_text()[-6000:]
    finally:
        if honcho.poll() is None:
            os.kill(honcho.pid, signal.SIGINT)
            honcho.wait(timeout=60)
        redis.kill()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_make_run_is_quiet_and_stops_cleanly(tmp_path):
    """On the filesystem broker (no REDIS_URL), as a first `make run` is."""
    web_port = _free_port()
    honcho = _make_run(tmp_path, "", web_port)
    log = tmp_path / "make-run.log"
    try:
        assert _wait(lambda: _healthz(web_port) == 200, 90), log.read_text()
        time.sleep(8)  # worker and beat running, beat dispatching
    finally:
        os.kill(honcho.pid, signal.SIGINT)  # Ctrl-C reaches honcho: its processes run in sessions of their own
        honcho.wait(timeout=60)
    text = log.read_text()
    assert "No hostname was supplied" not in text
    assert "INFO/" not in text and "] INFO" not in text, text
    assert "celery@" not in text and "-------------- " not in text  # no Celery banners
    assert "AXES: BEGIN" not in text
    shutdown = text.split("SIGINT received", 1)[1]
    assert "ERROR" not in shutdown and "SIGKILL" not in shutdown, shutdown
    assert "exited with 'signal" not in shutdown
    assert "worker.1 stopped" in shutdown and "beat.1 stopped" in shutdown


# Issue 12: verify_trail as a newcomer runs it, and bench/notices.py's database
@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_make_verify_trail_runs_in_a_make_run_checkout(tmp_path):
    """No SECRET_KEY, no DEBUG in the environment, as after `make run`: the target still runs."""
    env = {k: v for k, v in _env(tmp_path, DATABASE_URL=_database_url()).items() if k not in {"SECRET_KEY", "DEBUG"}}
    plain = subprocess.run(
        [sys.executable, "manage.py", "verify_trail"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "SECRET_KEY must be set when DEBUG is off" in plain.stderr  # what README used to give
    result = subprocess.run(
        ["make", "-s", "verify-trail"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Trail intact" in result.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make verify-trail" in readme


@pytest.mark.postgres
def test_bench_notices_creates_its_database(tmp_path):
    import uuid

    import psycopg2

    db = connection.settings_dict
    name = f"civic_bench_probe_{uuid.uuid4().hex[:8]}"
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    server = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    server.autocommit = True
    try:
        result = subprocess.run(
            [sys.executable, "bench/notices.py", "--help"],
            cwd=ROOT, env=_env(tmp_path, DATABASE_URL=url), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone() is not None
    finally:
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.close()
