"""The clerk's work queue on the admin index (civic.work_queue)."""

from django import template

from civic.work_queue import scope_label, work_queue

register = template.Library()


@register.inclusion_tag("admin/work_queue.html", takes_context=True)
def admin_work_queue(context):
    user = context["request"].user
    return {"lines": work_queue(user), "scope": scope_label(user)}
