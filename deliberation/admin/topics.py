"""Topics through their seven steps, with their agenda, tasks and objections inline."""

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.admin import TypologyStageFilters
from communities.models import Body
from communities.permissions import can
from core.admin import run_service
from core.errors import REFUSALS, refusal_text

from .. import selectors, services
from ..models import AgendaItem, Objection, Task, Topic
from ..workflow import TASK_STEPS, Step
from ._base import (
    OverdueFilter,
    ReadOnlyInline,
    ServiceAdmin,
    SupervisorField,
    SupervisorSelect,
    _plain_selects,
    _staff_communities,
    _supervisors,
    trail_details,
)


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
    """A new task, or for a planned one its progress: the task itself is a record."""

    progress_percent = forms.IntegerField(label=_("report progress (%)"), required=False)
    progress_note = forms.CharField(
        label=_("progress note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 24})
    )

    class Meta:
        model = Task
        fields = ["title", "owner_body", "owner_user", "supervisor", "due_date", "description"]

    def _get_validation_exclusions(self):
        # As TaskForm: the service names the one-owner rule on its field.
        return {*super()._get_validation_exclusions(), "owner_body", "owner_user"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("title", "owner_body", "owner_user", "supervisor", "due_date", "description"):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].required = False
        else:
            for name in ("progress_percent", "progress_note"):
                self.fields[name].disabled = True


class TaskInline(admin.TabularInline):
    model = Task
    form = TaskInlineForm
    extra = 0
    can_delete = False
    fields = [
        "title",
        "owner_body",
        "owner_user",
        "supervisor",
        "due_date",
        "percent",
        "done_at",
        "progress_percent",
        "progress_note",
    ]
    readonly_fields = ["percent", "done_at"]
    autocomplete_fields = ["owner_user"]
    show_change_link = True
    verbose_name_plural = _("implementation tasks (plan one with “Add another”; report progress on a planned one)")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is not None and obj.step == Step.IMPLEMENT:
            return self.fields
        return [f for f in self.fields if not f.startswith("progress_")]

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.step in TASK_STEPS and can(request.user, "task.manage", obj)

    def has_change_permission(self, request, obj=None):
        # Planned tasks are records; only their progress is reported here.
        return obj is not None and obj.step == Step.IMPLEMENT and can(request.user, "task.manage", obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            fields = formset.form.base_fields
            fields["owner_body"].queryset = Body.objects.filter(community=obj.community_id)
            fields["supervisor"] = SupervisorField(
                queryset=_supervisors(request.user, obj.community_id),
                label=fields["supervisor"].label,
                required=False,
                widget=SupervisorSelect(self.admin_site, community=obj.community_id),
            )
            _plain_selects(fields, "owner_body", "owner_user")
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

    @admin.display(description=_("time limit"), ordering="step_due_at")
    def overdue_flag(self, topic):
        # A warning on the overdue ones only: the admin's green tick would read as "good".
        if topic.is_overdue:
            return format_html(
                '<span class="deliberation-overdue"><img src="{}" alt="">{}</span>',
                static("admin/img/icon-alert.svg"),
                gettext("Overdue"),
            )
        if topic.step_due_at is None or topic.step == Step.ARCHIVE:
            return "—"
        return gettext("Within its time limit")

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
            # Past collect the fields are read-only: a save then only carries the inlines
            # (tasks, answers), and topic_update (collect only) must not be called.
            edited = {f: data[f] for f in self.EDITABLE_IN_COLLECT if f in form.changed_data}
            if edited:
                run_service(lambda: services.topic_update(actor=request.user, topic=obj, **edited))
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
            data = form.cleaned_data
            if form.instance.pk:
                if data.get("progress_percent") is not None or data.get("progress_note"):
                    run_service(
                        lambda f=form, d=data: services.progress_report(
                            actor=request.user, task=f.instance, percent=d["progress_percent"], note=d["progress_note"]
                        ),
                        row=form,
                        fields={"percent": "progress_percent", "note": "progress_note"},
                    )
                continue
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
                ),
                row=form,
            )

    def save_objection_row(self, request, topic, forms_):
        for form in forms_:
            if "answer" in form.changed_data and form.instance.answered_at is None:
                answer = form.cleaned_data["answer"]
                run_service(
                    lambda f=form, a=answer: services.objection_answer(
                        actor=request.user, objection=f.instance, answer=a
                    ),
                    row=form,
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
                workflow_timeline=[(e, trail_details(e)) for e in selectors.topic_timeline(obj)],
                workflow_trail=selectors.topic_trail_status(obj),
                workflow_progress=selectors.topic_progress(obj)["percent"],
                workflow_support=selectors.topic_support(obj)["count"],
                workflow_ratings=selectors.topic_ratings(obj),
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
