from django import template

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notice_count(context):
    """The signed-in user's unread in-app notices: one COUNT on a partial index, once per page."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    cache = getattr(request, "_unread_notice_count", None) if request is not None else None
    if cache is not None:
        return cache
    count = selectors.unread_count(user) if user is not None else 0
    if request is not None:
        request._unread_notice_count = count
    return count


@register.inclusion_tag("notifications/follow_button.html", takes_context=True)
def follow_button(context, subject):
    """A follow / stop-following button for `subject`, for the page that shows it."""
    from ..registry import registry

    request = context.get("request")
    user = getattr(request, "user", None)
    followable = registry.followable_for(type(subject))
    return {
        "subject": subject,
        "followable": followable,
        "following": selectors.is_following(user, subject) if user is not None else False,
        "user": user,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
