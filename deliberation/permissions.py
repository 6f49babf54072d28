"""What each role may do with topics, meetings and their records.

The rules join the communities app's table (communities.permissions.RULES), so pages, admin
and API ask one question, `can(user, action, obj)`, whatever app the object comes from.
`obj` is a Topic, Meeting, Task... anything with a `community`. Who may move a topic from
one step to the next is part of the workflow table (workflow.TRANSITIONS), not here.
"""

from communities.permissions import (
    bodies_of,
    is_council_member_of,
    is_resident_of,
    is_staff_of,
    predicate,
    register_rule,
    runs_community,
)

from .workflow import by_staff, is_author


@predicate
def owns_task(user, task):
    if not user.is_authenticated:
        return False
    if task.owner_user_id is not None:
        return task.owner_user_id == user.pk
    return task.owner_body_id in bodies_of(user)


@predicate
def supervises_task(user, task):
    return user.is_authenticated and task.supervisor_id == user.pk


takes_part = is_resident_of | is_staff_of | is_council_member_of

DELIBERATION_RULES = {
    "topic.raise": is_resident_of | runs_community,
    "topic.edit": is_author | runs_community,
    "topic.advance": by_staff,
    "topic.withdraw": is_author,
    "topic.manage": runs_community,
    "comment.post": takes_part,
    "comment.report": takes_part,
    "comment.moderate": runs_community,
    "topic.support": is_resident_of,
    "meeting.manage": runs_community,
    # Council members sit at the table, not in the public gallery.
    "observer.register": is_resident_of & ~is_council_member_of,
    "observer.check_in": runs_community,
    "objection.lodge": is_resident_of,
    "objection.answer": runs_community,
    "task.manage": runs_community,
    "task.report": runs_community | owns_task | supervises_task,
    "rating.give": is_resident_of,
    "council_rules.change": runs_community,
}


def register():
    for action, rule in DELIBERATION_RULES.items():
        register_rule(action, rule)
