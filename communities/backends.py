from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from core.phones import looks_like_phone, normalise_phone


def _identifier(username):
    """A phone number as stored, however it was typed; a username or an address as typed."""
    identifier = username.strip()
    return normalise_phone(identifier) if looks_like_phone(identifier) else identifier


def _candidates(identifier):
    """Up to two accounts the identifier names: one means it is unambiguous."""
    query = Q(username=identifier) | Q(phone=identifier)
    if "@" in identifier:
        query |= Q(email__iexact=identifier)
    return list(get_user_model().objects.filter(query)[:2])


def lockout_username(request, credentials):
    """The name django-axes counts failures under (AXES_USERNAME_CALLABLE): the account's
    username when the identifier names one, so that trying its username, phone and e-mail
    in turn does not multiply the tries; else the identifier as typed."""
    username = (credentials or {}).get("username")
    if username is None:
        username = getattr(request, "data", request.POST).get("username")
    if not isinstance(username, str):
        return None
    identifier = _identifier(username)
    candidates = _candidates(identifier)
    return candidates[0].username if len(candidates) == 1 else identifier


class IdentifierBackend(ModelBackend):
    """Log in with a username, a phone number or an e-mail address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        candidates = _candidates(_identifier(username))
        if len(candidates) != 1:
            # Run the hasher anyway so that timing does not tell which identifiers exist.
            User().set_password(password)
            return None
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
