"""What `bench/web.py` measures, judged and printed: kept free of Django and of the network so
the rules of the verdict (and the exactly-once count) are tested in CI in milliseconds."""

import json
import re
from collections import Counter
from dataclasses import dataclass

# The share of the trivial view's requests per second each page must keep (issue 16's goals);
# a page not named here is measured without a goal.
GOALS = {
    "home": 0.5,
    "directory": 0.5,
    "community": 0.5,
    "topic": 0.5,
    "meeting": 0.5,
    "topic_logged_in": 0.15,
    "home_logged_in": 0.3,
    "meeting_logged_in": 0.3,
    "dashboard": 0.2,
}
# The keys of var/bench/latest.json's "pages", in the order they are measured and printed.
KEYS = (
    "trivial",
    "home",
    "home_logged_in",
    "directory",
    "community",
    "topic",
    "topic_logged_in",
    "meeting",
    "meeting_logged_in",
    "dashboard",
    "post_comments",
)
MARKER = re.compile(r"\[bench:([0-9a-z-]+)\]")


@dataclass
class Result:
    """One measured page (or the comment posting): throughput, latency in ms, failed requests."""

    label: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int
    key: str = ""  # its name in latest.json
    goal: float | None = None  # the share of the trivial view's req/s it must keep

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Writes:
    """The posted comments reconciled with the rows in the database."""

    accepted: int
    stored: int
    lost: list
    doubled: list
    unanswered_stored: int  # stored although the client saw no 2xx (a timeout): neither lost nor doubled

    @property
    def exact(self):
        return not self.lost and not self.doubled


def combined(first, second):
    """One row from two runs of the same page: their requests over their time, the mean p50
    (the runs are equally long), the worse p95."""
    return Result(
        label=first.label,
        requests=first.requests + second.requests,
        seconds=first.seconds + second.seconds,
        p50_ms=(first.p50_ms + second.p50_ms) / 2,
        p95_ms=max(first.p95_ms, second.p95_ms),
        errors=first.errors + second.errors,
        key=first.key,
        goal=first.goal,
    )


def parse_wrk(output, label, *, key="", goal=None):
    """Read the JSON line that bench/wrk_rotate.lua prints at the end of a wrk run. Answers
    other than 200 counted by its check mode (redirects too) are failed requests."""
    line = next((line for line in reversed(output.splitlines()) if line.startswith("{")), None)
    if line is None:
        raise ValueError(f"wrk printed no summary for {label}: {output[-500:]!r}")
    summary = json.loads(line)
    return Result(
        label=label,
        requests=summary["requests"],
        seconds=summary["seconds"],
        p50_ms=summary["p50_us"] / 1000,
        p95_ms=summary["p95_us"] / 1000,
        errors=summary["non_2xx_3xx"] + summary["socket_errors"] + summary.get("not_200", 0),
        key=key,
        goal=goal,
    )


def percentile(values, share):
    """The nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def comment_body(marker):
    return f"基准测试评论 [bench:{marker}]"


def reconcile(accepted_markers, stored_bodies):
    """Every marker the portal answered 2xx for must be in exactly one stored comment."""
    stored = Counter(match.group(1) for body in stored_bodies for match in [MARKER.search(body)] if match)
    accepted = set(accepted_markers)
    return Writes(
        accepted=len(accepted),
        stored=sum(stored.values()),
        lost=sorted(marker for marker in accepted if stored[marker] == 0),
        doubled=sorted(marker for marker, count in stored.items() if count > 1),
        unanswered_stored=sum(1 for marker in stored if marker not in accepted),
    )


def ratio_table(results):
    """The printed table: each row's throughput against the first row (the trivial view)."""
    ceiling = results[0].rate
    lines = [f"{'page':40} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'ratio':>7}"]
    for result in results:
        ratio = result.rate / ceiling if ceiling else 0.0
        mark = f" (goal {result.goal})" if result.goal is not None else ""
        lines.append(
            f"{result.label:40} {result.rate:8.1f} {result.p50_ms:8.1f} {result.p95_ms:8.1f} "
            f"{result.errors:7d} {ratio:7.2f}{mark}"
        )
    return "\n".join(lines)


def missed_targets(results, writes):
    """Why the run fails, one line per missed target; empty when every target is met."""
    ceiling = results[0].rate
    missed = []
    for result in results:
        if result.errors:
            missed.append(f"{result.label}: {result.errors} failed requests (target 0)")
        if result.goal is not None and result.rate < result.goal * ceiling:
            missed.append(
                f"{result.label}: {result.rate / ceiling:.2f} of the trivial view's req/s (goal {result.goal})"
            )
    if writes is not None:
        if writes.lost:
            missed.append(f"{len(writes.lost)} accepted comments not stored, e.g. {writes.lost[:3]}")
        if writes.doubled:
            missed.append(f"{len(writes.doubled)} comments stored twice or more, e.g. {writes.doubled[:3]}")
    return missed


def latest(results, writes, machine):
    """What var/bench/latest.json holds: each page's figures under its key, the comments
    reconciled, the machine and run they were measured on."""
    ceiling = results[0].rate
    pages = {
        result.key: {
            "req_s": round(result.rate, 1),
            "p50_ms": round(result.p50_ms, 1),
            "p95_ms": round(result.p95_ms, 1),
            "errors": result.errors,
            "ratio": round(result.rate / ceiling, 3) if ceiling else 0.0,
            "goal": result.goal,
            "label": result.label,
        }
        for result in results
    }
    comments = {
        "accepted": writes.accepted,
        "stored": writes.stored,
        "lost": len(writes.lost),
        "doubled": len(writes.doubled),
        "unanswered_stored": writes.unanswered_stored,
    }
    return {
        "pages": pages,
        "comments": comments,
        "machine": machine,
        "missed": missed_targets(results, writes),
    }


def fan_out_table(rows):
    """The notice fan-out with 1, 2, ... Celery workers side by side: rows of (workers, sent, seconds)."""
    lines = [f"{'Celery workers':>14} {'deliveries':>11} {'seconds':>8} {'deliveries/s':>13} {'vs 1 worker':>12}"]
    single = rows[0][1] / rows[0][2]
    for workers, sent, seconds in rows:
        rate = sent / seconds
        lines.append(f"{workers:14d} {sent:11,d} {seconds:8.1f} {rate:13,.0f} {rate / single:11.2f}x")
    return "\n".join(lines)
