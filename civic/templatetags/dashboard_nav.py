"""Whether to offer the officials' dashboard in the main navigation."""

from django import template

from communities.permissions import can

register = template.Library()


@register.simple_tag
def sees_dashboard(user):
    """Superusers and officials. Only staff accounts can be either (officials get admin
    access), so residents' pages never spend a query on it; a page that already loaded the
    viewer's roles spends none either."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    return can(user, "dashboard.view")
