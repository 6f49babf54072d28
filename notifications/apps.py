from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notices")

    def ready(self):
        from . import permissions

        # Which roles open the outbox in the admin is civic's to say (civic/apps.py): this
        # app knows no roles.
        permissions.register()
