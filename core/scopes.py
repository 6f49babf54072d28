"""A community named by its bare integer key, for apps that must not import the communities
app (notifications keeps each notice's community as `community_key`).

The communities app registers the resolver from its AppConfig.ready(); the app holding the
keys asks it who runs or watches over a community, which of its rows a person may see, and
what the community is called. Who holds which role stays the communities app's knowledge.
"""

from typing import Protocol

from django.db.models import Expression, Q


class CommunityScope(Protocol):
    def runs(self, user, key) -> bool:
        """Whether `user` runs the community `key` (its committee staff)."""

    def watches(self, user, key) -> bool:
        """Whether `user` runs the community `key` or oversees it (staff and officials)."""

    def watched_q(self, user, field) -> Q:
        """Q over a model whose `field` holds a community key: the rows of the communities
        `user` runs or oversees (every row, those without a community too, for a superuser)."""

    def name_expression(self, field) -> Expression:
        """An expression giving the name of the community whose key is in `field` (a list's
        column and search), evaluated by the database rather than once per row."""

    def name(self, key) -> str:
        """The community's name ("" for no key or an unknown one)."""


_scope = None


def register_community_scope(scope):
    global _scope
    _scope = scope


def community_scope():
    if _scope is None:
        raise RuntimeError("No community scope is registered (the communities app registers it when it is ready).")
    return _scope
