from django.contrib.auth import password_validation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum-length check, worded through the portal's catalogue.

    Django 5.2 words its error with a bare ``%d``, a message its own Chinese
    catalogue does not translate, so residents signing up in Chinese would read
    it in English. The rule itself (length, code, params) is Django's.
    """

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return ngettext(
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class PersonalDataSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's similarity check against what the person told us: phone, e-mail, display name.

    A resident who signs up never chooses a username (it is their phone number or e-mail), so
    the username is compared only when it is something else, and a password like the phone
    number is refused as too similar to the phone number, never to a "username".
    """

    PERSONAL_ATTRIBUTES = ("phone", "email", "display_name", "first_name", "last_name")

    def __init__(self, max_similarity=0.7):
        super().__init__(user_attributes=self.PERSONAL_ATTRIBUTES, max_similarity=max_similarity)

    def validate(self, password, user=None):
        if user is None:
            return
        chosen = getattr(user, "username", "") or ""
        attributes = self.PERSONAL_ATTRIBUTES
        if chosen and chosen not in (getattr(user, "phone", None), getattr(user, "email", None)):
            attributes = ("username", *attributes)
        # A fresh check each time: the configured validators are shared between threads.
        password_validation.UserAttributeSimilarityValidator(
            user_attributes=attributes, max_similarity=self.max_similarity
        ).validate(password, user)

    def get_help_text(self):
        return _("Your password can't be too similar to your phone number, e-mail address or name.")
