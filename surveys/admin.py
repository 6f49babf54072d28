"""The staff's and evaluators' workspace for surveys, activities and evaluation rounds.

Lists are scoped to the person's area and every write goes through the services (core.admin:
a refusal shows on the same form, typed input kept), so the admin and the API cannot disagree.
Forms only parse input; the rules live in the services.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.admin import CommunityScopedAdmin, TypologyStageFilters
from communities.models import Body, Community, District, Street
from communities.permissions import can, community_scope_q, roles_for
from core.admin import ServiceAdminMixin, run_action, run_service
from core.errors import REFUSALS, refusal_messages

from . import services
from .models import (
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
from .permissions import area_communities, builds_survey, engagements_for


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
    """Keeps only the place the scope names (the service says when it is missing)."""

    def clean_scope_place(self, data):
        scope = data.get("scope")
        for name in ("community", "street", "district"):
            if name != scope:
                data[name] = None
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
        return self.clean_scope_place(super().clean())

    def _post_clean(self):
        # The services validate and save; the model's own checks would only repeat them.
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


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
        data["choices"] = [line.strip() for line in (data.get("choices_text") or "").splitlines() if line.strip()]
        if data.get("kind") != QuestionKind.NUMBER:
            data["min_value"] = data["max_value"] = None
        return data

    def _post_clean(self):
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


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


def _row_name(kind, form, position):
    """How a refused inline row is named on the form: "Question 2 (…)"."""
    label = (form.cleaned_data.get("text") or form.cleaned_data.get("name") or "").strip()[:30]
    return f"{kind} {position}" + (f" ({label})" if label else "")


@admin.register(Survey)
class SurveyAdmin(ServiceAdminMixin, admin.ModelAdmin):
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

    def get_inlines(self, request, obj):
        # A new survey is built with its questions in one save.
        return self.inlines

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in SurveyAdminForm.Meta.fields}
        if change:
            fields = {name: data[name] for name in form.changed_data if name in data}
            run_service(lambda: services.survey_update(actor=request.user, survey=obj, **fields))
            return
        place = data[data["scope"]] if data["scope"] and data["scope"] != Scope.CITY else None
        created = run_service(
            lambda: services.survey_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                scope=data["scope"],
                place=place,
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                anonymous=data["anonymous"],
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        run_service(lambda: services.survey_delete(actor=request.user, survey=obj))

    def save_formset(self, request, form, formset, change):
        survey = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for position, question_form in enumerate(formset.forms, start=1):
            instance = question_form.instance
            row = _row_name(_("Question"), question_form, position)
            if formset._should_delete_form(question_form):
                if instance.pk:
                    run_service(lambda i=instance: services.question_delete(actor=request.user, question=i), row=row)
                    formset.deleted_objects.append(instance)
                continue
            if not question_form.has_changed():
                continue
            data = question_form.cleaned_data
            fields = {name: data.get(name) for name in services.QUESTION_FIELDS}
            fields["help_text"] = fields["help_text"] or ""
            if instance.pk is None:
                question = run_service(
                    lambda d=data, f=fields: services.question_add(
                        actor=request.user, survey=survey, choices=d["choices"], **f
                    ),
                    row=row,
                )
                formset.new_objects.append(question)
            else:
                question = run_service(
                    lambda i=instance, d=data, f=fields: services.question_update(
                        actor=request.user, question=i, choices=d["choices"], **f
                    ),
                    row=row,
                )
                formset.changed_objects.append((question, question_form.changed_data))

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
                with transaction.atomic():
                    survey = services.survey_launch_ready_made(
                        actor=request.user,
                        kind=data["kind"],
                        scope=data["scope"],
                        place=data.get(data["scope"]) if data["scope"] != Scope.CITY else None,
                        opens_at=data["opens_at"],
                        closes_at=data["closes_at"],
                        anonymous=data["anonymous"],
                    )
            except REFUSALS as error:
                for field, reasons in refusal_messages(error).items():
                    form.add_error(field if field in form.fields else None, reasons)
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
        return self.clean_scope_place(super().clean())


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
class AnswerAdmin(ServiceAdminMixin, admin.ModelAdmin):
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
        run_action(
            self,
            request,
            queryset.filter(hidden_at__isnull=True),
            lambda a: services.answer_hide(actor=request.user, answer=a, reason=str(_("Abusive or offensive"))),
            done=_("%(count)d answers hidden."),
        )

    @admin.action(description=_("Show the selected answers again"), permissions=["change"])
    def unhide(self, request, queryset):
        run_action(
            self,
            request,
            queryset.filter(hidden_at__isnull=False),
            lambda a: services.answer_unhide(actor=request.user, answer=a),
            done=_("%(count)d answers shown again."),
        )


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

    def _post_clean(self):
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


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
class ActivityAdmin(ServiceAdminMixin, CommunityScopedAdmin):
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
            run_service(lambda: services.activity_update(actor=request.user, activity=obj, **fields))
            return
        created = run_service(
            lambda: services.activity_publish(
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
        )
        obj.pk = created.pk
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected activities"), permissions=["change"])
    def cancel(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda a: services.activity_cancel(actor=request.user, activity=a),
            done=_("%(count)d activities cancelled: %(rows)s."),
        )


class AttendanceAdminForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["activity", "user"]


@admin.register(Attendance)
class AttendanceAdmin(ServiceAdminMixin, CommunityScopedAdmin):
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
        run_service(lambda: services.attendance_record(actor=request.user, activity=obj.activity, users=[obj.user]))
        obj.pk = Attendance.objects.get(activity=obj.activity, user=obj.user).pk
        obj._state.adding = False


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

    def _post_clean(self):
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


@admin.register(Engagement)
class EngagementAdmin(ServiceAdminMixin, admin.ModelAdmin):
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
        created = run_service(
            lambda: services.engagement_create(
                actor=request.user,
                evaluator=data["evaluator"],
                scope=data["scope"],
                street=data.get("street"),
                district=data.get("district"),
                communities=data.get("communities") or (),
                organisation=data.get("organisation", ""),
            )
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
        run_action(
            self,
            request,
            queryset.filter(ended_at__isnull=True),
            lambda e: services.engagement_end(actor=request.user, engagement=e),
            done=_("%(count)d engagements ended."),
        )


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

    def _post_clean(self):
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class ScoreSheetForm(forms.Form):
    """Every community of a round's scope against every hand-scored indicator: a score and its
    evidence per cell. The form only parses numbers; score_set decides what is acceptable."""

    def __init__(self, *args, indicators, communities, scores, editable, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators, self.communities, self.editable = indicators, communities, editable
        self.cells = {}
        for community in communities:
            for indicator in indicators:
                score = scores.get((indicator.pk, community.pk))
                value_name, evidence_name = f"v-{indicator.pk}-{community.pk}", f"e-{indicator.pk}-{community.pk}"
                label = f"{community.name} · {indicator.name}"
                self.fields[value_name] = forms.DecimalField(
                    label=format_html("{}: {}", label, _("score")),
                    required=False,
                    max_digits=5,
                    decimal_places=2,
                    initial=score.value if score else None,
                    disabled=not editable,
                    widget=forms.NumberInput(attrs={"step": "0.01", "class": "score-value"}),
                )
                self.fields[evidence_name] = forms.CharField(
                    label=format_html("{}: {}", label, _("evidence")),
                    required=False,
                    initial=score.evidence if score else "",
                    disabled=not editable,
                    widget=forms.Textarea(attrs={"rows": 2, "class": "score-evidence"}),
                )
                self.cells[(indicator.pk, community.pk)] = (value_name, evidence_name, score)

    def rows(self):
        """[(community, [(indicator, value field, evidence field, score)])] for the template."""
        return [
            (
                community,
                [
                    (
                        indicator,
                        self[self.cells[(indicator.pk, community.pk)][0]],
                        self[self.cells[(indicator.pk, community.pk)][1]],
                        self.cells[(indicator.pk, community.pk)][2],
                    )
                    for indicator in self.indicators
                ],
            )
            for community in self.communities
        ]

    def changed_cells(self):
        changed = set(self.changed_data)
        for (indicator_pk, community_pk), (value_name, evidence_name, _score) in self.cells.items():
            if value_name in changed or evidence_name in changed:
                yield indicator_pk, community_pk, value_name, evidence_name


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(ServiceAdminMixin, admin.ModelAdmin):
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

    @admin.display(description=_("scores"))
    def links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:surveys_evaluationround_scores", args=[obj.pk]),
            _("score sheet"),
            obj.get_absolute_url(),
            _("ranking"),
        )

    @admin.display(description=_("score sheet"))
    def score_sheet(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        manual = [i for i in obj.indicators.all() if not i.is_computed]
        needed = len(manual) * obj.engagement.evaluated_communities().count()
        given = Score.objects.filter(indicator__in=manual, value__isnull=False).count()
        return format_html(
            '<a class="button" href="{}">{}</a> <span class="help">{}</span>',
            reverse("admin:surveys_evaluationround_scores", args=[obj.pk]),
            _("Open the score sheet"),
            _("%(given)d of %(needed)d hand scores given.") % {"given": given, "needed": needed},
        )

    def get_inlines(self, request, obj):
        # A new round is defined with its indicators in one save.
        return self.inlines

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_published or not can(request.user, "round.manage", obj):
            return ["engagement", "title", "period_start", "period_end", "status", "score_sheet"]
        return ["engagement", "score_sheet"]

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
            run_service(lambda: services.round_update(actor=request.user, evaluation_round=obj, **fields))
            return
        created = run_service(
            lambda: services.round_create(
                actor=request.user,
                engagement=data["engagement"],
                title=data["title"],
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        evaluation_round = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for position, indicator_form in enumerate(formset.forms, start=1):
            instance = indicator_form.instance
            row = _row_name(_("Indicator"), indicator_form, position)
            if formset._should_delete_form(indicator_form):
                if instance.pk:
                    run_service(lambda i=instance: services.indicator_delete(actor=request.user, indicator=i), row=row)
                    formset.deleted_objects.append(instance)
                continue
            if not indicator_form.has_changed():
                continue
            data = indicator_form.cleaned_data
            if instance.pk is None:
                indicator = run_service(
                    lambda d=data: services.indicator_add(
                        actor=request.user,
                        evaluation_round=evaluation_round,
                        name=d["name"],
                        source=d["source"],
                        weight=d["weight"],
                        position=d.get("position") or None,
                    ),
                    row=row,
                )
                formset.new_objects.append(indicator)
            else:
                indicator = run_service(
                    lambda i=instance, d=data: services.indicator_update(
                        actor=request.user,
                        indicator=i,
                        name=d["name"],
                        source=d["source"],
                        weight=d["weight"],
                        position=d.get("position") or i.position,
                    ),
                    row=row,
                )
                formset.changed_objects.append((indicator, indicator_form.changed_data))

    @admin.action(description=_("Compute the indicators from the portal's records"))
    def compute(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda r: services.round_compute(actor=request.user, evaluation_round=r),
            done=_("%(count)d rounds computed: %(rows)s."),
        )

    @admin.action(description=_("Publish the selected rounds"))
    def publish(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda r: services.round_publish(actor=request.user, evaluation_round=r),
            done=_("%(count)d rounds published: %(rows)s."),
        )

    # The score sheet: every community in scope x every hand-scored indicator, on one page.
    def get_urls(self):
        return [
            path(
                "<path:object_id>/scores/",
                self.admin_site.admin_view(self.scores_view),
                name="surveys_evaluationround_scores",
            ),
            *super().get_urls(),
        ]

    def scores_view(self, request, object_id):
        from .selectors import rounds_for

        evaluation_round = get_object_or_404(rounds_for(request.user), pk=object_id if object_id.isdigit() else None)
        manages = can(request.user, "round.manage", evaluation_round)
        editable = manages and not evaluation_round.is_published
        indicators = list(evaluation_round.indicators.all())
        manual = [indicator for indicator in indicators if not indicator.is_computed]
        communities = evaluation_round.engagement.evaluated_communities().order_by("street__name", "name")
        if not manages:
            # Staff and officials read a published round's scores of their own communities (as on the site).
            communities = communities.filter(community_scope_q(request.user))
        communities = list(communities)
        if not communities and not manages:
            raise PermissionDenied
        scores = {
            (score.indicator_id, score.community_id): score
            for score in Score.objects.filter(indicator__in=manual).select_related("scored_by")
        }
        form = ScoreSheetForm(
            request.POST if request.method == "POST" and editable else None,
            indicators=manual,
            communities=communities,
            scores=scores,
            editable=editable,
        )
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            if form.is_valid() and self._save_sheet(request, evaluation_round, form):
                return redirect("admin:surveys_evaluationround_scores", evaluation_round.pk)
        given = sum(1 for score in scores.values() if score.value is not None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Score sheet: %(round)s") % {"round": evaluation_round.title},
            "opts": self.model._meta,
            "original": evaluation_round,
            "evaluation_round": evaluation_round,
            "form": form,
            "rows": form.rows(),
            "manual": manual,
            "computed": [indicator for indicator in indicators if indicator.is_computed],
            "editable": editable,
            "given": given,
            "needed": len(manual) * len(communities),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/surveys/evaluationround/scores.html", context)

    def _save_sheet(self, request, evaluation_round, form):
        """Save every changed cell through score_set, all or nothing; then compute or publish
        when asked. A refusal lands on its cell (or on the form) and nothing is saved."""
        indicators = {indicator.pk: indicator for indicator in form.indicators}
        communities = {community.pk: community for community in form.communities}
        saved = 0
        with transaction.atomic():
            for indicator_pk, community_pk, value_name, evidence_name in form.changed_cells():
                value, evidence = form.cleaned_data[value_name], form.cleaned_data[evidence_name]
                if value is None and not evidence.strip():
                    continue
                try:
                    with transaction.atomic():
                        services.score_set(
                            actor=request.user,
                            indicator=indicators[indicator_pk],
                            community=communities[community_pk],
                            value=value if value is not None else "",
                            evidence=evidence,
                        )
                except REFUSALS as error:
                    for field, reasons in refusal_messages(error).items():
                        form.add_error(evidence_name if field == "evidence" else value_name, reasons)
                else:
                    saved += 1
            if form.errors:
                transaction.set_rollback(True)
                return False
            if saved:
                self.message_user(request, _("%(count)d scores saved.") % {"count": saved}, messages.SUCCESS)
            for step, call, done in (
                ("_compute", services.round_compute, _("The computed indicators are up to date.")),
                ("_publish", services.round_publish, _("“%(round)s” is published.") % {"round": evaluation_round}),
            ):
                if step not in request.POST:
                    continue
                try:
                    with transaction.atomic():
                        call(actor=request.user, evaluation_round=evaluation_round)
                except REFUSALS as error:
                    for reasons in refusal_messages(error).values():
                        form.add_error(None, reasons)
                    # The scores typed are kept (saved); what stopped the step is shown on the sheet.
                    return False
                self.message_user(request, done, messages.SUCCESS)
        if not saved and not {"_compute", "_publish"} & set(request.POST):
            self.message_user(request, _("Nothing was changed."), messages.INFO)
        return True


class ScoreAdminForm(forms.ModelForm):
    class Meta:
        model = Score
        fields = ["indicator", "community", "value", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A read-only page (computed, published, or someone else's round) has no value field.
        if "value" in self.fields:
            self.fields["value"].required = True
        if "indicator" in self.fields:
            self.fields["indicator"].label_from_instance = lambda i: f"{i.round.title} · {i.name}"

    def _post_clean(self):
        # score_set checks the indicator, the community, the range and the evidence.
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


def _scored_communities(user):
    """The communities of the rounds a person scores (the engaged evaluator's scope)."""
    if user.is_superuser:
        return Community.objects.all()
    q = Q(pk__in=[])
    for engagement in engagements_for(user):
        q |= engagement.community_q()
    return Community.objects.filter(q)


@admin.register(Score)
class ScoreAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Scores given by hand, with their evidence; computed ones are shown read-only. The score
    sheet of a round (its change page links to it) scores every community at once."""

    form = ScoreAdminForm
    list_display = ["community", "indicator", "round_title", "value", "scored_by", "scored_at"]
    list_filter = ["indicator__source", "indicator__round"]
    search_fields = ["community__name", "indicator__name", "evidence"]
    list_select_related = ["community", "indicator__round", "scored_by"]

    def get_queryset(self, request):
        from .selectors import rounds_for

        scores = super().get_queryset(request).filter(indicator__round__in=rounds_for(request.user))
        if request.user.is_superuser:
            return scores
        # The evaluator sees their rounds whole; staff and officials their own communities' scores.
        return scores.filter(
            Q(indicator__round__engagement__evaluator=request.user) | community_scope_q(request.user, "community__")
        )

    @admin.display(description=_("evaluation round"), ordering="indicator__round__title")
    def round_title(self, obj):
        return obj.indicator.round.title

    def get_readonly_fields(self, request, obj=None):
        # A score belongs to its indicator and community: change its value and evidence only.
        return ["indicator", "community", "scored_by", "scored_at"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "indicator":
            indicators = RoundIndicator.objects.filter(
                source="manual", round__status=EvaluationRound.Status.DRAFT
            ).select_related("round")
            if not request.user.is_superuser:
                indicators = indicators.filter(round__engagement__evaluator=request.user)
            kwargs["queryset"] = indicators
        if db_field.name == "community":
            kwargs["queryset"] = (
                _scored_communities(request.user).select_related("street").order_by("street__name", "name")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or bool(engagements_for(request.user))
        )

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
        score = run_service(
            lambda: services.score_set(
                actor=request.user,
                indicator=indicator,
                community=community,
                value=data.get("value"),
                evidence=data.get("evidence", ""),
            )
        )
        obj.pk = score.pk
        obj._state.adding = False
