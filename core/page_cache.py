"""Public pages served to visitors who are not logged in from the cache (Redis when set).

Most readers of the directory and of a topic are not logged in, and they all see the same
page: it is rendered once and kept under a key of the path with its query and the language,
together with the version of its data it was rendered from. A version is a random token
named by the view (`scope`: "directory", "topic:12"); the apps replace it after each commit
that changes what the page shows (`page_changed`), so a page is served only while its data
is unchanged, and for at most PAGE_CACHE_SECONDS: what passing time alone changes (an
overdue step, the end of a publicity period) or a bulk write that sends no signal shows that
much later. A hit reads the version from the cache and the page from this process's recent
pages (or the cache), and makes no query.

Logged-in people, anyone with a message waiting, any method but GET and any answer but a
plain 200 go through the view. The one part of an anonymous page that differs per visitor,
the CSRF token of the language switch, is stored as a placeholder and each visitor gets a
token of their own (and its cookie) on the way out.
"""

import hashlib
import re
import threading
import uuid
from collections import OrderedDict
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.crypto import salted_hmac

PAGE_CACHE_SECONDS = 60
# The same in every process that shares the SECRET_KEY, and not something a comment could spell
# (salted with the module's former name, so processes before and after the move agree).
CSRF_PLACEHOLDER = f"csrf-{salted_hmac('communities.page_cache', 'csrf placeholder').hexdigest()[:32]}".encode()
# The markup of Django's {% csrf_token %}.
CSRF_INPUT = re.compile(rb'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')


class _Recent:
    """The pages this process served last, so a hit reads only the small version from Redis
    and not the page (a topic with 300 comments is about 180 kB). A copy is used only while
    its version is the current one, exactly as the shared copy is."""

    size = 64

    def __init__(self):
        self.pages = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            return self.pages.get(key)

    def keep(self, key, page):
        with self.lock:
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


_recent = _Recent()


def _version_key(scope):
    return f"page-version:{scope}"


def page_changed(scope):
    """Pages of `scope` are rendered afresh: from now on, and again once the current
    transaction commits (a page rendered from the data before it must not outlive it)."""
    cache.delete(_version_key(scope))
    transaction.on_commit(lambda: cache.delete(_version_key(scope)))


def _new_version(scope):
    cache.add(_version_key(scope), uuid.uuid4().hex, PAGE_CACHE_SECONDS)
    return cache.get(_version_key(scope))


def _cacheable_request(request):
    return request.method == "GET" and not request.user.is_authenticated and not len(get_messages(request))


def _page_key(request):
    digest = hashlib.sha256(f"{request.get_full_path()}|{translation.get_language()}".encode())
    return f"page:{digest.hexdigest()}"


def anonymous_page_cache(scope):
    """Serve the view's page to anonymous visitors from the cache while the version of
    `scope(request, *args, **kwargs)` holds."""

    def decorator(view):
        @wraps(view)
        def cached_view(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            name, key = _version_key(scope(request, *args, **kwargs)), _page_key(request)
            version = cache.get(name)
            page = _recent.get(key)
            if version is None or page is None or page[0] != version:
                page = cache.get(key)
            if version is not None and page is not None and page[0] == version:
                _recent.keep(key, page)
                _version, content_type, content = page
                token = get_token(request).encode()
                return HttpResponse(content.replace(CSRF_PLACEHOLDER, token), content_type=content_type)
            # Read before rendering: a change committed meanwhile replaces it, so this page,
            # whichever data it saw, is never served under the newer version.
            version = version or _new_version(scope(request, *args, **kwargs))
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies and version:
                content = CSRF_INPUT.sub(rb"\g<1>" + CSRF_PLACEHOLDER + rb"\g<2>", response.content)
                cache.set(key, (version, response["Content-Type"], content), PAGE_CACHE_SECONDS)
            return response

        return cached_view

    return decorator


def pages_follow(model, scopes):
    """Whenever a `model` row is saved or deleted, the pages of each scope that
    `scopes(instance, update_fields)` names are rendered afresh. Each app declares this for its
    own models (what a page shows may come from several apps)."""

    def changed(sender, instance, update_fields=None, **kwargs):
        for scope in scopes(instance, update_fields):
            page_changed(scope)

    label = f"{model._meta.label}.{scopes.__module__}.{scopes.__qualname__}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"page_cache.saved.{label}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"page_cache.deleted.{label}")
