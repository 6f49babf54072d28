"""Signing up without telling anyone whether a phone number or e-mail is registered.

The sign-up page and `POST auth/signup/` check the form, then hold the sign-up
(services.signup_hold) and send a message to the phone or e-mail given, answering the same in
every case. Only the owner of the phone or mailbox reads what follows:

- a new number gets a sign-up code; entering it on the SMS page (or `auth/sms-login/`) creates
  the account from the held sign-up. A registered number gets a code too, with the news that
  it already has an account: the code logs its owner in and the held sign-up is dropped.
- a new e-mail address gets a link that finishes the sign-up; a registered one gets a mail
  saying so, with the links to log in and to reset the password.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import throttling

from . import legal, services
from .models import Language

User = get_user_model()

SESSION_PHONE = "sms_login_phone"  # the SMS page's own session key: the code step follows
SESSION_SIGNUP = "sms_login_signup"


# Past the SMS limits: the kernel's one Throttled.
Throttled = throttling.Throttled


# Sending the SMS code is the SMS login's work (civic.sms_login), a layer above this app: it
# registers itself here when the portal starts (civic.apps), the way apps register notice kinds.
_send_phone_code = None


def register_phone_code_sender(sender):
    """`sender(request, phone, language)` sends a sign-up code and returns its record's id;
    it raises Throttled past the SMS limits."""
    global _send_phone_code
    _send_phone_code = sender


def start(request, *, password, community, phone=None, email=None, display_name="", preferred_language):
    """Hold a checked sign-up and send the confirmation; "sms" or "email", whichever was used."""
    consent = (legal.TERMS_VERSION, legal.PRIVACY_VERSION, timezone.now())
    phone = services.normalise_phone(phone)
    if phone:
        if _send_phone_code is None:
            raise RuntimeError("No SMS code sender is registered (civic.apps registers one).")
        code_ref = _send_phone_code(request, phone, preferred_language)
        # Bound to the code just sent: only that code finishes this sign-up, so a sign-up held
        # by someone else for a number cannot become its owner's account when the owner later
        # logs in with a code of their own.
        services.signup_hold(
            password=password,
            community=community,
            phone=phone,
            email=email,
            display_name=display_name,
            preferred_language=preferred_language,
            consent=consent,
            code_ref=code_ref,
        )
        return "sms"
    email = (email or "").strip().lower()
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        _mail_already_registered(request, owner)
        return "email"
    token = services.signup_hold(
        password=password,
        community=community,
        email=email,
        display_name=display_name,
        preferred_language=preferred_language,
        consent=consent,
    )
    _mail_confirmation(request, email, token, preferred_language)
    return "email"


def _language(language):
    return language if language in Language.values else settings.LANGUAGE_CODE


def _mail_confirmation(request, email, token, language):
    link = request.build_absolute_uri(reverse("signup-confirm", args=[token]))
    with translation.override(_language(language)):
        subject = _("Finish signing up on Civic")
        body = _(
            "Someone (we hope you) signed up on Civic with this e-mail address.\n\n"
            "To finish signing up, open this link within 30 minutes:\n%(link)s\n\n"
            "If it was not you, ignore this mail: nothing is created."
        ) % {"link": link}
    send_mail(subject, body, None, [email])


def _mail_already_registered(request, owner):
    login_link = request.build_absolute_uri(reverse("login"))
    reset_link = request.build_absolute_uri(reverse("password_reset"))
    with translation.override(_language(owner.preferred_language)):
        subject = _("You already have a Civic account")
        body = _(
            "Someone (perhaps you) tried to sign up on Civic with this e-mail address, which already has "
            "an account: nothing new was created.\n\n"
            "Log in: %(login)s\nForgot your password? %(reset)s\n\n"
            "If it was not you, you need not do anything."
        ) % {"login": login_link, "reset": reset_link}
    send_mail(subject, body, None, [owner.email])
