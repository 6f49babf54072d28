"""The staff workspace for deliberation: topics through their seven steps, meetings with their
agenda, attendance and votes, implementation tasks, moderation, the council's rules, and
the trail (read-only).

Every list is scoped to the communities the user runs or oversees (CommunityScopedAdmin) and
every write goes through deliberation.services: a refused write (no role, bad input, a
guard) rolls the whole form back and shows the form again with the reason at the top.
"""

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.admin import CommunityScopedAdmin, TypologyStageFilters, report_service_errors
from core.admin import ServiceAdminMixin, run_service
from core.errors import REFUSALS, refusal_text
from communities.models import Body, BodyKind, Community, Membership
from communities.permissions import can, roles_for

from . import selectors, services
from .models import (
    AgendaItem,
    Attendance,
    Comment,
    CommentReport,
    CouncilRules,
    Meeting,
    Objection,
    ObserverRegistration,
    ProgressReport,
    Rating,
    Task,
    Topic,
    TrailEntry,
    Vote,
)
from .workflow import TASK_STEPS, Step


class ServiceAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    """Scoped to the user's communities; writes through the services (core.admin)."""


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = _("time limit")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Within its time limit"))]

    def queryset(self, request, queryset):
        overdue = Topic.objects.overdue().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


def _staff_communities(user):
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(pk__in=sorted(roles_for(user).staff_of))


# Topics
class AgendaInline(ReadOnlyInline):
    model = AgendaItem
    verbose_name = _("meeting that takes it up")
    verbose_name_plural = _("agenda and votes")
    fields = ["meeting", "meeting_status", "position", "added_at", "tally", "resolution"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("meeting", "vote")

    @admin.display(description=_("status"))
    def meeting_status(self, item):
        return item.meeting.get_status_display()

    @admin.display(description=_("vote (for / against / abstain)"))
    def tally(self, item):
        vote = getattr(item, "vote", None)
        if vote is None:
            return "—"
        verdict = gettext("adopted") if vote.passed else gettext("not adopted")
        tally = f"{vote.votes_for} / {vote.votes_against} / {vote.abstentions}"
        return f"{tally} · {verdict} ({vote.present}/{vote.council_size})"


class TaskInlineForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["title", "owner_body", "owner_user", "supervisor", "due_date", "description"]


class TaskInline(admin.TabularInline):
    model = Task
    form = TaskInlineForm
    extra = 0
    can_delete = False
    fields = ["title", "owner_body", "owner_user", "supervisor", "due_date", "percent", "done_at"]
    readonly_fields = ["percent", "done_at"]
    autocomplete_fields = ["owner_user"]
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.step in TASK_STEPS and can(request.user, "task.manage", obj)

    def has_change_permission(self, request, obj=None):
        # Existing tasks are records; their progress is reported on the task's own page.
        return self.has_add_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            fields = formset.form.base_fields
            fields["owner_body"].queryset = Body.objects.filter(community=obj.community_id)
            supervisors = Membership.objects.current().filter(
                body__community=obj.community_id, body__kind=BodyKind.SUPERVISORY_COMMITTEE
            )
            fields["supervisor"].queryset = fields["supervisor"].queryset.filter(pk__in=supervisors.values("user_id"))
        return formset


class ObjectionInlineForm(forms.ModelForm):
    class Meta:
        model = Objection
        fields = ["answer"]


class ObjectionInline(admin.TabularInline):
    model = Objection
    form = ObjectionInlineForm
    extra = 0
    can_delete = False
    fields = ["body", "created_at", "answer", "answered_at"]
    readonly_fields = ["body", "created_at", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.step != Step.ARCHIVE and can(request.user, "objection.answer", obj)


class TopicAddForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["community", "title", "body", "category", "raised_by_body"]


@admin.register(Topic)
class TopicAdmin(ServiceAdmin):
    change_rule = "topic.manage"
    list_display = ["title", "community", "step", "outcome", "step_due_at", "overdue_flag", "created_at"]
    list_filter = ["step", OverdueFilter, "outcome", "category", *TypologyStageFilters.for_path("community")]
    search_fields = ["title", "body", "community__name", "community__code"]
    list_select_related = ["community"]
    date_hierarchy = "created_at"
    change_form_template = "admin/deliberation/topic/change_form.html"
    inlines = [AgendaInline, ObjectionInline, TaskInline]
    EDITABLE_IN_COLLECT = ["title", "body", "category"]
    RECORD_FIELDS = [
        "community",
        "title",
        "body",
        "category",
        "raised_by",
        "raised_by_body",
        "step",
        "outcome",
        "outcome_note",
        "resolution",
        "created_at",
        "step_entered_at",
        "step_due_at",
        "publicity_ends_at",
        "evaluation_ends_at",
        "archived_at",
    ]

    class Media:
        css = {"all": ["deliberation/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_overdue()

    @admin.display(description=_("overdue"), boolean=True, ordering="step_due_at")
    def overdue_flag(self, topic):
        return topic.is_overdue

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TopicAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return TopicAddForm.Meta.fields
        return self.RECORD_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.step == Step.COLLECT and can(request.user, "topic.edit", obj):
            return [f for f in self.RECORD_FIELDS if f not in self.EDITABLE_IN_COLLECT]
        return self.RECORD_FIELDS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "raised_by_body" and not request.user.is_superuser:
            kwargs["queryset"] = Body.objects.filter(community__in=_staff_communities(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            run_service(
                lambda: services.topic_update(
                    actor=request.user, topic=obj, **{f: data[f] for f in self.EDITABLE_IN_COLLECT if f in data}
                )
            )
            return
        created = run_service(
            lambda: services.topic_raise(
                actor=request.user,
                community=data["community"],
                title=data["title"],
                body=data["body"],
                category=data.get("category") or "",
                raised_by_body=data.get("raised_by_body"),
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_task_row(self, request, topic, forms_):
        for form in forms_:
            if form.instance.pk:
                continue
            data = form.cleaned_data
            run_service(
                lambda data=data: services.task_create(
                    actor=request.user,
                    topic=topic,
                    title=data["title"],
                    due_date=data["due_date"],
                    supervisor=data["supervisor"],
                    owner_body=data.get("owner_body"),
                    owner_user=data.get("owner_user"),
                    description=data.get("description") or "",
                )
            )

    def save_objection_row(self, request, topic, forms_):
        for form in forms_:
            if "answer" in form.changed_data and form.instance.answered_at is None:
                answer = form.cleaned_data["answer"]
                run_service(
                    lambda f=form, a=answer: services.objection_answer(
                        actor=request.user, objection=f.instance, answer=a
                    )
                )

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/advance/", self.admin_site.admin_view(self.advance_view), name=f"{info}_advance"),
            path("<path:object_id>/record.json", self.admin_site.admin_view(self.record_view), name=f"{info}_record"),
            *super().get_urls(),
        ]

    def _topic_or_404(self, request, object_id):
        topic = self.get_object(request, object_id)
        if topic is None or not self.has_view_or_change_permission(request, topic):
            raise Http404(gettext("No such topic in your communities."))
        return topic

    def advance_view(self, request, object_id):
        """One button per next step posts here; the service decides."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        topic = self._topic_or_404(request, object_id)
        target = request.POST.get("to", "")

        def advance():
            services.topic_advance(
                actor=request.user,
                topic=topic,
                to=target,
                note=request.POST.get("note", ""),
                expected_step=request.POST.get("from") or None,
            )

        try:
            advance()
        except REFUSALS as exc:
            messages.error(request, refusal_text(exc))
        else:
            topic.refresh_from_db()
            messages.success(
                request,
                gettext("“%(title)s” moved to “%(step)s”.") % {"title": topic.title, "step": topic.get_step_display()},
            )
        return HttpResponseRedirect(reverse("admin:deliberation_topic_change", args=[topic.pk]))

    def record_view(self, request, object_id):
        topic = self._topic_or_404(request, object_id)
        response = JsonResponse(selectors.topic_record(topic), json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="topic-{topic.pk}-record.json"'
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            history = selectors.topic_history(obj)
            context.update(
                workflow_steps=selectors.topic_steps(obj, history),
                workflow_next=selectors.next_steps(request.user, obj),
                workflow_timeline=selectors.topic_timeline(obj),
                workflow_trail=selectors.topic_trail_status(obj),
                workflow_progress=selectors.topic_progress(obj)["percent"],
                workflow_support=selectors.topic_support(obj)["count"],
                workflow_ratings=selectors.topic_ratings(obj),
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


# Meetings
class MeetingForm(forms.ModelForm):
    cancel_reason = forms.CharField(
        label=_("Cancel the meeting, for this reason"),
        required=False,
        max_length=300,
        help_text=_("Leave empty to keep the meeting. Residents see the reason."),
    )

    class Meta:
        model = Meeting
        fields = ["community", "starts_at", "location", "observer_seats", "minutes"]


class AgendaItemForm(forms.ModelForm):
    votes_for = forms.IntegerField(label=_("for"), min_value=0, required=False)
    votes_against = forms.IntegerField(label=_("against"), min_value=0, required=False)
    abstentions = forms.IntegerField(label=_("abstentions"), min_value=0, required=False)

    class Meta:
        model = AgendaItem
        fields = ["topic", "position", "resolution"]
        widgets = {"resolution": forms.Textarea(attrs={"rows": 2, "cols": 40})}


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    form = AgendaItemForm
    extra = 0
    can_delete = False
    verbose_name_plural = _("agenda and votes (enter the tally and resolution after the meeting starts)")
    fields = ["topic", "position", "topic_step", "votes_for", "votes_against", "abstentions", "resolution", "tally"]
    readonly_fields = ["topic_step", "tally"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("topic", "vote")

    @admin.display(description=_("step"))
    def topic_step(self, item):
        return item.topic.get_step_display() if item.pk else ""

    @admin.display(description=_("recorded vote"))
    def tally(self, item):
        vote = getattr(item, "vote", None) if item.pk else None
        if vote is None:
            return "—"
        verdict = gettext("adopted") if vote.passed else gettext("not adopted")
        return f"{vote.votes_for} / {vote.votes_against} / {vote.abstentions} · {verdict}"

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.status == Meeting.Status.SCHEDULED and can(request.user, "meeting.manage", obj)

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.status != Meeting.Status.CANCELLED and can(request.user, "meeting.manage", obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            formset.form.base_fields["topic"].queryset = (
                Topic.objects.filter(community=obj.community_id, step__in=[Step.REVIEW, Step.RESOLVE])
                | Topic.objects.filter(agenda_items__meeting=obj)
            ).distinct()
        return formset


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    can_delete = False
    fields = ["member", "status", "recorded_at"]
    readonly_fields = ["recorded_at"]
    verbose_name_plural = _("council attendance")

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.status != Meeting.Status.CANCELLED and can(request.user, "meeting.manage", obj)

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None or not self.has_change_permission(request, obj):
            return 0
        return len(self._unrecorded(obj))

    def _unrecorded(self, meeting):
        recorded = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
        members = selectors.council_members(meeting.community, on=meeting.starts_at.date())
        return [m.pk for m in members if m.pk not in recorded]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            members = selectors.council_members(obj.community, on=obj.starts_at.date())
            recorded = Attendance.objects.filter(meeting=obj).values("member_id")
            # Someone who has left the council since keeps the row they had.
            formset.form.base_fields["member"].queryset = (
                members.model.objects.filter(pk__in=members.values("pk"))
                | members.model.objects.filter(pk__in=recorded)
            ).distinct()
        return formset


@admin.register(Meeting)
class MeetingAdmin(ServiceAdmin):
    change_rule = "meeting.manage"
    form = MeetingForm
    list_display = ["starts_at", "community", "location", "status", "is_deliberation_day", "seats", "notice_at"]
    list_filter = ["status", "is_deliberation_day", *TypologyStageFilters.for_path("community")]
    search_fields = ["location", "community__name", "community__code"]
    list_select_related = ["community"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_seats_left()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, AttendanceInline) and obj is not None and obj.pk:
            # One row ready for each council member whose attendance is not yet recorded.
            kwargs["initial"] = [{"member": pk} for pk in inline._unrecorded(obj)]
        return kwargs

    @admin.display(description=_("gallery seats taken"))
    def seats(self, meeting):
        return f"{meeting.seats_taken} / {meeting.observer_seats}"

    @admin.display(description=_("notice goes out"))
    def notice_at(self, meeting):
        return timezone.localtime(meeting.notice_at).strftime("%Y-%m-%d %H:%M")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["community", "starts_at", "location", "observer_seats"]
        return [
            "community",
            "starts_at",
            "location",
            "observer_seats",
            "status",
            "is_deliberation_day",
            "notice_at",
            "quorum",
            "minutes",
            "cancel_reason",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["community", "status", "is_deliberation_day", "notice_at", "quorum"]
        if obj.status != Meeting.Status.SCHEDULED or obj.has_started:
            readonly += ["starts_at", "location", "observer_seats", "cancel_reason"]
        if not obj.has_started or obj.status == Meeting.Status.CANCELLED:
            readonly += ["minutes"]
        return readonly

    @admin.display(description=_("quorum"))
    def quorum(self, meeting):
        quorum = selectors.meeting_quorum(meeting)
        state = gettext("met") if quorum.met else gettext("not met")
        return gettext("%(present)d of %(size)d present, %(needed)d needed: %(state)s") % {
            "present": quorum.present,
            "size": quorum.council_size,
            "needed": quorum.needed,
            "state": state,
        }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "community" and not request.user.is_superuser:
            kwargs["queryset"] = _staff_communities(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = run_service(
                lambda: services.meeting_schedule(
                    actor=request.user,
                    community=data["community"],
                    starts_at=data["starts_at"],
                    location=data.get("location") or "",
                    observer_seats=data.get("observer_seats"),
                )
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        if data.get("cancel_reason"):
            run_service(lambda: services.meeting_cancel(actor=request.user, meeting=obj, reason=data["cancel_reason"]))
            return
        moved = {f: data[f] for f in ("starts_at", "location", "observer_seats") if f in form.changed_data}
        if moved:
            run_service(lambda: services.meeting_move(actor=request.user, meeting=obj, **moved))
        if "minutes" in form.changed_data:
            run_service(
                lambda: services.meeting_minutes_record(actor=request.user, meeting=obj, minutes=data["minutes"])
            )

    def save_agendaitem_row(self, request, meeting, forms_):
        for form in forms_:
            data = form.cleaned_data
            item = form.instance
            if not item.pk:
                item = run_service(
                    lambda d=data: services.agenda_add(
                        actor=request.user, meeting=meeting, topic=d["topic"], position=d.get("position")
                    )
                )
            counts = [data.get("votes_for"), data.get("votes_against"), data.get("abstentions")]
            if any(c is not None for c in counts):
                run_service(
                    lambda i=item, c=counts, d=data: services.vote_record(
                        actor=request.user,
                        agenda_item=i,
                        votes_for=c[0] or 0,
                        votes_against=c[1] or 0,
                        abstentions=c[2] or 0,
                        resolution=d.get("resolution") or "",
                    )
                )

    def save_attendance_row(self, request, meeting, forms_):
        entries = {f.cleaned_data["member"]: f.cleaned_data["status"] for f in forms_ if f.cleaned_data.get("member")}
        if entries:
            run_service(lambda: services.attendance_record(actor=request.user, meeting=meeting, entries=entries))


# Consultation and moderation
class CommentModerationForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("decision"),
        required=False,
        choices=[("", "—"), ("keep", _("Keep it shown (dismiss reports)")), ("hide", _("Hide it"))],
    )
    reason = forms.CharField(label=_("reason for hiding (its author sees it)"), required=False, max_length=300)

    class Meta:
        model = Comment
        fields = []


@admin.register(Comment)
class CommentAdmin(ServiceAdmin):
    community_path = "topic__community"
    change_rule = "comment.moderate"
    form = CommentModerationForm
    list_display = ["excerpt", "topic", "author", "created_at", "hidden", "held", "open_reports"]
    list_filter = ["held", "hidden", *TypologyStageFilters.for_path("topic__community")]
    search_fields = ["body", "author__display_name", "topic__title"]
    list_select_related = ["topic", "author"]
    date_hierarchy = "created_at"
    actions = ["keep_selected"]
    fields = [
        "topic",
        "author",
        "parent",
        "body",
        "created_at",
        "edited_at",
        "hidden",
        "held",
        "hidden_reason",
        "decision",
        "reason",
    ]
    readonly_fields = [
        "topic",
        "author",
        "parent",
        "body",
        "created_at",
        "edited_at",
        "hidden",
        "held",
        "hidden_reason",
    ]

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return (
            super()
            .get_queryset(request)
            .annotate(open_report_count=Count("reports", filter=Q(reports__status=CommentReport.Status.OPEN)))
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        return comment.body[:80]

    @admin.display(description=_("open reports"), ordering="open_report_count")
    def open_reports(self, comment):
        return comment.open_report_count

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if decision:
            run_service(
                lambda: services.comment_moderate(
                    actor=request.user, comment=obj, keep=decision == "keep", reason=form.cleaned_data.get("reason", "")
                )
            )

    @admin.action(description=_("Keep the selected comments shown (dismiss their reports)"), permissions=["change"])
    def keep_selected(self, request, queryset):
        done = sum(
            report_service_errors(
                request, lambda c=c: services.comment_moderate(actor=request.user, comment=c, keep=True)
            )
            for c in queryset
        )
        self.message_user(request, gettext("%(count)d comments kept.") % {"count": done}, messages.SUCCESS)


@admin.register(CommentReport)
class CommentReportAdmin(ServiceAdmin):
    community_path = "comment__topic__community"
    change_rule = "comment.moderate"
    list_display = ["reason", "comment", "reporter", "created_at", "status", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["comment", "reporter", "decided_by"]
    actions = ["uphold", "dismiss"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CommentReport._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Uphold: hide the reported comments"), permissions=["change"])
    def uphold(self, request, queryset):
        done = sum(
            report_service_errors(
                request,
                lambda r=r: services.comment_moderate(
                    actor=request.user,
                    comment=r.comment,
                    keep=False,
                    reason=gettext("Hidden after residents' reports: %(reason)s") % {"reason": r.reason},
                ),
            )
            for r in queryset.filter(status=CommentReport.Status.OPEN).select_related("comment")
        )
        self.message_user(request, gettext("%(count)d comments hidden.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Dismiss: keep the reported comments shown"), permissions=["change"])
    def dismiss(self, request, queryset):
        done = sum(
            report_service_errors(
                request, lambda r=r: services.comment_moderate(actor=request.user, comment=r.comment, keep=True)
            )
            for r in queryset.filter(status=CommentReport.Status.OPEN).select_related("comment")
        )
        self.message_user(request, gettext("%(count)d comments kept.") % {"count": done}, messages.SUCCESS)


@admin.register(Objection)
class ObjectionAdmin(ServiceAdmin):
    community_path = "topic__community"
    change_rule = "objection.answer"
    list_display = ["excerpt", "topic", "created_at", "answered_at"]
    list_filter = [("answered_at", admin.EmptyFieldListFilter), *TypologyStageFilters.for_path("topic__community")]
    search_fields = ["body", "answer", "topic__title"]
    list_select_related = ["topic"]
    fields = ["topic", "author", "body", "created_at", "answer", "answered_by", "answered_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("objection"))
    def excerpt(self, objection):
        return objection.body[:80]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["topic", "author", "body", "created_at", "answered_by", "answered_at"]
        if obj is not None and obj.answered_at is not None:
            readonly.append("answer")
        return readonly

    def save_model(self, request, obj, form, change):
        if "answer" in form.changed_data:
            run_service(
                lambda: services.objection_answer(actor=request.user, objection=obj, answer=form.cleaned_data["answer"])
            )


# Implementation
class ProgressReportInline(admin.StackedInline):
    model = ProgressReport
    extra = 0
    can_delete = False
    fields = ["percent", "note", "attachment", "attachment_type", "attachment_size", "reported_by", "created_at"]
    readonly_fields = ["attachment_type", "attachment_size", "reported_by", "created_at"]

    def has_add_permission(self, request, obj=None):
        return (
            obj is not None
            and not obj.is_done
            and obj.topic.step == Step.IMPLEMENT
            and can(request.user, "task.report", obj)
        )

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    community_path = "topic__community"
    change_rule = "task.manage"
    list_display = ["title", "topic", "owner", "supervisor", "due_date", "percent", "done_at"]
    list_filter = [("done_at", admin.EmptyFieldListFilter), *TypologyStageFilters.for_path("topic__community")]
    search_fields = ["title", "topic__title"]
    list_select_related = ["topic", "owner_body", "owner_user", "supervisor"]
    autocomplete_fields = ["owner_user", "supervisor"]
    inlines = [ProgressReportInline]

    def get_fields(self, request, obj=None):
        fields = ["topic", "title", "description", "owner_body", "owner_user", "supervisor", "due_date"]
        return fields if obj is None else [*fields, "percent", "done_at", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            communities = _staff_communities(request.user)
            if db_field.name == "topic":
                kwargs["queryset"] = Topic.objects.filter(community__in=communities, step__in=TASK_STEPS)
            elif db_field.name == "owner_body":
                kwargs["queryset"] = Body.objects.filter(community__in=communities)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = run_service(
            lambda: services.task_create(
                actor=request.user,
                topic=data["topic"],
                title=data["title"],
                due_date=data["due_date"],
                supervisor=data["supervisor"],
                owner_body=data.get("owner_body"),
                owner_user=data.get("owner_user"),
                description=data.get("description") or "",
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_progressreport_row(self, request, task, forms_):
        for form in forms_:
            if form.instance.pk:
                continue
            data = form.cleaned_data
            run_service(
                lambda d=data: services.progress_report(
                    actor=request.user, task=task, percent=d["percent"], note=d["note"], attachment=d.get("attachment")
                )
            )


# Records that are only ever read here
class RecordAdmin(CommunityScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Vote)
class VoteAdmin(RecordAdmin):
    community_path = "agenda_item__meeting__community"
    list_display = [
        "topic_title",
        "meeting",
        "votes_for",
        "votes_against",
        "abstentions",
        "present",
        "council_size",
        "passed",
    ]
    list_filter = ["passed", "roll_call"]
    list_select_related = ["agenda_item__topic", "agenda_item__meeting__community"]

    @admin.display(description=_("topic"))
    def topic_title(self, vote):
        return vote.agenda_item.topic.title

    @admin.display(description=_("meeting"))
    def meeting(self, vote):
        return vote.agenda_item.meeting


@admin.register(Rating)
class RatingAdmin(RecordAdmin):
    community_path = "topic__community"
    list_display = ["topic", "score", "created_at"]
    list_filter = ["score"]
    list_select_related = ["topic"]
    exclude = ["user"]


@admin.register(ObserverRegistration)
class ObserverRegistrationAdmin(RecordAdmin):
    community_path = "meeting__community"
    list_display = ["user", "meeting", "registered_at", "cancelled_at", "checked_in_at"]
    list_filter = [("cancelled_at", admin.EmptyFieldListFilter), ("checked_in_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__display_name", "user__username"]
    list_select_related = ["user", "meeting__community"]
    actions = ["check_in"]

    def has_check_in_permission(self, request):
        return request.user.has_perm("deliberation.change_observerregistration")

    @admin.action(description=_("Check the selected observers in"), permissions=["check_in"])
    def check_in(self, request, queryset):
        done = sum(
            report_service_errors(request, lambda r=r: services.observer_check_in(actor=request.user, registration=r))
            for r in queryset
        )
        self.message_user(request, gettext("%(count)d observers checked in.") % {"count": done}, messages.SUCCESS)


@admin.register(TrailEntry)
class TrailEntryAdmin(RecordAdmin):
    """The trail is shown, never edited: no add, change or delete for anyone, superusers included."""

    community_path = "topic__community"
    list_display = ["topic", "seq", "kind", "recorded_at", "actor", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["hash", "topic__title"]
    list_select_related = ["topic", "actor"]
    readonly_fields = ["topic", "seq", "kind", "recorded_at", "actor", "data", "prev_hash", "hash"]

    def get_actions(self, request):
        return {}

    @admin.display(description=_("hash"))
    def short_hash(self, entry):
        return format_html('<code title="{}">{}…</code>', entry.hash, entry.hash[:12])


@admin.register(CouncilRules)
class CouncilRulesAdmin(ServiceAdmin):
    change_rule = "council_rules.change"
    list_display = ["community", "deliberation_day", "quorum", "majority", "publicity_days", "evaluation_days"]
    list_select_related = ["community"]
    search_fields = ["community__name", "community__code"]
    fieldsets = [
        (None, {"fields": ["community"]}),
        (
            _("Time limits (days)"),
            {
                "fields": [
                    "limit_collect",
                    "limit_review",
                    "limit_resolve",
                    "limit_publicize",
                    "limit_implement",
                    "limit_evaluate",
                ]
            },
        ),
        (
            _("Quorum and majority"),
            {"fields": ["quorum_numerator", "quorum_denominator", "majority_numerator", "majority_denominator"]},
        ),
        (_("Publicity and evaluation"), {"fields": ["publicity_days", "evaluation_days"]}),
        (
            _("Monthly deliberation day"),
            {
                "fields": [
                    "day_rule",
                    "day_week",
                    "day_weekday",
                    "day_of_month",
                    "time_of_day",
                    "location",
                    "default_observer_seats",
                ]
            },
        ),
    ]

    @admin.display(description=_("deliberation day"))
    def deliberation_day(self, rules):
        return rules.describe_day()

    @admin.display(description=_("quorum"))
    def quorum(self, rules):
        return f"{rules.quorum_numerator}/{rules.quorum_denominator}"

    @admin.display(description=_("majority (more than)"))
    def majority(self, rules):
        return f"{rules.majority_numerator}/{rules.majority_denominator}"

    def get_readonly_fields(self, request, obj=None):
        return ["community"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "community" and not request.user.is_superuser:
            kwargs["queryset"] = _staff_communities(request.user).filter(council_rules__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from .services import RULE_FIELDS

        community = obj.community if change else form.cleaned_data["community"]
        fields = {name: form.cleaned_data[name] for name in RULE_FIELDS if name in form.cleaned_data}
        saved = run_service(lambda: services.council_rules_update(actor=request.user, community=community, **fields))
        obj.pk = saved.pk
        obj._state.adding = False
