"""Places, people and the bodies that govern a community (the ground floor of the portal)."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

phone_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter a mainland China mobile number: 11 digits starting with 1.")
)


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    JUNIOR_SECONDARY = "junior_secondary", _("Junior secondary school")
    SENIOR_SECONDARY = "senior_secondary", _("Senior secondary or vocational school")
    JUNIOR_COLLEGE = "junior_college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(
        _("phone number"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator]
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    sms_opt_out = models.BooleanField(_("no SMS notices"), default=False)
    email_opt_in = models.BooleanField(_("e-mail notices"), default=False)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    # Consent at sign-up (PIPL): which versions of the terms and of the privacy notice, and when.
    terms_version = models.CharField(_("terms accepted (version)"), max_length=20, blank=True)
    privacy_version = models.CharField(_("privacy notice accepted (version)"), max_length=20, blank=True)
    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    # Set when the person deleted their account: contact data and login are gone, the row stays
    # so that their contributions to public records keep their place (under a neutral name).
    deleted_at = models.DateTimeField(_("account deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.name if self.deleted_at else (self.display_name or self.username)

    @property
    def name(self):
        if self.deleted_at:
            return str(DELETED_NAME)
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_deleted(self):
        return self.deleted_at is not None


# How a deleted account appears wherever its contributions stay (comments, the trail, votes).
DELETED_NAME = _("Deleted user")


class District(models.Model):
    class Ring(models.IntegerChoices):
        FIRST = 1, _("First ring (core city)")
        SECOND = 2, _("Second ring (urbanising)")
        THIRD = 3, _("Third ring (townships)")

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        COUNTY_CITY = "county_city", _("County-level city")
        COUNTY = "county", _("County")

    name = models.CharField(_("name"), max_length=50, unique=True)
    ring = models.PositiveSmallIntegerField(_("ring"), choices=Ring.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DISTRICT)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["ring", "name"]
        permissions = [("oversee_district", _("Oversees the district as an official"))]

    def __str__(self):
        return self.name


class Street(models.Model):
    class Kind(models.TextChoices):
        STREET = "street", _("Street")
        TOWN = "town", _("Town")

    district = models.ForeignKey(District, models.PROTECT, related_name="streets", verbose_name=_("district"))
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STREET)

    class Meta:
        verbose_name = _("street or town")
        verbose_name_plural = _("streets and towns")
        ordering = ["district__name", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="street_unique_in_district")]
        permissions = [("oversee_street", _("Oversees the street or town as an official"))]

    def __str__(self):
        return self.name


class Typology(models.TextChoices):
    OLD_NEIGHBOURHOOD = "old_neighbourhood", _("Old neighbourhood")
    WORK_UNIT = "work_unit", _("Work-unit compound")
    COMMERCIAL_HOUSING = "commercial_housing", _("Commercial housing estate")
    RESETTLEMENT = "resettlement", _("Resettlement community for land-lost farmers")
    AFFORDABLE_HOUSING = "affordable_housing", _("Affordable housing community")
    BUSINESS_DISTRICT = "business_district", _("Business-district community")
    MIXED_FUNCTION = "mixed_function", _("Mixed-function community")
    RURAL = "rural", _("Rural community")


class Stage(models.TextChoices):
    RURAL = "rural", _("Village")
    PERI_URBAN = "peri_urban", _("Agriculture-related community")
    URBAN = "urban", _("City community")


class Community(models.Model):
    street = models.ForeignKey(Street, models.PROTECT, related_name="communities", verbose_name=_("street or town"))
    name = models.CharField(_("name"), max_length=60)
    code = models.CharField(_("code"), max_length=20, unique=True)
    typology = models.CharField(_("typology"), max_length=30, choices=Typology.choices, db_index=True)
    stage = models.CharField(_("development stage"), max_length=20, choices=Stage.choices, db_index=True)
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]
        permissions = [
            ("manage_community", _("Runs the community as committee staff")),
            ("sit_on_council", _("Sits on the community's deliberation council")),
            ("evaluate_communities", _("Evaluates communities as a third party")),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("community-detail", args=[self.pk])


class ResidencyQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Residency.Status.VERIFIED)

    def active(self):
        return self.filter(status__in=Residency.ACTIVE)


class Residency(models.Model):
    """A person's membership of one community, from request through verification to a move."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not verified")
        ENDED = "ended", _("Ended")

    class EndReason(models.TextChoices):
        MOVED = "moved", _("Moved to another community")
        WITHDRAWN = "withdrawn", _("Request withdrawn")
        REMOVED = "removed", _("Removed by staff")
        DELETED = "deleted", _("Account deleted")

    ACTIVE = (Status.PENDING, Status.VERIFIED)

    user = models.ForeignKey(User, models.CASCADE, related_name="residencies", verbose_name=_("resident"))
    community = models.ForeignKey(Community, models.PROTECT, related_name="residencies", verbose_name=_("community"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=10, choices=EndReason.choices, blank=True)

    objects = ResidencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        ordering = ["-requested_at"]
        constraints = [
            # One community at a time: at most one verified and one pending residency each.
            models.UniqueConstraint(fields=["user"], condition=Q(status="verified"), name="one_verified_residency"),
            models.UniqueConstraint(fields=["user"], condition=Q(status="pending"), name="one_pending_residency"),
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self):
        return f"{self.user} @ {self.community} ({self.get_status_display()})"


class BodyKind(models.TextChoices):
    PARTY_ORGANISATION = "party_organisation", _("Party organisation")
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' or villagers' committee")
    DELIBERATION_COUNCIL = "deliberation_council", _("Deliberation council")
    SUPERVISORY_COMMITTEE = "supervisory_committee", _("Supervisory committee")
    SERVICE_CENTRE = "service_centre", _("Convenience service centre")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    PROPERTY_MANAGEMENT = "property_management", _("Property management")


# A community has one of each of these; social organisations and property managers may be many.
SINGLE_BODY_KINDS = (
    BodyKind.PARTY_ORGANISATION,
    BodyKind.RESIDENTS_COMMITTEE,
    BodyKind.DELIBERATION_COUNCIL,
    BodyKind.SUPERVISORY_COMMITTEE,
    BodyKind.SERVICE_CENTRE,
)
# Whose post-holders count as community cadres on the dashboards.
CADRE_BODY_KINDS = SINGLE_BODY_KINDS


class Body(models.Model):
    community = models.ForeignKey(Community, models.CASCADE, related_name="bodies", verbose_name=_("community"))
    kind = models.CharField(_("kind"), max_length=30, choices=BodyKind.choices)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        ordering = ["community", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"],
                condition=Q(kind__in=[k.value for k in SINGLE_BODY_KINDS]),
                name="one_body_of_each_single_kind",
            )
        ]

    def __str__(self):
        return self.name


class Post(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    DIRECTOR = "director", _("Director")
    DEPUTY_DIRECTOR = "deputy_director", _("Deputy director")
    CONVENER = "convener", _("Convener")
    MEMBER = "member", _("Member")
    STAFF = "staff", _("Staff")


class MembershipQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(term_end__isnull=True) | Q(term_end__gte=on), term_start__lte=on)


class Membership(models.Model):
    """A post held in a body for a term."""

    body = models.ForeignKey(Body, models.CASCADE, related_name="memberships", verbose_name=_("body"))
    user = models.ForeignKey(User, models.CASCADE, related_name="memberships", verbose_name=_("person"))
    post = models.CharField(_("post"), max_length=20, choices=Post.choices, default=Post.MEMBER)
    term_start = models.DateField(_("term starts"), default=timezone.localdate)
    term_end = models.DateField(_("term ends"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("post holder")
        verbose_name_plural = _("post holders")
        ordering = ["body", "post", "term_start"]
        constraints = [
            models.UniqueConstraint(fields=["body", "user", "term_start"], name="membership_unique_term"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="membership_term_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_post_display()} · {self.body}"

    @property
    def is_current(self):
        today = timezone.localdate()
        return self.term_start <= today and (self.term_end is None or self.term_end >= today)


# Object permissions in direct foreign-key tables (django-guardian's performance guide):
# who holds which role where. What a role may do is computed in permissions.py.
class CommunityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Community, models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("community role")
        verbose_name_plural = _("community roles")


class CommunityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Community, models.CASCADE)


class StreetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Street, models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("street role")
        verbose_name_plural = _("street roles")


class StreetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Street, models.CASCADE)


class DistrictUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(District, models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("district role")
        verbose_name_plural = _("district roles")


class DistrictGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(District, models.CASCADE)
