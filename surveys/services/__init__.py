"""Every write to surveys, activities and evaluation rounds goes through these functions.

Keyword-only, taking the acting person, checking the rules with `can`, one transaction each.
Pages, admin and API parse their input and call one of these, so they cannot disagree.

One module per sub-domain; every public name is re-exported here, so
`from surveys.services import response_submit` and `services.response_submit(...)` keep working.
"""

from .activities import (
    ACTIVITY_FIELDS,
    CHECK_IN_ATTEMPT_WINDOW,
    CHECK_IN_ATTEMPTS,
    CHECK_IN_EARLY,
    CHECK_IN_LATE,
    activity_cancel,
    activity_publish,
    activity_rate,
    activity_update,
    attendance_check_in,
    attendance_record,
    new_check_in_code,
    signup_cancel,
    signup_take,
)
from .answering import answer_hide, answer_unhide, parse_answers, question_field, response_submit
from .building import (
    FIELDS_AFTER_ANSWERS,
    QUESTION_FIELDS,
    SURVEY_FIELDS,
    question_add,
    question_delete,
    question_update,
    survey_create,
    survey_delete,
    survey_launch_ready_made,
    survey_update,
)
from .evaluation import (
    ROUND_FIELDS,
    engagement_create,
    engagement_end,
    indicator_add,
    indicator_delete,
    indicator_update,
    round_compute,
    round_create,
    round_publish,
    round_update,
    score_set,
)

__all__ = [
    "ACTIVITY_FIELDS",
    "CHECK_IN_ATTEMPTS",
    "CHECK_IN_ATTEMPT_WINDOW",
    "CHECK_IN_EARLY",
    "CHECK_IN_LATE",
    "FIELDS_AFTER_ANSWERS",
    "QUESTION_FIELDS",
    "ROUND_FIELDS",
    "SURVEY_FIELDS",
    "activity_cancel",
    "activity_publish",
    "activity_rate",
    "activity_update",
    "answer_hide",
    "answer_unhide",
    "attendance_check_in",
    "attendance_record",
    "engagement_create",
    "engagement_end",
    "indicator_add",
    "indicator_delete",
    "indicator_update",
    "new_check_in_code",
    "parse_answers",
    "question_add",
    "question_delete",
    "question_field",
    "question_update",
    "response_submit",
    "round_compute",
    "round_create",
    "round_publish",
    "round_update",
    "score_set",
    "signup_cancel",
    "signup_take",
    "survey_create",
    "survey_delete",
    "survey_launch_ready_made",
    "survey_update",
]
