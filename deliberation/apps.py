from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

# What committee staff add and change in the admin (always through the services); the rest
# of the deliberation record they and officials only read.
STAFF_ADD = (
    "topic",
    "meeting",
    "agendaitem",
    "attendance",
    "vote",
    "task",
    "progressreport",
    "objection",
    "councilrules",
    "meetingmaterial",
    "posting",
)
STAFF_CHANGE = (*STAFF_ADD, "comment", "commentreport", "observerregistration")
READABLE = (*STAFF_CHANGE, "ballot", "rating", "trailentry")


def _trail_appended(sender, instance, created, **kwargs):
    """Everything a topic's page shows changes with an entry on its trail (a comment, its
    hiding, a step, a vote, an objection...): anonymous visitors' cached copy is stale."""
    from core.page_cache import page_changed

    page_changed(f"topic:{instance.topic_id}")


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Deliberation")

    def ready(self):
        from communities.roles import OFFICIALS_GROUP, STAFF_GROUP, extend_group

        from . import dashboard, notices, page_scopes, permissions, reminders
        from .models import TrailEntry

        permissions.register()
        notices.register()
        reminders.register()
        page_scopes.register()
        dashboard.register()
        post_save.connect(_trail_appended, sender=TrailEntry, dispatch_uid="deliberation.topic_page_changed")
        # Model-level access only: which rows and which changes are decided per object by
        # the predicates, and every change goes through the services.
        extend_group(
            STAFF_GROUP,
            {f"deliberation.view_{m}" for m in READABLE}
            | {f"deliberation.add_{m}" for m in STAFF_ADD}
            | {f"deliberation.change_{m}" for m in STAFF_CHANGE},
        )
        extend_group(OFFICIALS_GROUP, {f"deliberation.view_{m}" for m in READABLE})
