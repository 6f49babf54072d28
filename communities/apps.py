from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Communities")

    def ready(self):
        from . import dashboard
        from .models import Community, District, Street
        from .page_cache import directory_changed
        from .roles import sync_role_groups

        dashboard.register()
        post_migrate.connect(sync_role_groups, dispatch_uid="communities.sync_role_groups")
        # The directory's cached page for anonymous visitors is replaced when a place changes.
        for model in (Community, Street, District):
            for signal in (post_save, post_delete):
                signal.connect(directory_changed, sender=model, dispatch_uid=f"communities.directory.{model.__name__}")
