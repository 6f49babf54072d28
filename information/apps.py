from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _community_pages_follow():
    """A body's profile and the services listed are on its community's page (page cache)."""
    from communities.models import Body
    from communities.page_scopes import community_scope
    from core.page_cache import pages_follow

    from .models import BodyProfile, Service

    def profile(instance, update_fields):
        return [
            community_scope(pk)
            for pk in Body.objects.filter(pk=instance.body_id).values_list("community_id", flat=True)
        ]

    def service(instance, update_fields):
        return [community_scope(instance.community_id)]

    pages_follow(BodyProfile, profile)
    pages_follow(Service, service)


class InformationConfig(AppConfig):
    name = "information"
    verbose_name = _("Information sharing")

    def ready(self):
        from communities.roles import OFFICIALS_GROUP, STAFF_GROUP, extend_group

        from . import notices, permissions

        permissions.register()
        notices.register()
        _community_pages_follow()
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
