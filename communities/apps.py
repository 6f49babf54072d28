from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _

from core.page_cache import page_changed


def directory_changed(**kwargs):
    """A community, street or district saved or deleted: the directory's pages are stale."""
    page_changed("directory")


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Communities")

    def ready(self):
        from . import dashboard
        from .models import Community, District, Street
        from .roles import sync_role_groups

        dashboard.register()
        post_migrate.connect(sync_role_groups, dispatch_uid="communities.sync_role_groups")
        # The directory's cached page for anonymous visitors is replaced when a place changes.
        for model in (Community, Street, District):
            for signal in (post_save, post_delete):
                signal.connect(directory_changed, sender=model, dispatch_uid=f"communities.directory.{model.__name__}")
        from . import page_scopes

        page_scopes.register()
