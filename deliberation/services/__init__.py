"""Every write to topics, meetings and their records goes through these functions.

Pages, the admin, the API and the tasks parse input and call one of them, so no two paths
can disagree about a rule. Each takes the acting user, checks the role with `can`, checks the
state and raises:
  PermissionDenied (403) when the actor lacks the role,
  ValidationError (400) for bad input,
  Conflict (409) when the request is fine but the state of things refuses it,
and otherwise writes its rows and appends to the topic's trail in one transaction. A topic's
row is locked (SELECT ... FOR UPDATE) before its state is read, so two people acting on one
topic at once are served one after the other and the second sees the first's result. When
a meeting and its topics are both locked, the meeting comes first.

One module per sub-domain; every public name is re-exported here, so
`from deliberation.services import topic_advance` and `services.topic_advance(...)` keep working.
"""

from .comments import comment_edit, comment_hide, comment_moderate, comment_post, comment_report
from .council import DAY_FIELDS, RULE_FIELDS, council_rules_update, deliberation_days_ensure
from .gallery import CHECK_IN_OPENS, observer_cancel, observer_check_in, observer_register
from .materials import material_add, material_remove, meeting_online_link_set
from .meetings import (
    agenda_add,
    agenda_move,
    agenda_remove,
    meeting_cancel,
    meeting_minutes_record,
    meeting_move,
    meeting_schedule,
)
from .objections import objection_answer, objection_lodge
from .postings import posting_record
from .ratings import rating_give
from .supports import support_give, support_withdraw
from .tasks import progress_report, task_create
from .topics import topic_advance, topic_raise, topic_update, topic_withdraw
from .votes import attendance_record, vote_record

__all__ = [
    "material_add",
    "material_remove",
    "meeting_online_link_set",
    "posting_record",
    "CHECK_IN_OPENS",
    "DAY_FIELDS",
    "RULE_FIELDS",
    "agenda_add",
    "agenda_move",
    "agenda_remove",
    "attendance_record",
    "comment_edit",
    "comment_hide",
    "comment_moderate",
    "comment_post",
    "comment_report",
    "council_rules_update",
    "deliberation_days_ensure",
    "meeting_cancel",
    "meeting_minutes_record",
    "meeting_move",
    "meeting_schedule",
    "objection_answer",
    "objection_lodge",
    "observer_cancel",
    "observer_check_in",
    "observer_register",
    "progress_report",
    "rating_give",
    "support_give",
    "support_withdraw",
    "task_create",
    "topic_advance",
    "topic_raise",
    "topic_update",
    "topic_withdraw",
    "vote_record",
]
