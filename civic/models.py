"""The portal's own table: one-time codes for logging in by SMS (手机验证码登录)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmsCode(models.Model):
    """A six-digit code sent to a phone number. Only a keyed hash of it is stored; it is
    good for a few minutes and a few tries, and for one login."""

    phone = models.CharField(_("phone number"), max_length=11, db_index=True)
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64)
    salt = models.CharField(_("salt"), max_length=32)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # A newer code for the same number replaces this one.
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    requested_from = models.GenericIPAddressField(_("requested from"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS login code")
        verbose_name_plural = _("SMS login codes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["phone", "-created_at"],
                condition=Q(used_at__isnull=True, replaced_at__isnull=True),
                name="smscode_live",
            )
        ]

    def __str__(self):
        return f"{self.phone[:3]}****{self.phone[-4:]} @ {self.created_at:%Y-%m-%d %H:%M}"
