from django.apps import AppConfig
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
)
STAFF_CHANGE = (*STAFF_ADD, "comment", "commentreport", "observerregistration")
READABLE = (*STAFF_CHANGE, "ballot", "rating", "trailentry")


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Deliberation")

    def ready(self):
        from communities.roles import OFFICIALS_GROUP, STAFF_GROUP, extend_group

        from . import notices, permissions

        permissions.register()
        notices.register()
        # Model-level access only: which rows and which changes are decided per object by
        # the predicates, and every change goes through the services.
        extend_group(
            STAFF_GROUP,
            {f"deliberation.view_{m}" for m in READABLE}
            | {f"deliberation.add_{m}" for m in STAFF_ADD}
            | {f"deliberation.change_{m}" for m in STAFF_CHANGE},
        )
        extend_group(OFFICIALS_GROUP, {f"deliberation.view_{m}" for m in READABLE})
