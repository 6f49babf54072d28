"""The clerk's print kit in the admin: a meeting's materials, and the record of a notice or
poster put up on a bulletin board.

Each save runs its service (deliberation.materials, deliberation.postings) through core.admin,
so a refusal shows the form again with the reason on its field and what was typed kept.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communities.admin import CommunityScopedAdmin
from communities.models import Community
from communities.permissions import community_scope_q, roles_for
from core.admin import ServiceAdminMixin, run_action, run_service

from ..models import Meeting, MeetingMaterial, Posting, Topic
from ..services import materials, postings
from ..workflow import STEP_NUMBER, STEPS, Step


def _managed_communities(user):
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(pk__in=sorted(roles_for(user).staff_of))


def print_links(obj):
    """Links to the PDF a posting is about, for the clerk who prints it."""
    if isinstance(obj, Meeting):
        return format_html(
            '<a href="{}">{}</a>', reverse("meeting-notice-pdf", args=[obj.pk]), _("Print the notice (PDF)")
        )
    return format_html('<a href="{}">{}</a>', reverse("topic-poster-pdf", args=[obj.pk]), _("Print the poster (PDF)"))


class MeetingMaterialForm(forms.ModelForm):
    class Meta:
        model = MeetingMaterial
        fields = ["meeting", "title", "file"]

    def _get_validation_exclusions(self):
        # material_add reads the file's bytes under the upload policy and says what is wrong.
        return {*super()._get_validation_exclusions(), "file"}


@admin.register(MeetingMaterial)
class MeetingMaterialAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    community_path = "meeting__community"
    change_rule = "meeting.manage"
    form = MeetingMaterialForm
    list_display = ["title", "meeting", "file_name", "file_size", "added_at"]
    list_select_related = ["meeting__community"]
    search_fields = ["title", "file_name"]
    actions = ["remove_materials"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["meeting", "title", "file"]
        return ["meeting", "title", "file_link", "file_type", "file_size", "file_sha256", "added_by", "added_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["meeting", "title", "file_link", "file_type", "file_size", "file_sha256", "added_by", "added_at"]

    @admin.display(description=_("file"))
    def file_link(self, material):
        return format_html('<a href="{}">{}</a>', material.get_absolute_url(), material.file_name)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "meeting":
            kwargs["queryset"] = (
                Meeting.objects.filter(
                    community__in=_managed_communities(request.user), status=Meeting.Status.SCHEDULED
                )
                .select_related("community")
                .order_by("-starts_at")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # A paper once attached is a record: it is removed (an action) and attached anew.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = run_service(
            lambda: materials.material_add(
                actor=request.user, meeting=data["meeting"], title=data.get("title", ""), file=data.get("file")
            )
        )
        obj.pk = saved.pk

    @admin.action(description=_("Remove the selected materials"), permissions=["view"])
    def remove_materials(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda material: materials.material_remove(actor=request.user, material=material),
            done=_("Removed"),
        )


class PostingForm(forms.ModelForm):
    class Meta:
        model = Posting
        fields = ["document", "meeting", "topic", "place", "posted_at", "photo"]
        widgets = {"document": forms.RadioSelect}

    def _get_validation_exclusions(self):
        # posting_record checks the pair (meeting or topic), the time and the photo, by field.
        return {*super()._get_validation_exclusions(), "photo", "meeting", "topic"}

    def clean(self):
        cleaned = super().clean()
        document = cleaned.get("document")
        if document == Posting.Document.MEETING_NOTICE and not cleaned.get("meeting"):
            self.add_error("meeting", _("Choose the meeting whose notice was posted."))
        if document == Posting.Document.TOPIC_POSTER and not cleaned.get("topic"):
            self.add_error("topic", _("Choose the topic whose poster was posted."))
        return cleaned


@admin.register(Posting)
class PostingAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    change_rule = "topic.manage"
    form = PostingForm
    list_display = ["document", "about", "place", "posted_at", "recorded_by"]
    list_filter = ["document"]
    list_select_related = ["meeting__community", "topic__community", "recorded_by"]
    search_fields = ["place", "topic__title"]
    date_hierarchy = "posted_at"

    def get_queryset(self, request):
        # A posting belongs to its meeting's or its topic's community: either may be in scope.
        scope = Q(meeting__in=Meeting.objects.filter(community_scope_q(request.user, "community__"))) | Q(
            topic__in=Topic.objects.filter(community_scope_q(request.user, "community__"))
        )
        return admin.ModelAdmin.get_queryset(self, request).filter(scope)

    def community_for(self, posting):
        return posting.community

    @admin.display(description=_("about"))
    def about(self, posting):
        return posting.meeting or posting.topic

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["document", "meeting", "topic", "place", "posted_at", "photo"]
        return [
            "document",
            "about",
            "print_link",
            "place",
            "posted_at",
            "photo_link",
            "photo_sha256",
            "recorded_by",
            "recorded_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return self.get_fields(request, obj)

    @admin.display(description=_("print"))
    def print_link(self, posting):
        return print_links(posting.meeting or posting.topic)

    @admin.display(description=_("photo"))
    def photo_link(self, posting):
        if not posting.photo:
            return "—"
        return format_html('<a href="{}">{}</a>', posting.photo_url(), posting.photo_name)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        communities = _managed_communities(request.user)
        if db_field.name == "meeting":
            kwargs["queryset"] = (
                Meeting.objects.filter(community__in=communities, status=Meeting.Status.SCHEDULED)
                .select_related("community")
                .order_by("-starts_at")
            )
            kwargs["required"] = False
        if db_field.name == "topic":
            published = [step for step in STEPS if STEP_NUMBER[step] >= STEP_NUMBER[Step.PUBLICIZE]]
            kwargs["queryset"] = (
                Topic.objects.filter(community__in=communities, step__in=published, publicity_ends_at__isnull=False)
                .select_related("community")
                .order_by("-publicity_ends_at")
            )
            kwargs["required"] = False
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # A posting is on the trail: recorded once, never changed.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        poster = data.get("document") == Posting.Document.TOPIC_POSTER
        saved = run_service(
            lambda: postings.posting_record(
                actor=request.user,
                meeting=None if poster else data.get("meeting"),
                topic=data.get("topic") if poster else None,
                place=data.get("place", ""),
                posted_at=data.get("posted_at"),
                photo=data.get("photo"),
            )
        )
        obj.pk = saved.pk
