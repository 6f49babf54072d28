"""The channels a notice travels by, behind one interface.

A channel says who can be reached through it (`eligible`, a filter on the recipients) and
delivers one delivery's message (`deliver`), returning the provider's message id or raising
ChannelError. The in-app channel needs no provider: its deliveries are accepted in bulk,
a batch at a time. Keeping each delivery's state (claimed, sent, retried, failed) is the
services' job, the same for every channel.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import sms
from .registry import CHANNEL_LABELS, EMAIL, IN_APP, SMS


class ChannelError(Exception):
    def __init__(self, message, *, transient=True):
        super().__init__(message)
        self.transient = transient


class Channel:
    name = ""
    bulk = False
    # How many delivery ids one send task takes.
    batch_size = 100

    @property
    def label(self):
        return CHANNEL_LABELS[self.name]

    def eligible(self, users):
        return users

    def unreachable(self, user):
        """Why `user` can no longer be reached here (they opted out since), or ''."""
        return ""

    def deliver(self, delivery, text):
        raise NotImplementedError


class InAppChannel(Channel):
    """The inbox at /notifications/: always on, for everyone."""

    name = IN_APP
    bulk = True
    batch_size = 2000


class SmsChannel(Channel):
    name = SMS
    batch_size = 50

    def eligible(self, users):
        return users.filter(sms_opt_out=False, phone__isnull=False).exclude(phone="")

    def unreachable(self, user):
        if user.sms_opt_out:
            return _("The recipient opted out of SMS before it was sent.")
        if not user.phone:
            return _("The recipient has no phone number any more.")
        return ""

    def deliver(self, delivery, text):
        message = sms.SmsMessage(
            phone=delivery.recipient.phone,
            text=text.get("sms") or text.get("title", ""),
            ref=f"delivery-{delivery.pk}",
            template=delivery.notice.kind,
        )
        try:
            return sms.get_backend().send(message)
        except sms.SmsError as exc:
            raise ChannelError(str(exc), transient=exc.transient) from exc
        except (TimeoutError, OSError) as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}", transient=True) from exc


class EmailChannel(Channel):
    name = EMAIL
    batch_size = 50

    def eligible(self, users):
        return users.filter(email_opt_in=True).exclude(email="")

    def unreachable(self, user):
        if not user.email_opt_in:
            return _("The recipient turned e-mail notices off before it was sent.")
        if not user.email:
            return _("The recipient has no e-mail address any more.")
        return ""

    def deliver(self, delivery, text):
        context = {"title": text.get("title", ""), "body": text.get("body", ""), "url": text.get("url", "")}
        language = delivery.recipient.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            plain = render_to_string("notifications/email.txt", context)
            html = render_to_string("notifications/email.html", context)
        host = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "civic.local"
        email = EmailMultiAlternatives(
            subject=context["title"],
            body=plain,
            to=[delivery.recipient.email],
            # The same id on every attempt: a mail server that got the first copy drops a second.
            headers={"Message-ID": f"<delivery-{delivery.pk}@{host}>"},
        )
        email.attach_alternative(html, "text/html")
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"Recipient refused: {exc}", transient=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}", transient=True) from exc
        return email.extra_headers["Message-ID"]


CHANNELS = {channel.name: channel for channel in (InAppChannel(), SmsChannel(), EmailChannel())}


def get(name):
    return CHANNELS[name]
