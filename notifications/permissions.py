"""Who may see the outbox's notices and resend their deliveries.

This app knows no other: a notice names its community by a bare key (`community_key`), and
whether someone runs or watches over that community is asked of the resolver the communities
app registers (core/scopes.py). The rules join the kernel's table (core/rules.py), so the
admin and the services ask `core.rules.can(user, action, obj)` like every other app.

Which roles open the outbox in the admin is said by the layer that knows the roles (civic's
AppConfig), from the two sets below.
"""

from core.rules import predicate, register_rules
from core.scopes import community_scope

# Model permissions for the admin: what those who run a community need, and those who only
# watch over one (officials).
RUN_PERMS = {"notifications.view_notice", "notifications.view_delivery", "notifications.change_delivery"}
WATCH_PERMS = {"notifications.view_notice", "notifications.view_delivery"}


def community_key_of(obj):
    """The community key of a Notice or a Delivery (None for a site-wide notice)."""
    notice = getattr(obj, "notice", obj)
    return getattr(notice, "community_key", None)


@predicate
def is_superuser(user, obj):
    return user is not None and user.is_authenticated and user.is_superuser


@predicate
def runs_notice_community(user, obj):
    return community_scope().runs(user, community_key_of(obj))


@predicate
def watches_notice_community(user, obj):
    return community_scope().watches(user, community_key_of(obj))


# Notices without a community (a site-wide notice) are the superusers' alone.
NOTIFICATION_RULES = {
    "notice.view": watches_notice_community | is_superuser,
    "delivery.resend": runs_notice_community | is_superuser,
}


def register():
    register_rules(NOTIFICATION_RULES)


def watched_q(user, prefix=""):
    """Q over Notice (or, with prefix "notice__", Delivery): the notices of the communities
    `user` runs or oversees; every notice for a superuser."""
    return community_scope().watched_q(user, f"{prefix}community_key")
