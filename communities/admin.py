"""The admin is the staff workspace: every list is scoped to the user's communities and every
write goes through the services, so the admin and the API can never disagree about a rule."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.admin import ServiceAdminMixin, run_action, run_service
from core.phones import PhoneField, looks_like_phone, normalise_phone

from . import services
from .models import (
    Body,
    Community,
    CommunityUserObjectPermission,
    District,
    DistrictUserObjectPermission,
    Membership,
    Residency,
    Street,
    StreetUserObjectPermission,
    User,
    phone_validator,
)
from .permissions import (
    MANAGE_COMMUNITY,
    OVERSEE_DISTRICT,
    OVERSEE_STREET,
    can,
    community_scope_q,
    contact_visible_q,
    roles_for,
)


class CommunityScopedAdmin(admin.ModelAdmin):
    """Staff see their communities, officials those under their street or district.

    `community_path` is the lookup from the model to its Community ("" for Community itself);
    `change_rule` is the predicate (permissions.RULES) an object must pass to be changed.
    """

    community_path = "community"
    change_rule = "community.change"

    def scope_q(self, request):
        prefix = f"{self.community_path}__" if self.community_path else ""
        return community_scope_q(request.user, prefix)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(self.scope_q(request))

    def community_for(self, obj):
        if not self.community_path:
            return obj
        for part in self.community_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return can(request.user, self.change_rule, self.community_for(obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return can(request.user, self.change_rule, self.community_for(obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # New rows may only be attached to a community the user runs.
        if db_field.related_model is Community and not request.user.is_superuser:
            kwargs["queryset"] = Community.objects.filter(pk__in=sorted(roles_for(request.user).staff_of))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TypologyStageFilters:
    """The filters every community-bound list offers."""

    @staticmethod
    def for_path(path):
        prefix = f"{path}__" if path else ""
        return [
            f"{prefix}typology",
            f"{prefix}stage",
            (f"{prefix}street__district", admin.RelatedOnlyFieldListFilter),
            (f"{prefix}street", admin.RelatedOnlyFieldListFilter),
        ]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "ring", "kind"]
    list_filter = ["ring", "kind"]
    search_fields = ["name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "district"]
    list_filter = ["kind", "district__ring", "district"]
    search_fields = ["name", "district__name"]
    list_select_related = ["district"]


@admin.register(Community)
class CommunityAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    community_path = ""
    list_display = ["name", "code", "typology", "stage", "street", "district_name", "households", "population"]
    list_filter = TypologyStageFilters.for_path("")
    search_fields = ["name", "code", "address", "street__name", "street__district__name"]
    list_select_related = ["street__district"]
    ordering = ["code"]

    @admin.display(description=_("district"), ordering="street__district__name")
    def district_name(self, obj):
        return obj.street.district.name

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        # Staff keep their community's facts up to date; its identity is the city's to set.
        return ["street", "code", "typology", "stage"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if not change:
            run_service(lambda: services.community_create(actor=request.user, instance=obj))
            return
        run_service(lambda: services.community_update(actor=request.user, community=obj, **fields))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "post", "term_start", "term_end"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Body)
class BodyAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    list_display = ["name", "kind", "community"]
    list_filter = ["kind", *TypologyStageFilters.for_path("community")]
    search_fields = ["name", "community__name", "community__code"]
    list_select_related = ["community"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        return ["community", "kind"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            run_service(lambda: services.body_rename(actor=request.user, body=obj, name=form.cleaned_data["name"]))
            return
        created = run_service(
            lambda: services.body_create(actor=request.user, community=obj.community, kind=obj.kind, name=obj.name)
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    community_path = "body__community"
    list_display = ["user", "post", "body", "community_name", "term_start", "term_end", "birth_year", "education"]
    list_filter = ["post", "body__kind", *TypologyStageFilters.for_path("body__community")]
    search_fields = ["user__display_name", "user__username", "user__phone", "body__name"]
    list_select_related = ["user", "body__community"]
    autocomplete_fields = ["user"]
    date_hierarchy = "term_start"

    @admin.display(description=_("community"), ordering="body__community__name")
    def community_name(self, obj):
        return obj.body.community.name

    @admin.display(description=_("birth year"), ordering="user__birth_year")
    def birth_year(self, obj):
        return obj.user.birth_year

    @admin.display(description=_("education"), ordering="user__education")
    def education(self, obj):
        return obj.user.get_education_display()

    def get_readonly_fields(self, request, obj=None):
        return ["body", "user", "post", "term_start"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "body" and not request.user.is_superuser:
            kwargs["queryset"] = Body.objects.filter(community__in=sorted(roles_for(request.user).staff_of))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            run_service(lambda: services.membership_end(actor=request.user, membership=obj, on=obj.term_end))
            return
        created = run_service(
            lambda: services.membership_add(
                actor=request.user,
                body=obj.body,
                user=obj.user,
                post=obj.post,
                term_start=obj.term_start,
                term_end=obj.term_end,
            )
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(Residency)
class ResidencyAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    list_display = ["user", "user_phone", "community", "status", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status", "end_reason", *TypologyStageFilters.for_path("community")]
    search_fields = ["user__display_name", "user__username", "user__phone", "community__name", "community__code"]
    list_select_related = ["user", "community", "decided_by"]
    date_hierarchy = "requested_at"
    actions = ["verify", "decline"]
    change_rule = "residency.verify"

    def get_list_display(self, request):
        # Phone numbers are for the staff who verify residents, not for officials.
        roles = roles_for(request.user)
        if roles.superuser or roles.staff_of:
            return self.list_display
        return [name for name in self.list_display if name != "user_phone"]

    @admin.display(description=_("phone number"), ordering="user__phone")
    def user_phone(self, obj):
        # History rows keep the name and the dates, not the person's live contact data.
        if obj.status not in Residency.ACTIVE or obj.user.deleted_at is not None:
            return "–"
        return obj.user.phone

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Residency._meta.fields]

    def has_add_permission(self, request):
        # People ask to join from the site or the app; staff only decide.
        return False

    @admin.action(description=_("Verify the selected requests"), permissions=["change"])
    def verify(self, request, queryset):
        run_action(
            self,
            request,
            queryset.select_related("user", "community"),
            lambda r: services.residency_verify(actor=request.user, residency=r),
            done=_("%(count)d residents verified: %(rows)s."),
        )

    @admin.action(description=_("Decline the selected requests"), permissions=["change"])
    def decline(self, request, queryset):
        run_action(
            self,
            request,
            queryset.select_related("user", "community"),
            lambda r: services.residency_reject(actor=request.user, residency=r),
            done=_("%(count)d requests declined: %(rows)s."),
        )


class UserChangeForm(DjangoUserChangeForm):
    """Django's form, with the phone number read as on every other path (core.phones)."""

    phone = PhoneField(label=_("phone number"), required=False, validators=[phone_validator])


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (
            _("Civic profile"),
            {
                "fields": [
                    "display_name",
                    "phone",
                    "preferred_language",
                    "sms_opt_out",
                    "email_opt_in",
                    "birth_year",
                    "education",
                ]
            },
        ),
    ]
    list_display = ["username", "display_name", "phone", "email", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "education", "residencies__status"]
    search_fields = ["username", "display_name", "phone", "email"]
    # What staff and officials see of a person: contact and personal data only of the
    # pending and verified residents of the communities they run (contact_visible_q).
    CONTACT_FIELDS = ["phone", "email", "birth_year", "education"]

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        # Staff and officials see the people who live, or asked to live, in their area;
        # never a deleted account.
        scoped = Residency.objects.filter(community_scope_q(request.user, "community__"))
        visible = User.objects.filter(contact_visible_q(request.user)).values("pk")
        return users.filter(pk__in=scoped.values("user_id"), deleted_at__isnull=True).annotate(
            contact_visible=Exists(visible.filter(pk=OuterRef("pk")))
        )

    def _contact_visible(self, request, obj):
        if request.user.is_superuser:
            return obj.deleted_at is None
        if hasattr(obj, "contact_visible"):
            return obj.contact_visible
        return User.objects.filter(contact_visible_q(request.user), pk=obj.pk).exists()

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return ["shown_name", "contact_phone", "is_active"]

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return ["residencies__status"]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser or obj is None:
            return super().get_fieldsets(request, obj)
        fieldsets = [(None, {"fields": ["display_name", "preferred_language", "date_joined"]})]
        if self._contact_visible(request, obj):
            fieldsets.append((_("Contact and personal data"), {"fields": ["phone", "email", *self.CONTACT_FIELDS[2:]]}))
        return fieldsets

    def get_search_results(self, request, queryset, search_term):
        if looks_like_phone(search_term):
            # "139 0000 0001" finds the number stored as 13900000001, as logging in with it does.
            search_term = normalise_phone(search_term)
        if request.user.is_superuser or not search_term:
            return super().get_search_results(request, queryset, search_term)
        # A former resident is not found by their phone or e-mail: only by name, while the
        # contact data of current residents may be searched as before.
        term = search_term.strip()
        matches = Q(display_name__icontains=term) | (
            Q(contact_visible=True) & (Q(phone__contains=term) | Q(email__iexact=term) | Q(username__iexact=term))
        )
        return queryset.filter(matches), False

    @admin.display(description=_("display name"), ordering="display_name")
    def shown_name(self, obj):
        return obj.name if obj.display_name or obj.contact_visible else _("(no display name)")

    @admin.display(description=_("phone number"))
    def contact_phone(self, obj):
        return obj.phone if obj.contact_visible and obj.phone else "–"

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        # Staff reach users through the autocomplete when recording a post.
        return request.user.is_superuser or request.user.is_staff


class RoleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Superusers grant and revoke roles here; the services keep admin access in step."""

    list_display = ["user", "permission", "content_object"]
    list_select_related = ["user", "permission", "content_object"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username", "user__display_name"]
    codenames = ()

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "permission":
            from django.contrib.auth.models import Permission

            kwargs["queryset"] = Permission.objects.filter(
                content_type__app_label="communities", codename__in=self.codenames
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    actions = ["revoke_selected"]

    def save_model(self, request, obj, form, change):
        run_service(lambda: self.grant(request.user, obj.user, obj.content_object))
        # The grant wrote the row (guardian's assign_perm); the admin's log and redirect need its key.
        saved = (
            type(obj)
            .objects.filter(user=obj.user, permission=obj.permission, content_object=obj.content_object)
            .order_by("-pk")
            .first()
        )
        if saved is not None:
            obj.pk = saved.pk
            obj._state.adding = False

    def delete_model(self, request, obj):
        run_service(lambda: self.revoke(request.user, obj.user, obj.content_object))

    @admin.action(description=_("Revoke the selected roles"), permissions=["delete"])
    def revoke_selected(self, request, queryset):
        run_action(
            self,
            request,
            queryset.select_related("user", "permission", "content_object"),
            lambda row: self.revoke(request.user, row.user, row.content_object),
            done=_("%(count)d roles revoked: %(rows)s."),
        )


@admin.register(CommunityUserObjectPermission)
class CommunityRoleAdmin(RoleAdmin):
    codenames = (MANAGE_COMMUNITY,)
    list_filter = ["permission"]
    autocomplete_fields = ["user", "content_object"]

    def grant(self, actor, user, community):
        services.staff_grant(actor=actor, user=user, community=community)

    def revoke(self, actor, user, community):
        services.staff_revoke(actor=actor, user=user, community=community)


@admin.register(StreetUserObjectPermission)
class StreetRoleAdmin(RoleAdmin):
    codenames = (OVERSEE_STREET,)

    def grant(self, actor, user, street):
        services.official_grant(actor=actor, user=user, street=street)

    def revoke(self, actor, user, street):
        services.official_revoke(actor=actor, user=user, street=street)


@admin.register(DistrictUserObjectPermission)
class DistrictRoleAdmin(RoleAdmin):
    codenames = (OVERSEE_DISTRICT,)

    def grant(self, actor, user, district):
        services.official_grant(actor=actor, user=user, district=district)

    def revoke(self, actor, user, district):
        services.official_revoke(actor=actor, user=user, district=district)
