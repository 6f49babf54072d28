"""The load benchmark's own rules (bench/report.py, bench/web.py), not the benchmark: what
counts as a lost or doubled comment, how wrk's summary is read, when a run fails."""

import http.server
import json
import shutil
import threading

import pytest
from django.urls import Resolver404, resolve

from bench import report, web


def result(label, requests, *, errors=0, goal=None, key=""):
    return report.Result(label, requests, seconds=10.0, p50_ms=2.0, p95_ms=5.0, errors=errors, key=key, goal=goal)


def test_every_accepted_comment_stored_once_is_exact():
    stored = [report.comment_body("r1-0-1"), report.comment_body("r1-0-2"), "a resident's own comment"]
    writes = report.reconcile(["r1-0-1", "r1-0-2"], stored)
    assert writes.exact
    assert (writes.accepted, writes.stored, writes.unanswered_stored) == (2, 2, 0)


def test_an_accepted_comment_missing_from_the_database_is_lost():
    writes = report.reconcile(["r1-0-1", "r1-0-2"], [report.comment_body("r1-0-1")])
    assert writes.lost == ["r1-0-2"]
    assert not writes.exact


def test_a_comment_stored_twice_is_doubled():
    writes = report.reconcile(["r1-3-7"], [report.comment_body("r1-3-7")] * 2)
    assert writes.doubled == ["r1-3-7"]
    assert not writes.exact


def test_a_stored_comment_the_client_got_no_answer_for_is_neither_lost_nor_doubled():
    writes = report.reconcile([], [report.comment_body("r1-2-9")])
    assert writes.exact
    assert writes.unanswered_stored == 1


def test_wrk_summary_is_read_in_milliseconds_with_errors_summed():
    line = json.dumps(
        {"requests": 1500, "seconds": 15.0, "p50_us": 4200, "p95_us": 9100, "non_2xx_3xx": 2, "socket_errors": 1}
    )
    parsed = report.parse_wrk(f"Running 15s test\n{line}\n", "home /")
    assert (parsed.rate, parsed.p50_ms, parsed.p95_ms, parsed.errors) == (100.0, 4.2, 9.1, 3)


def test_wrk_without_a_summary_is_an_error():
    with pytest.raises(ValueError, match="no summary"):
        report.parse_wrk("unable to connect to 127.0.0.1:8731", "home /")


def test_table_gives_each_page_its_ratio_to_the_trivial_view():
    table = report.ratio_table([result("trivial view", 1000), result("community directory", 600, goal=0.5)])
    directory = table.splitlines()[2]
    assert directory.startswith("community directory")
    assert "60.0" in directory and "0.60 (goal 0.5)" in directory


def test_a_run_meeting_every_target_misses_nothing():
    results = [result("trivial view", 1000), result("topic page", 500, goal=0.5), result("dashboard", 10)]
    assert report.missed_targets(results, report.reconcile(["a-1-1"], [report.comment_body("a-1-1")])) == []


def test_a_slow_targeted_page_errors_and_lost_writes_each_miss():
    results = [result("trivial view", 1000), result("topic page", 499, goal=0.5), result("home /", 900, errors=2)]
    missed = report.missed_targets(results, report.reconcile(["a-1-1"], []))
    assert len(missed) == 3
    assert missed[0].startswith("topic page: 0.50")
    assert missed[1] == "home /: 2 failed requests (target 0)"
    assert "not stored" in missed[2]


def test_fan_out_table_compares_with_one_worker():
    table = report.fan_out_table([(1, 20_000, 10.0), (2, 20_000, 8.0)])
    assert table.splitlines()[2].split()[-1] == "1.25x"


def test_the_bench_raises_every_throttle_the_settings_read(monkeypatch):
    monkeypatch.setattr(web.os, "environ", {})
    web.configure_environment()
    names = web.throttle_names()
    assert {"THROTTLE_ANON", "THROTTLE_USER"} <= set(names)
    assert all(web.os.environ[name] == web.UNTHROTTLED for name in names)
    assert web.os.environ["DEBUG"] == "0" and web.os.environ["SECRET_KEY"]


def test_the_trivial_view_exists_only_in_the_bench_urls():
    from bench import urls

    assert resolve("/bench/trivial/", urlconf="bench.urls").func is urls.trivial
    with pytest.raises(Resolver404):
        resolve("/bench/trivial/")


def test_the_ceiling_measured_twice_is_one_row_over_both_runs():
    first, last = result("trivial view", 1000, errors=1), result("trivial view", 600)
    last.p95_ms = 9.0
    both = report.combined(first, last)
    assert (both.rate, both.p50_ms, both.p95_ms, both.errors) == (80.0, 2.0, 9.0, 1)


def test_every_goal_of_issue_16_is_a_page_of_latest_json():
    assert set(report.GOALS) <= set(report.KEYS)
    assert report.GOALS["topic_logged_in"] == 0.15
    assert {report.GOALS[key] for key in ("home_logged_in", "meeting_logged_in")} == {0.3}
    assert {report.GOALS[key] for key in ("home", "directory", "community", "topic", "meeting")} == {0.5}
    assert report.GOALS["dashboard"] == 0.2


def test_a_logged_in_page_under_its_own_goal_misses_and_one_over_it_does_not():
    trivial = result("trivial", 1000, key="trivial")
    under = result("topic, logged in", 149, goal=0.15, key="topic_logged_in")
    over = result("meeting, logged in", 301, goal=0.3, key="meeting_logged_in")
    missed = report.missed_targets([trivial, under, over], None)
    assert missed == ["topic, logged in: 0.15 of the trivial view's req/s (goal 0.15)"]


def test_latest_json_has_each_page_under_its_key_with_the_comments_and_the_machine():
    keys = [key for key in report.KEYS if key != "post_comments"]
    results = [result(key, 1000 if key == "trivial" else 600, key=key, goal=report.GOALS.get(key)) for key in keys]
    results.append(result("post comments", 50, key="post_comments"))
    writes = report.reconcile(["a-1-1", "a-1-2"], [report.comment_body("a-1-1")])
    data = json.loads(json.dumps(report.latest(results, writes, {"cpus": 2})))
    assert list(data["pages"]) == list(report.KEYS)
    assert set(data["pages"]["topic"]) >= {"req_s", "p50_ms", "p95_ms", "errors", "ratio"}
    assert (data["pages"]["topic"]["req_s"], data["pages"]["topic"]["ratio"]) == (60.0, 0.6)
    assert data["pages"]["post_comments"]["ratio"] == 0.05
    assert data["comments"] == {"accepted": 2, "stored": 1, "lost": 1, "doubled": 0, "unanswered_stored": 0}
    assert data["machine"] == {"cpus": 2}
    assert len(data["missed"]) == 1 and "not stored" in data["missed"][0]


def test_answers_other_than_200_counted_by_the_check_turn_are_failures():
    line = json.dumps(
        {"requests": 10, "seconds": 1.0, "p50_us": 1, "p95_us": 2, "non_2xx_3xx": 0, "socket_errors": 0, "not_200": 4}
    )
    assert report.parse_wrk(line, "topic").errors == 4


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 200, or a redirect for /login-first/, and notes each request's path and cookie."""

    seen = []

    def do_GET(self):
        Recorder.seen.append((self.path, self.headers.get("Cookie", "")))
        status = 302 if self.path == "/login-first/" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        if status == 302:
            self.send_header("Location", "/accounts/login/")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_rotates_over_every_path_each_with_its_own_session(recorder, tmp_path, monkeypatch):
    monkeypatch.setattr(web, "LOG_DIR", tmp_path)
    requests = [(f"/topics/{n}/", f"sessionid=s{n}" if n % 2 else "") for n in range(60)]
    page = web.Page("topic_logged_in", "topics", requests)
    measured = web.measure_page(page, recorder, seconds=2, connections=4, quiet=True)
    assert measured.requests > 300 and measured.errors == 0
    seen = set(Recorder.seen)
    assert seen <= set(requests)  # never a path with another's cookie
    assert len(seen) >= 55  # not one hot page


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_check_turn_refuses_a_redirect_that_wrk_alone_counts_as_success(recorder, tmp_path, monkeypatch):
    monkeypatch.setattr(web, "LOG_DIR", tmp_path)
    page = web.Page("home_logged_in", "home", [("/", "sessionid=a"), ("/login-first/", "sessionid=b")])
    assert web.measure_page(page, recorder, seconds=1, connections=2, quiet=True).errors == 0
    with pytest.raises(SystemExit, match="were not 200"):
        web.measure_page(page, recorder, seconds=1, connections=2, check=True, quiet=True)
