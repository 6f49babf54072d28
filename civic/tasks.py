"""The portal's own background work: keeping the officials' dashboards warm, pruning idle API tokens. Thin: it takes
what names a view (scope and filters, as JSON), or nothing, and calls civic.dashboard."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="civic.dashboard_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def dashboard_refresh(payload):
    from . import dashboard

    dashboard.refresh(payload)


@shared_task(name="civic.dashboard_keep_warm", acks_late=True, reject_on_worker_lost=True)
def dashboard_keep_warm():
    from . import dashboard

    return dashboard.keep_warm()


@shared_task(name="civic.prune_tokens")
def prune_tokens():
    from core import tokens

    return tokens.prune()
