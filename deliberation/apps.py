from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

MODELS_STAFF_RUN = ("topic", "meeting", "agendaitem", "attendance", "vote", "task", "progressreport", "objection")


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Deliberation")

    def ready(self):
        from communities.roles import OFFICIALS_GROUP, STAFF_GROUP, extend_group

        from . import permissions

        permissions.register()
        readable = (
            *MODELS_STAFF_RUN,
            "ballot",
            "councilrules",
            "comment",
            "commentreport",
            "observerregistration",
            "rating",
            "trailentry",
        )
        # Model-level access only: which rows and which changes are decided per object by
        # the predicates, and every change goes through the services.
        extend_group(
            STAFF_GROUP,
            {f"deliberation.view_{model}" for model in readable}
            | {f"deliberation.add_{model}" for model in MODELS_STAFF_RUN}
            | {
                f"deliberation.change_{model}"
                for model in (*MODELS_STAFF_RUN, "councilrules", "comment", "commentreport", "observerregistration")
            },
        )
        extend_group(OFFICIALS_GROUP, {f"deliberation.view_{model}" for model in readable})
