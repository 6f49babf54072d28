"""Periodic work of the deliberation app. Thin: each task calls a service or a selector."""

import logging

from celery import shared_task

from . import reminders, services, trail

log = logging.getLogger(__name__)


@shared_task(name="deliberation.tasks.ensure_deliberation_days")
def ensure_deliberation_days(community_ids=None):
    """Keep the next two months of monthly deliberation days created (idempotent)."""
    created = services.deliberation_days_ensure(community_ids=community_ids)
    if created:
        log.info("Scheduled %d deliberation days.", created)
    return created


@shared_task(name="deliberation.tasks.verify_trail")
def verify_trail():
    """Walk every chain once a night so a broken record is noticed without anyone asking."""
    report = trail.verify()
    if report.intact:
        log.info("Deliberation trail intact: %d entries in %d chains.", report.entries, report.chains)
    else:
        log.critical("Deliberation trail broken at %s", report.broken)
    return report.intact


@shared_task(name="deliberation.tasks.plan_reminders")
def plan_reminders():
    """Every minute: the meeting reminders and the nudges whose time has come, once each."""
    created = reminders.plan()
    if created:
        log.info("Planned %d reminders and nudges.", created)
    return created
