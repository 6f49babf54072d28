"""Every write to surveys, activities and evaluation rounds goes through these functions.

Keyword-only, taking the acting person, checking the rules with `can`, one transaction each.
Pages, admin and API parse their input and call one of these, so they cannot disagree.
"""

import datetime
import math
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communities.errors import Conflict
from communities.models import Body, Residency
from communities.permissions import can, roles_for
from core import attempts

from . import ready_made, selectors
from .models import (
    CHOICE_KINDS,
    HIDE_REASON_MAX,
    SCALE_MAX,
    SCALE_MIN,
    TEXT_ANSWER_MAX,
    Activity,
    ActivityRating,
    AgeBand,
    Answer,
    Attendance,
    Choice,
    Engagement,
    EvaluationRound,
    Indicator,
    Participation,
    Question,
    QuestionKind,
    Response,
    RoundIndicator,
    Scope,
    Score,
    SignUp,
    Survey,
)
from .permissions import forget_engagements

# A resident may check in with the code from an hour before the start until the evening after.
CHECK_IN_EARLY = datetime.timedelta(hours=1)
CHECK_IN_LATE = datetime.timedelta(hours=12)
# Wrong check-in codes a person may type for one activity in a quarter of an hour; then even
# the right one waits (so guessing 10^6 codes is out of reach; staff can still check them in).
# Counted in the cache, shared by every process through Redis.
CHECK_IN_ATTEMPTS = 5
CHECK_IN_ATTEMPT_WINDOW = 15 * 60


def _require(actor, action, obj=None, message=None):
    if not can(actor, action, obj):
        raise PermissionDenied(message or _("You are not allowed to do this."))


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# Building surveys ------------------------------------------------------------------------

SURVEY_FIELDS = (
    "title",
    "description",
    "scope",
    "community",
    "street",
    "district",
    "opens_at",
    "closes_at",
    "anonymous",
)
# Once residents have answered, only these may change: the questions they answered stay as they were.
FIELDS_AFTER_ANSWERS = {"title", "description", "closes_at"}


def _place_fields(scope, place):
    fields = {"scope": scope, "community": None, "street": None, "district": None}
    if scope != Scope.CITY:
        if place is None:
            missing = {
                Scope.COMMUNITY: _("Choose the community the survey is for."),
                Scope.STREET: _("Choose the street or town the survey is for."),
                Scope.DISTRICT: _("Choose the district the survey is for."),
            }
            raise ValidationError({scope: missing.get(scope, _("Choose the place the survey is for."))})
        fields[scope] = place
    return fields


def _check_survey(survey):
    if survey.closes_at and survey.opens_at and survey.closes_at <= survey.opens_at:
        raise ValidationError({"closes_at": _("The survey must close after it opens.")})
    survey.full_clean(exclude=["created_by"])


@transaction.atomic
def survey_create(
    *, actor, title, scope, closes_at, place=None, opens_at=None, description="", anonymous=True, ready_made=""
):
    survey = Survey(
        title=(title or "").strip(),
        description=(description or "").strip(),
        opens_at=opens_at or timezone.now(),
        closes_at=closes_at,
        anonymous=anonymous,
        ready_made=ready_made,
        created_by=actor,
        **_place_fields(scope, place),
    )
    _require(actor, "survey.build", survey, _("You may build surveys only for your own area."))
    _check_survey(survey)
    survey.save()
    return survey


@transaction.atomic
def survey_update(*, actor, survey, **fields):
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _require(actor, "survey.build", survey, _("You may change surveys only of your own area."))
    unknown = set(fields) - set(SURVEY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown survey fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    changed = {name for name, value in fields.items() if getattr(survey, name) != value}
    if survey.responses.exists() and changed - FIELDS_AFTER_ANSWERS:
        raise Conflict(
            _("Residents have answered this survey: its scope, opening time and anonymity can no longer change."),
            [_("Close this survey and build a new one instead.")],
        )
    for name in changed:
        setattr(survey, name, fields[name])
    if "scope" in changed or {"community", "street", "district"} & changed:
        _require(actor, "survey.build", survey, _("You may build surveys only for your own area."))
    _check_survey(survey)
    if changed:
        survey.save(update_fields=sorted(changed))
    return survey


@transaction.atomic
def survey_delete(*, actor, survey):
    _require(actor, "survey.build", survey)
    if survey.responses.exists() or survey.participations.exists():
        raise Conflict(_("Residents have answered this survey: it is kept. Close it instead."))
    survey.delete()


def _unanswered(survey, message):
    if survey.responses.exists():
        raise Conflict(message, [_("Build a new survey to ask different questions.")])


def _clean_choices(kind, choices):
    labels = [str(label).strip() for label in (choices or []) if str(label).strip()]
    if kind in CHOICE_KINDS:
        if len(labels) < 2:
            raise ValidationError({"choices": _("A choice question needs at least two choices.")})
        if len(set(labels)) != len(labels):
            raise ValidationError({"choices": _("Two choices have the same wording.")})
        too_long = [label for label in labels if len(label) > 200]
        if too_long:
            raise ValidationError({"choices": _("A choice may be at most 200 characters long.")})
    elif labels:
        raise ValidationError({"choices": _("Only single- and multiple-choice questions have choices.")})
    return labels


@transaction.atomic
def question_add(
    *,
    actor,
    survey,
    text,
    kind,
    required=True,
    position=None,
    help_text="",
    choices=(),
    min_value=None,
    max_value=None,
    key="",
    choice_values=None,
):
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _require(actor, "survey.build", survey)
    _unanswered(survey, _("Residents have answered this survey: its questions can no longer change."))
    labels = _clean_choices(kind, choices)
    if position is None:
        position = (survey.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    question = Question(
        survey=survey,
        text=(text or "").strip(),
        kind=kind,
        required=required,
        position=position,
        help_text=(help_text or "").strip(),
        min_value=min_value if kind == QuestionKind.NUMBER else None,
        max_value=max_value if kind == QuestionKind.NUMBER else None,
        key=key,
    )
    question.full_clean()
    question.save()
    values = list(choice_values or [""] * len(labels))
    Choice.objects.bulk_create(
        [Choice(question=question, position=i, label=label, value=values[i - 1]) for i, label in enumerate(labels, 1)]
    )
    return question


QUESTION_FIELDS = ("text", "kind", "required", "position", "help_text", "min_value", "max_value")


@transaction.atomic
def question_update(*, actor, question, choices=None, **fields):
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    _require(actor, "survey.build", survey)
    question = Question.objects.get(pk=question.pk)
    changed = {name for name, value in fields.items() if name in QUESTION_FIELDS and getattr(question, name) != value}
    current_labels = list(question.choices.values_list("label", flat=True))
    kind = fields.get("kind", question.kind)
    labels = _clean_choices(kind, current_labels if choices is None else choices)
    if not changed and labels == current_labels:
        return question
    _unanswered(survey, _("Residents have answered this survey: its questions can no longer change."))
    for name in changed:
        setattr(question, name, fields[name])
    if question.kind != QuestionKind.NUMBER:
        question.min_value = question.max_value = None
    question.full_clean()
    question.save()
    if labels != current_labels:
        question.choices.all().delete()
        Choice.objects.bulk_create(
            [Choice(question=question, position=i, label=label) for i, label in enumerate(labels, 1)]
        )
    return question


@transaction.atomic
def question_delete(*, actor, question):
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    _require(actor, "survey.build", survey)
    _unanswered(survey, _("Residents have answered this survey: its questions can no longer change."))
    question.delete()


@transaction.atomic
def survey_launch_ready_made(*, actor, kind, scope, closes_at, place=None, opens_at=None, anonymous=True):
    """Launch one of the ready-made surveys for a scope, questions and all, in one go."""
    try:
        definition = ready_made.DEFINITIONS[kind]
    except KeyError as exc:
        raise ValidationError({"kind": _("There is no ready-made survey called “%(kind)s”.") % {"kind": kind}}) from exc
    survey = survey_create(
        actor=actor,
        title=str(definition.title),
        description=str(definition.description),
        scope=scope,
        place=place,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymous=anonymous,
        ready_made=kind,
    )
    for position, spec in enumerate(definition.questions, start=1):
        question_add(
            actor=actor,
            survey=survey,
            text=str(spec.text),
            kind=spec.kind,
            required=spec.required,
            position=position,
            key=spec.key,
            choices=[str(label) for _value, label in spec.choices],
            choice_values=[value for value, _label in spec.choices],
        )
    return survey


# Answering -------------------------------------------------------------------------------


def question_field(question):
    """The key under which a question's errors are reported (pages and API alike)."""
    return f"question-{question.pk}"


def _int(value):
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TypeError


def _parse_answer(question, item, errors):
    """The rows one answer becomes, or [] when the question was left blank."""
    key = question_field(question)
    choices, value, text = item.get("choices"), item.get("value"), item.get("text")
    if question.has_choices:
        if value not in (None, "") or (text not in (None, "")):
            errors[key] = _("Answer this question by choosing from its choices.")
            return []
        if choices in (None, ""):
            return []
        if not isinstance(choices, (list, tuple)):
            choices = [choices]
        try:
            ids = list(dict.fromkeys(_int(c) for c in choices))
        except TypeError:
            errors[key] = _("Choices are given by their ids.")
            return []
        own = {choice.pk for choice in question.choices.all()}
        if any(choice_id not in own for choice_id in ids):
            errors[key] = _("This choice belongs to another question.")
            return []
        if question.kind == QuestionKind.SINGLE and len(ids) > 1:
            errors[key] = _("Choose one answer only.")
            return []
        return [{"choice_id": choice_id} for choice_id in ids]
    if choices not in (None, "", []):
        errors[key] = _("This question has no choices to pick from.")
        return []
    if question.is_text:
        if value not in (None, ""):
            errors[key] = _("Answer this question in words.")
            return []
        if text is None:
            return []
        if not isinstance(text, str):
            errors[key] = _("Answer this question in words.")
            return []
        text = text.strip()
        if len(text) > TEXT_ANSWER_MAX:
            errors[key] = _("Keep your answer to %(max)d characters; it has %(length)d.") % {
                "max": TEXT_ANSWER_MAX,
                "length": len(text),
            }
            return []
        return [{"text": text}] if text else []
    if text not in (None, ""):
        errors[key] = _("Answer this question with a number.")
        return []
    if value in (None, ""):
        return []
    try:
        number = _int(value)
    except TypeError:
        errors[key] = _("Answer this question with a whole number.")
        return []
    if question.is_scale and not SCALE_MIN <= number <= SCALE_MAX:
        errors[key] = _("Choose a point from %(low)d to %(high)d.") % {"low": SCALE_MIN, "high": SCALE_MAX}
        return []
    if question.min_value is not None and number < question.min_value:
        errors[key] = _("The smallest answer allowed is %(min)d.") % {"min": question.min_value}
        return []
    if question.max_value is not None and number > question.max_value:
        errors[key] = _("The largest answer allowed is %(max)d.") % {"max": question.max_value}
        return []
    return [{"value": number}]


def parse_answers(survey, answers):
    """Check a submission against the survey's questions: {question id: [row fields]} or ValidationError."""
    if not isinstance(answers, (list, tuple)):
        raise ValidationError({"answers": _("Send the answers as a list.")})
    questions = {q.pk: q for q in survey.questions.prefetch_related("choices")}
    errors, parsed = {}, {}
    for item in answers:
        if not isinstance(item, dict):
            errors["answers"] = _("Each answer names its question and gives choices, a value or a text.")
            continue
        try:
            question = questions.get(_int(item.get("question")))
        except TypeError:
            question = None
        if question is None:
            errors["answers"] = _("Question %(id)s is not part of this survey.") % {"id": item.get("question")}
            continue
        if question.pk in parsed:
            errors[question_field(question)] = _("This question is answered twice.")
            continue
        rows = _parse_answer(question, item, errors)
        if rows:
            parsed[question.pk] = rows
    for question in questions.values():
        if question.required and question.pk not in parsed and question_field(question) not in errors:
            errors[question_field(question)] = _("This question needs an answer.")
    if errors:
        raise ValidationError(errors)
    return parsed


@transaction.atomic
def response_submit(*, actor, survey, answers, now=None):
    """A resident answers a survey, once. Anonymous surveys keep no link from answers to them."""
    now = now or timezone.now()
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in as a resident to answer this survey."))
    _require(
        actor,
        "survey.answer",
        survey,
        _("This survey is for the residents of %(place)s.") % {"place": survey.place_label},
    )
    state = survey.state(now)
    if state == Survey.State.SCHEDULED:
        raise Conflict(_("This survey opens on %(when)s.") % {"when": _when(survey.opens_at)})
    if state == Survey.State.CLOSED:
        raise Conflict(
            _("This survey closed on %(when)s; it takes no more answers.") % {"when": _when(survey.closes_at)}
        )
    already = _("You have already answered this survey. Thank you!")
    if Participation.objects.filter(survey=survey, user=actor).exists():
        raise Conflict(already)
    parsed = parse_answers(survey, answers)
    community_id = roles_for(actor).resident_of
    try:
        # The lock that holds one answer per resident, also when two arrive at once.
        with transaction.atomic():
            Participation.objects.create(survey=survey, user=actor, community_id=community_id, answered_at=now)
    except IntegrityError as exc:
        raise Conflict(already) from exc
    local = timezone.localtime(now)
    response = Response.objects.create(
        survey=survey,
        respondent=None if survey.anonymous else actor,
        community_id=community_id,
        age_band=AgeBand.for_birth_year(actor.birth_year, local.year),
        submitted_on=local.date(),
    )
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=question_id, **row)
            for question_id, rows in parsed.items()
            for row in rows
        ]
    )
    return response


@transaction.atomic
def answer_hide(*, actor, answer, reason):
    answer = Answer.objects.select_for_update().select_related("question__survey", "response").get(pk=answer.pk)
    _require(
        actor,
        "answer.hide",
        answer,
        _("Only the survey's builders and the resident's community staff may hide answers."),
    )
    if not answer.question.is_text:
        raise ValidationError(_("Only free-text answers can be hidden."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the answer is hidden.")})
    if len(reason) > HIDE_REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason to %(max)d characters.") % {"max": HIDE_REASON_MAX}})
    if answer.is_hidden:
        raise Conflict(_("This answer is already hidden."))
    answer.hidden_at = timezone.now()
    answer.hidden_by = actor
    answer.hidden_reason = reason
    answer.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return answer


@transaction.atomic
def answer_unhide(*, actor, answer):
    answer = Answer.objects.select_for_update().select_related("question__survey", "response").get(pk=answer.pk)
    _require(actor, "answer.hide", answer)
    if not answer.is_hidden:
        raise Conflict(_("This answer is not hidden."))
    answer.hidden_at = None
    answer.hidden_by = None
    answer.hidden_reason = ""
    answer.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return answer


# Activities ------------------------------------------------------------------------------

ACTIVITY_FIELDS = ("theme", "category", "description", "starts_at", "ends_at", "place", "capacity", "organiser")


def new_check_in_code():
    return f"{secrets.randbelow(1_000_000):06d}"


def _check_activity(activity):
    if activity.starts_at and activity.ends_at and activity.ends_at <= activity.starts_at:
        raise ValidationError({"ends_at": _("The activity must end after it starts.")})
    if activity.organiser_id is not None:
        organiser = Body.objects.filter(pk=activity.organiser_id).values_list("community_id", flat=True).first()
        if organiser != activity.community_id:
            raise ValidationError(
                {"organiser": _("The organiser must be a body or social organisation of this community.")}
            )
    activity.full_clean(exclude=["created_by"])


@transaction.atomic
def activity_publish(
    *, actor, community, theme, category, starts_at, ends_at, place, capacity, organiser=None, description=""
):
    _require(actor, "activity.manage", community, _("Only this community's staff publish its activities."))
    activity = Activity(
        community=community,
        theme=(theme or "").strip(),
        category=category,
        description=(description or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=(place or "").strip(),
        capacity=capacity,
        organiser=organiser,
        check_in_code=new_check_in_code(),
        created_by=actor,
    )
    _check_activity(activity)
    activity.save()
    return activity


@transaction.atomic
def activity_update(*, actor, activity, **fields):
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, "activity.manage", activity)
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown activity fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    changed = {name for name, value in fields.items() if getattr(activity, name) != value}
    for name in changed:
        setattr(activity, name, fields[name])
    if "capacity" in changed:
        taken = activity.signups.filter(cancelled_at__isnull=True).count()
        if activity.capacity < taken:
            raise Conflict(
                _("%(taken)d residents have signed up: there must be at least as many places.") % {"taken": taken}
            )
    _check_activity(activity)
    if changed:
        activity.save(update_fields=sorted(changed))
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity):
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, "activity.manage", activity)
    if activity.is_cancelled:
        raise Conflict(_("This activity is already cancelled."))
    activity.cancelled_at = timezone.now()
    activity.save(update_fields=["cancelled_at"])
    return activity


def _open_for_sign_up(activity, now):
    if activity.is_cancelled:
        raise Conflict(_("This activity has been cancelled."))
    if activity.starts_at <= now:
        raise Conflict(_("This activity has already started; sign-up is closed."))


@transaction.atomic
def signup_take(*, actor, activity, now=None):
    """Take a place. Returns (sign-up, created). The last place goes to one resident only."""
    now = now or timezone.now()
    # The row lock makes sign-ups for one activity queue up, so the count below is exact.
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(
        actor,
        "activity.sign_up",
        activity,
        _("Only residents of %(community)s can sign up.") % {"community": activity.community},
    )
    _open_for_sign_up(activity, now)
    signup = SignUp.objects.filter(activity=activity, user=actor).first()
    if signup is not None and signup.is_active:
        return signup, False
    taken = SignUp.objects.filter(activity=activity, cancelled_at__isnull=True).count()
    if taken >= activity.capacity:
        raise Conflict(_("All %(capacity)d places are taken.") % {"capacity": activity.capacity})
    if signup is None:
        signup = SignUp.objects.create(activity=activity, user=actor, signed_up_at=now)
    else:
        signup.cancelled_at = None
        signup.signed_up_at = now
        signup.save(update_fields=["cancelled_at", "signed_up_at"])
    return signup, True


@transaction.atomic
def signup_cancel(*, actor, activity, now=None):
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    signup = SignUp.objects.filter(activity=activity, user=actor, cancelled_at__isnull=True).first()
    if signup is None:
        raise Conflict(_("You have not signed up for this activity."))
    if activity.starts_at <= now:
        raise Conflict(_("This activity has already started; the sign-up stands."))
    signup.cancelled_at = now
    signup.save(update_fields=["cancelled_at"])
    return signup


def _attendance_window(activity, now):
    if activity.is_cancelled:
        raise Conflict(_("This activity has been cancelled."))
    if now < activity.starts_at - CHECK_IN_EARLY:
        raise Conflict(_("Check-in opens an hour before the activity starts."))


@transaction.atomic
def attendance_check_in(*, actor, activity, code, now=None):
    """A resident at the activity checks in with the code shown there. Returns (attendance, created)."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(
        actor,
        "activity.check_in",
        activity,
        _("Only residents of %(community)s can check in.") % {"community": activity.community},
    )
    _attendance_window(activity, now)
    if now > activity.ends_at + CHECK_IN_LATE:
        raise Conflict(_("Check-in for this activity has closed."))
    key, wait = attempts.attempts_left(
        "check-in", f"{activity.pk}:{actor.pk}", CHECK_IN_ATTEMPTS, CHECK_IN_ATTEMPT_WINDOW
    )
    if wait:
        minutes = math.ceil(wait / 60)
        message = ngettext(
            "Too many wrong check-in codes. Please wait %(minutes)d minute, or ask the staff at the activity to check you in.",
            "Too many wrong check-in codes. Please wait %(minutes)d minutes, or ask the staff at the activity to check you in.",
            minutes,
        ) % {"minutes": minutes}
        raise attempts.TooManyAttempts(wait, message)
    if not secrets.compare_digest(str(code or "").strip(), activity.check_in_code):
        attempts.wrong_guess(key, CHECK_IN_ATTEMPT_WINDOW)
        raise ValidationError({"code": _("This is not the activity's check-in code.")})
    return Attendance.objects.get_or_create(
        activity=activity, user=actor, defaults={"method": Attendance.Method.CODE, "checked_in_at": now}
    )


@transaction.atomic
def attendance_record(*, actor, activity, users, now=None):
    """Staff tick off who came, from the sign-up list or among the community's residents."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require(actor, "activity.manage", activity)
    _attendance_window(activity, now)
    user_ids = sorted({getattr(user, "pk", user) for user in users})
    residents = set(
        Residency.objects.verified()
        .filter(community_id=activity.community_id, user_id__in=user_ids)
        .values_list("user_id", flat=True)
    )
    signed_up = set(activity.signups.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    strangers = [user_id for user_id in user_ids if user_id not in residents and user_id not in signed_up]
    if strangers:
        raise ValidationError(
            {"users": _("Only residents of this community or people who signed up can be checked in.")}
        )
    present = set(activity.attendances.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    created = Attendance.objects.bulk_create(
        [
            Attendance(
                activity=activity, user_id=user_id, method=Attendance.Method.LIST, checked_in_at=now, recorded_by=actor
            )
            for user_id in user_ids
            if user_id not in present
        ]
    )
    return len(created)


@transaction.atomic
def activity_rate(*, actor, activity, score, comment="", now=None):
    now = now or timezone.now()
    _require(actor, "activity.rate", activity, _("Only residents who attended can rate an activity."))
    if now < activity.starts_at:
        raise Conflict(_("An activity can be rated once it has taken place."))
    try:
        score = _int(score)
    except TypeError:
        score = None
    if score is None or not 1 <= score <= 5:
        raise ValidationError({"score": _("Give a score from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": _("Keep the comment to 500 characters.")})
    try:
        with transaction.atomic():
            return ActivityRating.objects.create(
                activity=activity, user=actor, score=score, comment=comment, created_at=now
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already rated this activity.")) from exc


# Third-party evaluation ------------------------------------------------------------------


@transaction.atomic
def engagement_create(*, actor, evaluator, scope, street=None, district=None, communities=(), organisation=""):
    _require(actor, "engagement.create", None, _("Only the city's administrators engage evaluators."))
    if not roles_for(evaluator).evaluator:
        raise ValidationError({"evaluator": _("This person is not a registered third-party evaluator.")})
    engagement = Engagement(
        evaluator=evaluator,
        scope=scope,
        street=street if scope == Engagement.Scope.STREET else None,
        district=district if scope == Engagement.Scope.DISTRICT else None,
        organisation=(organisation or "").strip(),
        engaged_by=actor,
    )
    if scope == Engagement.Scope.STREET and street is None:
        raise ValidationError({"street": _("Choose the street or town.")})
    if scope == Engagement.Scope.DISTRICT and district is None:
        raise ValidationError({"district": _("Choose the district.")})
    communities = list(communities)
    if scope == Engagement.Scope.COMMUNITIES and not communities:
        raise ValidationError({"communities": _("Choose at least one community.")})
    engagement.full_clean(exclude=["engaged_by"])
    engagement.save()
    if scope == Engagement.Scope.COMMUNITIES:
        engagement.communities.set(communities)
    forget_engagements(evaluator)
    return engagement


@transaction.atomic
def engagement_end(*, actor, engagement):
    _require(actor, "engagement.create")
    engagement.ended_at = timezone.now()
    engagement.save(update_fields=["ended_at"])
    forget_engagements(engagement.evaluator)
    return engagement


def _clean_indicator(name, source, weight):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the indicator.")})
    if source not in Indicator.values:
        raise ValidationError({"source": _("Unknown indicator source: %(source)s.") % {"source": source}})
    try:
        weight = Decimal(str(weight))
    except ArithmeticError as exc:
        raise ValidationError({"weight": _("Give the weight as a number.")}) from exc
    if not Decimal("0.01") <= weight <= Decimal(100):
        raise ValidationError({"weight": _("A weight lies between 0.01 and 100.")})
    return name, source, weight


def _draft(evaluation_round):
    if evaluation_round.is_published:
        raise Conflict(_("This round is published: its indicators and scores are final."))


@transaction.atomic
def round_create(*, actor, engagement, title, period_start, period_end, indicators=()):
    evaluation_round = EvaluationRound(
        engagement=engagement,
        title=(title or "").strip(),
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
    )
    _require(actor, "round.manage", evaluation_round, _("Only the engaged evaluator defines this engagement's rounds."))
    if engagement.ended_at is not None:
        raise Conflict(_("This engagement has ended."))
    if period_start and period_end and period_end < period_start:
        raise ValidationError({"period_end": _("The period must end after it starts.")})
    evaluation_round.full_clean(exclude=["created_by"])
    evaluation_round.save()
    for position, spec in enumerate(indicators, start=1):
        indicator_add(actor=actor, evaluation_round=evaluation_round, position=position, **spec)
    return evaluation_round


ROUND_FIELDS = ("title", "period_start", "period_end")


@transaction.atomic
def round_update(*, actor, evaluation_round, **fields):
    evaluation_round = EvaluationRound.objects.select_for_update().get(pk=evaluation_round.pk)
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown round fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(evaluation_round, name, value.strip() if isinstance(value, str) else value)
    if evaluation_round.period_end < evaluation_round.period_start:
        raise ValidationError({"period_end": _("The period must end after it starts.")})
    evaluation_round.full_clean(exclude=["created_by"])
    if fields:
        evaluation_round.save(update_fields=sorted(fields))
    return evaluation_round


@transaction.atomic
def indicator_add(*, actor, evaluation_round, name, source, weight, position=None):
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    name, source, weight = _clean_indicator(name, source, weight)
    if position is None:
        position = (
            evaluation_round.indicators.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
    return RoundIndicator.objects.create(
        round=evaluation_round, name=name, source=source, weight=weight, position=position
    )


@transaction.atomic
def indicator_update(*, actor, indicator, name, source, weight, position):
    evaluation_round = indicator.round
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    name, source, weight = _clean_indicator(name, source, weight)
    if source != indicator.source:
        indicator.scores.all().delete()
    indicator.name, indicator.source, indicator.weight, indicator.position = name, source, weight, position
    indicator.save(update_fields=["name", "source", "weight", "position"])
    return indicator


@transaction.atomic
def indicator_delete(*, actor, indicator):
    _require(actor, "round.manage", indicator.round)
    _draft(indicator.round)
    indicator.delete()


@transaction.atomic
def round_compute(*, actor, evaluation_round):
    """Score every computed indicator for every community of the round from the portal's records."""
    evaluation_round = (
        EvaluationRound.objects.select_for_update().select_related("engagement").get(pk=evaluation_round.pk)
    )
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    communities = evaluation_round.engagement.evaluated_communities()
    computed = [i for i in evaluation_round.indicators.all() if i.is_computed]
    now = timezone.now()
    Score.objects.filter(indicator__in=computed).delete()
    rows = []
    for indicator in computed:
        values = selectors.indicator_values(
            indicator.source, communities, evaluation_round.period_start, evaluation_round.period_end
        )
        rows.extend(
            Score(
                indicator=indicator,
                community_id=community_id,
                value=None if value is None else Decimal(str(round(value, 2))),
                scored_by=actor,
                scored_at=now,
            )
            for community_id, value in values.items()
        )
    Score.objects.bulk_create(rows)
    evaluation_round.computed_at = now
    evaluation_round.save(update_fields=["computed_at"])
    return len(rows)


@transaction.atomic
def score_set(*, actor, indicator, community, value, evidence):
    """Score a community by hand on an indicator that is not computed, with the evidence for it."""
    evaluation_round = (
        EvaluationRound.objects.select_for_update().select_related("engagement").get(pk=indicator.round_id)
    )
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    if indicator.is_computed:
        raise ValidationError(
            {"indicator": _("This indicator is computed from the portal's records, not scored by hand.")}
        )
    if not evaluation_round.engagement.evaluated_communities().filter(pk=community.pk).exists():
        raise ValidationError({"community": _("This community is not part of the evaluation.")})
    try:
        value = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError({"value": _("Give the score as a number from 0 to 100.")}) from exc
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"value": _("A score lies between 0 and 100.")})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": _("A score given by hand needs a note of its evidence.")})
    if len(evidence) > 2000:
        raise ValidationError({"evidence": _("Keep the evidence note to 2,000 characters.")})
    score, _created = Score.objects.update_or_create(
        indicator=indicator,
        community=community,
        defaults={
            "value": value.quantize(Decimal("0.01")),
            "evidence": evidence,
            "scored_by": actor,
            "scored_at": timezone.now(),
        },
    )
    return score


@transaction.atomic
def round_publish(*, actor, evaluation_round):
    evaluation_round = (
        EvaluationRound.objects.select_for_update().select_related("engagement").get(pk=evaluation_round.pk)
    )
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    indicators = list(evaluation_round.indicators.all())
    if not indicators:
        raise Conflict(_("The round has no indicators yet."))
    blockers = []
    if any(i.is_computed for i in indicators) and evaluation_round.computed_at is None:
        blockers.append(_("Compute the indicators from the portal's records first."))
    community_count = evaluation_round.engagement.evaluated_communities().count()
    for indicator in indicators:
        if not indicator.is_computed and indicator.scores.count() < community_count:
            blockers.append(_("Score every community on “%(indicator)s”.") % {"indicator": indicator.name})
    if blockers:
        raise Conflict(_("The round cannot be published yet."), blockers)
    evaluation_round.status = EvaluationRound.Status.PUBLISHED
    evaluation_round.published_at = timezone.now()
    evaluation_round.save(update_fields=["status", "published_at"])
    return evaluation_round
