from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class IdentifierBackend(ModelBackend):
    """Log in with a username, a phone number or an e-mail address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        identifier = username.strip()
        if identifier.startswith("+86"):
            identifier = identifier[3:]
        query = Q(username=identifier) | Q(phone=identifier)
        if "@" in identifier:
            query |= Q(email__iexact=identifier)
        candidates = list(User.objects.filter(query)[:2])
        if len(candidates) != 1:
            # Run the hasher anyway so that timing does not tell which identifiers exist.
            User().set_password(password)
            return None
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
