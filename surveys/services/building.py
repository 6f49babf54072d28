"""Building surveys: surveys, their questions, the ready-made ones."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import ready_made
from ..models import CHOICE_KINDS, Choice, Question, QuestionKind, Scope, Survey
from ._helpers import _require

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
