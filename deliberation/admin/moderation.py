"""Consultation and moderation: comments, their reports, objections."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.admin import TypologyStageFilters
from core.admin import run_action, run_service

from .. import services
from ..models import Comment, CommentReport, Objection
from ._base import ServiceAdmin


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
        from django.db.models import Count

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
