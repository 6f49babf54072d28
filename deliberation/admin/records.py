"""Records that are only ever read here: votes, ratings, observers, the trail."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import run_action

from .. import services
from ..models import ObserverRegistration, Rating, TrailEntry, Vote
from ._base import RecordAdmin, trail_details


@admin.register(Vote)
class VoteAdmin(RecordAdmin):
    community_path = "agenda_item__meeting__community"
    list_display = [
        "topic_title",
        "meeting",
        "votes_for",
        "votes_against",
        "abstentions",
        "present",
        "council_size",
        "passed",
    ]
    list_filter = ["passed", "roll_call"]
    list_select_related = ["agenda_item__topic", "agenda_item__meeting__community"]

    @admin.display(description=_("topic"))
    def topic_title(self, vote):
        return vote.agenda_item.topic.title

    @admin.display(description=_("meeting"))
    def meeting(self, vote):
        return vote.agenda_item.meeting


@admin.register(Rating)
class RatingAdmin(RecordAdmin):
    community_path = "topic__community"
    list_display = ["topic", "score", "created_at"]
    list_filter = ["score"]
    list_select_related = ["topic"]
    exclude = ["user"]


@admin.register(ObserverRegistration)
class ObserverRegistrationAdmin(RecordAdmin):
    community_path = "meeting__community"
    list_display = ["user", "meeting", "registered_at", "cancelled_at", "checked_in_at"]
    list_filter = [("cancelled_at", admin.EmptyFieldListFilter), ("checked_in_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__display_name", "user__username"]
    list_select_related = ["user", "meeting__community"]
    actions = ["check_in"]

    def has_check_in_permission(self, request):
        return request.user.has_perm("deliberation.change_observerregistration")

    @admin.action(description=_("Check the selected observers in"), permissions=["check_in"])
    def check_in(self, request, queryset):
        run_action(
            self,
            request,
            queryset,
            lambda r: services.observer_check_in(actor=request.user, registration=r),
            done=gettext("%(count)d observers checked in."),
        )


@admin.register(TrailEntry)
class TrailEntryAdmin(RecordAdmin):
    """The trail is shown, never edited: no add, change or delete for anyone, superusers included."""

    community_path = "topic__community"
    list_display = ["topic", "seq", "kind", "recorded_at", "actor", "details", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["hash", "topic__title"]
    list_select_related = ["topic", "actor"]
    ordering = ["topic", "seq"]
    readonly_fields = ["topic", "seq", "kind", "recorded_at", "actor", "details", "data", "prev_hash", "hash"]

    class Media:
        css = {"all": ["deliberation/admin.css"]}

    @admin.display(description=_("details"))
    def details(self, entry):
        return trail_details(entry) or "—"

    def get_actions(self, request):
        return {}

    @admin.display(description=_("hash"))
    def short_hash(self, entry):
        # Shortened on screen; the whole hash is in the title and in what a copy takes.
        return format_html('<code class="deliberation-hash" title="{}">{}</code>', entry.hash, entry.hash)
