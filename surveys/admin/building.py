"""Surveys and their questions, and launching a ready-made survey."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communities.models import Community, District, Street
from communities.permissions import can
from core.admin import ServiceAdminMixin, run_service
from core.errors import REFUSALS, refusal_messages

from .. import services
from ..models import Question, QuestionKind, ReadyMade, Scope, Survey
from ..permissions import builds_survey
from ._base import ScopeFormMixin, _builder_places, _row_name, _visible_surveys


class SurveyAdminForm(ScopeFormMixin, forms.ModelForm):
    class Meta:
        model = Survey
        fields = list(services.SURVEY_FIELDS)  # what survey_create and survey_update take

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
        return super().has_add_permission(request) and can(request.user, "survey.build")

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
