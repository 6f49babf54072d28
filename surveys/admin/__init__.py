"""The staff's and evaluators' workspace for surveys, activities and evaluation rounds.

Lists are scoped to the person's area and every write goes through the services (core.admin:
a refusal shows on the same form, typed input kept), so the admin and the API cannot disagree.
Forms only parse input; the rules live in the services.

One module per part of the workspace; importing this package registers them all, and their
public names are re-exported here.
"""

from ._base import ReadOnlyAdmin, ScopeFormMixin
from .activities import (
    ActivityAdmin,
    ActivityAdminForm,
    ActivityRatingAdmin,
    AttendanceAdmin,
    AttendanceAdminForm,
    AttendanceInline,
    SignUpAdmin,
    SignUpInline,
)
from .answers import AnswerAdmin, AnswerInline, ParticipationAdmin, ResponseAdmin
from .building import LaunchForm, QuestionAdminForm, QuestionInline, SurveyAdmin, SurveyAdminForm
from .evaluation import (
    EngagementAdmin,
    EngagementAdminForm,
    EvaluationRoundAdmin,
    IndicatorInline,
    RoundAdminForm,
    ScoreAdmin,
    ScoreAdminForm,
    ScoreSheetForm,
)

__all__ = [
    "ActivityAdmin",
    "ActivityAdminForm",
    "ActivityRatingAdmin",
    "AnswerAdmin",
    "AnswerInline",
    "AttendanceAdmin",
    "AttendanceAdminForm",
    "AttendanceInline",
    "EngagementAdmin",
    "EngagementAdminForm",
    "EvaluationRoundAdmin",
    "IndicatorInline",
    "LaunchForm",
    "ParticipationAdmin",
    "QuestionAdminForm",
    "QuestionInline",
    "ReadOnlyAdmin",
    "ResponseAdmin",
    "RoundAdminForm",
    "ScopeFormMixin",
    "ScoreAdmin",
    "ScoreAdminForm",
    "ScoreSheetForm",
    "SignUpAdmin",
    "SignUpInline",
    "SurveyAdmin",
    "SurveyAdminForm",
]
