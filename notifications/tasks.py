"""The dispatcher and the channels' send tasks. Thin: they take ids and call a service.

Every task acknowledges late and is rejected back to the queue when its worker dies
(CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST), and retries a lost database
with exponential back-off. Running any of them twice, or at once in two workers, sends
nothing twice: the services' conditional UPDATEs decide who sends.
"""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from . import services
from .registry import EMAIL, IN_APP, SMS

log = logging.getLogger(__name__)

RETRYING = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": services.MAX_COUNTDOWN,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name="notifications.dispatch", bind=True, **RETRYING)
def dispatch(self):
    """Every minute (beat), and right away when something falls due: expand what is due and
    hand queued deliveries to the channels."""
    report = services.notices_dispatch()
    handed = services.deliveries_hand_off()
    if not self.request.is_eager:  # run in-process, a countdown would not wait
        services.dispatch_next_due()
    if report.notices or report.superseded or handed:
        log.info(
            "Dispatched %d notices (%d deliveries, %d no longer held); handed out %d deliveries.",
            report.notices,
            report.deliveries,
            report.superseded,
            handed,
        )
    return {"notices": report.notices, "deliveries": report.deliveries, "handed": handed}


def _send(task, channel, ids):
    report = services.deliveries_send(channel=channel, ids=ids)
    for delay, retry_ids in report.retry.items():
        services.queue_task(task, retry_ids, countdown=delay)
    return {"sent": report.sent, "failed": report.failed, "skipped": report.skipped}


@shared_task(name="notifications.send_in_app", **RETRYING)
def send_in_app(ids):
    return _send(send_in_app, IN_APP, ids)


@shared_task(name="notifications.send_sms", **RETRYING)
def send_sms(ids):
    return _send(send_sms, SMS, ids)


@shared_task(name="notifications.send_email", **RETRYING)
def send_email(ids):
    return _send(send_email, EMAIL, ids)


SEND_TASKS = {IN_APP: send_in_app, SMS: send_sms, EMAIL: send_email}


@shared_task(name="notifications.plan_daily", **RETRYING)
def plan_daily():
    """Hourly: create today's daily notices (digests) once their hour has come."""
    return services.daily_notices_plan()


@worker_ready.connect
def _dispatch_on_start(sender=None, **kwargs):
    """After an outage, what fell due meanwhile goes as soon as a worker is back."""
    services.queue_task(dispatch)
