"""Implementation: tasks and their progress reports."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.urls import path

from communities.admin import TypologyStageFilters
from communities.models import Body
from communities.permissions import can
from core.admin import run_service

from .. import services
from ..models import ProgressReport, Task, Topic
from ..workflow import TASK_STEPS, Step
from ._base import ServiceAdmin, SupervisorField, SupervisorSelect, _staff_communities, _supervisors, supervisor_label


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
