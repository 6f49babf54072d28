"""Every write to places, people, bodies and roles goes through these functions."""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from core.errors import Conflict
from core.phones import normalise_phone
from core.text import clean_text, validate_display_name

from .models import Body, BodyKind, Community, Membership, Residency
from .permissions import (
    MANAGE_COMMUNITY,
    OVERSEE_DISTRICT,
    OVERSEE_STREET,
    SIT_ON_COUNCIL,
    can,
    forget_roles,
    roles_for,
)
from .roles import EVALUATORS_GROUP, OFFICIALS_GROUP, STAFF_GROUP

User = get_user_model()


def _require(actor, action, obj=None):
    if not can(actor, action, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def display_name_clean(name):
    """A display name as stored: invisible edges trimmed; refused when it could reorder itself."""
    name = clean_text(name or "")
    try:
        validate_display_name(name)
    except ValidationError as error:
        raise ValidationError({"display_name": error.messages}) from error
    return name


@transaction.atomic
def user_sign_up(
    *,
    password,
    community,
    phone=None,
    email=None,
    display_name="",
    preferred_language="zh-hans",
    consent=None,
    password_hash=None,
):
    """A person registers with a phone number or e-mail and asks to join a community.

    `consent` is (terms version, privacy version, moment) of what they accepted; the pages and
    the API confirm the phone or e-mail first (sign-up never says whether one is registered),
    so here a taken one is a plain refusal for the confirmed owner.
    """
    phone = normalise_phone(phone)
    email = (email or "").strip().lower()
    if not phone and not email:
        raise ValidationError({"phone": _("Give a phone number or an e-mail address.")})
    errors = {}
    if phone and User.objects.filter(phone=phone).exists():
        errors["phone"] = _("This phone number is already registered. Log in instead.")
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"] = _("This e-mail address is already registered. Log in instead.")
    if errors:
        raise ValidationError(errors)
    user = User(
        username=phone or email,
        phone=phone,
        email=email,
        display_name=display_name_clean(display_name),
        preferred_language=preferred_language,
    )
    if consent is not None:
        user.terms_version, user.privacy_version, user.consented_at = consent
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError(_("This phone number or e-mail address is already registered.")) from exc
    residency_request(user=user, community=community)
    return user


# A sign-up waits here until its phone (an SMS code) or e-mail (a link) is confirmed. Until
# then nothing is saved and the answer is the same whether or not the phone or e-mail is
# already registered: only its owner, reading the SMS or the mail, learns that.
SIGNUP_HOLD_SECONDS = 30 * 60


def _signup_key(kind, ident):
    return f"signup:pending:{kind}:{ident}"


def signup_hold(
    *, password, community, phone=None, email=None, display_name="", preferred_language, consent, code_ref=None
):
    """Keep a validated sign-up (the password only hashed) until it is confirmed.

    Returns the key of an e-mail sign-up (for its link); a phone sign-up is found by its number.
    """
    phone = normalise_phone(phone)
    data = {
        "password_hash": make_password(password),
        "community": community.pk,
        "phone": phone,
        "email": (email or "").strip().lower(),
        "display_name": display_name_clean(display_name),
        "preferred_language": preferred_language,
        "consent": [consent[0], consent[1], consent[2].isoformat()],
        # A phone sign-up is finished only by the SMS code sent for it (its record's id).
        "code_ref": code_ref,
    }
    if phone:
        cache.set(_signup_key("phone", phone), data, SIGNUP_HOLD_SECONDS)
        return phone
    token = secrets.token_urlsafe(24)
    cache.set(_signup_key("email", token), data, SIGNUP_HOLD_SECONDS)
    return token


def signup_held(kind, ident):
    """The sign-up waiting for this phone number or e-mail link, or None."""
    return cache.get(_signup_key(kind, ident)) if ident else None


def signup_rebind(phone, code_ref):
    """A new code was sent for a held phone sign-up (by the session that started it)."""
    data = signup_held("phone", phone)
    if data is not None:
        data["code_ref"] = code_ref
        cache.set(_signup_key("phone", phone), data, SIGNUP_HOLD_SECONDS)


def signup_discard(kind, ident):
    cache.delete(_signup_key(kind, ident))


def signup_complete(*, kind, ident):
    """Create the account of a confirmed sign-up. ValidationError when it expired or clashes."""
    data = signup_held(kind, ident)
    if data is None:
        raise ValidationError(_("This sign-up has expired or was already finished. Sign up again."))
    community = Community.objects.filter(pk=data["community"]).first()
    if community is None:
        raise ValidationError({"community": _("This community does not exist.")})
    terms, privacy, moment = data["consent"]
    user = user_sign_up(
        password=None,
        password_hash=data["password_hash"],
        community=community,
        phone=data["phone"],
        email=data["email"],
        display_name=data["display_name"],
        preferred_language=data["preferred_language"],
        consent=(terms, privacy, datetime.datetime.fromisoformat(moment)),
    )
    signup_discard(kind, ident)  # once: a second click on the link finds nothing
    return user


@transaction.atomic
def profile_update(*, user, display_name, preferred_language, sms_opt_out, email_opt_in, email=None):
    user.display_name = display_name_clean(display_name)
    user.preferred_language = preferred_language
    user.sms_opt_out = sms_opt_out
    user.email_opt_in = email_opt_in
    fields = ["display_name", "preferred_language", "sms_opt_out", "email_opt_in"]
    if email is not None:
        email = email.strip().lower()
        if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise ValidationError({"email": _("This e-mail address is already registered.")})
        user.email = email
        fields.append("email")
    if user.email_opt_in and not user.email:
        raise ValidationError({"email_opt_in": _("Add an e-mail address to receive notices by e-mail.")})
    user.save(update_fields=fields)
    return user


@transaction.atomic
def residency_request(*, user, community):
    """Ask to join a community. A verified residency elsewhere stays until this one is verified."""
    current = Residency.objects.select_for_update().filter(user=user, status__in=Residency.ACTIVE)
    for residency in current:
        if residency.community_id == community.pk:
            raise Conflict(_("You have already asked to join this community."))
        if residency.status == Residency.Status.PENDING:
            _residency_end(residency, Residency.EndReason.WITHDRAWN)
    residency = Residency.objects.create(user=user, community=community)
    forget_roles(user)
    return residency


@transaction.atomic
def residency_verify(*, actor, residency):
    residency = Residency.objects.select_for_update().select_related("community").get(pk=residency.pk)
    _require(actor, "residency.verify", residency.community)
    if residency.status != Residency.Status.PENDING:
        raise Conflict(_("Only a pending request can be verified."))
    previous = Residency.objects.select_for_update().filter(user_id=residency.user_id, status=Residency.Status.VERIFIED)
    for old in previous:
        _residency_end(old, Residency.EndReason.MOVED)
    residency.status = Residency.Status.VERIFIED
    residency.decided_by = actor
    residency.decided_at = timezone.now()
    residency.save(update_fields=["status", "decided_by", "decided_at"])
    forget_roles(residency.user)
    return residency


@transaction.atomic
def residency_reject(*, actor, residency, note=""):
    residency = Residency.objects.select_for_update().select_related("community").get(pk=residency.pk)
    _require(actor, "residency.verify", residency.community)
    if residency.status != Residency.Status.PENDING:
        raise Conflict(_("Only a pending request can be declined."))
    residency.status = Residency.Status.REJECTED
    residency.decided_by = actor
    residency.decided_at = timezone.now()
    residency.decision_note = note.strip()[:200]
    residency.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return residency


@transaction.atomic
def residency_remove(*, actor, residency):
    residency = Residency.objects.select_for_update().select_related("community").get(pk=residency.pk)
    _require(actor, "residency.verify", residency.community)
    if residency.status not in Residency.ACTIVE:
        raise Conflict(_("This residency has already ended."))
    _residency_end(residency, Residency.EndReason.REMOVED)
    return residency


def _residency_end(residency, reason):
    residency.status = Residency.Status.ENDED
    residency.ended_at = timezone.now()
    residency.end_reason = reason
    residency.save(update_fields=["status", "ended_at", "end_reason"])


def _join_group(user, group_name):
    group, _created = Group.objects.get_or_create(name=group_name)
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def _sync_admin_access(user):
    """Staff status follows the roles: drop the admin groups whose role is gone."""
    forget_roles(user)
    roles = roles_for(user)
    keep = {STAFF_GROUP: bool(roles.staff_of), OFFICIALS_GROUP: roles.is_official, EVALUATORS_GROUP: roles.evaluator}
    for name, held in keep.items():
        if not held:
            user.groups.remove(*Group.objects.filter(name=name))
    if not user.is_superuser and not any(keep.values()) and user.is_staff:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    forget_roles(user)


@transaction.atomic
def staff_grant(*, actor, user, community):
    """Make someone committee staff of a community: they run it in the admin."""
    _require(actor, "role.grant_staff", community)
    assign_perm(f"communities.{MANAGE_COMMUNITY}", user, community)
    _join_group(user, STAFF_GROUP)
    forget_roles(user)


@transaction.atomic
def staff_revoke(*, actor, user, community):
    _require(actor, "role.grant_staff", community)
    remove_perm(f"communities.{MANAGE_COMMUNITY}", user, community)
    _sync_admin_access(user)


@transaction.atomic
def official_grant(*, actor, user, street=None, district=None):
    """An official oversees a street or a whole district: they read everything under it."""
    _require(actor, "role.grant_official")
    if (street is None) == (district is None):
        raise ValidationError(_("Name either a street or a district."))
    if street is not None:
        assign_perm(f"communities.{OVERSEE_STREET}", user, street)
    else:
        assign_perm(f"communities.{OVERSEE_DISTRICT}", user, district)
    _join_group(user, OFFICIALS_GROUP)
    forget_roles(user)


@transaction.atomic
def official_revoke(*, actor, user, street=None, district=None):
    _require(actor, "role.grant_official")
    if street is not None:
        remove_perm(f"communities.{OVERSEE_STREET}", user, street)
    if district is not None:
        remove_perm(f"communities.{OVERSEE_DISTRICT}", user, district)
    _sync_admin_access(user)


@transaction.atomic
def evaluator_grant(*, actor, user):
    _require(actor, "role.grant_official")
    _join_group(user, EVALUATORS_GROUP)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="communities", codename="evaluate_communities")
    )
    forget_roles(user)


COMMUNITY_FIELDS_FOR_STAFF = {"name", "households", "population", "address"}


@transaction.atomic
def community_create(*, actor, instance):
    _require(actor, "community.create")
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def community_update(*, actor, community, **fields):
    """Staff keep their community's facts current; typology, stage and place are the city's."""
    _require(actor, "community.change", community)
    if not can(actor, "community.create") and set(fields) - COMMUNITY_FIELDS_FOR_STAFF:
        raise PermissionDenied(_("Only the city's administrators change a community's place, code or type."))
    for name, value in fields.items():
        setattr(community, name, value)
    community.full_clean()
    if fields:
        community.save(update_fields=sorted(fields))
    return community


@transaction.atomic
def body_create(*, actor, community, kind, name):
    _require(actor, "body.change", community)
    body = Body(community=community, kind=kind, name=name.strip())
    body.full_clean()
    body.save()
    return body


@transaction.atomic
def body_rename(*, actor, body, name):
    _require(actor, "body.change", body.community)
    body.name = name.strip()
    body.full_clean()
    body.save(update_fields=["name"])
    return body


@transaction.atomic
def membership_add(*, actor, body, user, post, term_start=None, term_end=None):
    """Record a post in a body. A council seat carries the council role with it."""
    _require(actor, "body.change", body.community)
    membership = Membership(body=body, user=user, post=post, term_end=term_end)
    if term_start is not None:
        membership.term_start = term_start
    membership.full_clean()
    membership.save()
    _sync_council_role(body.community, user)
    return membership


@transaction.atomic
def membership_end(*, actor, membership, on=None):
    _require(actor, "body.change", membership.body.community)
    on = on or timezone.localdate()
    if on < membership.term_start:
        raise ValidationError(_("A term cannot end before it starts."))
    membership.term_end = on
    membership.save(update_fields=["term_end"])
    _sync_council_role(membership.body.community, membership.user)
    return membership


def _sync_council_role(community, user):
    sits = (
        Membership.objects.current()
        .filter(user=user, body__community=community, body__kind=BodyKind.DELIBERATION_COUNCIL)
        .exists()
    )
    if sits:
        assign_perm(f"communities.{SIT_ON_COUNCIL}", user, community)
    else:
        remove_perm(f"communities.{SIT_ON_COUNCIL}", user, community)
    forget_roles(user)


def community_get(community_id):
    """Fetch a community or raise DoesNotExist; every community is public."""
    return Community.objects.select_related("street__district").get(pk=community_id)
