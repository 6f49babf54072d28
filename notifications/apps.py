from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notices")

    def ready(self):
        from communities.permissions import is_official_over, is_staff_of, is_superuser, register_rule
        from communities.roles import OFFICIALS_GROUP, STAFF_GROUP, extend_group

        # Notices without a community (a site-wide notice) are the superusers' alone.
        register_rule("notice.view", is_staff_of | is_official_over | is_superuser)
        register_rule("delivery.resend", is_staff_of | is_superuser)
        extend_group(
            STAFF_GROUP,
            {"notifications.view_notice", "notifications.view_delivery", "notifications.change_delivery"},
        )
        extend_group(OFFICIALS_GROUP, {"notifications.view_notice", "notifications.view_delivery"})
