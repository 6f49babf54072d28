"""Public pages served to visitors who are not logged in from the cache (Redis when set).

Most readers of the directory and of a topic are not logged in, and they all see the same
page: it is rendered once and kept under a key of the path with its query, the language and
a stamp the view's `stamp` function reads from the data the page shows (a change makes a new
key, so nothing changed is served), for at most PAGE_CACHE_SECONDS (what passing time alone
changes, an overdue step or the end of a publicity period, shows that much later).

Logged-in people, anyone with a message waiting, any method but GET and any answer but a
plain 200 go through the view. The one part of an anonymous page that differs per visitor,
the CSRF token of the language switch, is stored as a placeholder and each visitor gets a
token of their own (and its cookie) on the way out.
"""

import hashlib
import re
import uuid
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.crypto import salted_hmac

PAGE_CACHE_SECONDS = 60
# The same in every process that shares the SECRET_KEY, and not something a comment could spell.
CSRF_PLACEHOLDER = f"csrf-{salted_hmac('communities.page_cache', 'csrf placeholder').hexdigest()[:32]}"
DIRECTORY_VERSION = "page:directory-version"
# The markup of Django's {% csrf_token %}.
CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')


def _cacheable_request(request):
    return request.method == "GET" and not request.user.is_authenticated and not len(get_messages(request))


def _key(request, stamp):
    digest = hashlib.sha256(f"{request.get_full_path()}|{translation.get_language()}|{stamp}".encode())
    return f"page:{digest.hexdigest()}"


def anonymous_page_cache(stamp):
    """Serve the view's page to anonymous visitors from the cache; `stamp(request, **kwargs)`
    returns what changes with the page's data, or None to render this request afresh."""

    def decorator(view):
        @wraps(view)
        def cached_view(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            version = stamp(request, *args, **kwargs)
            if version is None:
                return view(request, *args, **kwargs)
            key = _key(request, version)
            page = cache.get(key)
            if page is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming or response.cookies:
                    return response
                content = response.content.decode(response.charset)
                page = {"content": CSRF_INPUT.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", content),
                        "content_type": response["Content-Type"]}
                cache.set(key, page, PAGE_CACHE_SECONDS)
                return response
            return HttpResponse(
                page["content"].replace(CSRF_PLACEHOLDER, get_token(request)), content_type=page["content_type"]
            )

        return cached_view

    return decorator


def directory_version(request):
    """The stamp of the community directory: a token replaced whenever a community, street or
    district is saved or deleted (bulk writes, which send no signal, show within the cache time)."""
    version = cache.get(DIRECTORY_VERSION)
    if version is None:
        cache.add(DIRECTORY_VERSION, uuid.uuid4().hex, None)
        version = cache.get(DIRECTORY_VERSION)
    return version


def directory_changed(**kwargs):
    cache.delete(DIRECTORY_VERSION)
