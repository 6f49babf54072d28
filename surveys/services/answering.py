"""Answering surveys, and hiding an answer."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.permissions import roles_for
from core.errors import Conflict

from ..models import (
    HIDE_REASON_MAX,
    SCALE_MAX,
    SCALE_MIN,
    TEXT_ANSWER_MAX,
    AgeBand,
    Answer,
    Participation,
    QuestionKind,
    Response,
    Survey,
)
from ._helpers import _int, _require, _when


def question_field(question):
    """The key under which a question's errors are reported (pages and API alike)."""
    return f"question-{question.pk}"


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
