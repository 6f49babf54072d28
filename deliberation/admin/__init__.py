"""The staff workspace for deliberation: topics through their seven steps, meetings with their
agenda, attendance and votes, implementation tasks, moderation, the council's rules, and
the trail (read-only).

Every list is scoped to the communities the user runs or oversees (CommunityScopedAdmin) and
every write goes through deliberation.services: a refused write (no role, bad input, a
guard) rolls the whole form back and shows the form again with the reason at the top.

One module per part of the workspace; importing this package registers them all, and their
public names are re-exported here.
"""

from ._base import (
    OverdueFilter,
    ReadOnlyInline,
    RecordAdmin,
    ServiceAdmin,
    SupervisorField,
    SupervisorSelect,
    supervisor_label,
    trail_details,
)
from .council import CouncilRulesAdmin
from .meetings import AgendaItemForm, AgendaItemInline, AttendanceInline, MeetingAdmin, MeetingForm
from .moderation import CommentAdmin, CommentModerationForm, CommentReportAdmin, ObjectionAdmin
from .print_kit import MeetingMaterialAdmin, PostingAdmin
from .records import ObserverRegistrationAdmin, RatingAdmin, TrailEntryAdmin, VoteAdmin
from .tasks import ProgressReportInline, TaskAdmin, TaskForm
from .topics import (
    AgendaInline,
    ObjectionInline,
    ObjectionInlineForm,
    TaskInline,
    TaskInlineForm,
    TopicAddForm,
    TopicAdmin,
)

__all__ = [
    "MeetingMaterialAdmin",
    "PostingAdmin",
    "AgendaInline",
    "AgendaItemForm",
    "AgendaItemInline",
    "AttendanceInline",
    "CommentAdmin",
    "CommentModerationForm",
    "CommentReportAdmin",
    "CouncilRulesAdmin",
    "MeetingAdmin",
    "MeetingForm",
    "ObjectionAdmin",
    "ObjectionInline",
    "ObjectionInlineForm",
    "ObserverRegistrationAdmin",
    "OverdueFilter",
    "ProgressReportInline",
    "RatingAdmin",
    "ReadOnlyInline",
    "RecordAdmin",
    "ServiceAdmin",
    "SupervisorField",
    "SupervisorSelect",
    "TaskAdmin",
    "TaskForm",
    "TaskInline",
    "TaskInlineForm",
    "TopicAddForm",
    "TopicAdmin",
    "TrailEntryAdmin",
    "VoteAdmin",
    "supervisor_label",
    "trail_details",
]
