"""Every write to notices, deliveries and follows.

How a notice travels, and why it goes exactly once per person and channel:

1. `notice_schedule` writes a pending Notice inside the transaction of the change that
   calls for it (a meeting scheduled, a step taken). If that transaction rolls back, nothing
   is due; once it commits, the database remembers what is due, whatever the broker forgets.
2. Every minute the dispatcher (`notices_dispatch`) claims due notices one at a time
   (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the write lock every
   transaction takes up front serialises dispatchers) and, in the same transaction, fixes
   the wording in every language and expands the recipients into deliveries with one
   `INSERT ... SELECT ... ON CONFLICT DO NOTHING` per channel: running it twice adds nothing.
3. `deliveries_hand_off` leases due queued deliveries (so a second dispatcher passes them
   by) and, after commit, hands their ids in batches to the channels' send tasks. A batch
   lost with the broker or a killed worker is handed out again when its lease runs out.
4. `deliveries_send` sends: the in-app channel accepts a whole batch with one conditional
   UPDATE; every other channel claims each delivery with a conditional UPDATE (status
   `queued`, no live send lease), talks to the provider, and marks it `sent` with
   `UPDATE ... WHERE status != 'sent'` only once the provider accepted it. A failed attempt
   is retried after an exponential back-off (capped, and never beyond five minutes) and
   ends `failed` with the provider's error after NOTICE_MAX_ATTEMPTS.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.rules import can

from . import channels
from .models import Delivery, Follow, Notice
from .registry import IN_APP, registry

log = logging.getLogger(__name__)

# No task waits in the broker longer than this (seconds): the database holds anything later.
MAX_COUNTDOWN = 300

QUEUED, SENT, FAILED, SUPERSEDED = (
    Delivery.Status.QUEUED,
    Delivery.Status.SENT,
    Delivery.Status.FAILED,
    Delivery.Status.SUPERSEDED,
)


def _seconds(name):
    return datetime.timedelta(seconds=getattr(settings, name))


def backoff(attempts):
    """Seconds to wait after the `attempts`-th failed attempt: doubling, capped at five minutes."""
    cap = min(settings.NOTICE_RETRY_MAX_SECONDS, MAX_COUNTDOWN)
    return min(settings.NOTICE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), cap)


def _about(subject):
    if subject is None:
        return Q(subject_type__isnull=True)
    return Q(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)


def queue_task(task, *args, countdown=0):
    """Publish a task; a broker that is down only delays the work (the dispatcher finds it)."""
    try:
        task.apply_async(args=args, countdown=min(max(countdown, 0), MAX_COUNTDOWN) or None)
    except Exception:  # the broker's errors differ per transport; none may fail the caller
        log.warning("Could not queue %s; the dispatcher will pick the work up.", task.name, exc_info=True)


def _dispatch_soon(due_at, moment):
    from . import tasks

    delay = (due_at - moment).total_seconds()
    if delay <= MAX_COUNTDOWN:
        transaction.on_commit(lambda: queue_task(tasks.dispatch, countdown=delay))


# Scheduling
@transaction.atomic
def notice_schedule(*, kind, subject=None, due_at=None, params=None, short_notice=False, key=None, community_key=None):
    """Record that a notice of `kind` about `subject` is due at `due_at` (now when None).

    Call it inside the transaction of the change that calls for the notice. With a `key`,
    the notice exists once per kind and key: a second call returns the first notice.
    `community_key` (a community's id) overrides the one the kind finds for the subject.
    """
    return _schedule(
        kind=kind,
        subject=subject,
        due_at=due_at,
        params=params,
        short_notice=short_notice,
        key=key,
        community_key=community_key,
    )[0]


@transaction.atomic
def notice_schedule_once(*, kind, subject, moment, due_at, params):
    """For the planners beat runs: the notice of `kind` about `subject` that speaks of
    `moment` (a meeting's start, a window's end), created once whoever asks and how often.
    Returns whether this call created it. The key names the subject and the moment, so a
    moment that changes gets a notice of its own."""
    key = f"{subject.pk}:{moment.astimezone(datetime.UTC).isoformat()}"
    if Notice.objects.filter(kind=kind, key=key).exists():
        return False
    # The key holds it to once even when two beats got here together.
    _, created = _schedule(
        kind=kind, subject=subject, due_at=due_at, params=params, short_notice=False, key=key, community_key=None
    )
    return created


def _schedule(*, kind, subject, due_at, params, short_notice, key, community_key):
    notice_kind = registry.get(kind)
    moment = timezone.now()
    if community_key is None and subject is not None and notice_kind.community_key is not None:
        community_key = notice_kind.community_key(subject)
    fields = {
        "kind": kind,
        "subject_type": ContentType.objects.get_for_model(subject) if subject is not None else None,
        "subject_id": subject.pk if subject is not None else None,
        "community_key": community_key,
        "due_at": due_at or moment,
        "params": params or {},
        "short_notice": short_notice,
        "key": key,
        "created_at": moment,
    }
    if key is not None:
        try:
            with transaction.atomic():
                notice = Notice.objects.create(**fields)
        except IntegrityError:
            return Notice.objects.get(kind=kind, key=key), False
    else:
        notice = Notice.objects.create(**fields)
    _dispatch_soon(notice.due_at, moment)
    return notice, True


@transaction.atomic
def notices_supersede(*, subject, kinds, by=None, reason=""):
    """Pending notices of `kinds` about `subject` will never go out. Returns how many."""
    pending = Notice.objects.filter(_about(subject), kind__in=kinds, status=Notice.Status.PENDING)
    if by is not None:
        pending = pending.exclude(pk=by.pk)
    return pending.update(
        status=Notice.Status.SUPERSEDED, superseded_at=timezone.now(), superseded_by=by, note=reason[:300]
    )


@transaction.atomic
def deliveries_withdraw(*, subject, kinds, reason=""):
    """Deliveries of dispatched notices about `subject` not yet sent never will be."""
    notices = Notice.objects.filter(_about(subject), kind__in=kinds)
    return Delivery.objects.filter(notice__in=notices, status=QUEUED).update(
        status=SUPERSEDED, last_error=reason[:2000], locked_until=None
    )


# The dispatcher
@dataclass
class DispatchReport:
    notices: int = 0
    deliveries: int = 0
    superseded: int = 0


def notices_dispatch(*, now=None, limit=200):
    """Claim the notices due by `now`, one transaction each, and expand their recipients."""
    moment = now or timezone.now()
    report = DispatchReport()
    for _turn in range(limit):
        with transaction.atomic():
            notice = _claim_due_notice(moment)
            if notice is None:
                break
            created = _expand(notice, moment)
        if created is None:
            report.superseded += 1
        else:
            report.notices += 1
            report.deliveries += created
    return report


def _claim_due_notice(moment):
    due = Notice.objects.filter(status=Notice.Status.PENDING, due_at__lte=moment).order_by("due_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return due.first()


def _void(notice, moment, reason):
    Notice.objects.filter(pk=notice.pk, status=Notice.Status.PENDING).update(
        status=Notice.Status.SUPERSEDED, superseded_at=moment, note=reason[:300]
    )


def _expand(notice, moment):
    """Fix the wording and create the deliveries; None when the notice no longer holds."""
    kind = registry.find(notice.kind)
    if kind is None:
        log.error("Notice %s has an unregistered kind %r; it is not sent.", notice.pk, notice.kind)
        _void(notice, moment, f"Unknown kind {notice.kind}")
        return None
    subject = notice.subject if notice.subject_type_id else None
    if notice.subject_type_id and subject is None:
        _void(notice, moment, "What the notice was about no longer exists.")
        return None
    if kind.is_current is not None and not kind.is_current(subject, notice):
        _void(notice, moment, "What the notice said no longer holds.")
        return None
    content = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            content[code] = kind.content(subject, notice).as_dict()
    claimed = Notice.objects.filter(pk=notice.pk, status=Notice.Status.PENDING).update(
        status=Notice.Status.DISPATCHED, dispatched_at=moment, content=content
    )
    if not claimed:
        return 0
    recipients = kind.recipients(subject, notice).filter(is_active=True)
    return sum(
        _insert_deliveries(notice, channels.get(name).eligible(recipients), name, moment) for name in kind.channels
    )


def _insert_deliveries(notice, users, channel, moment):
    """One delivery per user on `channel`, in one statement; existing ones are left alone."""
    sql, params = users.order_by().values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        cursor.execute(
            # The model's own table name and the ORM's SQL for `users`; every value is bound.
            f"INSERT INTO {quote(Delivery._meta.db_table)} "  # nosec B608
            "(notice_id, recipient_id, channel, status, attempts, last_error, provider_message_id, available_at, created_at) "
            # WHERE true: SQLite would read the ON of ON CONFLICT as a join's ON without it.
            f"SELECT %s, r.*, %s, %s, 0, '', '', %s, %s FROM ({sql}) r WHERE true "
            "ON CONFLICT (notice_id, recipient_id, channel) DO NOTHING",
            [notice.pk, channel, QUEUED, at, at, *params],
        )
        return max(cursor.rowcount, 0)


def deliveries_hand_off(*, now=None, limit=None):
    """Lease the queued deliveries whose time has come and, once committed, hand their ids
    to the channels' send tasks. Returns how many were handed out."""
    moment = now or timezone.now()
    limit = limit or settings.NOTICE_HANDOFF_LIMIT
    with transaction.atomic():
        rows = _lease_due_deliveries(moment, moment + _seconds("NOTICE_HANDOFF_LEASE_SECONDS"), limit)
        batches = _batches(rows)
        if batches:
            transaction.on_commit(lambda: _queue_batches(batches))
    return len(rows)


def _lease_due_deliveries(moment, until, limit):
    table = connection.ops.quote_name(Delivery._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            # The model's own table name; every value is bound.
            f"UPDATE {table} SET available_at = %s WHERE id IN ("  # nosec B608
            f"SELECT id FROM {table} WHERE status = %s AND available_at <= %s ORDER BY available_at LIMIT %s{lock}"
            ") RETURNING id, channel",
            [adapt(until), QUEUED, adapt(moment), limit],
        )
        return cursor.fetchall()


def _batches(rows):
    by_channel = {}
    for pk, channel in rows:
        by_channel.setdefault(channel, []).append(pk)
    batches = []
    for channel, ids in by_channel.items():
        ids.sort()
        size = channels.get(channel).batch_size
        batches.extend((channel, ids[i : i + size]) for i in range(0, len(ids), size))
    return batches


def _queue_batches(batches):
    from . import tasks

    for channel, ids in batches:
        queue_task(tasks.SEND_TASKS[channel], ids)


def dispatch_next_due(*, now=None):
    """Have the dispatcher run again when the next notice falls due, if that is within a
    minute: notices then go on the second rather than at the next beat."""
    from . import tasks

    moment = now or timezone.now()
    upcoming = (
        Notice.objects.filter(
            status=Notice.Status.PENDING, due_at__gt=moment, due_at__lte=moment + datetime.timedelta(minutes=1)
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    if upcoming is not None:
        queue_task(tasks.dispatch, countdown=(upcoming - moment).total_seconds())
    return upcoming


# Sending
@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    # back-off in seconds -> ids to try again after it
    retry: dict = field(default_factory=dict)


def deliveries_send(*, channel, ids, now=None):
    """Send the deliveries `ids` of `channel` that are still queued."""
    chosen = channels.get(channel)
    ids = sorted({int(pk) for pk in ids})
    if chosen.bulk:
        sent = Delivery.objects.filter(pk__in=ids, channel=channel, status=QUEUED).update(
            status=SENT, sent_at=now or timezone.now(), attempts=F("attempts") + 1, locked_until=None
        )
        return SendReport(sent=sent, skipped=len(ids) - sent)
    report = SendReport()
    # One query loads the batch; each delivery then costs a claim and a result.
    batch = {
        delivery.pk: delivery
        for delivery in Delivery.objects.filter(pk__in=ids, channel=channel, status=QUEUED).select_related(
            "notice", "recipient"
        )
    }
    for pk in ids:
        delivery = batch.get(pk)
        if delivery is None:
            report.skipped += 1
            continue
        _send_one(chosen, delivery, report)
    return report


def _claim(pk, moment):
    """Take one delivery for sending: still queued and nobody else sending it. Returns its
    attempts so far (this one included), or None when someone else has it or it is done."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            # The model's own table name; every value is bound.
            f"UPDATE {table} SET locked_until = %s, attempts = attempts + 1 "  # nosec B608
            "WHERE id = %s AND status = %s AND (locked_until IS NULL OR locked_until < %s) RETURNING attempts",
            [adapt(moment + _seconds("NOTICE_SEND_LEASE_SECONDS")), pk, QUEUED, adapt(moment)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _send_one(channel, delivery, report):
    pk = delivery.pk
    attempts = _claim(pk, timezone.now())
    if attempts is None:
        report.skipped += 1
        return
    delivery.attempts = attempts
    problem = channel.unreachable(delivery.recipient)
    if problem:
        Delivery.objects.filter(pk=pk, status=QUEUED).update(status=SUPERSEDED, last_error=problem, locked_until=None)
        report.skipped += 1
        return
    text = delivery.notice.text(delivery.recipient.preferred_language)
    try:
        message_id = channel.deliver(delivery, text)
    except channels.ChannelError as exc:
        _attempt_failed(delivery, str(exc), exc.transient, report)
        return
    except Exception as exc:  # a bug or an SDK surprise: record it and retry like any outage
        log.exception("Sending delivery %s over %s failed unexpectedly.", pk, channel.name)
        _attempt_failed(delivery, f"{type(exc).__name__}: {exc}", True, report)
        return
    # The guard that makes a second send impossible to record, and a sent delivery final.
    Delivery.objects.filter(pk=pk).exclude(status=SENT).update(
        status=SENT,
        sent_at=timezone.now(),
        provider_message_id=str(message_id or "")[:100],
        locked_until=None,
        last_error="",
    )
    report.sent += 1


def _attempt_failed(delivery, error, transient, report):
    moment = timezone.now()
    if transient and delivery.attempts < settings.NOTICE_MAX_ATTEMPTS:
        delay = backoff(delivery.attempts)
        # The retry task carries the back-off; the lease after it covers that task being lost.
        Delivery.objects.filter(pk=delivery.pk, status=QUEUED).update(
            last_error=error[:2000],
            locked_until=None,
            available_at=moment + datetime.timedelta(seconds=delay) + _seconds("NOTICE_HANDOFF_LEASE_SECONDS"),
        )
        report.retry.setdefault(delay, []).append(delivery.pk)
    else:
        Delivery.objects.filter(pk=delivery.pk, status=QUEUED).update(
            status=FAILED, last_error=error[:2000], locked_until=None
        )
        report.failed += 1


@transaction.atomic
def deliveries_resend(*, actor, deliveries):
    """Queue failed deliveries again (from the admin). A sent delivery is never sent twice."""
    ids = [d.pk for d in deliveries if can(actor, "delivery.resend", d)]
    if len(ids) != len(deliveries):
        raise PermissionDenied(_("You may resend only the notices of communities you run."))
    moment = timezone.now()
    count = (
        Delivery.objects.filter(pk__in=ids, status=FAILED)
        .exclude(status=SENT)
        .update(status=QUEUED, attempts=0, available_at=moment, locked_until=None)
    )
    if count:
        _dispatch_soon(moment, moment)
    return count


# The inbox
@transaction.atomic
def delivery_mark_read(*, user, delivery):
    """Mark one of the user's in-app notices read (idempotent)."""
    if delivery.recipient_id != user.pk or delivery.channel != IN_APP or delivery.status != SENT:
        raise PermissionDenied(_("This is not one of your notices."))
    if delivery.read_at is None:
        delivery.read_at = timezone.now()
        Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=delivery.read_at)
    return delivery


@transaction.atomic
def inbox_mark_all_read(*, user):
    return Delivery.objects.unread(user).update(read_at=timezone.now())


# Follows
def _followable(subject):
    followable = registry.followable_for(type(subject))
    if followable is None:
        raise ValidationError(_("This cannot be followed."))
    return followable


@transaction.atomic
def follow(*, user, subject):
    """Follow `subject` (again). Returns (follow, changed)."""
    followable = _followable(subject)
    if not followable.can_follow(user, subject):
        raise PermissionDenied(_("You cannot follow this."))
    item, created = Follow.objects.get_or_create(
        user=user,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        defaults={"active": True, "created_at": timezone.now()},
    )
    if not created and not item.active:
        item.active = True
        item.save(update_fields=["active"])
        return item, True
    return item, created


@transaction.atomic
def unfollow(*, user, subject):
    """Stop following; remembered, so following by default never brings it back."""
    _followable(subject)
    item, created = Follow.objects.get_or_create(
        user=user,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        defaults={"active": False, "created_at": timezone.now()},
    )
    if not created and item.active:
        item.active = False
        item.save(update_fields=["active"])
    return item


def follow_by_default(*, user, subject):
    """Follow unless the user already chose (to follow or not)."""
    try:
        with transaction.atomic():
            Follow.objects.get_or_create(
                user=user,
                subject_type=ContentType.objects.get_for_model(subject),
                subject_id=subject.pk,
                defaults={"active": True, "created_at": timezone.now()},
            )
    except IntegrityError:  # two comments at once: the other one created it
        pass


# Notices planned once a day
def daily_notices_plan(*, now=None):
    """Create each registered daily notice for today, once. Returns how many it created."""
    moment = now or timezone.now()
    local = timezone.localtime(moment)
    created = 0
    for daily in registry.daily():
        if local.time() < daily.at:
            continue
        for subject in daily.subjects(moment):
            key = f"{ContentType.objects.get_for_model(subject).pk}:{subject.pk}:{local.date().isoformat()}"
            with transaction.atomic():
                _notice, was_created = _schedule(
                    kind=daily.kind,
                    subject=subject,
                    due_at=moment,
                    params=None,
                    short_notice=False,
                    key=key,
                    community_key=None,
                )
            created += was_created
    return created


@transaction.atomic
def follow_end(*, user, follow):
    """Stop following, by the follow's own row (its subject may be gone)."""
    if follow.user_id != user.pk:
        raise PermissionDenied(_("This is not one of your follows."))
    Follow.objects.filter(pk=follow.pk).update(active=False)
    return follow
