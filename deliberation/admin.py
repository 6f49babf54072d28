"""The staff workspace for deliberation: topics through their seven steps, meetings with their
agenda, attendance and votes, implementation tasks, moderation, the council's rules, and
the trail (read-only).

Every list is scoped to the communities the user runs or oversees (CommunityScopedAdmin) and
every write goes through deliberation.services: a refused write (no role, bad input, a
guard) rolls the whole form back and shows the form again with the reason at the top.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.admin import CommunityScopedAdmin, TypologyStageFilters
from communities.models import Body, BodyKind, Community, Membership
from communities.permissions import can, roles_for
from core.admin import ServiceAdminMixin, run_action, run_service
from core.errors import REFUSALS, refusal_text

from . import notices, selectors, services
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
    TrailKind,
    Vote,
)
from .workflow import TASK_STEPS, Step

User = get_user_model()


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


def trail_details(entry):
    """One trail entry's content as a person reads it: step names, not their codes."""
    data = entry.data or {}

    def step(code):
        return Step(code).label if code in Step.values else code

    if entry.kind == TrailKind.EDITED:
        return getattr(entry, "edit_summary", None) or selectors.edit_summary(data)
    if entry.kind == TrailKind.STEP:
        text = f"{step(data.get('from'))} → {step(data.get('to'))}"
        return f"{text}: {data['note']}" if data.get("note") else text
    if entry.kind == TrailKind.VOTE:
        verdict = gettext("adopted") if data.get("passed") else gettext("not adopted")
        return gettext("for %(for)s / against %(against)s / abstain %(abstain)s · %(verdict)s") % {
            "for": data.get("for"),
            "against": data.get("against"),
            "abstain": data.get("abstain"),
            "verdict": verdict,
        }
    if entry.kind == TrailKind.AGENDA:
        if data.get("removed"):
            return gettext("taken off the agenda of meeting %(meeting)s") % {"meeting": data.get("meeting")}
        return gettext("meeting %(meeting)s, item %(position)s") % {
            "meeting": data.get("meeting"),
            "position": data.get("position"),
        }
    if entry.kind == TrailKind.ATTENDANCE:
        return gettext("%(present)d of %(size)s present") % {
            "present": len(data.get("present") or []),
            "size": data.get("council_size"),
        }
    if entry.kind == TrailKind.PROGRESS:
        return f"{data.get('percent')}%"
    if entry.kind in (TrailKind.TASK, TrailKind.RAISED) and data.get("title"):
        return data["title"]
    return ""


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


def _plain_selects(fields, *names):
    """No edit / add / view icons beside an inline row's choices: they widen the table, and
    the records they lead to are not changed from a row."""
    for name in names:
        widget = fields[name].widget
        for flag in ("can_add_related", "can_change_related", "can_view_related", "can_delete_related"):
            if hasattr(widget, flag):
                setattr(widget, flag, False)


def _supervisors(user, community=None):
    """Members of a supervisory committee (today) of the communities `user` runs."""
    seats = Membership.objects.current().filter(body__kind=BodyKind.SUPERVISORY_COMMITTEE)
    if community is not None:
        seats = seats.filter(body__community=community)
    if not user.is_superuser:
        seats = seats.filter(body__community__in=_staff_communities(user))
    return User.objects.filter(pk__in=seats.values("user_id")).order_by("display_name", "username")


def _masked_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else (phone or "")


def supervisor_label(user):
    phone = _masked_phone(user.phone)
    return f"{user} · {phone}" if phone else str(user)


class SupervisorSelect(AutocompleteSelect):
    """The admin's autocomplete, asking TaskAdmin's own view: supervisory-committee members
    of the community (or of the user's communities), found by name, username or phone."""

    def __init__(self, admin_site, community=None, attrs=None):
        super().__init__(Task._meta.get_field("supervisor"), admin_site, attrs=attrs)
        self.community = community

    def get_url(self):
        url = reverse("admin:deliberation_task_supervisors")
        return f"{url}?community={self.community}" if self.community else url


class SupervisorField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return supervisor_label(obj)


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


# Meetings
def _lead_help():
    return gettext(
        "Notices go out %(days)d days before the meeting. A meeting set sooner is noticed at once and "
        "marked short notice."
    ) % {"days": settings.NOTICE_LEAD_DAYS}


class MeetingForm(forms.ModelForm):
    recorded_late = forms.BooleanField(
        label=_("It already took place: record it afterwards"),
        required=False,
        help_text=_(
            "For a meeting the council held offline: enter its past date and time; it is shown as recorded late "
            "and no notice is sent."
        ),
    )
    all_present = forms.BooleanField(
        label=_("All council members present"),
        required=False,
        help_text=_("Records every council member as present; a row below set to absent or excused still counts."),
    )
    cancel_reason = forms.CharField(
        label=_("Cancel the meeting, for this reason"),
        required=False,
        max_length=300,
        help_text=_("Leave empty to keep the meeting. Residents see the reason."),
    )

    class Meta:
        model = Meeting
        fields = ["community", "starts_at", "location", "observer_seats", "minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "starts_at" in self.fields:
            self.fields["starts_at"].help_text = _lead_help()


class AgendaItemForm(forms.ModelForm):
    votes_for = forms.IntegerField(label=_("for"), required=False)
    votes_against = forms.IntegerField(label=_("against"), required=False)
    abstentions = forms.IntegerField(label=_("abstentions"), required=False)
    move_to = forms.ModelChoiceField(label=_("move to the meeting of"), queryset=Meeting.objects.none(), required=False)
    take_off = forms.BooleanField(label=_("take off the agenda"), required=False)

    class Meta:
        model = AgendaItem
        fields = ["topic", "position", "resolution"]
        widgets = {
            "resolution": forms.Textarea(attrs={"rows": 2, "cols": 28}),
            "position": forms.NumberInput(attrs={"class": "vSmallField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("votes_for", "votes_against", "abstentions"):
            self.fields[name].widget.attrs["class"] = "vSmallField"
        if self.instance.pk:
            self.fields["topic"].disabled = True
            self.fields["position"].disabled = True
            if getattr(self.instance, "vote", None) is not None:
                for name in self.fields:
                    self.fields[name].disabled = True
        else:
            self.fields["move_to"].disabled = True
            self.fields["take_off"].disabled = True


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    form = AgendaItemForm
    extra = 0
    can_delete = False
    verbose_name_plural = _("agenda and votes (enter the tally and resolution after the meeting starts)")
    fields = [
        "topic",
        "position",
        "topic_step",
        "votes_for",
        "votes_against",
        "abstentions",
        "resolution",
        "tally",
        "move_to",
        "take_off",
    ]
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
        return obj is not None and services._agenda_open(obj) and can(request.user, "meeting.manage", obj)

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.status != Meeting.Status.CANCELLED and can(request.user, "meeting.manage", obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            fields = formset.form.base_fields
            fields["topic"].queryset = (
                Topic.objects.filter(community=obj.community_id, step__in=[Step.REVIEW, Step.RESOLVE])
                | Topic.objects.filter(agenda_items__meeting=obj)
            ).distinct()
            fields["move_to"].queryset = (
                Meeting.objects.upcoming().filter(community=obj.community_id).exclude(pk=obj.pk)
            )
            _plain_selects(fields, "topic", "move_to")
        return formset


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    can_delete = False
    fields = ["member", "status", "recorded"]
    readonly_fields = ["recorded"]
    verbose_name_plural = _("council attendance")

    @admin.display(description=_("recorded at"))
    def recorded(self, row):
        # A row not yet saved has no time: never the page's load time.
        if not row.pk:
            return gettext("not recorded yet")
        return formats.date_format(timezone.localtime(row.recorded_at), "SHORT_DATETIME_FORMAT")

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        # From the meeting's start until its first vote (then attendance is fixed).
        return (
            obj is not None
            and obj.status != Meeting.Status.CANCELLED
            and obj.has_started
            and can(request.user, "meeting.manage", obj)
            and not self._voted(obj)
        )

    def has_view_permission(self, request, obj=None):
        # Before the meeting there is no attendance to show (obj None: the rows' queryset).
        if obj is not None and not obj.has_started:
            return False
        return super().has_view_permission(request, obj)

    def _voted(self, meeting):
        if not hasattr(meeting, "_voted"):
            meeting._voted = services._voted(meeting)
        return meeting._voted

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None or not self.has_change_permission(request, obj):
            return 0
        return len(self._unrecorded(obj))

    def _unrecorded(self, meeting):
        recorded = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
        members = selectors.council_members(meeting.community, on=timezone.localdate(meeting.starts_at))
        return [m.pk for m in members if m.pk not in recorded]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            members = selectors.council_members(obj.community, on=timezone.localdate(obj.starts_at))
            recorded = Attendance.objects.filter(meeting=obj).values("member_id")
            # Someone who has left the council since keeps the row they had.
            formset.form.base_fields["member"].queryset = (
                members.model.objects.filter(pk__in=members.values("pk"))
                | members.model.objects.filter(pk__in=recorded)
            ).distinct()
            _plain_selects(formset.form.base_fields, "member")
        return formset


@admin.register(Meeting)
class MeetingAdmin(ServiceAdmin):
    change_rule = "meeting.manage"
    form = MeetingForm
    list_display = ["starts_at", "community", "location", "status", "is_deliberation_day", "seats", "notice_at"]
    list_filter = ["status", "is_deliberation_day", "recorded_late", *TypologyStageFilters.for_path("community")]
    search_fields = ["location", "community__name", "community__code"]
    list_select_related = ["community"]
    date_hierarchy = "starts_at"
    # Attendance first: a vote saved with it is checked against the attendance being saved.
    inlines = [AttendanceInline, AgendaItemInline]

    class Media:
        css = {"all": ["deliberation/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_seats_left()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, AttendanceInline) and obj is not None and obj.pk:
            # One row ready for each council member whose attendance is not yet recorded.
            kwargs["initial"] = [{"member": pk} for pk in inline._unrecorded(obj)]
        return kwargs

    def get_changeform_initial_data(self, request):
        """A new meeting: the place and gallery seats of the council's rules, for the
        community given (?community=) or the only one the user runs."""
        initial = super().get_changeform_initial_data(request)
        community = initial.get("community")
        if community is None:
            mine = list(_staff_communities(request.user)[:2])
            community = mine[0] if len(mine) == 1 else None
        elif not isinstance(community, Community):
            community = (
                _staff_communities(request.user).filter(pk=community).first() if str(community).isdigit() else None
            )
        if community is not None:
            rules = selectors.council_rules_for(community)
            initial.setdefault("community", community.pk)
            initial.setdefault("location", services._default_location(community, rules))
            initial.setdefault("observer_seats", rules.default_observer_seats)
        return initial

    @admin.display(description=_("gallery seats taken"))
    def seats(self, meeting):
        return f"{meeting.seats_taken} / {meeting.observer_seats}"

    @admin.display(description=_("notice goes out"))
    def notice_at(self, meeting):
        if meeting.recorded_late:
            return gettext("recorded late: no notice")
        return timezone.localtime(meeting.notice_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("notice"))
    def notice_state(self, meeting):
        if meeting.recorded_late:
            return gettext("Recorded late: held offline and entered afterwards; no notice was sent.")
        state = notices.meeting_notice_state(meeting)
        if state is None:
            return gettext("No notice is due.")
        when = formats.date_format(timezone.localtime(state["due_at"]), "SHORT_DATETIME_FORMAT")
        short = gettext(" (short notice: less than %(days)d days ahead)") % {"days": settings.NOTICE_LEAD_DAYS}
        mark = short if state["short_notice"] else ""
        if state["status"] == "dispatched":
            return gettext("Sent %(when)s%(mark)s.") % {"when": when, "mark": mark}
        if state["due_at"] <= timezone.now():
            return gettext("Was due %(when)s%(mark)s; it goes out as soon as the notice worker runs.") % {
                "when": when,
                "mark": mark,
            }
        if not AgendaItem.objects.filter(meeting=meeting).exists():
            return gettext(
                "Due %(when)s%(mark)s. No topic is on the agenda yet: the notice will say so, and topics added "
                "after it went out are sent as a change notice."
            ) % {"when": when, "mark": mark}
        return gettext("Due %(when)s%(mark)s.") % {"when": when, "mark": mark}

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["community", "starts_at", "location", "observer_seats", "recorded_late"]
        fields = [
            "community",
            "starts_at",
            "location",
            "observer_seats",
            "status",
            "is_deliberation_day",
            "notice_state",
            "quorum",
        ]
        if obj.has_started and obj.status != Meeting.Status.CANCELLED and not services._voted(obj):
            fields.append("all_present")
        return [*fields, "minutes", "cancel_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["community", "status", "is_deliberation_day", "notice_state", "quorum"]
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

    def _warn_short_notice(self, request, meeting):
        if meeting.recorded_late or meeting.status != Meeting.Status.SCHEDULED:
            return
        if meeting.notice_at <= timezone.now():
            messages.warning(
                request,
                gettext(
                    "Short notice: the meeting starts %(when)s, less than %(days)d days from now. Its notice goes "
                    "out at once (once a topic is on the agenda), marked short notice."
                )
                % {
                    "when": formats.date_format(timezone.localtime(meeting.starts_at), "SHORT_DATETIME_FORMAT"),
                    "days": settings.NOTICE_LEAD_DAYS,
                },
            )

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
                    recorded_late=bool(data.get("recorded_late")),
                )
            )
            obj.pk = created.pk
            obj.starts_at, obj.recorded_late, obj.status = created.starts_at, created.recorded_late, created.status
            obj._state.adding = False
            self._warn_short_notice(request, obj)
            return
        if data.get("cancel_reason"):
            run_service(lambda: services.meeting_cancel(actor=request.user, meeting=obj, reason=data["cancel_reason"]))
            return
        moved = {f: data[f] for f in ("starts_at", "location", "observer_seats") if f in form.changed_data}
        if moved:
            run_service(lambda: services.meeting_move(actor=request.user, meeting=obj, **moved))
            if "starts_at" in moved:
                self._warn_short_notice(request, obj)
        if data.get("all_present"):
            members = selectors.council_members(obj.community, on=timezone.localdate(obj.starts_at))
            run_service(
                lambda: services.attendance_record(
                    actor=request.user, meeting=obj, entries={m.pk: Attendance.Status.PRESENT for m in members}
                )
            )
        if "minutes" in form.changed_data:
            run_service(
                lambda: services.meeting_minutes_record(actor=request.user, meeting=obj, minutes=data["minutes"])
            )

    def save_agendaitem_row(self, request, meeting, forms_):
        for form in forms_:
            data = form.cleaned_data
            item = form.instance
            if item.pk and data.get("take_off"):
                run_service(
                    lambda i=item: services.agenda_remove(actor=request.user, meeting=meeting, topic=i.topic), row=form
                )
                continue
            if item.pk and data.get("move_to"):
                run_service(
                    lambda i=item, d=data: services.agenda_move(
                        actor=request.user, meeting=meeting, topic=i.topic, to_meeting=d["move_to"]
                    ),
                    row=form,
                )
                continue
            if not item.pk:
                item = run_service(
                    lambda d=data: services.agenda_add(
                        actor=request.user, meeting=meeting, topic=d["topic"], position=d.get("position")
                    ),
                    row=form,
                )
            counts = [data.get("votes_for"), data.get("votes_against"), data.get("abstentions")]
            # A resolution typed without a tally is not dropped: the service asks for the counts.
            if any(c is not None for c in counts) or (form.instance.pk and "resolution" in form.changed_data):
                run_service(
                    lambda i=item, c=counts, d=data: services.vote_record(
                        actor=request.user,
                        agenda_item=i,
                        votes_for=c[0],
                        votes_against=c[1],
                        abstentions=c[2],
                        resolution=d.get("resolution") or "",
                    ),
                    row=form,
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
        run_action(
            self,
            request,
            queryset,
            lambda c: services.comment_moderate(actor=request.user, comment=c, keep=True),
            done=gettext("%(count)d comments kept."),
        )


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
        run_action(
            self,
            request,
            queryset.filter(status=CommentReport.Status.OPEN).select_related("comment"),
            lambda r: services.comment_moderate(
                actor=request.user,
                comment=r.comment,
                keep=False,
                reason=gettext("Hidden after residents' reports: %(reason)s") % {"reason": r.reason},
            ),
            done=gettext("%(count)d comments hidden."),
        )

    @admin.action(description=_("Dismiss: keep the reported comments shown"), permissions=["change"])
    def dismiss(self, request, queryset):
        run_action(
            self,
            request,
            queryset.filter(status=CommentReport.Status.OPEN).select_related("comment"),
            lambda r: services.comment_moderate(actor=request.user, comment=r.comment, keep=True),
            done=gettext("%(count)d comments kept."),
        )


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
class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["topic", "title", "description", "owner_body", "owner_user", "supervisor", "due_date"]

    def _get_validation_exclusions(self):
        # task_create checks one owner, and says so on the owner's field; the table's check
        # constraint is its last line, not a message for the form.
        return {*super()._get_validation_exclusions(), "owner_body", "owner_user"}


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
    autocomplete_fields = ["owner_user"]
    form = TaskForm
    inlines = [ProgressReportInline]

    class Media:
        css = {"all": ["deliberation/admin.css"]}

    def get_urls(self):
        return [
            path(
                "supervisors/",
                self.admin_site.admin_view(self.supervisors_view),
                name="deliberation_task_supervisors",
            ),
            *super().get_urls(),
        ]

    def supervisors_view(self, request):
        """The supervisor autocomplete's answers, in the shape the admin's select2 expects."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        community = request.GET.get("community") or None
        if community is not None and not str(community).isdigit():
            community = None
        people = _supervisors(request.user, community)
        term = request.GET.get("term", "").strip()
        if term:
            people = people.filter(
                Q(display_name__icontains=term) | Q(username__icontains=term) | Q(phone__contains=term)
            )
        try:
            page = max(int(request.GET.get("page", 1)), 1)
        except ValueError:
            page = 1
        size = 20
        found = list(people[(page - 1) * size : page * size + 1])
        return JsonResponse(
            {
                "results": [{"id": str(u.pk), "text": supervisor_label(u)} for u in found[:size]],
                "pagination": {"more": len(found) > size},
            }
        )

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
        if db_field.name == "supervisor":
            kwargs["queryset"] = _supervisors(request.user)
            kwargs["widget"] = SupervisorSelect(self.admin_site)
            kwargs["form_class"] = SupervisorField
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
                ),
                row=form,
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
        run_action(
            self,
            request,
            queryset,
            lambda r: services.observer_check_in(actor=request.user, registration=r),
            done=gettext("%(count)d observers checked in."),
        )


@admin.register(TrailEntry)
class TrailEntryAdmin(RecordAdmin):
    """The trail is shown, never edited: no add, change or delete for anyone, superusers included."""

    community_path = "topic__community"
    list_display = ["topic", "seq", "kind", "recorded_at", "actor", "details", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["hash", "topic__title"]
    list_select_related = ["topic", "actor"]
    ordering = ["topic", "seq"]
    readonly_fields = ["topic", "seq", "kind", "recorded_at", "actor", "details", "data", "prev_hash", "hash"]

    class Media:
        css = {"all": ["deliberation/admin.css"]}

    @admin.display(description=_("details"))
    def details(self, entry):
        return trail_details(entry) or "—"

    def get_actions(self, request):
        return {}

    @admin.display(description=_("hash"))
    def short_hash(self, entry):
        # Shortened on screen; the whole hash is in the title and in what a copy takes.
        return format_html('<code class="deliberation-hash" title="{}">{}</code>', entry.hash, entry.hash)


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
