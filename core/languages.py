"""The language a person chose, made the one their session speaks (after logging in, by
password or SMS code, and after changing it on the profile page)."""

from django.conf import settings
from django.utils import translation


def remember_language(response, language):
    """Make a language the session's language: activate it now and keep it in the cookie."""
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
