"""Residents' pages: surveys and their results, community activities, evaluation reports.

Pages parse input and call one service or selector; refusals are shown on the page with the
status that says what happened (400 bad input, 403 not allowed, 409 a state that forbids it).
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.models import Community
from communities.permissions import can, roles_for
from core import charts
from core.attempts import TooManyAttempts
from core.errors import Conflict
from core.pagination import page_or_404

from . import exports, selectors, services
from .forms import AttendanceForm, CheckInForm, HideAnswerForm, RatingForm, SurveyForm
from .models import Activity, Answer, EvaluationRound, Participation, Survey
from .permissions import area_q, builds_survey, is_engaged_evaluator, sees_report

PAGE_SIZE = 20


def _refused(request, message, status=403):
    return render(request, "surveys/refused.html", {"message": message}, status=status)


def _add_service_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


# Surveys ---------------------------------------------------------------------------------


@login_required
def survey_list(request):
    answered = Participation.objects.filter(survey=OuterRef("pk"), user=request.user)
    surveys = selectors.surveys_for(request.user).annotate(answered=Exists(answered))
    return render(
        request,
        "surveys/survey_list.html",
        {"page": page_or_404(request, surveys, PAGE_SIZE, _("There is no such page.")), "now": timezone.now()},
    )


def _survey_or_404(survey_id):
    try:
        return selectors.survey_detail(survey_id)
    except Survey.DoesNotExist as exc:
        raise Http404(_("There is no such survey.")) from exc


def survey_detail(request, survey_id):
    survey = _survey_or_404(survey_id)
    user = request.user
    state = survey.state()
    logged_in = user.is_authenticated
    may_answer = logged_in and can(user, "survey.answer", survey)
    answered = logged_in and selectors.has_answered(user, survey)
    form, status, refusal = None, 200, None
    if request.method == "POST":
        if not logged_in:
            return redirect(f"{_login_url()}?next={request.path}")
        form = SurveyForm(survey, request.POST)
        if form.is_valid():
            try:
                services.response_submit(actor=user, survey=survey, answers=form.answers())
            except ValidationError as error:
                _add_service_errors(form, error)
                status = 400
            except Conflict as conflict:
                refusal, status, form = conflict.message, 409, None
                answered = selectors.has_answered(user, survey)
            except PermissionDenied as denied:
                refusal, status, form = str(denied), 403, None
            else:
                messages.success(request, _("Thank you: your answers are saved."))
                return redirect(survey)
        else:
            status = 400
    elif may_answer and state == Survey.State.OPEN and not answered:
        form = SurveyForm(survey)
    context = {
        "survey": survey,
        "state": state,
        "form": form,
        "answered": answered,
        "may_answer": may_answer,
        "refusal": refusal,
        "can_see_results": logged_in and can(user, "survey.results", survey),
        "can_build": logged_in and builds_survey(user, survey),
    }
    return render(request, "surveys/survey_detail.html", context, status=status)


def _login_url():
    from django.conf import settings
    from django.urls import reverse

    return reverse(settings.LOGIN_URL)


def _results_scope(request, survey):
    """The communities the viewer may narrow the results to, and the one chosen (or None)."""
    user = request.user
    roles = roles_for(user)
    choices = Community.objects.none()
    if roles.superuser or roles.staff_of or roles.is_official or roles.evaluator:
        choices = survey.communities().filter(area_q(user)).order_by("code")
    raw = request.GET.get("community")
    if not raw:
        return choices, None
    chosen = choices.filter(pk=raw).first() if raw.isdigit() else None
    if chosen is None:
        raise ValidationError(_("Choose one of the communities listed."))
    return choices, chosen


def _results_for(request, survey, **kwargs):
    user = request.user
    if not can(user, "survey.results", survey):
        if survey.state() != Survey.State.CLOSED and can(user, "survey.answer", survey):
            raise PermissionDenied(_("Residents see the results once the survey has closed."))
        raise PermissionDenied(_("You may not see the results of this survey."))
    choices, chosen = _results_scope(request, survey)
    roles = roles_for(user)
    moderates = builds_survey(user, survey) or bool(roles.staff_of)
    communities = Community.objects.filter(pk=chosen.pk) if chosen else None
    results = selectors.survey_results(survey, communities=communities, include_hidden=moderates, **kwargs)
    return results, choices, chosen, communities, moderates


@login_required
def survey_results(request, survey_id):
    survey = _survey_or_404(survey_id)
    try:
        results, choices, chosen, _communities, moderates = _results_for(request, survey)
    except PermissionDenied as denied:
        return _refused(request, str(denied))
    except ValidationError as error:
        return _refused(request, " ".join(error.messages), status=400)
    builds = builds_survey(request.user, survey)
    staff_of = roles_for(request.user).staff_of
    for question in results["questions"]:
        question["chart"] = _chart_for(question)
        for text in question.get("texts", ()):
            text["can_hide"] = builds or text["community_id"] in staff_of
    context = {
        "survey": survey,
        "results": results,
        "community_choices": choices,
        "chosen": chosen,
        "moderates": moderates,
        "hide_form": HideAnswerForm(),
        "query": f"?community={chosen.pk}" if chosen else "",
    }
    return render(request, "surveys/survey_results.html", context)


def _chart_for(question):
    title = question["text"]
    if "choices" in question:
        return charts.bar_chart(
            [(c["label"], c["percent"], charts.percent_text(c["percent"])) for c in question["choices"]],
            title=title,
            max_value=100,
        )
    if "distribution" in question:
        return charts.bar_chart(
            [(str(p["value"]), p["percent"], charts.percent_text(p["percent"])) for p in question["distribution"]],
            title=title,
            max_value=100,
        )
    return ""


def _export_name(survey, extension):
    return f"survey-{survey.pk}-{slugify(survey.title, allow_unicode=False) or 'results'}.{extension}"


@login_required
def survey_results_csv(request, survey_id):
    survey = _survey_or_404(survey_id)
    try:
        results, *_rest = _results_for(request, survey, text_limit=None)
    except PermissionDenied as denied:
        return _refused(request, str(denied))
    except ValidationError as error:
        return _refused(request, " ".join(error.messages), status=400)
    response = HttpResponse(exports.results_csv(results), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(survey, "csv")}"'
    return response


@login_required
def survey_results_xlsx(request, survey_id):
    survey = _survey_or_404(survey_id)
    try:
        results, _choices, _chosen, communities, _moderates = _results_for(request, survey, text_limit=None)
    except PermissionDenied as denied:
        return _refused(request, str(denied))
    except ValidationError as error:
        return _refused(request, " ".join(error.messages), status=400)
    questions, responses = selectors.response_rows(survey, communities=communities)
    response = HttpResponse(
        exports.results_xlsx(survey, results, questions, responses),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(survey, "xlsx")}"'
    return response


@require_POST
@login_required
def answer_hide(request, answer_id):
    answer = Answer.objects.select_related("question__survey", "response").filter(pk=answer_id).first()
    if answer is None:
        raise Http404(_("There is no such answer."))
    survey = answer.question.survey
    back = f"{survey.get_absolute_url()}results/#question-{answer.question_id}"
    try:
        if request.POST.get("unhide"):
            services.answer_unhide(actor=request.user, answer=answer)
            messages.success(request, _("The answer is shown again."))
        else:
            form = HideAnswerForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say why the answer is hidden."))
                return redirect(back)
            services.answer_hide(actor=request.user, answer=answer, reason=form.cleaned_data["reason"])
            messages.success(request, _("The answer is hidden from residents."))
    except PermissionDenied as denied:
        return _refused(request, str(denied))
    except (Conflict, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
    return redirect(back)


# Activities ------------------------------------------------------------------------------


def _posted_or_back_to_activity(view):
    """An activity's action answers POST; anything else (a reload, a language switch coming back
    to the action's address) leads back to the activity's page instead of a blank 405."""

    @functools.wraps(view)
    def wrapper(request, activity_id, *args, **kwargs):
        if request.method != "POST":
            return redirect("activity-detail", activity_id=activity_id)
        return view(request, activity_id, *args, **kwargs)

    return wrapper


def activity_list(request):
    roles = roles_for(request.user)
    raw = request.GET.get("community") or ""
    community = None
    if raw:
        community = Community.objects.filter(pk=raw).first() if raw.isdigit() else None
        if community is None:
            return _refused(request, _("There is no such community."), status=400)
    elif roles.resident_of:
        community = Community.objects.get(pk=roles.resident_of)
    when = request.GET.get("when") or "upcoming"
    if when not in ("upcoming", "past"):
        return _refused(request, _("Choose upcoming or past activities."), status=400)
    activities = selectors.activity_list(community=community, upcoming=when == "upcoming")
    context = {
        "page": page_or_404(request, activities, PAGE_SIZE, _("There is no such page.")),
        "community": community,
        "when": when,
        "query": urlencode({"community": community.pk, "when": when} if community else {"when": when}),
        "year_count": selectors.activities_per_year(request.user) if roles.resident_of else None,
    }
    return render(request, "surveys/activity_list.html", context)


def _activity_or_404(activity_id):
    try:
        return selectors.activity_detail(activity_id)
    except Activity.DoesNotExist as exc:
        raise Http404(_("There is no such activity.")) from exc


def _activity_page(request, activity, *, status=200, error=None, check_in_form=None, rating_form=None):
    user = request.user
    manages = user.is_authenticated and can(user, "activity.manage", activity)
    people = selectors.activity_people(activity) if manages else []
    now = timezone.now()
    mine = selectors.person_activity_state(user, activity)
    context = {
        "activity": activity,
        "community": activity.community,
        "places_left": max(activity.capacity - activity.taken, 0),
        "started": activity.starts_at <= now,
        "check_in_open": activity.starts_at - services.CHECK_IN_EARLY
        <= now
        <= activity.ends_at + services.CHECK_IN_LATE,
        "mine": mine,
        "is_resident": user.is_authenticated and can(user, "activity.sign_up", activity),
        "manages": manages,
        "people": people,
        "attendance_form": AttendanceForm(people, initial={"users": [p.user_id for p in people if p.attended]})
        if manages
        else None,
        "figures": selectors.activity_figures(activity),
        "check_in_form": check_in_form or CheckInForm(),
        "rating_form": rating_form or RatingForm(),
        "error": error,
    }
    return render(request, "surveys/activity_detail.html", context, status=status)


def activity_detail(request, activity_id):
    return _activity_page(request, _activity_or_404(activity_id))


def _activity_action(request, activity_id, act, success):
    activity = _activity_or_404(activity_id)
    try:
        act(activity)
    except PermissionDenied as denied:
        return _activity_page(request, activity, status=403, error=str(denied))
    except Conflict as conflict:
        return _activity_page(request, _activity_or_404(activity_id), status=409, error=conflict.message)
    except ValidationError as error:
        return _activity_page(request, activity, status=400, error=" ".join(error.messages))
    except TooManyAttempts as throttled:
        response = _activity_page(request, activity, status=429, error=throttled.message)
        response["Retry-After"] = str(throttled.wait)
        return response
    messages.success(request, success)
    return redirect(activity)


@_posted_or_back_to_activity
@login_required
def activity_sign_up(request, activity_id):
    return _activity_action(
        request,
        activity_id,
        lambda activity: services.signup_take(actor=request.user, activity=activity),
        _("You have a place. See you there!"),
    )


@_posted_or_back_to_activity
@login_required
def activity_cancel(request, activity_id):
    return _activity_action(
        request,
        activity_id,
        lambda activity: services.signup_cancel(actor=request.user, activity=activity),
        _("Your sign-up is cancelled and the place is free for someone else."),
    )


@_posted_or_back_to_activity
@login_required
def activity_check_in(request, activity_id):
    activity = _activity_or_404(activity_id)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _activity_page(request, activity, status=400, check_in_form=form)
    return _activity_action(
        request,
        activity_id,
        lambda activity: services.attendance_check_in(
            actor=request.user, activity=activity, code=form.cleaned_data["code"]
        ),
        _("You are checked in. Enjoy the activity!"),
    )


@_posted_or_back_to_activity
@login_required
def activity_attendance(request, activity_id):
    activity = _activity_or_404(activity_id)
    if not can(request.user, "activity.manage", activity):
        return _activity_page(request, activity, status=403, error=_("Only this community's staff record attendance."))
    form = AttendanceForm(selectors.activity_people(activity), request.POST)
    if not form.is_valid():
        return _activity_page(request, activity, status=400, error=_("Tick the people who came."))
    users = form.cleaned_data["users"]
    return _activity_action(
        request,
        activity_id,
        lambda activity: services.attendance_record(actor=request.user, activity=activity, users=users),
        _("Attendance is recorded."),
    )


@_posted_or_back_to_activity
@login_required
def activity_rate(request, activity_id):
    activity = _activity_or_404(activity_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _activity_page(request, activity, status=400, rating_form=form)
    data = form.cleaned_data
    return _activity_action(
        request,
        activity_id,
        lambda activity: services.activity_rate(
            actor=request.user, activity=activity, score=data["score"], comment=data["comment"]
        ),
        _("Thank you for rating the activity."),
    )


# Third-party evaluation ------------------------------------------------------------------


@login_required
def round_list(request):
    rounds = selectors.rounds_for(request.user)
    return render(
        request,
        "surveys/round_list.html",
        {"page": page_or_404(request, rounds, PAGE_SIZE, _("There is no such page."))},
    )


def _round_or_404(round_id):
    evaluation_round = (
        EvaluationRound.objects.select_related("engagement__evaluator", "engagement__street", "engagement__district")
        .filter(pk=round_id)
        .first()
    )
    if evaluation_round is None:
        raise Http404(_("There is no such evaluation round."))
    return evaluation_round


def visible_rows(user, evaluation_round, rows):
    """The ranking rows a person may see: all for the evaluator, their area's for officials,
    their own community's for committee staff (published rounds only)."""
    roles = roles_for(user)
    if roles.superuser or is_engaged_evaluator(user, evaluation_round):
        return rows
    if not evaluation_round.is_published:
        return []
    return [
        row
        for row in rows
        if row["community"].pk in roles.staff_of
        or roles.oversees(row["community"].street_id, row["community"].street.district_id)
    ]


@login_required
def round_detail(request, round_id):
    evaluation_round = _round_or_404(round_id)
    indicators, rows = selectors.round_ranking(evaluation_round)
    shown = visible_rows(request.user, evaluation_round, rows)
    if not shown and not can(request.user, "round.view", evaluation_round):
        return _refused(request, _("You may not see this evaluation round."))
    context = {
        "round": evaluation_round,
        "indicators": indicators,
        "rows": shown,
        "total_ranked": len(rows),
        "manages": can(request.user, "round.manage", evaluation_round),
    }
    return render(request, "surveys/round_detail.html", context)


@login_required
def round_report(request, round_id, community_id):
    evaluation_round = _round_or_404(round_id)
    indicators, rows = selectors.round_ranking(evaluation_round)
    row = next((r for r in rows if r["community"].pk == community_id), None)
    if row is None:
        raise Http404(_("This community is not part of the evaluation."))
    if not sees_report(request.user, evaluation_round, row["community"]):
        return _refused(request, _("You may not see this community's report."))
    lines = list(zip(indicators, row["scores"]))
    chart = charts.bar_chart(
        [
            (
                indicator.name,
                None if score is None or score.value is None else score.value,
                "–" if score is None or score.value is None else f"{score.value:.1f}",
            )
            for indicator, score in lines
        ],
        title=_("Scores of %(community)s") % {"community": row["community"].name},
        max_value=100,
    )
    context = {
        "round": evaluation_round,
        "row": row,
        "lines": lines,
        "total_ranked": len(rows),
        "chart": chart,
    }
    return render(request, "surveys/round_report.html", context)
