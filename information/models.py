"""Information sharing (信息公开): announcements to an area, who does what in each body
(工作清单, office hours, contact), and the services offered to residents.

Rows are written by information.services only.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Body, Community, District, Street
from core.uploads import DOCUMENTS_AND_PHOTOS, FileCheck

TITLE_MAX = 120
BODY_MAX = 20000


class Category(models.TextChoices):
    POLICY = "policy", _("Policy")
    PUBLIC_SERVICE = "public_service", _("Public service")
    NOTICE = "notice", _("Notice")
    ACTIVITY = "activity", _("Activity")
    EMERGENCY = "emergency", _("Emergency")


class AnnouncementState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    EXPIRED = "expired", _("Expired")


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("Limited HTML")


class AnnouncementQuerySet(models.QuerySet):
    def published(self, now=None):
        now = now or timezone.now()
        return self.filter(publish_at__lte=now).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))

    def scheduled(self, now=None):
        return self.filter(publish_at__gt=now or timezone.now())

    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())

    def for_community(self, community):
        """Everything addressed to the community, its street or its district."""
        return self.filter(
            Q(community_id=community.pk)
            | Q(street_id=community.street_id)
            | Q(district_id=community.street.district_id)
        )

    def in_order(self):
        """Pinned first, then newest."""
        return self.order_by("-pinned", "-publish_at", "-pk")


class Announcement(models.Model):
    """Something a community's staff, or a street's or district's officials, publish to their area.

    The area is exactly one of a community, a street (with all its communities) or a
    district (with all its streets and communities).
    """

    community = models.ForeignKey(
        Community, models.CASCADE, null=True, blank=True, related_name="announcements", verbose_name=_("community")
    )
    street = models.ForeignKey(
        Street, models.CASCADE, null=True, blank=True, related_name="announcements", verbose_name=_("street or town")
    )
    district = models.ForeignKey(
        District, models.CASCADE, null=True, blank=True, related_name="announcements", verbose_name=_("district")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), validators=[MaxLengthValidator(BODY_MAX)])
    body_format = models.CharField(
        _("text format"), max_length=10, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )
    # The text rendered and sanitised once, when it is saved: pages and the API show this.
    body_html = models.TextField(_("text as shown"), blank=True, editable=False)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.NOTICE)
    pinned = models.BooleanField(_("pinned"), default=False, help_text=_("Pinned announcements come first."))
    publish_at = models.DateTimeField(_("published at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("published by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-pinned", "-publish_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(community__isnull=False, street__isnull=True, district__isnull=True)
                | Q(community__isnull=True, street__isnull=False, district__isnull=True)
                | Q(community__isnull=True, street__isnull=True, district__isnull=False),
                name="announcement_one_area",
                violation_error_message=_(
                    "Address the announcement to exactly one community, street or town, or district."
                ),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("publish_at")),
                name="announcement_expires_after_publishing",
                violation_error_message=_("An announcement must expire after it is published."),
            ),
        ]
        indexes = [
            models.Index(fields=["community", "publish_at"]),
            models.Index(fields=["street", "publish_at"]),
            models.Index(fields=["district", "publish_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("announcement-detail", args=[self.pk])

    @property
    def area(self):
        return self.community or self.street or self.district

    @property
    def area_kind(self):
        if self.community_id:
            return "community"
        if self.street_id:
            return "street"
        return "district"

    @property
    def is_emergency(self):
        return self.category == Category.EMERGENCY

    def state(self, now=None):
        now = now or timezone.now()
        if self.publish_at > now:
            return "scheduled"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "published"


def _attachment_upload_to(instance, filename):
    # Never the uploader's file name in a path: it is kept for display only.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"information/attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    announcement = models.ForeignKey(
        Announcement, models.CASCADE, related_name="attachments", verbose_name=_("announcement")
    )
    file = models.FileField(
        _("file"), upload_to=_attachment_upload_to, validators=[FileCheck(DOCUMENTS_AND_PHOTOS.name)]
    )
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("file size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["announcement", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("announcement-attachment", args=[self.announcement_id, self.pk])


class AnnouncementRead(models.Model):
    """Who opened an announcement, once per person: the read counts staff see."""

    announcement = models.ForeignKey(Announcement, models.CASCADE, related_name="reads", verbose_name=_("announcement"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("reader"))
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("announcement read")
        verbose_name_plural = _("announcement reads")
        constraints = [models.UniqueConstraint(fields=["announcement", "user"], name="announcement_read_once")]


class BodyProfile(models.Model):
    """What a body does and how to reach it (工作清单): kept beside the body, not on it,
    so that the communities app stays the ground floor that knows nothing of publishing."""

    body = models.OneToOneField(Body, models.CASCADE, related_name="profile", verbose_name=_("body"))
    duties = models.TextField(
        _("duties (work list)"),
        blank=True,
        validators=[MaxLengthValidator(5000)],
        help_text=_("One duty per line."),
    )
    office_hours = models.CharField(_("office hours"), max_length=200, blank=True)
    location = models.CharField(_("where to find it"), max_length=200, blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )

    class Meta:
        verbose_name = _("duties and contact")
        verbose_name_plural = _("duties and contacts")
        ordering = ["body__community", "body__kind", "body__name"]

    def __str__(self):
        return str(self.body)

    @property
    def community(self):
        return self.body.community

    @property
    def duty_list(self):
        return [line.strip(" -•\t") for line in self.duties.splitlines() if line.strip(" -•\t")]


class ServiceCategory(models.TextChoices):
    ELDERLY = "elderly", _("Elderly care")
    CHILDREN = "children", _("Children and youth")
    HEALTH = "health", _("Health")
    EMPLOYMENT = "employment", _("Jobs and training")
    ASSISTANCE = "assistance", _("Social assistance")
    CERTIFICATES = "certificates", _("Certificates and registration")
    LEGAL = "legal", _("Legal aid and mediation")
    HOUSING = "housing", _("Housing and property")
    CULTURE = "culture", _("Culture and sport")
    VOLUNTEERING = "volunteering", _("Volunteering")
    OTHER = "other", _("Other")


# The bodies that offer services to residents.
SERVICE_PROVIDER_KINDS = ("service_centre", "social_organisation", "property_management", "residents_committee")


class Service(models.Model):
    """A service a community's service centre or a social organisation offers residents."""

    provider = models.ForeignKey(Body, models.CASCADE, related_name="services", verbose_name=_("offered by"))
    # Denormalised from the provider, so lists filter and scope without a join.
    community = models.ForeignKey(
        Community, models.CASCADE, related_name="services", verbose_name=_("community"), editable=False
    )
    name = models.CharField(_("service"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    description = models.TextField(_("what it is"), validators=[MaxLengthValidator(3000)])
    location = models.CharField(_("where"), max_length=200)
    hours = models.CharField(_("when"), max_length=200)
    how_to_apply = models.TextField(_("how to apply"), validators=[MaxLengthValidator(2000)])
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    free = models.BooleanField(_("free of charge"), default=True)
    active = models.BooleanField(_("offered now"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["community", "category", "name"]
        indexes = [models.Index(fields=["community", "category"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("service-detail", args=[self.pk])
