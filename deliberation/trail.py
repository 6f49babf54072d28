"""The tamper-evident trail: canonical content, the hash chain, appending and verifying.

One chain per topic rather than one for the whole portal. A global chain would make every
comment, vote and step change in the city wait for the single tail entry; per-topic chains
only serialise writes to the same topic (whose row the services lock anyway), can be bulk
written for the demo in parallel, and are verified topic by topic. What a per-topic chain
alone would not catch, a whole chain removed, is covered by checking that every topic's
chain starts at number 1 with its "raised" entry and ends in the step the topic says it is
in; and no path deletes an entry (the model, the admin and, on PostgreSQL, a trigger refuse).

Free text (comments, descriptions, objections) enters the trail as its SHA-256, not as
text: the trail proves what was written without republishing a hidden comment. Decisions
(steps, notes, outcomes, resolutions, tallies) are kept in clear.
"""

import datetime
import decimal
import hashlib
import json
from dataclasses import dataclass

from django.db import connection
from django.utils.functional import Promise

GENESIS = "0" * 64


def timestamp(moment):
    """A moment as the trail writes it: UTC, microseconds, so it survives any database."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jsonable(value):
    """Reduce a value to what canonical JSON keeps exactly: no floats, no objects."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, float)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_digest(text):
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def payload(*, topic_id, seq, kind, recorded_at, actor_id, data):
    return {
        "topic": topic_id,
        "seq": seq,
        "kind": str(kind),
        "at": timestamp(recorded_at),
        "actor": actor_id,
        "data": data,
    }


def entry_hash(prev_hash, content):
    return hashlib.sha256((prev_hash + canonical(content)).encode("utf-8")).hexdigest()


def new_entry(*, topic_id, seq, prev_hash, kind, recorded_at, actor_id=None, data=None):
    """An unsaved, sealed entry: for append() and for bulk writers (the large demo)."""
    from .models import TrailEntry

    data = jsonable(data or {})
    content = payload(topic_id=topic_id, seq=seq, kind=kind, recorded_at=recorded_at, actor_id=actor_id, data=data)
    return TrailEntry(
        topic_id=topic_id,
        seq=seq,
        kind=str(kind),
        recorded_at=recorded_at,
        actor_id=actor_id,
        data=data,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, content),
    )


def append(*, topic, kind, actor=None, data=None, at=None):
    """Append an entry to the topic's chain. The caller holds the topic's row lock.

    The lock keeps two writers from reading the same tail; the (topic, seq) unique
    constraint would refuse the second if one ever forgot it, so a chain cannot fork.
    """
    from . import clock
    from .models import TrailEntry

    assert connection.in_atomic_block, "append to the trail inside the transaction that locked the topic"
    tail = TrailEntry.objects.filter(topic_id=topic.pk).order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (tail[0] + 1, tail[1]) if tail else (1, GENESIS)
    entry = new_entry(
        topic_id=topic.pk,
        seq=seq,
        prev_hash=prev_hash,
        kind=kind,
        recorded_at=at or clock.now(),
        actor_id=getattr(actor, "pk", None),
        data=data,
    )
    entry.save()
    return entry


@dataclass(frozen=True)
class Break:
    """The first record where a chain stops adding up."""

    topic_id: int
    seq: int | None
    entry_id: int | None
    reason: str

    def __str__(self):
        if self.entry_id is None:
            return f"topic {self.topic_id}: {self.reason}"
        return f"trail entry {self.entry_id} (topic {self.topic_id}, #{self.seq}): {self.reason}"


@dataclass
class Report:
    entries: int = 0
    chains: int = 0
    broken: Break | None = None

    @property
    def intact(self):
        return self.broken is None


def verify(topic_ids=None, chunk_size=5000):
    """Walk every chain (or those of `topic_ids`) and report the first broken record."""
    from .models import Topic, TrailEntry
    from .workflow import Step

    topics = Topic.objects.order_by("pk")
    entries = TrailEntry.objects.order_by("topic_id", "seq")
    if topic_ids is not None:
        topics = topics.filter(pk__in=topic_ids)
        entries = entries.filter(topic_id__in=topic_ids)
    states = {pk: (step, outcome) for pk, step, outcome in topics.values_list("pk", "step", "outcome")}
    report = Report()

    current, expected_seq, prev_hash, state = None, 1, GENESIS, None
    seen = set()

    def close_chain(topic_id, state):
        said = states.get(topic_id)
        if said is None:
            return Break(topic_id, None, None, "the trail names a topic that does not exist")
        if state is not None and said != state:
            return Break(
                topic_id,
                None,
                None,
                f"the topic says step {said[0]!r}, outcome {said[1]!r}, its trail ends at step {state[0]!r}, "
                f"outcome {state[1]!r}",
            )
        return None

    rows = entries.values_list("pk", "topic_id", "seq", "kind", "recorded_at", "actor_id", "data", "prev_hash", "hash")
    for pk, topic_id, seq, kind, recorded_at, actor_id, data, stored_prev, stored_hash in rows.iterator(
        chunk_size=chunk_size
    ):
        if topic_id != current:
            if current is not None:
                broken = close_chain(current, state)
                if broken:
                    report.broken = broken
                    return report
            report.chains += 1
            seen.add(topic_id)
            current, expected_seq, prev_hash, state = topic_id, 1, GENESIS, None
        report.entries += 1
        if seq != expected_seq:
            report.broken = Break(topic_id, seq, pk, f"entry #{expected_seq} is missing before it")
            return report
        if stored_prev != prev_hash:
            report.broken = Break(topic_id, seq, pk, "its previous hash does not match the entry before it")
            return report
        content = payload(topic_id=topic_id, seq=seq, kind=kind, recorded_at=recorded_at, actor_id=actor_id, data=data)
        if entry_hash(stored_prev, content) != stored_hash:
            report.broken = Break(
                topic_id, seq, pk, "its content does not match its hash (edited after it was written)"
            )
            return report
        if seq == 1 and kind != "raised":
            report.broken = Break(topic_id, seq, pk, "a chain must begin with the topic being raised")
            return report
        if kind == "raised":
            state = (Step.COLLECT.value, "pending")
        elif kind == "step":
            state = (data.get("to"), data.get("outcome"))
        expected_seq, prev_hash = seq + 1, stored_hash

    if current is not None:
        broken = close_chain(current, state)
        if broken:
            report.broken = broken
            return report
    # A topic with no chain at all: its entries were removed wholesale.
    for topic_id in sorted(set(states) - seen):
        report.broken = Break(topic_id, None, None, "the topic has no trail")
        return report
    return report
