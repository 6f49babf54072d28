"""The load benchmark's own rules (bench/report.py, bench/web.py), not the benchmark: what
counts as a lost or doubled comment, how wrk's summary is read, when a run fails."""

import json

import pytest
from django.urls import Resolver404, resolve

from bench import report, web


def result(label, requests, *, errors=0, target=False):
    return report.Result(label, requests, seconds=10.0, p50_ms=2.0, p95_ms=5.0, errors=errors, target=target)


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
    table = report.ratio_table([result("trivial view", 1000), result("community directory", 600, target=True)])
    directory = table.splitlines()[2]
    assert directory.startswith("community directory")
    assert "60.0" in directory and "0.60 (target 0.5)" in directory


def test_a_run_meeting_every_target_misses_nothing():
    results = [result("trivial view", 1000), result("topic page", 500, target=True), result("dashboard", 10)]
    assert report.missed_targets(results, report.reconcile(["a-1-1"], [report.comment_body("a-1-1")])) == []


def test_a_slow_targeted_page_errors_and_lost_writes_each_miss():
    results = [result("trivial view", 1000), result("topic page", 499, target=True), result("home /", 900, errors=2)]
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
