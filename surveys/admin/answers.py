"""Responses, answers (and hiding them) and participation: records only read here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.admin import TypologyStageFilters
from core.admin import ServiceAdminMixin, run_action

from .. import services
from ..models import Answer, Participation, QuestionKind, Response
from ..permissions import area_communities
from ._base import ReadOnlyAdmin


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
