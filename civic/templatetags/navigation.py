"""Which staff-side links the main navigation offers (dashboard, evaluation, admin), asked of
the rules (permissions.py) rather than read off the account."""

from django import template

from communities.permissions import can

register = template.Library()

STAFF_LINKS = {"dashboard": "dashboard.view", "evaluation": "round.browse", "admin": "admin.open"}


@register.simple_tag
def staff_links(user):
    """{link: whether to offer it}. Every role these links serve holds an admin account
    (communities.services keeps `is_staff` in step with the roles), so residents' pages spend
    no query on them; staff pages load the viewer's roles once (none if the page did already)."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return dict.fromkeys(STAFF_LINKS, False)
    return {link: can(user, action) for link, action in STAFF_LINKS.items()}
