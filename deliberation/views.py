"""Residents' deliberation pages: a community's topics, a topic with its seven steps, raising a
topic, the meeting page with the public gallery, and the archive's record.

Every page works without JavaScript: each action is a plain form that posts to its own URL,
which calls one service and sends the person back to the page. When a service refuses, the
page is shown again with the reason and the status the API would give (400 bad input, 403
not allowed, 409 the state of things refuses it), and nothing has changed.
"""

import re

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.models import Body, Community
from communities.permissions import can, is_council_member_of
from communities.services import community_get
from core import throttling, uploads
from core.errors import Conflict, add_refusal, refusal_status, refusal_text
from core.page_cache import anonymous_page_cache
from core.pagination import other_parameters, page_or_404

from . import clock, reminders, selectors, services
from .forms import (
    AnswerForm,
    CommentEditForm,
    CommentForm,
    ModerateForm,
    ObjectionForm,
    ProgressForm,
    RatingForm,
    ReportForm,
    TopicEditForm,
    TopicFilterForm,
    TopicRaiseForm,
)
from .models import (
    Attendance,
    Ballot,
    Comment,
    Meeting,
    Objection,
    ProgressReport,
    Task,
    Topic,
    TopicCategory,
    TrailKind,
)
from .page_scopes import meeting_page_scope
from .workflow import CONSULTATION_STEPS, STEPS, Outcome, Step, is_author, moves_from

TOPICS_PAGE_SIZE = 20
MEETINGS_PAGE_SIZE = 20
UPCOMING_SHOWN = 12


# Fetch-and-check
def _community_or_404(community_id):
    try:
        return community_get(community_id)
    except Community.DoesNotExist as exc:
        raise Http404(_("There is no such community.")) from exc


def _topic_or_404(topic_id):
    try:
        return selectors.topic_get(topic_id)
    except Topic.DoesNotExist as exc:
        raise Http404(_("There is no such topic.")) from exc


def _meeting_or_404(meeting_id):
    try:
        return selectors.meeting_get(meeting_id)
    except Meeting.DoesNotExist as exc:
        raise Http404(_("There is no such meeting.")) from exc


def _comment_or_404(comment_id):
    try:
        return selectors.comment_get(comment_id)
    except Comment.DoesNotExist as exc:
        raise Http404(_("There is no such comment.")) from exc


# A community's topics
def community_topics(request, community_id):
    community = _community_or_404(community_id)
    form = TopicFilterForm(request.GET)
    valid = form.is_valid()
    step = (form.cleaned_data.get("step") or None) if valid else None
    overdue = True if valid and form.cleaned_data.get("overdue") else None
    topics = selectors.topics_in_step_order(selectors.topic_list(community=community, step=step, overdue=overdue))
    page = page_or_404(request, topics, TOPICS_PAGE_SIZE, _("There is no such page of topics."))
    counts, overdue_count = selectors.community_topic_counts(community)
    context = {
        "community": community,
        "form": form,
        "page": page,
        "query": other_parameters(request),
        "step_counts": [{"step": s.value, "label": s.label, "count": counts[s.value]} for s in STEPS],
        "total": sum(counts.values()),
        "overdue_count": overdue_count,
        "selected_step": step,
        "overdue_only": bool(overdue),
        "can_raise": can(request.user, "topic.raise", community),
    }
    return render(request, "deliberation/topic_list.html", context, status=200 if valid else 400)


def _bodies_for(user, community):
    """The bodies a person may raise a topic for: all of them for staff, else their own."""
    bodies = Body.objects.filter(community=community).order_by("kind", "name")
    if can(user, "topic.manage", community):
        return list(bodies)
    return list(bodies.filter(pk__in=selectors.body_ids_of(user)))


def topic_raise(request, community_id):
    community = _community_or_404(community_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can(request.user, "topic.raise", community):
        return render(request, "deliberation/topic_raise.html", {"community": community, "refused": True}, status=403)
    bodies = _bodies_for(request.user, community)
    if request.method != "POST":
        form = TopicRaiseForm(bodies=bodies)
        return render(request, "deliberation/topic_raise.html", {"community": community, "form": form})
    form = TopicRaiseForm(request.POST, bodies=bodies)
    try:
        throttling.check(request, "topic")
    except throttling.Throttled as throttled:
        form.add_error(None, throttled.message)
        return render(request, "deliberation/topic_raise.html", {"community": community, "form": form}, status=429)
    if form.is_valid():
        data = form.cleaned_data
        try:
            topic = services.topic_raise(
                actor=request.user,
                community=community,
                title=data["title"],
                body=data["body"],
                category=data["category"],
                raised_by_body=data.get("raised_by_body"),
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal_text(exc))
            return render(request, "deliberation/topic_raise.html", {"community": community, "form": form}, status=403)
        else:
            messages.success(
                request,
                _("Your topic is raised. Residents can now comment on it; staff will review it."),
            )
            return redirect(topic)
    return render(request, "deliberation/topic_raise.html", {"community": community, "form": form}, status=400)


@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id):
    """The author (or staff) completes or corrects a topic while views on it are collected:
    the same fields and rules as raising it, through services.topic_update."""
    topic = _topic_or_404(topic_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    context = {"topic": topic, "community": topic.community}
    refusal = _while_collecting(
        request.user,
        topic,
        "topic.edit",
        not_theirs=_("Only the topic's author or staff can edit it."),
        too_late=_("A topic can be edited only while views on it are being collected."),
    )
    if refusal:
        context["refused"], status = refusal
        return render(request, "deliberation/topic_edit.html", context, status=status)
    if request.method != "POST":
        form = TopicEditForm(initial={"title": topic.title, "category": topic.category, "body": topic.body})
        return render(request, "deliberation/topic_edit.html", {**context, "form": form})
    form = TopicEditForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.topic_update(
                actor=request.user, topic=topic, title=data["title"], body=data["body"], category=data["category"]
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        except (PermissionDenied, Conflict) as exc:
            form.add_error(None, refusal_text(exc))
            status = refusal_status(exc)
        else:
            messages.success(request, _("Your changes to the topic are saved."))
            return redirect(topic)
    return render(request, "deliberation/topic_edit.html", {**context, "form": form}, status=status)


# One topic
def _distribution(ratings):
    count = ratings["count"] or 0
    return [
        {
            "score": score,
            "count": ratings["distribution"][score],
            "percent": round(100 * ratings["distribution"][score] / count) if count else 0,
        }
        for score in range(5, 0, -1)
    ]


def _moves_for(user, topic, now):
    """The next-step buttons this viewer may press (staff; the author may withdraw), each with
    what holds it back. Others see no buttons: the moves are not theirs to make."""
    return [
        entry
        for entry, (_target, move) in zip(selectors.next_steps(user, topic, now), moves_from(topic.step), strict=True)
        if move.who(user, topic)
    ]


def _deadline(topic, now):
    """The one date the current step runs to, as residents read it: in publicity the end of
    the objection period, in evaluation the end of rating, otherwise the step's time limit."""
    if topic.step == Step.PUBLICIZE and topic.publicity_ends_at:
        return {"at": topic.publicity_ends_at, "label": _("objections until"), "overdue": False}
    if topic.step == Step.EVALUATE and topic.evaluation_ends_at:
        return {"at": topic.evaluation_ends_at, "label": _("ratings until"), "overdue": False}
    if topic.step == Step.ARCHIVE or topic.step_due_at is None:
        return None
    overdue = topic.is_overdue
    return {"at": topic.step_due_at, "label": _("overdue since") if overdue else _("due by"), "overdue": overdue}


def _topic_page(request, topic, *, status=200, forms=None):
    user = request.user
    now = clock.now()
    forms = forms or {}
    history = selectors.topic_history(topic)
    consultation_open = topic.step in CONSULTATION_STEPS
    agenda = selectors.topic_agenda(topic)
    progress = selectors.topic_progress(topic)
    ratings = selectors.topic_ratings(topic, user)
    support = selectors.topic_support(topic, user)
    runs = can(user, "topic.manage", topic)
    publicity_open = topic.step == Step.PUBLICIZE and (topic.publicity_ends_at is None or now < topic.publicity_ends_at)
    evaluation_open = topic.step == Step.EVALUATE and (
        topic.evaluation_ends_at is None or now < topic.evaluation_ends_at
    )
    reporting = topic.step == Step.IMPLEMENT
    for task in progress["tasks"]:
        task.may_report = reporting and not task.is_done and can(user, "task.report", task)
    comment_form = forms.get("comment") or CommentForm()
    step_labels, outcome_labels = dict(Step.choices), dict(Outcome.choices)
    for change in history:
        change["from_label"] = step_labels.get(change["from"], "")
        change["to_label"] = step_labels.get(change["to"], change["to"])
        change["outcome_label"] = outcome_labels.get(change["outcome"], "")
    threads_page = Paginator(selectors.topic_threads(topic), selectors.THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    start, stop = threads_page.start_index() - 1 if threads_page.paginator.count else 0, threads_page.end_index()
    objections = selectors.topic_objections(topic)
    for objection in objections:
        objection.answer_form = forms.get("answers", {}).get(objection.pk)
    context = {
        "topic": topic,
        "community": topic.community,
        "steps": selectors.topic_steps(topic, history),
        "history": history,
        "trail_status": selectors.topic_trail_status(topic),
        "moves": _moves_for(user, topic, now),
        "threads": selectors.topic_comments(topic, user, now, start=start, stop=stop),
        "threads_page": threads_page,
        "comment_count": selectors.topic_comment_count(topic),
        "consultation_open": consultation_open,
        "can_comment": consultation_open and can(user, "comment.post", topic),
        "comment_form": comment_form,
        "replying_to": comment_form["parent"].value() if comment_form.is_bound else None,
        "moderator": can(user, "comment.moderate", topic),
        "support": support,
        "can_support": consultation_open and can(user, "topic.support", topic),
        "agenda": agenda,
        "objections": objections,
        "publicity_open": publicity_open,
        "can_object": publicity_open and can(user, "objection.lodge", topic),
        "objection_form": forms.get("objection") or ObjectionForm(),
        "can_answer": runs and topic.step != Step.ARCHIVE,
        "progress": progress,
        "progress_form": forms.get("progress"),
        "progress_task": forms.get("progress_task"),
        "ratings": ratings,
        "distribution": _distribution(ratings),
        "evaluation_open": evaluation_open,
        "can_rate": evaluation_open and not ratings["rated"] and can(user, "rating.give", topic),
        "rating_form": forms.get("rating") or RatingForm(),
        "runs": runs,
        "now": now,
        "deadline": _deadline(topic, now),
        "can_edit": topic.step == Step.COLLECT and can(user, "topic.edit", topic),
        "staff_edited_at": selectors.topic_staff_edit(topic),
    }
    return render(request, "deliberation/topic_detail.html", context, status=status)


@anonymous_page_cache(scope=lambda request, topic_id: f"topic:{topic_id}")
def topic_detail(request, topic_id):
    topic = _topic_or_404(topic_id)
    # Whoever opened a published resolution is not nudged to read it before publicity ends.
    reminders.publicity_read(user=request.user, topic=topic)
    return _topic_page(request, topic)


def _refused(request, topic, exc):
    messages.error(request, refusal_text(exc))
    return _topic_page(request, topic, status=refusal_status(exc))


def _comment_anchor(comment):
    """The page of the consultation that shows the comment, scrolled to it (after the topic's URL)."""
    page = selectors.thread_page(comment)
    return f"{f'?page={page}' if page > 1 else ''}#comment-{comment.pk}"


def _comment_url(comment):
    return comment.topic.get_absolute_url() + _comment_anchor(comment)


def _login_first(request, obj):
    """Someone not logged in who posts a form is sent to log in, then back to the page."""
    return redirect_to_login(obj.get_absolute_url())


# The topic page's forms post to their own URLs; those with fields (comment, objection,
# answer, progress, rating) carry the form's id as the fragment (`action=".../comments/#comment-form"`):
# when the page comes back with an error, the browser scrolls to the form by itself, no script
# needed. The action URL opened (a reload, a bookmark) leads back to the same place on the topic.
def _topic_post(request, topic, *, call, success, done, anchor="", form=None, page_forms=None, throttle=None):
    """One form of the topic page sent: log in, throttle, parse, run the service, and back.

    `call(data)` runs the service on the valid form's data ({} for a form with no fields of its
    own: a button) and returns what `done(result)` turns into the URL to go back to; `success`
    is the message then (or `success(result)`, for one that names the result). Bad input (the
    form's or the service's) shows the page again with the reason beside the form and
    everything as typed (400, 413 for a file too large, 429 too fast); a refusal of the state
    or the role, or a button's bad input, shows it at the top (403/409/400).
    """
    if request.method != "POST":
        return redirect(f"{topic.get_absolute_url()}#{anchor}")
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    if throttle:
        try:
            throttling.check(request, throttle)
        except throttling.Throttled as throttled:
            # Beside the form (where the page is scrolled) and at the top, for when the form is
            # not shown at all (the service would refuse it anyway: the step has moved on).
            form.add_error(None, throttled.message)
            messages.error(request, throttled.message)
            return _topic_page(request, topic, status=429, forms=page_forms)
    if form is not None and not form.is_valid():
        return _topic_page(request, topic, status=400, forms=page_forms)
    try:
        result = call(form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        if form is None:
            return _refused(request, topic, exc)
        add_refusal(form, exc)
        return _topic_page(request, topic, status=refusal_status(exc), forms=page_forms)
    except (PermissionDenied, Conflict) as exc:
        return _refused(request, topic, exc)
    messages.success(request, success(result) if callable(success) else success)
    return redirect(done(result))


def _while_collecting(user, topic, rule, *, not_theirs, too_late):
    """Why a person may not change this topic now (edit, withdraw), with the status, or None:
    the rule's role first (403), then the step, as these are only done while views are
    collected (409)."""
    if not can(user, rule, topic):
        return not_theirs, 403
    if topic.step != Step.COLLECT:
        return too_late, 409
    return None


@require_POST
def topic_advance(request, topic_id):
    topic = _topic_or_404(topic_id)
    if request.POST.get("to") == Step.ARCHIVE and topic.step == Step.COLLECT and is_author(request.user, topic):
        # Withdrawing cannot be undone: the author is asked first, on its own page.
        return redirect("topic-withdraw", topic_id=topic.pk)
    return _topic_post(
        request,
        topic,
        call=lambda _data: services.topic_advance(
            actor=request.user,
            topic=topic,
            to=request.POST.get("to", ""),
            note=request.POST.get("note", ""),
            expected_step=request.POST.get("from") or None,
        ),
        success=lambda moved: (
            _("“%(title)s” moved to “%(step)s”.") % {"title": moved.title, "step": Step(moved.step).label}
        ),
        done=lambda moved: moved.get_absolute_url(),
    )


@require_http_methods(["GET", "POST"])
def topic_withdraw(request, topic_id):
    """The author withdraws their topic: a page that asks first (it cannot be undone), then
    the service. Works without script: the topic page's button is a link to this page."""
    topic = _topic_or_404(topic_id)
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    status = 200
    refusal = _while_collecting(
        request.user,
        topic,
        "topic.withdraw",
        not_theirs=_("Only the person who raised the topic can withdraw it."),
        too_late=_("A topic can be withdrawn only while views on it are being collected."),
    )
    if refusal:
        message, status = refusal
        messages.error(request, message)
    elif request.method == "POST":
        try:
            services.topic_withdraw(actor=request.user, topic=topic, note=request.POST.get("note", ""))
        except (PermissionDenied, Conflict, ValidationError) as exc:
            messages.error(request, refusal_text(exc))
            status = refusal_status(exc)
        else:
            messages.success(request, _("Your topic is withdrawn and archived. Its comments stay on the record."))
            return redirect(topic)
    context = {
        "topic": topic,
        "community": topic.community,
        "may_withdraw": refusal is None,
        "note": request.POST.get("note", ""),
        "support": selectors.topic_support(topic),
        "comment_count": selectors.topic_comment_count(topic),
    }
    return render(request, "deliberation/topic_withdraw.html", context, status=status)


@require_POST
def topic_support(request, topic_id):
    topic = _topic_or_404(topic_id)
    if request.POST.get("action") == "withdraw":
        call, success = services.support_withdraw, _("You no longer support this topic.")
    else:
        call, success = services.support_give, _("You support this topic.")
    return _topic_post(
        request,
        topic,
        call=lambda _data: call(actor=request.user, topic=topic),
        success=success,
        done=lambda _support: f"{topic.get_absolute_url()}#support",
    )


@require_http_methods(["GET", "POST"])
def comment_post(request, topic_id):
    topic = _topic_or_404(topic_id)
    form = CommentForm(request.POST)
    return _topic_post(
        request,
        topic,
        form=form,
        throttle="comment",
        call=lambda data: services.comment_post(
            actor=request.user, topic=topic, body=data["body"], parent=data["parent"]
        ),
        success=_("Your comment is posted."),
        done=_comment_url,
        anchor="comment-form",
        page_forms={"comment": form},
    )


def _submit_for_comment(request, comment, form, call, success):
    """A comment's own form (edit, report) sent: run the service on the valid form's data and
    go back to the comment; otherwise the status to show the form again with, the reason on
    the form (400 for bad input, 403/409 when the service refuses)."""
    if not form.is_valid():
        return 400
    try:
        call(form.cleaned_data)
    except ValidationError as exc:
        add_refusal(form, exc)
        return 400
    except (PermissionDenied, Conflict) as exc:
        form.add_error(None, refusal_text(exc))
        return refusal_status(exc)
    messages.success(request, success)
    return redirect(_comment_url(comment))


@require_http_methods(["GET", "POST"])
def comment_edit(request, comment_id):
    comment = _comment_or_404(comment_id)
    topic = comment.topic
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    if comment.author_id != request.user.pk:
        raise PermissionDenied(_("Only its author can edit a comment."))
    now = clock.now()
    status = 200
    if request.method == "POST":
        form = CommentEditForm(request.POST)
        status = _submit_for_comment(
            request,
            comment,
            form,
            lambda data: services.comment_edit(actor=request.user, comment=comment, body=data["body"]),
            _("Your comment is updated."),
        )
        if not isinstance(status, int):
            return status
    else:
        form = CommentEditForm(initial={"body": comment.body})
    context = {
        "comment": comment,
        "topic": topic,
        "form": form,
        "editable": comment.is_visible and now <= comment.editable_until() and topic.step in CONSULTATION_STEPS,
    }
    return render(request, "deliberation/comment_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def comment_report(request, comment_id):
    comment = _comment_or_404(comment_id)
    topic = comment.topic
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    if not can(request.user, "comment.report", topic):
        raise PermissionDenied(_("Only residents of this community can report comments."))
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        status = _submit_for_comment(
            request,
            comment,
            form,
            lambda data: services.comment_report(actor=request.user, comment=comment, reason=data["reason"]),
            _("Thank you. Staff will look at the comment."),
        )
        if not isinstance(status, int):
            return status
    else:
        form = ReportForm()
    shown = comment.is_visible or comment.author_id == request.user.pk
    context = {"comment": comment, "topic": topic, "form": form, "shown": shown}
    return render(request, "deliberation/comment_report.html", context, status=status)


@require_POST
def comment_moderate(request, comment_id):
    comment = _comment_or_404(comment_id)
    topic = comment.topic
    if not request.user.is_authenticated:
        return _login_first(request, topic)
    form = ModerateForm(request.POST)
    form.is_valid()
    keep = bool(form.cleaned_data.get("keep"))
    reason = form.cleaned_data.get("reason", "")
    back = topic.get_absolute_url() + _comment_anchor(comment)
    return _topic_post(
        request,
        topic,
        call=lambda _data: services.comment_moderate(actor=request.user, comment=comment, keep=keep, reason=reason),
        success=_("The comment is shown again.") if keep else _("The comment is hidden; its author sees your reason."),
        done=lambda _moderated: back,
    )


@require_http_methods(["GET", "POST"])
def objection_lodge(request, topic_id):
    topic = _topic_or_404(topic_id)
    form = ObjectionForm(request.POST)
    return _topic_post(
        request,
        topic,
        form=form,
        throttle="objection",
        call=lambda data: services.objection_lodge(actor=request.user, topic=topic, body=data["body"]),
        success=_("Your objection is lodged. Staff will answer it in public."),
        done=lambda objection: f"{topic.get_absolute_url()}#objection-{objection.pk}",
        anchor="objection-form",
        page_forms={"objection": form},
    )


@require_http_methods(["GET", "POST"])
def objection_answer(request, objection_id):
    try:
        objection = selectors.objection_get(objection_id)
    except Objection.DoesNotExist as exc:
        raise Http404(_("There is no such objection.")) from exc
    topic = objection.topic
    form = AnswerForm(request.POST)
    return _topic_post(
        request,
        topic,
        form=form,
        call=lambda data: services.objection_answer(actor=request.user, objection=objection, answer=data["answer"]),
        success=_("Your answer is published."),
        done=lambda _answered: f"{topic.get_absolute_url()}#objection-{objection.pk}",
        anchor=f"objection-{objection.pk}",
        page_forms={"answers": {objection.pk: form}},
    )


def progress_attachment(request, report_id):
    """A progress report's photo or file: public, as the report itself is on the topic page."""
    try:
        report = selectors.progress_attachment_get(report_id)
    except ProgressReport.DoesNotExist as exc:
        raise Http404(_("There is no such attachment.")) from exc
    return uploads.file_response(report.attachment, content_type=report.attachment_type, name=report.attachment_name)


@require_http_methods(["GET", "POST"])
def progress_report(request, task_id):
    try:
        task = selectors.task_get(task_id)
    except Task.DoesNotExist as exc:
        raise Http404(_("There is no such task.")) from exc
    topic = task.topic
    form = ProgressForm(request.POST, request.FILES)
    return _topic_post(
        request,
        topic,
        form=form,
        call=lambda data: services.progress_report(
            actor=request.user, task=task, percent=data["percent"], note=data["note"], attachment=data.get("attachment")
        ),
        success=_("Progress is reported."),
        done=lambda _report: f"{topic.get_absolute_url()}#task-{task.pk}",
        anchor=f"task-{task.pk}",
        page_forms={"progress": form, "progress_task": task.pk},
    )


@require_http_methods(["GET", "POST"])
def rating_give(request, topic_id):
    topic = _topic_or_404(topic_id)
    form = RatingForm(request.POST)
    return _topic_post(
        request,
        topic,
        form=form,
        call=lambda data: services.rating_give(
            actor=request.user, topic=topic, score=data["score"], comment=data["comment"]
        ),
        success=_("Thank you for rating the outcome."),
        done=lambda _rating: f"{topic.get_absolute_url()}#evaluation",
        anchor="rating-form",
        page_forms={"rating": form},
    )


# The archive's record
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _readable(value):
    """The record's timestamps (UTC text in the JSON) as datetimes the page formats locally."""
    if isinstance(value, dict):
        return {key: _readable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return parse_datetime(value)
    return value


def _label_record(record):
    """Put each code of the record beside its label in the reader's language."""
    steps, outcomes = dict(Step.choices), dict(Outcome.choices)
    kinds, categories = dict(TrailKind.choices), dict(TopicCategory.choices)
    statuses, presence = dict(Meeting.Status.choices), dict(Attendance.Status.choices)
    choices = dict(Ballot.Choice.choices)
    head = record["topic"]
    head["step_label"] = steps.get(head["step"], head["step"])
    head["outcome_label"] = outcomes.get(head["outcome"], head["outcome"])
    head["category_label"] = categories.get(head["category"], "")
    for change in record["history"]:
        change["from_label"] = steps.get(change["from"], "")
        change["to_label"] = steps.get(change["to"], change["to"])
    for meeting in record["meetings"]:
        meeting["status_label"] = statuses.get(meeting["status"], meeting["status"])
        for row in meeting["attendance"]:
            row["status_label"] = presence.get(row["status"], row["status"])
        for ballot in (meeting["vote"] or {}).get("roll_call", []):
            ballot["choice_label"] = choices.get(ballot["choice"], ballot["choice"])
    distribution = record["ratings"]["distribution"]
    record["ratings"]["rows"] = [(score, distribution.get(str(score), 0)) for score in range(5, 0, -1)]
    for entry in record["trail"]:
        entry["label"] = kinds.get(entry["kind"], entry["kind"])


def topic_record(request, topic_id):
    topic = _topic_or_404(topic_id)
    record = _readable(selectors.topic_record(topic))
    _label_record(record)
    context = {
        "topic": topic,
        "community": topic.community,
        "record": record,
        "trail_status": selectors.topic_trail_status(topic),
        "printed_at": clock.now(),
    }
    return render(request, "deliberation/topic_record.html", context)


def topic_record_json(request, topic_id):
    topic = _topic_or_404(topic_id)
    response = JsonResponse(selectors.topic_record(topic), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'inline; filename="topic-{topic.pk}-record.json"'
    return response


# Meetings
def community_meetings(request, community_id):
    community = _community_or_404(community_id)
    now = clock.now()
    upcoming = list(selectors.meetings_of(community, upcoming=True, now=now)[:UPCOMING_SHOWN])
    past = page_or_404(
        request,
        selectors.meetings_of(community, upcoming=False, now=now),
        MEETINGS_PAGE_SIZE,
        _("There is no such page of meetings."),
    )
    context = {
        "community": community,
        "upcoming": upcoming,
        "past": past,
        "rules": selectors.council_rules_for(community),
        "can_manage": can(request.user, "meeting.manage", community),
    }
    return render(request, "deliberation/meeting_list.html", context)


def _meeting_page(request, meeting, *, status=200):
    user = request.user
    registration = selectors.observer_registration_for(user, meeting)
    open_for_gallery = meeting.status == Meeting.Status.SCHEDULED and not meeting.has_started
    taken_place = meeting.status == Meeting.Status.HELD or (
        meeting.status == Meeting.Status.SCHEDULED and meeting.has_started
    )
    context = {
        "meeting": meeting,
        "community": meeting.community,
        "agenda": selectors.meeting_agenda(meeting),
        "registration": registration,
        "open_for_gallery": open_for_gallery,
        "can_register": open_for_gallery and can(user, "observer.register", meeting),
        "council_member": is_council_member_of(user, meeting),
        "taken_place": taken_place,
        "attendance": selectors.meeting_attendance(meeting) if taken_place else [],
        "quorum": selectors.meeting_quorum(meeting) if taken_place else None,
        "can_manage": can(user, "meeting.manage", meeting),
    }
    return render(request, "deliberation/meeting_detail.html", context, status=status)


@anonymous_page_cache(scope=lambda request, meeting_id: meeting_page_scope(meeting_id))
def meeting_detail(request, meeting_id):
    return _meeting_page(request, _meeting_or_404(meeting_id))


@require_POST
def meeting_gallery(request, meeting_id):
    meeting = _meeting_or_404(meeting_id)
    if not request.user.is_authenticated:
        return _login_first(request, meeting)
    try:
        if request.POST.get("action") == "cancel":
            services.observer_cancel(actor=request.user, meeting=meeting)
            message = _("Your gallery seat is cancelled; someone else can take it.")
        else:
            _registration, created = services.observer_register(actor=request.user, meeting=meeting)
            message = (
                _("You have a seat in the public gallery. Please arrive a little early to check in.")
                if created
                else _("You already have a seat in the public gallery.")
            )
    except (PermissionDenied, Conflict, ValidationError) as exc:
        messages.error(request, refusal_text(exc))
        return _meeting_page(request, _meeting_or_404(meeting_id), status=refusal_status(exc))
    messages.success(request, message)
    return redirect(f"{meeting.get_absolute_url()}#gallery")
