"""Activities with their sign-ups, attendance and ratings."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from communities.admin import CommunityScopedAdmin, TypologyStageFilters
from communities.models import Body
from communities.permissions import roles_for
from core.admin import ServiceAdminMixin, run_action, run_service

from .. import services
from ..models import Activity, ActivityRating, Attendance, SignUp
from ._base import ReadOnlyAdmin


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
