"""What the deliberation workspace's pages share: the service-running base, read-only records,
the overdue filter, the supervisor picker and the trail's details."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communities.admin import CommunityScopedAdmin
from communities.models import BodyKind, Community, Membership
from communities.permissions import roles_for
from core.admin import ServiceAdminMixin

from .. import selectors
from ..models import Task, Topic, TrailKind
from ..workflow import Step

User = get_user_model()


class ServiceAdmin(ServiceAdminMixin, CommunityScopedAdmin):
    """Scoped to the user's communities; writes through the services (core.admin)."""


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = _("time limit")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Within its time limit"))]

    def queryset(self, request, queryset):
        overdue = Topic.objects.overdue().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


def _staff_communities(user):
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(pk__in=sorted(roles_for(user).staff_of))


def trail_details(entry):
    """One trail entry's content as a person reads it: step names, not their codes."""
    data = entry.data or {}

    def step(code):
        return Step(code).label if code in Step.values else code

    if entry.kind == TrailKind.EDITED:
        return getattr(entry, "edit_summary", None) or selectors.edit_summary(data)
    if entry.kind == TrailKind.STEP:
        text = f"{step(data.get('from'))} → {step(data.get('to'))}"
        return f"{text}: {data['note']}" if data.get("note") else text
    if entry.kind == TrailKind.VOTE:
        verdict = gettext("adopted") if data.get("passed") else gettext("not adopted")
        return gettext("for %(for)s / against %(against)s / abstain %(abstain)s · %(verdict)s") % {
            "for": data.get("for"),
            "against": data.get("against"),
            "abstain": data.get("abstain"),
            "verdict": verdict,
        }
    if entry.kind == TrailKind.AGENDA:
        if data.get("removed"):
            return gettext("taken off the agenda of meeting %(meeting)s") % {"meeting": data.get("meeting")}
        return gettext("meeting %(meeting)s, item %(position)s") % {
            "meeting": data.get("meeting"),
            "position": data.get("position"),
        }
    if entry.kind == TrailKind.ATTENDANCE:
        return gettext("%(present)d of %(size)s present") % {
            "present": len(data.get("present") or []),
            "size": data.get("council_size"),
        }
    if entry.kind == TrailKind.PROGRESS:
        return f"{data.get('percent')}%"
    if entry.kind in (TrailKind.TASK, TrailKind.RAISED) and data.get("title"):
        return data["title"]
    return ""


def _plain_selects(fields, *names):
    """No edit / add / view icons beside an inline row's choices: they widen the table, and
    the records they lead to are not changed from a row."""
    for name in names:
        widget = fields[name].widget
        for flag in ("can_add_related", "can_change_related", "can_view_related", "can_delete_related"):
            if hasattr(widget, flag):
                setattr(widget, flag, False)


def _supervisors(user, community=None):
    """Members of a supervisory committee (today) of the communities `user` runs."""
    seats = Membership.objects.current().filter(body__kind=BodyKind.SUPERVISORY_COMMITTEE)
    if community is not None:
        seats = seats.filter(body__community=community)
    if not user.is_superuser:
        seats = seats.filter(body__community__in=_staff_communities(user))
    return User.objects.filter(pk__in=seats.values("user_id")).order_by("display_name", "username")


def _masked_phone(phone):
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else (phone or "")


def supervisor_label(user):
    phone = _masked_phone(user.phone)
    return f"{user} · {phone}" if phone else str(user)


class SupervisorSelect(AutocompleteSelect):
    """The admin's autocomplete, asking TaskAdmin's own view: supervisory-committee members
    of the community (or of the user's communities), found by name, username or phone."""

    def __init__(self, admin_site, community=None, attrs=None):
        super().__init__(Task._meta.get_field("supervisor"), admin_site, attrs=attrs)
        self.community = community

    def get_url(self):
        url = reverse("admin:deliberation_task_supervisors")
        return f"{url}?community={self.community}" if self.community else url


class SupervisorField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return supervisor_label(obj)


# Records that are only ever read here
class RecordAdmin(CommunityScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
