"""`{% comment_fragment %}...{% endcomment_fragment %}`: a comment on the topic page rendered
once and reused for every viewer who would see exactly the same markup.

The fragment is kept in this process's memory under a digest of everything the markup is made
of: the comment's text, state (visible, hidden and why, held), author's name and badges and
times; what this viewer may do with it (edit and until when, report, moderate) and whether it
is theirs; the language and the time zone. A change to any of them is a different digest, so a
kept fragment is never stale and needs no invalidation (an old one just ages out). The one
per-request part, the CSRF token of the report and moderation forms, is stored as a
placeholder and the viewer's own token put back each time.
"""

import hashlib
import re
import threading
from collections import OrderedDict

from django import template
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe

from communities.templatetags.community_roles import role_badge

register = template.Library()
# Not something a comment could spell (and not the page cache's placeholder either).
PLACEHOLDER = f"csrf-{salted_hmac('deliberation.comment_fragments', 'csrf placeholder').hexdigest()[:32]}"
CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')


class _Fragments:
    size = 10_000

    def __init__(self):
        self.kept = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            fragment = self.kept.get(key)
            if fragment is not None:
                self.kept.move_to_end(key)
            return fragment

    def keep(self, key, fragment):
        with self.lock:
            self.kept[key] = fragment
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)

    def clear(self):
        with self.lock:
            self.kept.clear()


fragments = _Fragments()


def fingerprint(context):
    """The digest of every input of deliberation/_comment.html for this item and viewer."""
    item, topic, user = context["item"], context["topic"], context.get("user")
    author = item.author
    can_edit = bool(getattr(item, "can_edit", False))
    parts = (
        item.pk,
        item.body,
        item.is_visible,
        item.hidden,
        item.held,
        item.hidden_reason,
        bool(getattr(item, "shown", False)),
        item.created_at.isoformat(),
        item.edited_at.isoformat() if item.edited_at else "",
        author.pk,
        author.name,
        str(role_badge(context, author, topic.community_id)),
        item.author_id == topic.raised_by_id,
        item.author_id == getattr(user, "pk", None),
        can_edit,
        item.editable_until().isoformat() if can_edit else "",
        bool(getattr(item, "can_report", False)),
        bool(context.get("moderator")),
        translation.get_language(),
        timezone.get_current_timezone_name(),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


class CommentFragmentNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        key = fingerprint(context)
        token = str(context.get("csrf_token", ""))
        kept = fragments.get(key)
        if kept is None:
            rendered = self.nodelist.render(context)
            kept = CSRF_INPUT.sub(lambda m: m.group(1) + PLACEHOLDER + m.group(2), rendered)
            fragments.keep(key, kept)
        return mark_safe(kept.replace(PLACEHOLDER, token))  # nosec B308 B703 # rendered by the template engine, escaped there


@register.tag("comment_fragment")
def comment_fragment(parser, token):
    nodelist = parser.parse(("endcomment_fragment",))
    parser.delete_first_token()
    return CommentFragmentNode(nodelist)
