"""Every write to announcements, body profiles and services.

Keyword-only, each in one transaction, each checking the actor's permission with the same
predicates the pages, the admin and the API use.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Body, Community, District, Street
from communities.permissions import can

from . import notices, text, uploads
from .models import (
    BODY_MAX,
    SERVICE_PROVIDER_KINDS,
    TITLE_MAX,
    Announcement,
    AnnouncementRead,
    Attachment,
    BodyFormat,
    BodyProfile,
    Category,
    Service,
    ServiceCategory,
)


def _require(actor, action, obj, message=None):
    if not can(actor, action, obj):
        raise PermissionDenied(message or _("You are not allowed to do this."))


def _text(value, field, *, max_length, min_length=1, required=True):
    value = (value or "").strip()
    if required and len(value) < min_length:
        raise ValidationError({field: _("This field is required.") if not value else _("This is too short.")})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("At most %(max)d characters (it has %(count)d).") % {"max": max_length, "count": len(value)}}
        )
    return value


def _choice(value, field, choices):
    if value not in choices.values:
        raise ValidationError({field: _("Unknown value: %(value)s.") % {"value": value}})
    return value


def _aware(value, field):
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    if not isinstance(value, datetime.datetime):
        raise ValidationError({field: _("Enter a date and time.")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _check_period(publish_at, expires_at):
    if expires_at is not None and expires_at <= publish_at:
        raise ValidationError(
            {
                "expires_at": _(
                    "An announcement must expire after it is published: choose an expiry time after the publishing time."
                )
            }
        )


def _inspect_all(files, already=0):
    """Check every new file before anything is saved; returns [(upload, facts)]."""
    files = list(files or [])
    if already + len(files) > uploads.MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": _("An announcement may have at most %(max)d attachments.")
                % {"max": uploads.MAX_ATTACHMENTS}
            }
        )
    return [(upload, uploads.inspect(upload)) for upload in files]


def _attach(announcement, checked):
    for upload, (content_type, size, sha256, name) in checked:
        attachment = Attachment(
            announcement=announcement, name=name, content_type=content_type, size=size, sha256=sha256
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()


def _area_check(area):
    if not isinstance(area, (Community, Street, District)):
        raise ValidationError({"area": _("Address the announcement to a community, a street or town, or a district.")})
    return {
        "community": area if isinstance(area, Community) else None,
        "street": area if isinstance(area, Street) else None,
        "district": area if isinstance(area, District) else None,
    }


@transaction.atomic
def announcement_publish(
    *,
    actor,
    area,
    title,
    body,
    body_format=BodyFormat.MARKDOWN,
    category=Category.NOTICE,
    pinned=False,
    publish_at=None,
    expires_at=None,
    attachments=(),
):
    """Publish (or schedule) an announcement to a community, a street or a district."""
    places = _area_check(area)
    _require(actor, "announcement.publish", area, _("You may publish only to the community or area you serve."))
    now = timezone.now()
    publish_at = _aware(publish_at, "publish_at") or now
    expires_at = _aware(expires_at, "expires_at")
    _check_period(publish_at, expires_at)
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry time has already passed.")})
    announcement = Announcement(
        **places,
        title=_text(title, "title", max_length=TITLE_MAX, min_length=2),
        body=_text(body, "body", max_length=BODY_MAX),
        body_format=_choice(body_format, "body_format", BodyFormat),
        category=_choice(category, "category", Category),
        pinned=bool(pinned),
        publish_at=publish_at,
        expires_at=expires_at,
        author=actor,
        created_at=now,
    )
    announcement.body_html = text.render(announcement.body, announcement.body_format)
    if not announcement.body_html:
        raise ValidationError({"body": _("The text is empty once unsafe markup is removed.")})
    checked = _inspect_all(attachments)
    announcement.save()
    _attach(announcement, checked)
    notices.emergency_changed(announcement)
    return announcement


EDITABLE = ("title", "body", "body_format", "category", "pinned", "publish_at", "expires_at")


@transaction.atomic
def announcement_update(*, actor, announcement, add_attachments=(), remove_attachments=(), **changes):
    """Change an announcement; fields left out keep their value. Setting `expires_at` to now
    takes it down."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed.") for field in sorted(unknown)})
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    _require(actor, "announcement.change", announcement, _("You may change only announcements of the area you serve."))
    fields = []
    if "title" in changes:
        announcement.title = _text(changes["title"], "title", max_length=TITLE_MAX, min_length=2)
        fields.append("title")
    if "body" in changes:
        announcement.body = _text(changes["body"], "body", max_length=BODY_MAX)
        fields.append("body")
    if "body_format" in changes:
        announcement.body_format = _choice(changes["body_format"], "body_format", BodyFormat)
        fields.append("body_format")
    if "category" in changes:
        announcement.category = _choice(changes["category"], "category", Category)
        fields.append("category")
    if "pinned" in changes:
        announcement.pinned = bool(changes["pinned"])
        fields.append("pinned")
    if "publish_at" in changes:
        announcement.publish_at = _aware(changes["publish_at"], "publish_at") or timezone.now()
        fields.append("publish_at")
    if "expires_at" in changes:
        announcement.expires_at = _aware(changes["expires_at"], "expires_at")
        fields.append("expires_at")
    _check_period(announcement.publish_at, announcement.expires_at)
    if "body" in fields or "body_format" in fields:
        announcement.body_html = text.render(announcement.body, announcement.body_format)
        if not announcement.body_html:
            raise ValidationError({"body": _("The text is empty once unsafe markup is removed.")})
        fields.append("body_html")
    remove_ids = {getattr(a, "pk", a) for a in remove_attachments}
    removed = list(announcement.attachments.filter(pk__in=remove_ids))
    if len(removed) != len(remove_ids):
        raise ValidationError({"remove_attachments": _("Name only attachments of this announcement.")})
    checked = _inspect_all(add_attachments, already=announcement.attachments.count() - len(removed))
    announcement.updated_at = timezone.now()
    announcement.updated_by = actor
    announcement.save(update_fields=[*fields, "updated_at", "updated_by"])
    for attachment in removed:
        _delete_file_on_commit(attachment)
        attachment.delete()
    _attach(announcement, checked)
    notices.emergency_changed(announcement)
    return announcement


def _delete_file_on_commit(attachment):
    storage, name = attachment.file.storage, attachment.file.name
    transaction.on_commit(lambda: storage.delete(name) if name else None)


@transaction.atomic
def announcement_delete(*, actor, announcement):
    _require(actor, "announcement.change", announcement, _("You may delete only announcements of the area you serve."))
    for attachment in announcement.attachments.all():
        _delete_file_on_commit(attachment)
    notices.emergency_withdrawn(announcement)
    announcement.delete()


def announcement_mark_read(*, user, announcement):
    """Count a person's first opening of an announcement (idempotent, race-safe)."""
    if not user.is_authenticated:
        return False
    if AnnouncementRead.objects.filter(announcement=announcement, user=user).exists():
        return False
    try:
        with transaction.atomic():
            AnnouncementRead.objects.create(announcement=announcement, user=user)
    except IntegrityError:  # opened twice at once: the other request counted it
        return False
    return True


# Bodies
@transaction.atomic
def body_profile_update(*, actor, body, duties="", office_hours="", location="", phone="", email=""):
    """What a body does and how to reach it; one profile per body, created on first save."""
    _require(actor, "body_profile.change", body.community, _("You may describe only the bodies of your community."))
    profile = BodyProfile.objects.select_for_update().filter(body=body).first() or BodyProfile(body=body)
    profile.duties = _text(duties, "duties", max_length=5000, required=False)
    profile.office_hours = _text(office_hours, "office_hours", max_length=200, required=False)
    profile.location = _text(location, "location", max_length=200, required=False)
    profile.phone = _text(phone, "phone", max_length=30, required=False)
    profile.email = (email or "").strip().lower()
    profile.updated_at = timezone.now()
    profile.updated_by = actor
    profile.full_clean(exclude=["body"])
    profile.save()
    return profile


# Services
SERVICE_FIELDS = ("name", "category", "description", "location", "hours", "how_to_apply", "contact", "free", "active")


def _service_values(values):
    return {
        "name": _text(values.get("name"), "name", max_length=120, min_length=2),
        "category": _choice(values.get("category"), "category", ServiceCategory),
        "description": _text(values.get("description"), "description", max_length=3000),
        "location": _text(values.get("location"), "location", max_length=200),
        "hours": _text(values.get("hours"), "hours", max_length=200),
        "how_to_apply": _text(values.get("how_to_apply"), "how_to_apply", max_length=2000),
        "contact": _text(values.get("contact"), "contact", max_length=100, required=False),
        "free": bool(values.get("free", True)),
        "active": bool(values.get("active", True)),
    }


def _check_provider(provider):
    if not isinstance(provider, Body) or provider.kind not in SERVICE_PROVIDER_KINDS:
        raise ValidationError(
            {
                "provider": _(
                    "Services are offered by the service centre, a social organisation, the property manager or the committee."
                )
            }
        )


@transaction.atomic
def service_create(*, actor, provider, **values):
    _check_provider(provider)
    _require(actor, "service.change", provider.community, _("You may list services only for your community."))
    service = Service(provider=provider, community_id=provider.community_id, **_service_values(values))
    service.updated_at = timezone.now()
    service.save()
    return service


@transaction.atomic
def service_update(*, actor, service, provider=None, **values):
    service = Service.objects.select_for_update().get(pk=service.pk)
    _require(actor, "service.change", service.community, _("You may change only the services of your community."))
    if provider is not None and provider.pk != service.provider_id:
        _check_provider(provider)
        if provider.community_id != service.community_id:
            raise ValidationError({"provider": _("The provider must belong to the same community.")})
        service.provider = provider
    current = {field: getattr(service, field) for field in SERVICE_FIELDS}
    for field, value in _service_values({**current, **values}).items():
        setattr(service, field, value)
    service.updated_at = timezone.now()
    service.save()
    return service


@transaction.atomic
def service_delete(*, actor, service):
    _require(actor, "service.change", service.community, _("You may remove only the services of your community."))
    service.delete()
