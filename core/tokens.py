"""API tokens: one per device, stored hashed, ended by logout, idleness or a password change.

django-rest-knox keeps each token as a SHA-512 digest (the key itself is shown once, in the
answer that issues it), with an expiry that every use pushes API_TOKEN_IDLE_DAYS ahead
(AUTO_REFRESH, written at most once a minute), and reads `Authorization: Token <key>`
(AUTH_HEADER_PREFIX), so the contract's header and `POST auth/token/` -> {"token"} stay.

- `issue(user)` makes a new token for the device asking (auth/token/, auth/sms-login/,
  auth/signup/); past API_TOKEN_LIMIT live tokens the least recently used ones end.
- `POST auth/logout/` ends the caller's token, `POST auth/logout-all/` every one of theirs
  (civic.token_views).
- A password change or reset anywhere (site, admin, API, `manage.py changepassword`) ends
  every token of that person: `end_tokens_on_password_change` listens for the save that
  carries a new password (Django marks it; a hash upgrade at login does not count).
- Expired tokens are deleted when their owner next authenticates, and daily by beat
  (`civic.prune_tokens`).
"""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions


def issue(user):
    """A new token for one device; returns the key, which is never stored."""
    instance, key = AuthToken.objects.create(user=user)
    others = AuthToken.objects.filter(user=user).exclude(digest=instance.digest)
    stale = list(
        others.order_by("-expiry", "-created").values_list("digest", flat=True)[settings.API_TOKEN_LIMIT - 1 :]
    )
    if stale:
        AuthToken.objects.filter(digest__in=stale).delete()
    return key


def end_all(user):
    """Every token of this person stops working at once."""
    return AuthToken.objects.filter(user=user).delete()[0]


def prune():
    """Delete tokens idle past API_TOKEN_IDLE_DAYS; they no longer authenticate anyway."""
    return AuthToken.objects.filter(expiry__lt=timezone.now()).delete()[0]


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.tokens.password_change")
def end_tokens_on_password_change(sender, instance, created, **kwargs):
    # set_password() keeps the new raw password in `_password` until the save that stores it
    # (AbstractBaseUser.save reads it to call password_changed); check_password's hash upgrade
    # clears it before saving, so upgrading a hash at login ends nothing.
    if not created and getattr(instance, "_password", None) is not None:
        end_all(instance)


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's, with a key that is not text (`Token \\xff`) answered 401 like any wrong key."""

    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token):
        # knox also walks all of the owner's other tokens on every request (a query each
        # time); those are pruned daily instead, and an expired one never authenticates.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        # The same scheme DRF's token had: `Authorization: Token <key>`.
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
