"""Periodic work of the surveys app. Thin: each task calls one function."""

import logging

from celery import shared_task

from . import nudges

log = logging.getLogger(__name__)


@shared_task(name="surveys.tasks.plan_nudges")
def plan_nudges():
    """Every minute: nudge those who have not answered a survey closing within two days."""
    created = nudges.plan()
    if created:
        log.info("Planned %d survey nudges.", created)
    return created
