"""Meetings with their agenda, attendance and votes."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.admin import TypologyStageFilters
from communities.models import Community
from communities.permissions import can
from core.admin import run_service

from .. import notices, selectors, services
from ..models import AgendaItem, Attendance, Meeting, MeetingMaterial, Topic
from ..services.meetings import _agenda_open, _default_location, _voted
from ..workflow import Step
from ._base import ServiceAdmin, _plain_selects, _staff_communities


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
        fields = ["community", "starts_at", "location", "online_link", "observer_seats", "minutes"]

    def _get_validation_exclusions(self):
        # meeting_online_link_set says what is wrong with a link (http(s) only), on its field.
        return {*super()._get_validation_exclusions(), "online_link"}

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
        return obj is not None and _agenda_open(obj) and can(request.user, "meeting.manage", obj)

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
            meeting._voted = _voted(meeting)
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


class MeetingMaterialForm(forms.ModelForm):
    class Meta:
        model = MeetingMaterial
        fields = ["title", "file"]

    def _get_validation_exclusions(self):
        # material_add reads the file under the upload policy and says what is wrong, on its field.
        return {*super()._get_validation_exclusions(), "file"}


class MeetingMaterialInline(admin.TabularInline):
    """Agenda papers: attached here through material_add; removed from Meeting materials."""

    model = MeetingMaterial
    form = MeetingMaterialForm
    extra = 0
    can_delete = False
    fields = ["title", "file"]

    def get_readonly_fields(self, request, obj=None):
        return ["title", "file"] if obj is None else []

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.status == Meeting.Status.SCHEDULED and can(request.user, "meeting.manage", obj)

    def has_change_permission(self, request, obj=None):
        # A paper attached is a record; rows already saved are shown, not edited.
        return False

    def has_view_permission(self, request, obj=None):
        return True


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
    inlines = [AttendanceInline, AgendaItemInline, MeetingMaterialInline]
    # An online link typed without its scheme is read as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

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
            initial.setdefault("location", _default_location(community, rules))
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

    @admin.display(description=_("print kit"))
    def print_kit(self, meeting):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}?document=meeting_notice&amp;meeting={}">{}</a>',
            reverse("meeting-notice-pdf", args=[meeting.pk]),
            gettext("Print the notice (PDF)"),
            reverse("meeting-ics", args=[meeting.pk]),
            gettext("Calendar file (.ics)"),
            reverse("admin:deliberation_posting_add"),
            meeting.pk,
            gettext("Record that the notice was posted"),
        )

    @staticmethod
    def _as_stored(obj):
        """The meeting as saved: a form validating a typed date writes it onto `obj`, and the
        page shown again after a refusal must lay out the fields it was built with."""
        if obj is None or obj.pk is None:
            return obj
        return Meeting.objects.filter(pk=obj.pk).first() or obj

    def get_fields(self, request, obj=None):
        obj = self._as_stored(obj)
        if obj is None:
            return ["community", "starts_at", "location", "online_link", "observer_seats", "recorded_late"]
        fields = [
            "community",
            "starts_at",
            "location",
            "online_link",
            "print_kit",
            "observer_seats",
            "status",
            "is_deliberation_day",
            "notice_state",
            "quorum",
        ]
        if obj.has_started and obj.status != Meeting.Status.CANCELLED and not _voted(obj):
            fields.append("all_present")
        return [*fields, "minutes", "cancel_reason"]

    def get_readonly_fields(self, request, obj=None):
        obj = self._as_stored(obj)
        if obj is None:
            return []
        readonly = ["community", "status", "is_deliberation_day", "notice_state", "quorum", "print_kit"]
        if obj.status != Meeting.Status.SCHEDULED or obj.has_started:
            readonly += ["starts_at", "location", "observer_seats", "cancel_reason"]
        if obj.status == Meeting.Status.CANCELLED:
            readonly += ["online_link"]
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
            if data.get("online_link"):
                run_service(
                    lambda: services.meeting_online_link_set(
                        actor=request.user, meeting=created, online_link=data["online_link"]
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
        if "online_link" in form.changed_data:
            run_service(
                lambda: services.meeting_online_link_set(
                    actor=request.user, meeting=obj, online_link=data.get("online_link") or ""
                )
            )
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

    def save_meetingmaterial_row(self, request, meeting, forms_):
        for form in forms_:
            if form.instance.pk:
                continue
            run_service(
                lambda f=form: services.material_add(
                    actor=request.user,
                    meeting=meeting,
                    title=f.cleaned_data.get("title", ""),
                    file=f.cleaned_data.get("file"),
                ),
                row=form,
            )
