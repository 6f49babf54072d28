"""Logging in with a phone number and a code sent by SMS (手机验证码登录), and signing up
the same way.

- A code is six digits, good for 5 minutes and 5 tries, and for one login; a newer code
  replaces an older one. Only a keyed hash of it is stored (HMAC with SECRET_KEY and a
  salt of its own), so a copy of the database does not give codes away.
- A number gets a new code no sooner than 60 s after the last one, and at most a few an
  hour; one address may ask for codes and try them only so often. The counters live in the
  cache: Redis when REDIS_URL is set, so every web process shares them.
- Asking for a code answers the same whether or not the number is registered: whoever holds
  the phone learns it only by logging in, and a new number signs up on that same path by
  naming its community.
- The code goes out through the notices' SMS backend (`SMS_BACKEND`).
"""

import logging
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities import legal
from communities import services as community_services
from communities.models import Language, phone_validator
from core import throttling
from core.phones import normalise_phone
from notifications import sms

from .models import SmsCode

log = logging.getLogger(__name__)
User = get_user_model()

CODE_DIGITS = 6
CODE_TTL = 300
MAX_TRIES = 5
RESEND_AFTER = 60
HOUR = 3600


def _limit(name, default):
    return int(getattr(settings, name, default))


def per_number_hourly():
    return _limit("SMS_CODE_PER_NUMBER_HOURLY", 5)


def per_address_hourly():
    return _limit("SMS_CODE_PER_ADDRESS_HOURLY", 20)


def logins_per_address_hourly():
    return _limit("SMS_LOGIN_PER_ADDRESS_HOURLY", 60)


# Past a limit: the kernel's one Throttled (the API answers 429 with Retry-After, the page says
# how long to wait).
Throttled = throttling.Throttled


@dataclass(frozen=True)
class LoginResult:
    user: object
    created: bool


def clean_phone(phone):
    phone = normalise_phone(phone)
    if not phone:
        raise ValidationError({"phone": _("Enter your mobile phone number.")})
    try:
        phone_validator(phone)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from error
    return phone


def clean_code(code):
    code = "".join((code or "").split())
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise ValidationError({"code": _("Enter the six digits of the code we sent you.")})
    return code


def _hash(phone, salt, code):
    return salted_hmac("civic.sms_login", f"{phone}:{salt}:{code}", algorithm="sha256").hexdigest()


def _too_many(wait_minutes=60):
    return ngettext(
        "Too many requests. Try again in %(minutes)d minute.",
        "Too many requests. Try again in %(minutes)d minutes.",
        wait_minutes,
    ) % {"minutes": wait_minutes}


def _address_key(address):
    return (address or "unknown").replace(":", "_")


def resend_wait(phone):
    """Seconds before `phone` may be sent another code (0 when it may now): what the page's
    countdown starts from. The limit itself is code_request's."""
    sent = cache.get(f"smscode:resend:{phone}") if phone else None
    if sent is None:
        return 0
    return max(min(math.ceil(RESEND_AFTER - (time.time() - sent)), RESEND_AFTER), 0)


def code_request(*, phone, address=None, language=None, purpose="login"):
    """Send a login code to `phone`. Returns nothing that tells whether the number is known.

    `purpose` "signup" confirms a sign-up held for the number: the SMS then tells the owner
    of a registered number that it already has an account (the sign-up page never does).
    Raises ValidationError for a malformed number and Throttled past the limits.
    """
    phone = clean_phone(phone)
    if throttling.count(f"smscode:address:{_address_key(address)}", HOUR) > per_address_hourly():
        raise Throttled(HOUR, message=_too_many())
    now = time.time()
    if not cache.add(f"smscode:resend:{phone}", now, RESEND_AFTER):
        sent = cache.get(f"smscode:resend:{phone}") or now
        wait = min(max(math.ceil(RESEND_AFTER - (now - sent)), 1), RESEND_AFTER)
        raise Throttled(
            wait,
            message=ngettext(
                "A code was sent to this number just now. You can ask for another in %(seconds)d second.",
                "A code was sent to this number just now. You can ask for another in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
        )
    if throttling.count(f"smscode:number:{phone}", HOUR) > per_number_hourly():
        raise Throttled(HOUR, message=_too_many())
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        moment = timezone.now()
        SmsCode.objects.filter(phone=phone, used_at__isnull=True, replaced_at__isnull=True).update(replaced_at=moment)
        salt = secrets.token_hex(8)
        record = SmsCode.objects.create(
            phone=phone,
            code_hash=_hash(phone, salt, code),
            salt=salt,
            created_at=moment,
            expires_at=moment + timezone.timedelta(seconds=CODE_TTL),
            requested_from=address or None,
        )
        known = User.objects.filter(phone=phone).values_list("preferred_language", flat=True).first()
    # Sent once the code is stored: should a caller's transaction still roll it back, the
    # message carries a code that opens nothing.
    _send(phone, _code_text(code, known or language, purpose=purpose, registered=known is not None), record.pk)
    return record


def send_signup_code(request, phone, language):
    """The sign-up pages' and API's confirmation code (communities.signup_confirm calls it)."""
    from core.client_ip import client_ip

    return code_request(phone=phone, address=client_ip(request), language=language, purpose="signup").pk


def _code_text(code, language, purpose="login", registered=False):
    language = language if language in Language.values else settings.LANGUAGE_CODE
    with translation.override(language):
        if purpose == "signup" and registered:
            return _(
                "Someone tried to sign up on Civic with this number, which already has an account: nothing "
                "new was created. If it was you, log in with the code %(code)s (valid for %(minutes)d minutes). "
                "Never tell it to anyone."
            ) % {"code": code, "minutes": CODE_TTL // 60}
        if purpose == "signup":
            return _(
                "Your Civic sign-up code is %(code)s. It is valid for %(minutes)d minutes. Never tell it to anyone."
            ) % {"code": code, "minutes": CODE_TTL // 60}
        return _("Your Civic login code is %(code)s. It is valid for %(minutes)d minutes. Never tell it to anyone.") % {
            "code": code,
            "minutes": CODE_TTL // 60,
        }


def _send(phone, text, pk):
    try:
        sms.send_sms(phone, text, ref=f"smscode-{pk}", template="civic.sms_login")
    except (sms.SmsError, OSError):
        # The person sees no code and asks again after a minute; the operator sees why.
        log.exception("The SMS login code %s could not be sent.", pk)


WRONG_OR_EXPIRED = "wrong_or_expired"


def terms_required_message():
    return _("To sign up, accept the terms of use and the privacy notice.")


def sms_login(*, phone, code, address=None, community=None, display_name="", language=None, accept_terms=False):
    """Check a code and return LoginResult(user, created).

    A number nobody registered signs up here: with the sign-up held for it by the sign-up page
    or API, or with `community`, a display name and `accept_terms` (the terms and privacy
    notice), it becomes a new resident waiting for that community's staff to verify them.
    Raises ValidationError (wrong, expired, missing community) or Throttled (a sixth try,
    or too many tries from one address).
    """
    phone, outcome = _try_code(phone, code, address)
    if outcome == "none":
        raise ValidationError({"code": _wrong_or_expired()})
    if outcome == "expired":
        raise ValidationError({"code": _("This code has expired: codes are valid for 5 minutes. Ask for a new code.")})
    if isinstance(outcome, int):
        raise ValidationError(
            {
                "code": ngettext(
                    "This code is wrong. You have %(left)d more try.",
                    "This code is wrong. You have %(left)d more tries.",
                    outcome,
                )
                % {"left": outcome}
                if outcome
                else _("This code is wrong. Ask for a new code.")
            }
        )
    return _log_in_or_sign_up(outcome, phone, community, display_name, language, accept_terms)


def code_confirm(*, phone, code, address=None):
    """Check a code sent to a logged-in person's own number (a re-check before deleting the
    account) and use it up. Raises ValidationError or Throttled as sms_login does."""
    phone, outcome = _try_code(phone, code, address)
    if not isinstance(outcome, SmsCode):
        raise ValidationError({"code": _wrong_or_expired()})
    with transaction.atomic():
        record = _unused(outcome)
        record.used_at = timezone.now()
        record.save(update_fields=["used_at"])


def _wrong_or_expired():
    return _("This code is wrong or has expired. Ask for a new code.")


def _try_code(phone, code, address):
    """The number as stored and what its latest code says of `code` (_check_code), once the
    address's hourly limit and the code's tries allow a try; Throttled otherwise."""
    phone = clean_phone(phone)
    code = clean_code(code)
    if throttling.count(f"smslogin:address:{_address_key(address)}", HOUR) > logins_per_address_hourly():
        raise Throttled(HOUR, message=_too_many())
    outcome = _check_code(phone, code)
    if outcome == "tries":
        raise Throttled(RESEND_AFTER, message=_("You have tried this code too many times. Ask for a new code."))
    return phone, outcome


def _unused(record):
    """The code's row, locked for this transaction; ValidationError when a concurrent request used it first."""
    record = SmsCode.objects.select_for_update().get(pk=record.pk)
    if record.used_at is not None:
        raise ValidationError({"code": _wrong_or_expired()})
    return record


def _check_code(phone, code):
    """'none', 'tries', 'expired', the tries left after a wrong code, or the matching SmsCode."""
    with transaction.atomic():
        record = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, replaced_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if record is None:
            return "none"
        if record.attempts >= MAX_TRIES:
            return "tries"
        if record.expires_at <= timezone.now():
            return "expired"
        if not constant_time_compare(record.code_hash, _hash(phone, record.salt, code)):
            record.attempts += 1
            record.save(update_fields=["attempts"])
            return MAX_TRIES - record.attempts
        return record


@transaction.atomic
def _log_in_or_sign_up(record, phone, community, display_name, language, accept_terms):
    record = _unused(record)
    user = User.objects.filter(phone=phone).first()
    created = False
    held = community_services.signup_held("phone", phone)
    if held is not None and held.get("code_ref") != record.pk:
        # Held with another code (perhaps by someone else): this login does not finish it.
        community_services.signup_discard("phone", phone)
        held = None
    if user is None and held is not None:
        # The sign-up page or API held this sign-up until the number was confirmed: it is now.
        user = community_services.signup_complete(kind="phone", ident=phone)
        created = True
    elif user is None:
        if community is None:
            # The code stays good: the person names their community and sends it again.
            raise ValidationError(
                {"community": _("This number is not registered yet. Choose your community to sign up.")}
            )
        display_name = (display_name or "").strip()
        if not display_name:
            raise ValidationError({"display_name": _("Tell us the name other residents and staff will see.")})
        if not accept_terms:
            raise ValidationError({"accept_terms": terms_required_message()})
        user = community_services.user_sign_up(
            password=None,
            community=community,
            phone=phone,
            display_name=display_name,
            preferred_language=language if language in Language.values else settings.LANGUAGE_CODE,
            consent=(legal.TERMS_VERSION, legal.PRIVACY_VERSION, timezone.now()),
        )
        created = True
    elif not user.is_active:
        raise ValidationError({"phone": _("This account is disabled. Ask your community's staff for help.")})
    else:
        # Someone may have tried to sign up with this number: the owner logging in ends that.
        community_services.signup_discard("phone", phone)
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    return LoginResult(user=user, created=created)
