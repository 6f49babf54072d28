from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InformationConfig(AppConfig):
    name = "information"
    verbose_name = _("Information sharing")

    def ready(self):
        from communities.roles import OFFICIALS_GROUP, STAFF_GROUP, extend_group

        from . import notices, permissions

        permissions.register()
        notices.register()
        # Model-level access only: which rows, and which changes, the predicates decide.
        extend_group(
            STAFF_GROUP,
            {
                *(f"information.{verb}_announcement" for verb in ("view", "add", "change", "delete")),
                *(f"information.{verb}_service" for verb in ("view", "add", "change", "delete")),
                *(f"information.{verb}_bodyprofile" for verb in ("view", "add", "change")),
            },
        )
        extend_group(
            OFFICIALS_GROUP,
            {
                *(f"information.{verb}_announcement" for verb in ("view", "add", "change", "delete")),
                "information.view_service",
                "information.view_bodyprofile",
            },
        )
