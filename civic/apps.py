from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    name = "civic"
    verbose_name = _("Civic portal")

    def ready(self):
        from communities import signup_confirm
        from core import tokens  # noqa: F401  (tokens end on a password change)

        from . import (
            checks,  # noqa: F401  (deploy checks)
            home,
            sms_login,
        )

        home.connect()

        signup_confirm.register_phone_code_sender(sms_login.send_signup_code)
