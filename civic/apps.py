from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    name = "civic"
    verbose_name = _("Civic portal")

    def ready(self):
        from . import checks, tokens  # noqa: F401  (deploy checks; tokens end on a password change)
