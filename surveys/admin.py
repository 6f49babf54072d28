"""The staff's and evaluators' workspace for surveys, activities and evaluation rounds.

Lists are scoped to the person's area; forms check the rules before anything is saved and
every write goes through the services, so the admin and the API cannot disagree.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.admin import CommunityScopedAdmin, TypologyStageFilters, report_service_errors
from communities.errors import Conflict
from communities.models import Body, Community, District, Street
from communities.permissions import can, roles_for

from . import services
from .models import (
    CHOICE_KINDS,
    Activity,
    ActivityRating,
    Answer,
    Attendance,
    Engagement,
    EvaluationRound,
    Participation,
    Question,
    QuestionKind,
    ReadyMade,
    Response,
    RoundIndicator,
    Scope,
    Score,
    SignUp,
    Survey,
)
from .permissions import area_communities, builds_survey, engagements_for, is_engaged_evaluator


def _builder_places(user):
    """The communities, streets and districts a person may build surveys for."""
    roles = roles_for(user)
    if roles.superuser:
        return Community.objects.all(), Street.objects.all(), District.objects.all()
    q_community = Q(pk__in=sorted(roles.staff_of))
    q_street, q_district = Q(pk__in=[]), Q(pk__in=[])
    for engagement in engagements_for(user):
        q_community |= engagement.community_q()
        if engagement.scope == Engagement.Scope.STREET:
            q_street |= Q(pk=engagement.street_id)
        elif engagement.scope == Engagement.Scope.DISTRICT:
            q_street |= Q(district_id=engagement.district_id)
            q_district |= Q(pk=engagement.district_id)
    return (
        Community.objects.filter(q_community),
        Street.objects.filter(q_street),
        District.objects.filter(q_district),
    )


def _visible_surveys(user):
    if roles_for(user).superuser:
        return Survey.objects.all()
    return Survey.objects.touching(area_communities(user))


# Surveys ---------------------------------------------------------------------------------


class ScopeFormMixin:
    """Checks that the scope names exactly its one place, before any service is called."""

    def clean_scope_place(self, data):
        scope = data.get("scope")
        for name in ("community", "street", "district"):
            if name != scope:
                data[name] = None
            elif not data.get(name):
                self.add_error(name, _("Choose the place this scope names."))
        return data


class SurveyAdminForm(ScopeFormMixin, forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title",
            "description",
            "scope",
            "community",
            "street",
            "district",
            "opens_at",
            "closes_at",
            "anonymous",
        ]

    def clean(self):
        data = self.clean_scope_place(super().clean())
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The survey must close after it opens."))
        if self.errors:
            return data
        candidate = Survey(**{name: data.get(name) for name in self.Meta.fields if name in data})
        if not builds_survey(self.request.user, candidate):
            raise ValidationError(_("You may build surveys only for your own area."))
        if self.instance.pk and self.instance.responses.exists():
            locked = set(self.changed_data) - services.FIELDS_AFTER_ANSWERS
            if locked:
                raise ValidationError(
                    _(
                        "Residents have answered this survey: its scope, opening time and anonymity can no longer change."
                    )
                )
        return data


class QuestionAdminForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 30}),
        help_text=_("One per line, for single- and multiple-choice questions."),
    )

    class Meta:
        model = Question
        fields = ["position", "text", "kind", "required", "help_text", "choices_text", "min_value", "max_value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices.values_list("label", flat=True))

    def clean(self):
        data = super().clean()
        labels = [line.strip() for line in (data.get("choices_text") or "").splitlines() if line.strip()]
        kind = data.get("kind")
        if kind in CHOICE_KINDS and len(labels) < 2:
            self.add_error("choices_text", _("A choice question needs at least two choices."))
        elif kind and kind not in CHOICE_KINDS and labels:
            self.add_error("choices_text", _("Only single- and multiple-choice questions have choices."))
        if kind != QuestionKind.NUMBER:
            data["min_value"] = data["max_value"] = None
        data["choices"] = labels
        return data


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionAdminForm
    extra = 1
    ordering = ["position", "pk"]

    def _editable(self, request, obj):
        return obj is None or (builds_survey(request.user, obj) and not obj.responses.exists())

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(request, obj)

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if self._editable(request, obj) else 0


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    form = SurveyAdminForm
    list_display = [
        "title",
        "scope",
        "place",
        "opens_at",
        "closes_at",
        "state",
        "anonymous",
        "ready_made",
        "respondents",
        "links",
    ]
    list_filter = ["scope", "ready_made", "anonymous"]
    search_fields = ["title", "description"]
    list_select_related = ["community", "street", "district"]
    date_hierarchy = "opens_at"
    inlines = [QuestionInline]
    change_list_template = "admin/surveys/survey/change_list.html"

    def get_queryset(self, request):
        return _visible_surveys(request.user).annotate(respondent_count=Count("responses"))

    @admin.display(description=_("place"))
    def place(self, obj):
        return obj.place_label

    @admin.display(description=_("state"))
    def state(self, obj):
        return obj.get_state_display()

    @admin.display(description=_("respondents"), ordering="respondent_count")
    def respondents(self, obj):
        return obj.respondent_count

    @admin.display(description=_("on the site"))
    def links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            obj.get_absolute_url(),
            _("survey"),
            reverse("survey-results", args=[obj.pk]),
            _("results"),
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        communities, streets, districts = _builder_places(request.user)
        querysets = {"community": communities, "street": streets, "district": districts}
        if db_field.name in querysets:
            kwargs["queryset"] = querysets[db_field.name]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "scope" and not request.user.is_superuser:
            kwargs["choices"] = [c for c in Scope.choices if c[0] != Scope.CITY]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and builds_survey(request.user, None)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed if obj is None or not allowed else builds_survey(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return builds_survey(request.user, obj) and not obj.responses.exists()

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in SurveyAdminForm.Meta.fields}
        if change:
            fields = {name: data[name] for name in form.changed_data if name in data}
            services.survey_update(actor=request.user, survey=obj, **fields)
            return
        place = data[data["scope"]] if data["scope"] != Scope.CITY else None
        created = services.survey_create(
            actor=request.user,
            title=data["title"],
            description=data["description"],
            scope=data["scope"],
            place=place,
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            anonymous=data["anonymous"],
        )
        obj.pk = created.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.survey_delete(actor=request.user, survey=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Question:
            return super().save_formset(request, form, formset, change)
        survey = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for question_form in formset.forms:
            instance = question_form.instance
            if formset._should_delete_form(question_form):
                if instance.pk:
                    services.question_delete(actor=request.user, question=instance)
                    formset.deleted_objects.append(instance)
                continue
            if not question_form.has_changed():
                continue
            data = question_form.cleaned_data
            fields = {name: data.get(name) for name in services.QUESTION_FIELDS}
            fields["help_text"] = fields["help_text"] or ""
            if instance.pk is None:
                question = services.question_add(actor=request.user, survey=survey, choices=data["choices"], **fields)
                formset.new_objects.append(question)
            else:
                question = services.question_update(
                    actor=request.user, question=instance, choices=data["choices"], **fields
                )
                formset.changed_objects.append((question, question_form.changed_data))

    def delete_queryset(self, request, queryset):
        for survey in queryset:
            report_service_errors(request, lambda s=survey: services.survey_delete(actor=request.user, survey=s))

    # Launching a ready-made survey is one action: a form, then every question is in place.
    def get_urls(self):
        return [
            path("launch/", self.admin_site.admin_view(self.launch_view), name="surveys_survey_launch"),
            *super().get_urls(),
        ]

    def launch_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        communities, streets, districts = _builder_places(request.user)
        form = LaunchForm(
            request.POST or None, communities=communities, streets=streets, districts=districts, user=request.user
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                survey = services.survey_launch_ready_made(
                    actor=request.user,
                    kind=data["kind"],
                    scope=data["scope"],
                    place=data.get(data["scope"]) if data["scope"] != Scope.CITY else None,
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    anonymous=data["anonymous"],
                )
            except (PermissionDenied, ValidationError) as error:
                form.add_error(None, error.messages if hasattr(error, "messages") else str(error))
            else:
                self.message_user(
                    request,
                    _("“%(title)s” is launched for %(place)s.") % {"title": survey.title, "place": survey.place_label},
                    messages.SUCCESS,
                )
                return redirect("admin:surveys_survey_change", survey.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Launch a ready-made survey"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/surveys/survey/launch.html", context)


class LaunchForm(ScopeFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Ready-made survey"), choices=ReadyMade.choices)
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices)
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none(), required=False)
    street = forms.ModelChoiceField(label=_("Street or town"), queryset=Street.objects.none(), required=False)
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none(), required=False)
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False, initial=True)

    def __init__(self, *args, communities, streets, districts, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities.order_by("code")
        self.fields["street"].queryset = streets
        self.fields["district"].queryset = districts
        if not user.is_superuser:
            self.fields["scope"].choices = [c for c in Scope.choices if c[0] != Scope.CITY]
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["opens_at"].initial = now
        self.fields["closes_at"].initial = now + timezone.timedelta(days=30)

    def clean(self):
        data = self.clean_scope_place(super().clean())
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("The survey must close after it opens."))
        return data


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["question", "choice", "value", "text", "hidden_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ["survey", "respondent_shown", "community", "age_band", "submitted_on"]
    list_filter = ["age_band", "survey__scope", *TypologyStageFilters.for_path("community")]
    search_fields = ["survey__title", "community__name"]
    list_select_related = ["survey", "community", "respondent"]
    inlines = [AnswerInline]

    def get_queryset(self, request):
        responses = super().get_queryset(request)
        if request.user.is_superuser:
            return responses
        return responses.filter(community__in=area_communities(request.user))

    @admin.display(description=_("respondent"))
    def respondent_shown(self, obj):
        return obj.respondent or _("anonymous")


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    """Free-text answers, for staff to hide abusive ones from residents."""

    list_display = ["excerpt", "question", "community", "hidden_at", "hidden_reason"]
    list_filter = [("hidden_at", admin.EmptyFieldListFilter), "question__survey"]
    search_fields = ["text"]
    list_select_related = ["question__survey", "response__community"]
    actions = ["hide", "unhide"]
    fields = ["question", "text", "hidden_at", "hidden_by", "hidden_reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        answers = super().get_queryset(request).filter(question__kind=QuestionKind.TEXT)
        if request.user.is_superuser:
            return answers
        return answers.filter(response__community__in=area_communities(request.user))

    @admin.display(description=pgettext_lazy("survey", "answer"))
    def excerpt(self, obj):
        return obj.text[:80]

    @admin.display(description=_("community"))
    def community(self, obj):
        return obj.response.community

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Hide the selected answers as abusive"), permissions=["change"])
    def hide(self, request, queryset):
        done = sum(
            report_service_errors(
                request,
                lambda a=answer: services.answer_hide(
                    actor=request.user, answer=a, reason=str(_("Abusive or offensive"))
                ),
            )
            for answer in queryset.filter(hidden_at__isnull=True)
        )
        self.message_user(request, _("%(count)d answers hidden.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Show the selected answers again"), permissions=["change"])
    def unhide(self, request, queryset):
        done = sum(
            report_service_errors(request, lambda a=answer: services.answer_unhide(actor=request.user, answer=a))
            for answer in queryset.filter(hidden_at__isnull=False)
        )
        self.message_user(request, _("%(count)d answers shown again.") % {"count": done}, messages.SUCCESS)


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ["survey", "user", "community", "answered_at"]
    list_filter = ["survey__scope", *TypologyStageFilters.for_path("community")]
    search_fields = ["survey__title", "user__display_name", "user__username"]
    list_select_related = ["survey", "user", "community"]
    date_hierarchy = "answered_at"

    def get_queryset(self, request):
        participations = super().get_queryset(request)
        if request.user.is_superuser:
            return participations
        return participations.filter(community__in=area_communities(request.user))


# Activities ------------------------------------------------------------------------------


class ActivityAdminForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "community",
            "theme",
            "category",
            "description",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "organiser",
        ]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The activity must end after it starts."))
        community = data.get("community") or getattr(self.instance, "community", None)
        organiser = data.get("organiser")
        if organiser is not None and community is not None and organiser.community_id != community.pk:
            self.add_error("organiser", _("The organiser must be a body or social organisation of this community."))
        if self.instance.pk and "capacity" in self.changed_data and data.get("capacity"):
            taken = self.instance.signups.filter(cancelled_at__isnull=True).count()
            if data["capacity"] < taken:
                self.add_error(
                    "capacity",
                    _("%(taken)d residents have signed up: there must be at least as many places.") % {"taken": taken},
                )
        return data


class SignUpInline(admin.TabularInline):
    model = SignUp
    fields = ["user", "signed_up_at", "cancelled_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fk_name = "activity"
    fields = ["user", "method", "checked_in_at", "recorded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(CommunityScopedAdmin):
    form = ActivityAdminForm
    change_rule = "activity.manage"
    list_display = ["theme", "community", "category", "starts_at", "capacity", "taken", "attended", "cancelled_at"]
    list_filter = [
        "category",
        ("cancelled_at", admin.EmptyFieldListFilter),
        *TypologyStageFilters.for_path("community"),
    ]
    search_fields = ["theme", "place", "community__name"]
    list_select_related = ["community", "organiser"]
    date_hierarchy = "starts_at"
    readonly_fields = ["check_in_code", "cancelled_at"]
    inlines = [SignUpInline, AttendanceInline]
    actions = ["cancel"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                taken_count=Count("signups", filter=Q(signups__cancelled_at__isnull=True), distinct=True),
                attended_count=Count("attendances", distinct=True),
            )
        )

    @admin.display(description=_("places taken"), ordering="taken_count")
    def taken(self, obj):
        return obj.taken_count

    @admin.display(description=_("attended"), ordering="attended_count")
    def attended(self, obj):
        return obj.attended_count

    def get_readonly_fields(self, request, obj=None):
        return ["community", *self.readonly_fields] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organiser" and not request.user.is_superuser:
            kwargs["queryset"] = Body.objects.filter(community__in=sorted(roles_for(request.user).staff_of))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or bool(roles_for(request.user).staff_of)
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in services.ACTIVITY_FIELDS}
            services.activity_update(actor=request.user, activity=obj, **fields)
            return
        created = services.activity_publish(
            actor=request.user,
            community=data["community"],
            theme=data["theme"],
            category=data["category"],
            description=data.get("description", ""),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            place=data["place"],
            capacity=data["capacity"],
            organiser=data.get("organiser"),
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        # The inlines are read-only lists: sign-ups and attendance come from residents and the check-in list.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected activities"), permissions=["change"])
    def cancel(self, request, queryset):
        done = sum(
            report_service_errors(request, lambda a=activity: services.activity_cancel(actor=request.user, activity=a))
            for activity in queryset.filter(cancelled_at__isnull=True)
        )
        self.message_user(request, _("%(count)d activities cancelled.") % {"count": done}, messages.SUCCESS)


class AttendanceAdminForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["activity", "user"]


@admin.register(Attendance)
class AttendanceAdmin(CommunityScopedAdmin):
    """Attendance recorded after the fact: staff add who came; residents check in with the code."""

    form = AttendanceAdminForm
    community_path = "activity__community"
    change_rule = "activity.manage"
    list_display = ["user", "activity", "method", "checked_in_at", "recorded_by"]
    list_filter = ["method", *TypologyStageFilters.for_path("activity__community")]
    search_fields = ["user__display_name", "user__username", "activity__theme"]
    list_select_related = ["user", "activity", "recorded_by"]
    autocomplete_fields = ["user"]
    date_hierarchy = "checked_in_at"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "activity" and not request.user.is_superuser:
            kwargs["queryset"] = Activity.objects.filter(community__in=sorted(roles_for(request.user).staff_of))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        def record():
            services.attendance_record(actor=request.user, activity=obj.activity, users=[obj.user])
            obj.pk = Attendance.objects.get(activity=obj.activity, user=obj.user).pk

        report_service_errors(request, record)


@admin.register(SignUp)
class SignUpAdmin(CommunityScopedAdmin, ReadOnlyAdmin):
    community_path = "activity__community"
    list_display = ["user", "activity", "signed_up_at", "cancelled_at"]
    list_filter = [("cancelled_at", admin.EmptyFieldListFilter), *TypologyStageFilters.for_path("activity__community")]
    search_fields = ["user__display_name", "user__username", "activity__theme"]
    list_select_related = ["user", "activity"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ActivityRating)
class ActivityRatingAdmin(CommunityScopedAdmin, ReadOnlyAdmin):
    community_path = "activity__community"
    list_display = ["activity", "user", "score", "comment", "created_at"]
    list_filter = ["score", *TypologyStageFilters.for_path("activity__community")]
    search_fields = ["activity__theme", "comment"]
    list_select_related = ["activity", "user"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Third-party evaluation ------------------------------------------------------------------


class EngagementAdminForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["evaluator", "organisation", "scope", "street", "district", "communities"]

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == Engagement.Scope.STREET and not data.get("street"):
            self.add_error("street", _("Choose the street or town."))
        if scope == Engagement.Scope.DISTRICT and not data.get("district"):
            self.add_error("district", _("Choose the district."))
        if scope == Engagement.Scope.COMMUNITIES and not data.get("communities"):
            self.add_error("communities", _("Choose at least one community."))
        evaluator = data.get("evaluator")
        if evaluator is not None and not roles_for(evaluator).evaluator:
            self.add_error("evaluator", _("This person is not a registered third-party evaluator."))
        return data


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    form = EngagementAdminForm
    list_display = ["evaluator", "organisation", "scope", "area_label", "engaged_at", "ended_at"]
    list_filter = ["scope", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["evaluator__display_name", "evaluator__username", "organisation"]
    list_select_related = ["evaluator", "street", "district"]
    autocomplete_fields = ["evaluator", "communities"]
    actions = ["end"]

    def get_queryset(self, request):
        engagements = super().get_queryset(request)
        roles = roles_for(request.user)
        if roles.superuser:
            return engagements
        q = Q(evaluator=request.user)
        if roles.is_official:
            area = area_communities(request.user)
            q |= (
                Q(street__in=area.values("street_id"))
                | Q(district__in=area.values("street__district_id"))
                | Q(communities__in=area)
            )
        return engagements.filter(q).distinct()

    def has_add_permission(self, request):
        return can(request.user, "engagement.create")

    def has_change_permission(self, request, obj=None):
        return can(request.user, "engagement.create") and obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.engagement_create(
            actor=request.user,
            evaluator=data["evaluator"],
            scope=data["scope"],
            street=data.get("street"),
            district=data.get("district"),
            communities=data.get("communities") or (),
            organisation=data.get("organisation", ""),
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The service has set the communities already.
        pass

    @admin.action(description=_("End the selected engagements"))
    def end(self, request, queryset):
        if not can(request.user, "engagement.create"):
            raise PermissionDenied
        done = sum(
            report_service_errors(
                request, lambda e=engagement: services.engagement_end(actor=request.user, engagement=e)
            )
            for engagement in queryset.filter(ended_at__isnull=True)
        )
        self.message_user(request, _("%(count)d engagements ended.") % {"count": done}, messages.SUCCESS)


class IndicatorInline(admin.TabularInline):
    model = RoundIndicator
    fields = ["position", "name", "source", "weight"]
    extra = 1

    def _editable(self, request, obj):
        return obj is None or (not obj.is_published and can(request.user, "round.manage", obj))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(request, obj)


class RoundAdminForm(forms.ModelForm):
    class Meta:
        model = EvaluationRound
        fields = ["engagement", "title", "period_start", "period_end"]

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("The period must end after it starts."))
        engagement = data.get("engagement")
        if engagement is not None and not (
            self.request.user.is_superuser or is_engaged_evaluator(self.request.user, engagement)
        ):
            self.add_error("engagement", _("Only the engaged evaluator defines this engagement's rounds."))
        return data


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(admin.ModelAdmin):
    form = RoundAdminForm
    list_display = [
        "title",
        "engagement",
        "period_start",
        "period_end",
        "status",
        "computed_at",
        "published_at",
        "links",
    ]
    list_filter = ["status"]
    search_fields = ["title", "engagement__organisation"]
    list_select_related = ["engagement__evaluator", "engagement__street", "engagement__district"]
    inlines = [IndicatorInline]
    actions = ["compute", "publish"]

    def get_queryset(self, request):
        from .selectors import rounds_for

        return rounds_for(request.user)

    @admin.display(description=_("on the site"))
    def links(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("ranking"))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and (obj.is_published or not can(request.user, "round.manage", obj)):
            return ["engagement", "title", "period_start", "period_end", "status"]
        return ["engagement"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "engagement" and not request.user.is_superuser:
            kwargs["queryset"] = Engagement.objects.filter(evaluator=request.user, ended_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or bool(engagements_for(request.user))
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed if obj is None or not allowed else can(request.user, "round.manage", obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in services.ROUND_FIELDS}
            services.round_update(actor=request.user, evaluation_round=obj, **fields)
            return
        created = services.round_create(
            actor=request.user,
            engagement=data["engagement"],
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        evaluation_round = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for indicator_form in formset.forms:
            instance = indicator_form.instance
            if formset._should_delete_form(indicator_form):
                if instance.pk:
                    services.indicator_delete(actor=request.user, indicator=instance)
                    formset.deleted_objects.append(instance)
                continue
            if not indicator_form.has_changed():
                continue
            data = indicator_form.cleaned_data
            if instance.pk is None:
                indicator = services.indicator_add(
                    actor=request.user,
                    evaluation_round=evaluation_round,
                    name=data["name"],
                    source=data["source"],
                    weight=data["weight"],
                    position=data.get("position") or None,
                )
                formset.new_objects.append(indicator)
            else:
                indicator = services.indicator_update(
                    actor=request.user,
                    indicator=instance,
                    name=data["name"],
                    source=data["source"],
                    weight=data["weight"],
                    position=data.get("position") or instance.position,
                )
                formset.changed_objects.append((indicator, indicator_form.changed_data))

    @admin.action(description=_("Compute the indicators from the portal's records"))
    def compute(self, request, queryset):
        for evaluation_round in queryset:
            if report_service_errors(
                request, lambda r=evaluation_round: services.round_compute(actor=request.user, evaluation_round=r)
            ):
                self.message_user(request, _("“%(round)s” computed.") % {"round": evaluation_round}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected rounds"))
    def publish(self, request, queryset):
        for evaluation_round in queryset:
            try:
                services.round_publish(actor=request.user, evaluation_round=evaluation_round)
            except (PermissionDenied, ValidationError) as error:
                messages.error(request, str(error))
            except Conflict as conflict:
                messages.error(request, " ".join([conflict.message, *conflict.blockers]))
            else:
                self.message_user(request, _("“%(round)s” published.") % {"round": evaluation_round}, messages.SUCCESS)


class ScoreAdminForm(forms.ModelForm):
    class Meta:
        model = Score
        fields = ["indicator", "community", "value", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].required = True

    def clean(self):
        data = super().clean()
        indicator = data.get("indicator")
        if indicator is not None and indicator.is_computed:
            self.add_error("indicator", _("This indicator is computed from the portal's records, not scored by hand."))
        if not (data.get("evidence") or "").strip():
            self.add_error("evidence", _("A score given by hand needs a note of its evidence."))
        return data


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    """Scores given by hand, with their evidence; computed ones are shown read-only."""

    form = ScoreAdminForm
    list_display = ["community", "indicator", "round_title", "value", "scored_by", "scored_at"]
    list_filter = ["indicator__source", "indicator__round"]
    search_fields = ["community__name", "indicator__name", "evidence"]
    list_select_related = ["community", "indicator__round", "scored_by"]
    autocomplete_fields = ["community"]

    def get_queryset(self, request):
        from .selectors import rounds_for

        return super().get_queryset(request).filter(indicator__round__in=rounds_for(request.user))

    @admin.display(description=_("evaluation round"), ordering="indicator__round__title")
    def round_title(self, obj):
        return obj.indicator.round.title

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "indicator":
            indicators = RoundIndicator.objects.filter(
                source="manual", round__status=EvaluationRound.Status.DRAFT
            ).select_related("round")
            if not request.user.is_superuser:
                indicators = indicators.filter(round__engagement__evaluator=request.user)
            kwargs["queryset"] = indicators
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return (
            not obj.indicator.is_computed
            and not obj.indicator.round.is_published
            and can(request.user, "round.manage", obj.indicator.round)
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        indicator = data.get("indicator") or obj.indicator
        community = data.get("community") or obj.community
        score = services.score_set(
            actor=request.user, indicator=indicator, community=community, value=data["value"], evidence=data["evidence"]
        )
        obj.pk = score.pk
        obj._state.adding = False
