"""The outbox: what is due to whom (Notice) and what reached whom over which channel (Delivery).

The database, not the broker, remembers what is due and what was sent: a notice stays
`pending` until the dispatcher claims it at its due time, expands its recipients into one
delivery per person and channel (a unique constraint makes that idempotent) and hands the
deliveries' ids to the channels. A delivery becomes `sent` only once its channel accepted it,
and nothing ever sends a `sent` delivery again.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .registry import CHANNEL_LABELS, registry


class Notice(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("notice status", "Pending")
        DISPATCHED = "dispatched", _("Dispatched")
        SUPERSEDED = "superseded", _("Superseded")

    kind = models.CharField(_("kind"), max_length=64)
    subject_type = models.ForeignKey(
        ContentType, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("about (type)")
    )
    subject_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # Lets staff and officials see the notices of the communities they run or oversee. A bare
    # key, not a foreign key: this app imports no other; the communities app answers for it
    # through core.scopes (who runs it, who watches over it, its name).
    community_key = models.PositiveIntegerField(_("community"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    short_notice = models.BooleanField(
        _("short notice"), default=False, help_text=_("Created after the time it should have gone out.")
    )
    # What the kind remembers about the subject as it stood (e.g. the meeting's time), so a
    # notice for a date that no longer holds is recognised and never sent.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The wording in every language, fixed when the notice is dispatched.
    content = models.JSONField(_("content"), default=dict, blank=True)
    # Set for notices that must exist once (a day's digest): unique per kind.
    # NULL, not "", so that the unique constraint leaves every notice without a key alone.
    key = models.CharField(_("key"), max_length=100, null=True, blank=True)  # noqa: DJ001
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("superseded by")
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], condition=Q(key__isnull=False), name="notice_key_once"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="notice_pending_due"),
            models.Index(fields=["subject_type", "subject_id", "kind"], name="notice_subject"),
        ]

    def __str__(self):
        return f"{self.kind_label} · {self.title()}"

    @property
    def kind_label(self):
        kind = registry.find(self.kind)
        return kind.label if kind else self.kind

    def text(self, language=None):
        """The wording in `language` (default: the active one), else in the site's default."""
        if not self.content:
            return {}
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        return (
            self.content.get(language) or self.content.get(settings.LANGUAGE_CODE) or next(iter(self.content.values()))
        )

    def title(self, language=None):
        return self.text(language).get("title", "") or f"#{self.pk}"


class DeliveryQuerySet(models.QuerySet):
    def inbox(self, user):
        return self.filter(recipient=user, channel=Delivery.Channel.IN_APP, status=Delivery.Status.SENT)

    def unread(self, user):
        return self.inbox(user).filter(read_at__isnull=True)


class Delivery(models.Model):
    class Channel(models.TextChoices):
        IN_APP = "app", CHANNEL_LABELS["app"]
        SMS = "sms", CHANNEL_LABELS["sms"]
        EMAIL = "email", CHANNEL_LABELS["email"]

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded")

    notice = models.ForeignKey(Notice, models.PROTECT, related_name="deliveries", verbose_name=_("notice"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="deliveries", verbose_name=_("recipient")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    # When the dispatcher may hand the delivery to a send task (again): after a retry's
    # back-off, or when a hand-off was lost with the broker or a killed worker.
    available_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # Held by the send task that is talking to the provider right now.
    locked_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "recipient", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [
            models.Index(fields=["available_at"], condition=Q(status="queued"), name="delivery_queued"),
            models.Index(fields=["recipient", "channel", "status", "-id"], name="delivery_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(channel="app", status="sent", read_at__isnull=True),
                name="delivery_unread",
            ),
        ]

    def __str__(self):
        return f"{self.notice_id} → {self.recipient_id} ({self.channel})"

    @property
    def is_read(self):
        return self.read_at is not None


class Follow(models.Model):
    """Someone follows an object (a topic): notices about it reach them.

    An explicit unfollow is remembered (`active` off), so following by default (commenters
    follow the topic they comment on) never overrides a person's own choice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="follows", verbose_name=_("person"))
    subject_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+", verbose_name=_("about (type)"))
    subject_id = models.PositiveBigIntegerField(_("about (id)"))
    subject = GenericForeignKey("subject_type", "subject_id")
    active = models.BooleanField(_("following"), default=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["user", "subject_type", "subject_id"], name="follow_once"),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id", "active"], name="follow_subject")]

    def __str__(self):
        return f"{self.user} → {self.subject_type.model} {self.subject_id}"
