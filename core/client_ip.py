"""The address a request came from, the one every per-address limit counts by.

Behind N reverse proxies that each append the address they saw to X-Forwarded-For, the
client's address is the N-th entry from the right: everything left of it was written by
the client itself and may be forged. With no proxy (TRUSTED_PROXY_COUNT = 0) the header
is ignored altogether and the socket's address, REMOTE_ADDR, is the answer.

The throttles, DRF (NUM_PROXIES), django-axes (AXES_CLIENT_IP_CALLABLE) and the SMS login
all ask here, so one setting decides what "one address" means everywhere.
"""

from django.conf import settings


def client_ip(request):
    """The client's address as the trusted proxies report it; REMOTE_ADDR otherwise."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come through them all, so the
        # header proves nothing and the nearest peer is the best we know.
        return remote
    return forwarded[-proxies]
