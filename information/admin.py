"""The staff workspace for information sharing: announcements, duties and contacts, services.

Lists are scoped to the areas a person serves, and every write goes through the services,
so the admin and the API cannot disagree about a rule.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from communities.admin import CommunityScopedAdmin
from communities.models import Body, Community, District, Street
from communities.permissions import can, roles_for
from core.admin import ServiceAdminMixin, run_service

from . import selectors, services, text, uploads
from .models import SERVICE_PROVIDER_KINDS, Announcement, Attachment, BodyProfile, Service


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def publishable_areas(user):
    """Querysets of the communities, streets and districts a person may publish to."""
    roles = roles_for(user)
    if roles.superuser:
        return Community.objects.all(), Street.objects.all(), District.objects.all()
    streets = Street.objects.filter(pk__in=sorted(roles.official_streets)) | Street.objects.filter(
        district_id__in=sorted(roles.official_districts)
    )
    communities = (
        Community.objects.filter(pk__in=sorted(roles.staff_of))
        | Community.objects.filter(street_id__in=sorted(roles.official_streets))
        | Community.objects.filter(street__district_id__in=sorted(roles.official_districts))
    )
    return communities, streets, District.objects.filter(pk__in=sorted(roles.official_districts))


class AnnouncementForm(forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Add attachments"),
        required=False,
        help_text=_(
            "PDF, Word or Excel documents (.docx, .xlsx) and photos (JPEG, PNG, WebP); at most %(count)d files."
        )
        % {"count": uploads.MAX_ATTACHMENTS},
    )
    remove_attachments = forms.ModelMultipleChoiceField(
        label=_("Remove attachments"),
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Announcement
        fields = [
            "community",
            "street",
            "district",
            "title",
            "category",
            "body_format",
            "body",
            "pinned",
            "publish_at",
            "expires_at",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["remove_attachments"].queryset = self.instance.attachments.all()
            self.fields["remove_attachments"].label_from_instance = lambda a: f"{a.name} ({filesizeformat(a.size)})"
        else:
            del self.fields["remove_attachments"]
        # The date and the time box of each moment get their own accessible names.
        for name in ("publish_at", "expires_at"):
            widget = self.fields[name].widget
            if hasattr(widget, "widgets"):
                label = self.fields[name].label
                widget.widgets[0].attrs["aria-label"] = _("%(field)s: date") % {"field": label}
                widget.widgets[1].attrs["aria-label"] = _("%(field)s: time") % {"field": label}
        self._audience_fields()

    AUDIENCE = ("community", "street", "district")

    def _audience_fields(self):
        """Only the audiences this person may publish to; the obvious one chosen already."""
        present = [name for name in self.AUDIENCE if name in self.fields]
        if not present:
            return
        for name in present:
            # Places are the city's to edit: no pencil or plus beside the audience.
            widget = self.fields[name].widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
        labels = [str(self.fields[name].label) for name in present]
        help_text = (
            _("Choose one of: %(audiences)s.") % {"audiences": " / ".join(labels)}
            if len(present) > 1
            else _("The announcement reaches the verified residents of the community chosen here.")
        )
        for name in present:
            self.fields[name].help_text = help_text
        if self.is_bound or self.instance.pk:
            return
        # Preselect: the one community a clerk runs; an official's district, else their one street.
        roles = roles_for(self.user) if self.user is not None else None
        for name in reversed(present):
            if roles is not None and roles.superuser:
                break
            choices = list(self.fields[name].queryset.values_list("pk", flat=True)[:2])
            if len(choices) == 1:
                self.initial[name] = choices[0]
                break

    def clean(self):
        data = super().clean()
        if not self.instance.pk:
            present = [name for name in self.AUDIENCE if name in self.fields]
            chosen = [name for name in present if data.get(name)]
            labels = " / ".join(str(self.fields[name].label) for name in present)
            if not present:
                raise ValidationError(_("You serve no community, street or district: there is no one to address."))
            if not chosen and not any(name in self.errors for name in present):
                self.add_error(
                    present[0] if len(present) == 1 else None,
                    _("Choose who the announcement is for (%(audiences)s).") % {"audiences": labels},
                )
            elif len(chosen) > 1:
                message = _("Choose only one audience: the announcement goes to one %(audiences)s.") % {
                    "audiences": labels
                }
                for name in chosen:
                    self.add_error(name, message)
        publish_at = data.get("publish_at") or timezone.now()
        expires_at = data.get("expires_at")
        if expires_at is not None and expires_at <= publish_at:
            self.add_error(
                "expires_at",
                _(
                    "An announcement must expire after it is published: choose an expiry time after the publishing time."
                ),
            )
        files = data.get("attachments") or []
        kept = self.instance.attachments.count() - len(data.get("remove_attachments") or []) if self.instance.pk else 0
        if kept + len(files) > uploads.MAX_ATTACHMENTS:
            self.add_error(
                "attachments",
                _("An announcement may have at most %(max)d attachments.") % {"max": uploads.MAX_ATTACHMENTS},
            )
        for upload in files:
            try:
                uploads.inspect(upload)
            except ValidationError as error:
                for message in error.message_dict.get("attachments", error.messages):
                    self.add_error("attachments", message)
        return data

    def _post_clean(self):
        # The services validate and save; the model's own checks would only repeat the form's.
        forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class AnnouncementStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("published", _("Published")), ("scheduled", _("Scheduled")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "published":
            return queryset.published(now)
        if self.value() == "scheduled":
            return queryset.scheduled(now)
        if self.value() == "expired":
            return queryset.expired(now)
        return queryset


class MarkdownPreviewWidget(forms.Textarea):
    """The body's textarea; a static script (CSP: no inline scripts) adds a Preview button that
    renders the text through the public page's own Markdown and nh3 path on the server."""

    class Media:
        js = ["js/announcement-preview.js"]
        css = {"all": ["css/admin-announcement.css"]}


@admin.register(Announcement)
class AnnouncementAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = AnnouncementForm
    list_display = ["title", "category", "area_name", "publish_at", "expires_at", "pinned", "state_label", "reads"]
    list_filter = [AnnouncementStateFilter, "category", "pinned"]
    search_fields = ["title", "body"]
    date_hierarchy = "publish_at"
    list_select_related = ["community", "street", "district"]
    readonly_fields = ["current_attachments", "author", "created_at", "updated_by", "updated_at", "reads_detail"]

    def get_queryset(self, request):
        return selectors.announcements_managed_by(request.user).annotate(read_total=Count("reads"))

    def audiences(self, request):
        """The audience fields worth showing: an empty select is a question no one can answer."""
        if not hasattr(request, "_announcement_audiences"):
            areas = zip(AnnouncementForm.AUDIENCE, publishable_areas(request.user), strict=True)
            request._announcement_audiences = [name for name, places in areas if places.exists()]
        return request._announcement_audiences

    def get_fieldsets(self, request, obj=None):
        area = self.audiences(request) if obj is None else []
        attachments = ["attachments"] if obj is None else ["current_attachments", "attachments", "remove_attachments"]
        fieldsets = [
            (None, {"fields": [*area, "title", "category", "body_format", "body"]}),
            (_("Publishing"), {"fields": ["pinned", "publish_at", "expires_at"]}),
            (_("Attachments"), {"fields": attachments}),
        ]
        if obj is not None:
            fieldsets.append(
                (_("Record"), {"fields": ["author", "created_at", "updated_by", "updated_at", "reads_detail"]})
            )
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        user = request.user
        preview_url = reverse("admin:information_announcement_preview")

        class Form(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=user, **inner)
                body = self.fields.get("body")
                if body is not None:
                    body.widget = MarkdownPreviewWidget(
                        attrs={
                            **body.widget.attrs,
                            "data-preview-url": preview_url,
                            "data-preview-label": str(_("Preview")),
                            "data-preview-title": str(_("Preview, as residents will see it")),
                            "data-preview-empty": str(
                                _("Nothing to show: the text is empty once unsafe markup is removed.")
                            ),
                            "data-preview-failed": str(_("The preview could not be made; the text is kept.")),
                        }
                    )

        return Form

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(require_POST(self.preview_view)),
                name="information_announcement_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """The body rendered exactly as the public page shows it (Markdown or HTML, then nh3)."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        body_format = request.POST.get("body_format", "markdown")
        if body_format not in ("markdown", "html"):
            body_format = "markdown"
        body = request.POST.get("body", "")[: services.BODY_MAX]
        return JsonResponse({"html": text.render(body, body_format)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        communities, streets, districts = publishable_areas(request.user)
        if db_field.name == "community":
            kwargs["queryset"] = communities.select_related("street").order_by("code")
        elif db_field.name == "street":
            kwargs["queryset"] = streets.select_related("district").order_by("district__name", "name")
        elif db_field.name == "district":
            kwargs["queryset"] = districts.order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=pgettext_lazy("announcement audience", "for"))
    def area_name(self, obj):
        return obj.area.name

    @admin.display(description=_("state"))
    def state_label(self, obj):
        return {"published": _("Published"), "scheduled": _("Scheduled"), "expired": _("Expired")}[obj.state()]

    @admin.display(description=_("read by"), ordering="read_total")
    def reads(self, obj):
        # Only the areas a person publishes to or oversees are listed: their read counts are theirs to see.
        return obj.read_total

    @admin.display(description=_("read by"))
    def reads_detail(self, obj):
        return selectors.read_counts([obj.pk]).get(obj.pk, 0)

    @admin.display(description=_("attachments"))
    def current_attachments(self, obj):
        rows = [(a.get_absolute_url(), a.name, filesizeformat(a.size)) for a in obj.attachments.all()]
        return format_html_join("", '<p><a href="{}">{}</a> ({})</p>', rows) or "—"

    def has_add_permission(self, request):
        return can(request.user, "announcement.add") and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return can(request.user, "announcement.change", obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return can(request.user, "announcement.change", obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "body": data["body"],
            "body_format": data["body_format"],
            "category": data["category"],
            "pinned": data["pinned"],
            "publish_at": data.get("publish_at"),
            "expires_at": data.get("expires_at"),
        }
        if change:
            run_service(
                lambda: services.announcement_update(
                    actor=request.user,
                    announcement=obj,
                    add_attachments=data.get("attachments") or [],
                    remove_attachments=list(data.get("remove_attachments") or []),
                    **fields,
                )
            )
            return
        area = data.get("community") or data.get("street") or data.get("district")
        created = run_service(
            lambda: services.announcement_publish(
                actor=request.user, area=area, attachments=data.get("attachments") or [], **fields
            )
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Attachments were saved by the service; there is nothing else related to save.
        pass

    def delete_model(self, request, obj):
        run_service(lambda: services.announcement_delete(actor=request.user, announcement=obj))


def _staff_bodies(user, kinds=None):
    bodies = Body.objects.select_related("community").order_by("community__code", "kind", "name")
    if kinds:
        bodies = bodies.filter(kind__in=kinds)
    if user.is_superuser:
        return bodies
    return bodies.filter(community_id__in=sorted(roles_for(user).staff_of))


class BodyProfileForm(forms.ModelForm):
    class Meta:
        model = BodyProfile
        fields = ["body", "duties", "office_hours", "location", "phone", "email"]
        widgets = {"duties": forms.Textarea(attrs={"rows": 8})}


@admin.register(BodyProfile)
class BodyProfileAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    form = BodyProfileForm
    community_path = "body__community"
    change_rule = "body_profile.change"
    list_display = ["body", "body_kind", "community_name", "office_hours", "phone"]
    list_filter = ["body__kind"]
    search_fields = ["body__name", "body__community__name", "duties"]
    list_select_related = ["body__community"]

    @admin.display(description=_("kind"), ordering="body__kind")
    def body_kind(self, obj):
        return obj.body.get_kind_display()

    @admin.display(description=_("community"), ordering="body__community__name")
    def community_name(self, obj):
        return obj.body.community.name

    def get_readonly_fields(self, request, obj=None):
        return ["body"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["queryset"] = _staff_bodies(request.user).filter(profile__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        body = obj.body

        saved = run_service(
            lambda: services.body_profile_update(
                actor=request.user,
                body=body,
                duties=data.get("duties", ""),
                office_hours=data.get("office_hours", ""),
                location=data.get("location", ""),
                phone=data.get("phone", ""),
                email=data.get("email", ""),
            )
        )
        obj.pk = saved.pk
        obj._state.adding = False


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "provider",
            "name",
            "category",
            "description",
            "location",
            "hours",
            "how_to_apply",
            "contact",
            "free",
            "active",
        ]


@admin.register(Service)
class ServiceAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    form = ServiceForm
    change_rule = "service.change"
    list_display = ["name", "category", "provider", "community", "location", "hours", "active"]
    list_filter = ["category", "active", "free", "provider__kind"]
    search_fields = ["name", "description", "location", "provider__name", "community__name"]
    list_select_related = ["provider", "community"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "provider":
            kwargs["queryset"] = _staff_bodies(request.user, SERVICE_PROVIDER_KINDS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data.get(field) for field in ServiceForm.Meta.fields}
        provider = data.pop("provider")
        if change:
            run_service(lambda: services.service_update(actor=request.user, service=obj, provider=provider, **data))
            return
        created = run_service(lambda: services.service_create(actor=request.user, provider=provider, **data))
        obj.pk = created.pk
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return CommunityScopedAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        run_service(lambda: services.service_delete(actor=request.user, service=obj))
