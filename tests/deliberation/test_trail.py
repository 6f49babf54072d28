"""The trail: hash-chained, append-only, and `verify_trail` finds a record edited in the database."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from deliberation import services, trail
from deliberation.models import Topic, TrailEntry, TrailRefused
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql, params=()):
    """Edit the trail behind the application's back. On PostgreSQL that takes switching the
    append-only trigger off, as only the database's superuser can."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            raw("SET LOCAL session_replication_role = replica")
        raw(sql, params)


@pytest.fixture
def chained(flow, world):
    topic = flow.at(Step.RESOLVE)
    services.comment_post(actor=world.resident, topic=topic, body="同意")
    return topic


def test_each_hash_covers_the_entry_and_the_one_before(chained):
    first, second = TrailEntry.objects.filter(topic=chained).order_by("seq")[:2]
    assert first.prev_hash == "0" * 64 and second.prev_hash == first.hash
    content = {
        "topic": chained.pk,
        "seq": 1,
        "kind": "raised",
        "at": first.recorded_at.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": first.actor_id,
        "data": first.data,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert first.hash == hashlib.sha256(("0" * 64 + canonical).encode()).hexdigest()


def test_the_model_refuses_to_change_or_remove_an_entry(chained):
    entry = TrailEntry.objects.filter(topic=chained).first()
    entry.data = {"forged": True}
    with pytest.raises(TrailRefused):
        entry.save()
    with pytest.raises(TrailRefused):
        entry.delete()
    with pytest.raises(TrailRefused):
        TrailEntry.objects.filter(pk=entry.pk).update(kind="step")
    with pytest.raises(TrailRefused):
        TrailEntry.objects.filter(pk=entry.pk).delete()


def test_verify_trail_passes_when_intact(chained, capsys):
    call_command("verify_trail")
    assert "Trail intact" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("data", '{"title": "forged"}', "does not match its hash"),
        ("kind", "comment", "does not match its hash"),
        ("hash", "f" * 64, "does not match its hash"),
        ("prev_hash", "e" * 64, "previous hash"),
    ],
)
def test_verify_trail_names_a_row_edited_in_the_database(chained, column, value, reason):
    victim = TrailEntry.objects.filter(topic=chained).order_by("seq")[2]
    tamper(f"UPDATE deliberation_trailentry SET {column} = %s WHERE id = %s", [value, victim.pk])
    report = trail.verify()
    assert report.broken.entry_id == victim.pk and reason in report.broken.reason
    with pytest.raises(CommandError) as info:
        call_command("verify_trail")
    assert f"trail entry {victim.pk} (topic {chained.pk}, #3)" in str(info.value)


def test_verify_trail_finds_a_removed_entry(chained):
    entries = list(TrailEntry.objects.filter(topic=chained).order_by("seq"))
    tamper("DELETE FROM deliberation_trailentry WHERE id = %s", [entries[1].pk])
    assert "missing" in trail.verify().broken.reason


def test_verify_trail_finds_a_topic_whose_step_was_edited(chained, flow):
    other = flow.raise_topic()
    Topic.objects.filter(pk=other.pk).update(step=Step.ARCHIVE)
    report = trail.verify()
    assert report.broken.topic_id == other.pk
    assert (
        report.broken.reason
        == "the topic says step 'archive', outcome 'pending', its trail ends at step 'collect', outcome 'pending'"
    )


@pytest.mark.postgres
def test_postgres_refuses_to_update_or_delete_an_entry(chained):
    victim = TrailEntry.objects.filter(topic=chained).order_by("seq")[2]
    for sql in (
        "UPDATE deliberation_trailentry SET data = '{}' WHERE id = %s",
        "DELETE FROM deliberation_trailentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw(sql, [victim.pk])
    assert trail.verify().intact
    assert TrailEntry.objects.get(pk=victim.pk).hash == victim.hash


def test_chains_are_per_topic(flow, world):
    one, two = flow.raise_topic(), flow.raise_topic(title="第二件事")
    services.comment_post(actor=world.resident, topic=one, body="一")
    assert list(TrailEntry.objects.filter(topic=two).values_list("seq", flat=True)) == [1]
    assert list(TrailEntry.objects.filter(topic=one).values_list("seq", flat=True)) == [1, 2]
    report = trail.verify()
    assert (report.intact, report.chains, report.entries) == (True, 2, 3)
