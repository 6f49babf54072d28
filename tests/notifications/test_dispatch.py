"""The outbox on SQLite: due times, idempotent expansion, channels, retries, exactly once."""

import datetime
import json
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from notifications import services, tasks
from notifications.models import Delivery, Notice
from notifications.registry import EMAIL, IN_APP, SMS
from tests import factories

from .conftest import TEST_KIND

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def people(community, admin_user):
    """Four residents: phone only, SMS opted out, e-mail opted in, no phone at all."""
    return {
        "phone": factories.resident(community, actor=admin_user),
        "quiet": factories.resident(community, actor=admin_user, sms_opt_out=True),
        "mail": factories.resident(community, actor=admin_user, email_opt_in=True),
        "nophone": factories.resident(community, actor=admin_user, phone=None),
    }


def schedule(community, due_at, **params):
    return services.notice_schedule(kind=TEST_KIND, subject=community, due_at=due_at, params=params)


def run_dispatcher(django_capture_on_commit_callbacks):
    """One beat tick, with the tasks it queues run in this process."""
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.dispatch()


def channel_counts(status=Delivery.Status.SENT):
    rows = Delivery.objects.filter(status=status).values_list("channel", flat=True)
    return {channel: list(rows).count(channel) for channel in (IN_APP, SMS, EMAIL)}


def test_nothing_goes_before_its_due_time_and_all_of_it_right_after(
    news_kind, community, people, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        schedule(community, T0 + datetime.timedelta(minutes=10))
    with time_machine.travel(T0 + datetime.timedelta(minutes=9, seconds=59), tick=False):
        assert run_dispatcher(django_capture_on_commit_callbacks)["notices"] == 0
    assert not Delivery.objects.exists()
    with time_machine.travel(T0 + datetime.timedelta(minutes=10), tick=False):
        result = run_dispatcher(django_capture_on_commit_callbacks)
    assert result["notices"] == 1
    # in-app for all four; SMS for the two with a phone who did not opt out; e-mail for one.
    assert channel_counts() == {IN_APP: 4, SMS: 2, EMAIL: 1}
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.DISPATCHED
    assert set(notice.content) == {"zh-hans", "en"}


def test_a_rolled_back_transaction_leaves_nothing_due(news_kind, community, people):
    with pytest.raises(RuntimeError), transaction.atomic():
        schedule(community, timezone.now())
        raise RuntimeError("the change failed")
    assert not Notice.objects.exists()


def test_expanding_twice_adds_nothing(news_kind, community, people):
    notice = schedule(community, timezone.now())
    services.notices_dispatch()
    first = set(Delivery.objects.values_list("pk", flat=True))
    # Even if the notice were claimed again, the unique constraint keeps one row per channel.
    Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.PENDING)
    services.notices_dispatch()
    assert set(Delivery.objects.values_list("pk", flat=True)) == first
    delivery = Delivery.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(notice=notice, recipient=delivery.recipient, channel=delivery.channel)


def test_a_sent_delivery_is_never_sent_again(news_kind, community, people, django_capture_on_commit_callbacks):
    schedule(community, timezone.now())
    run_dispatcher(django_capture_on_commit_callbacks)
    sms_ids = list(Delivery.objects.filter(channel=SMS).values_list("pk", flat=True))
    stamps = dict(Delivery.objects.values_list("pk", "sent_at"))
    # A duplicate task (the broker redelivering) and a sweep find nothing left to send.
    assert services.deliveries_send(channel=SMS, ids=sms_ids).sent == 0
    assert services.deliveries_send(channel=IN_APP, ids=list(stamps)).sent == 0
    Delivery.objects.update(available_at=timezone.now() - datetime.timedelta(hours=1))
    assert services.deliveries_hand_off() == 0
    assert dict(Delivery.objects.values_list("pk", "sent_at")) == stamps
    assert Delivery.objects.filter(status=Delivery.Status.SENT, attempts=1).count() == len(stamps)


def test_sms_files_are_one_per_delivery_and_fit_a_segment(
    news_kind, community, people, settings, django_capture_on_commit_callbacks
):
    schedule(community, timezone.now())
    run_dispatcher(django_capture_on_commit_callbacks)
    files = sorted(Path(settings.SMS_FILE_PATH).rglob("*.txt"))
    assert len(files) == 2
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert {r["to"] for r in records} == {people["phone"].phone, people["mail"].phone}
    assert all(len(r["text"]) <= 70 for r in records)
    sent = Delivery.objects.filter(channel=SMS)
    assert {d.provider_message_id.rsplit("/", 1)[-1] for d in sent} == {f.name for f in files}


def test_email_goes_as_text_and_html(news_kind, community, people, django_capture_on_commit_callbacks):
    schedule(community, timezone.now(), text="Water off on Tuesday, see http://testserver/x/")
    run_dispatcher(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [people["mail"].email]
    assert "Water off on Tuesday" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<a href="http://testserver/x/"' in html
    delivery = Delivery.objects.get(channel=EMAIL)
    assert message.extra_headers["Message-ID"] == delivery.provider_message_id


class FlakySms:
    """An SMS backend that fails the first `failures` attempts."""

    calls = []
    failures = 0
    transient = True

    def __init__(self, **options):
        pass

    def send(self, message):
        from notifications.sms import SmsError

        FlakySms.calls.append(message.ref)
        if len(FlakySms.calls) <= FlakySms.failures:
            raise SmsError("InternalError.Timeout: the provider timed out", transient=FlakySms.transient)
        return f"ok-{len(FlakySms.calls)}"


@pytest.fixture
def flaky_sms(settings):
    settings.SMS_BACKEND = "tests.notifications.test_dispatch.FlakySms"
    FlakySms.calls = []
    FlakySms.failures = 0
    FlakySms.transient = True
    return FlakySms


def test_provider_errors_are_retried_with_back_off_then_fail(news_kind, community, admin_user, flaky_sms, settings):
    settings.NOTICE_MAX_ATTEMPTS = 3
    settings.NOTICE_RETRY_BASE_SECONDS = 30
    factories.resident(community, actor=admin_user)
    flaky_sms.failures = 99
    schedule(community, timezone.now())
    services.notices_dispatch()
    delivery = Delivery.objects.get(channel=SMS)
    delays = []
    for attempt in (1, 2, 3):
        report = services.deliveries_send(channel=SMS, ids=[delivery.pk])
        delays.extend(report.retry)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delays == [30, 60]  # doubling back-off; the third failure is final
    assert delivery.status == Delivery.Status.FAILED
    assert "timed out" in delivery.last_error
    # Other channels are unaffected.
    app = Delivery.objects.get(channel=IN_APP)
    services.deliveries_send(channel=IN_APP, ids=[app.pk])
    app.refresh_from_db()
    assert app.status == Delivery.Status.SENT


def test_a_permanent_error_fails_at_once(news_kind, community, admin_user, flaky_sms):
    factories.resident(community, actor=admin_user)
    flaky_sms.failures, flaky_sms.transient = 1, False
    schedule(community, timezone.now())
    services.notices_dispatch()
    delivery = Delivery.objects.get(channel=SMS)
    report = services.deliveries_send(channel=SMS, ids=[delivery.pk])
    assert report.failed == 1 and not report.retry
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_retry_tasks_never_wait_longer_than_five_minutes(
    news_kind, community, admin_user, flaky_sms, settings, monkeypatch
):
    settings.NOTICE_MAX_ATTEMPTS = 12
    settings.NOTICE_RETRY_BASE_SECONDS = 30
    settings.NOTICE_RETRY_MAX_SECONDS = 3600  # asking for more than five minutes gets five
    assert [services.backoff(n) for n in range(1, 9)] == [30, 60, 120, 240, 300, 300, 300, 300]
    queued = []
    monkeypatch.setattr(tasks.send_sms, "apply_async", lambda args=(), countdown=None, **kw: queued.append(countdown))
    factories.resident(community, actor=admin_user)
    flaky_sms.failures = 99
    schedule(community, timezone.now())
    services.notices_dispatch()
    delivery = Delivery.objects.get(channel=SMS)
    for _ in range(7):
        tasks.send_sms([delivery.pk])
    assert queued == [30, 60, 120, 240, 300, 300, 300]


def test_a_worker_killed_mid_send_leaves_the_delivery_to_be_handed_out_again(
    news_kind, community, people, settings, django_capture_on_commit_callbacks
):
    schedule(community, T0)
    with time_machine.travel(T0, tick=False):
        services.notices_dispatch()
        # Handed out, then the worker died: its batch is lost with it.
        assert services.deliveries_hand_off() == 7
        assert services.deliveries_hand_off() == 0
    later = T0 + datetime.timedelta(seconds=settings.NOTICE_HANDOFF_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        result = run_dispatcher(django_capture_on_commit_callbacks)
    assert result["handed"] == 7
    assert channel_counts() == {IN_APP: 4, SMS: 2, EMAIL: 1}


def test_a_notice_that_no_longer_holds_is_superseded_not_sent(news_kind, community, people):
    notice = schedule(community, timezone.now(), stale=True)
    report = services.notices_dispatch()
    assert report.superseded == 1
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SUPERSEDED
    assert not Delivery.objects.exists()


def test_superseded_and_withdrawn_notices_send_nothing(
    news_kind, community, people, django_capture_on_commit_callbacks
):
    pending = schedule(community, timezone.now())
    assert services.notices_supersede(subject=community, kinds=[TEST_KIND], reason="moved") == 1
    services.notices_dispatch()
    pending.refresh_from_db()
    assert pending.status == Notice.Status.SUPERSEDED and pending.note == "moved"
    dispatched = schedule(community, timezone.now())
    services.notices_dispatch()
    assert services.deliveries_withdraw(subject=community, kinds=[TEST_KIND]) == 7
    run_dispatcher(django_capture_on_commit_callbacks)
    assert not Delivery.objects.filter(status=Delivery.Status.SENT).exists()
    assert Delivery.objects.filter(notice=dispatched, status=Delivery.Status.SUPERSEDED).count() == 7


def test_someone_who_opted_out_after_the_expansion_gets_no_sms(news_kind, community, people):
    schedule(community, timezone.now())
    services.notices_dispatch()
    user = people["phone"]
    user.sms_opt_out = True
    user.save(update_fields=["sms_opt_out"])
    delivery = Delivery.objects.get(channel=SMS, recipient=user)
    with translation.override("en"):
        services.deliveries_send(channel=SMS, ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUPERSEDED
    assert "opted out" in delivery.last_error


def test_resend_requeues_failed_deliveries_only(news_kind, community, people, flaky_sms, admin_user):
    flaky_sms.failures, flaky_sms.transient = 99, False
    schedule(community, timezone.now())
    services.notices_dispatch()
    ids = list(Delivery.objects.filter(channel=SMS).values_list("pk", flat=True))
    services.deliveries_send(channel=SMS, ids=ids)
    app = Delivery.objects.filter(channel=IN_APP)
    services.deliveries_send(channel=IN_APP, ids=list(app.values_list("pk", flat=True)))
    everything = list(Delivery.objects.select_related("notice"))
    assert services.deliveries_resend(actor=admin_user, deliveries=everything) == 2
    assert Delivery.objects.filter(channel=SMS, status=Delivery.Status.QUEUED, attempts=0).count() == 2
    assert Delivery.objects.filter(channel=IN_APP, status=Delivery.Status.SENT).count() == 4
    flaky_sms.failures = 0
    assert services.deliveries_send(channel=SMS, ids=ids).sent == 2


def test_a_notice_due_within_five_minutes_wakes_the_dispatcher_at_its_time(
    news_kind, community, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.dispatch, "apply_async", lambda args=(), countdown=None, **kw: queued.append(countdown))
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        schedule(community, T0 + datetime.timedelta(days=5))
        schedule(community, T0 + datetime.timedelta(seconds=90))
        schedule(community, T0)
    assert queued == [90, None]


def test_daily_notices_are_planned_once_a_day_from_their_hour(community, news_kind, monkeypatch):
    from notifications.registry import Daily, registry

    registry.register_daily(Daily(kind=TEST_KIND, subjects=lambda now: [community], at=datetime.time(8, 0)))
    morning = timezone.make_aware(datetime.datetime(2026, 5, 4, 7, 59))
    with time_machine.travel(morning, tick=False):
        assert services.daily_notices_plan() == 0
    for minutes in (1, 30, 600):
        with time_machine.travel(morning + datetime.timedelta(minutes=minutes), tick=False):
            services.daily_notices_plan()
    assert Notice.objects.filter(kind=TEST_KIND).count() == 1
    with time_machine.travel(morning + datetime.timedelta(days=1, minutes=1), tick=False):
        assert services.daily_notices_plan() == 1
