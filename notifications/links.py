"""Links in notices: absolute for SMS and e-mail, the path alone for the inbox.

A notice's wording (with its link) is fixed when it is dispatched, in a worker that has no
request, so the absolute link is built on settings.SITE_URL (read at that moment: under
`make run` it is the address served). The inbox never redirects to that address: it opens
the link's path on the origin the person is using, so a notice written for another port or
host still opens here, and a link that is not the portal's own is never followed.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def absolute(path):
    """The portal's address for `path` ("/meetings/3/"), as SMS and e-mail need it."""
    return f"{settings.SITE_URL}{path}"


def local_path(url):
    """The path (with query and fragment) of a link in a notice, to open on this origin.

    Notices' links are the portal's own, written on whatever SITE_URL was at dispatch (another
    port in development, an older host name): their path is what matters. A link with a scheme
    other than http(s), or a path that would leave the site ("//host", "/\\host"), gives "".
    """
    if not url:
        return ""
    parts = urlsplit(str(url))
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return ""
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    if parts.fragment:
        path += f"#{parts.fragment}"
    if not path.startswith("/") or not url_has_allowed_host_and_scheme(path, allowed_hosts=set()):
        return ""
    return path
