"""Notices and their deliveries for staff (their communities) and officials (those they
oversee): read-only, with status filters and counts, and a resend of failed deliveries.

Whose rows these are is the rules' (permissions.py): a notice names its community by a key,
and its name comes from the resolver the communities app registers (core/scopes.py)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.rules import can
from core.scopes import community_scope

from . import permissions, selectors, services
from .models import Delivery, Notice
from .registry import registry


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return registry.choices()

    def queryset(self, request, queryset):
        if self.value():
            field = "kind" if queryset.model is Notice else "notice__kind"
            return queryset.filter(**{field: self.value()})
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    show_facets = admin.ShowFacets.ALWAYS
    # The lookup from the model to its Notice ("" for Notice itself).
    notice_path = ""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(permissions.watched_q(request.user, self.notice_path))

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return can(request.user, "notice.view", obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Only admin actions change anything, and only through the services.
        return obj is None and super().has_change_permission(request)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "kind_display",
        "title_display",
        "community_display",
        "due_at",
        "status",
        "short_notice",
        "queued_count",
        "sent_count",
        "failed_count",
        "superseded_count",
    ]
    list_display_links = ["pk", "title_display"]
    list_filter = ["status", KindFilter, "short_notice", "due_at"]
    search_fields = ["=id", "=subject_id", "community_name"]
    date_hierarchy = "due_at"
    readonly_fields = [
        "kind",
        "subject_type",
        "subject_id",
        "community_display",
        "due_at",
        "status",
        "short_notice",
        "params",
        "content",
        "key",
        "note",
        "created_at",
        "dispatched_at",
        "superseded_at",
        "superseded_by",
        "delivery_summary",
    ]

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).annotate(community_name=community_scope().name_expression("community_key"))
        )
        return selectors.with_delivery_counts(queryset)

    @admin.display(description=_("community"), ordering="community_name")
    def community_display(self, notice):
        return notice.community_name or "-"

    @admin.display(description=_("kind"), ordering="kind")
    def kind_display(self, notice):
        return notice.kind_label

    @admin.display(description=_("title"))
    def title_display(self, notice):
        return Truncator(notice.title()).chars(60)

    @admin.display(description=_("queued"), ordering="queued_count")
    def queued_count(self, notice):
        return notice.queued_count

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent_count(self, notice):
        return notice.sent_count

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed_count(self, notice):
        if notice.failed_count:
            url = f"../delivery/?notice__id__exact={notice.pk}&status__exact=failed"
            return format_html('<a href="{}">{}</a>', url, notice.failed_count)
        return 0

    @admin.display(description=_("superseded"), ordering="superseded_count")
    def superseded_count(self, notice):
        return notice.superseded_count

    @admin.display(description=_("deliveries"))
    def delivery_summary(self, notice):
        counts = selectors.delivery_status_counts(notice.deliveries.all())
        return ", ".join(f"{Delivery.Status(status).label}: {count}" for status, count in counts.items())


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    notice_path = "notice__"
    list_display = [
        "pk",
        "notice_link",
        "recipient",
        "channel",
        "status",
        "attempts",
        "error_display",
        "sent_at",
        "provider_message_id",
        "read_at",
    ]
    list_filter = ["status", "channel", KindFilter, "sent_at"]
    list_select_related = ["notice", "recipient"]
    search_fields = ["=notice__id", "recipient__username", "recipient__phone", "provider_message_id"]
    raw_id_fields = ["notice", "recipient"]
    show_full_result_count = False
    actions = ["resend_failed"]
    readonly_fields = [
        "notice",
        "recipient",
        "channel",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "provider_message_id",
        "available_at",
        "locked_until",
        "read_at",
        "created_at",
    ]

    @admin.display(description=_("notice"), ordering="notice")
    def notice_link(self, delivery):
        return format_html('<a href="../notice/{}/change/">{}</a>', delivery.notice_id, delivery.notice)

    @admin.display(description=_("last error"))
    def error_display(self, delivery):
        return Truncator(delivery.last_error).chars(80)

    @admin.action(description=_("Resend the selected failed deliveries"), permissions=["change"])
    def resend_failed(self, request, queryset):
        deliveries = list(queryset.select_related("notice"))
        try:
            count = services.deliveries_resend(actor=request.user, deliveries=deliveries)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        skipped = len(deliveries) - count
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected delivery had not failed and was left alone.",
                    "%(count)d selected deliveries had not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
