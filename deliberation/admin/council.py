"""The council's rules and its deliberation day."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import run_service

from .. import services
from ..models import CouncilRules
from ._base import ServiceAdmin, _staff_communities


@admin.register(CouncilRules)
class CouncilRulesAdmin(ServiceAdmin):
    change_rule = "council_rules.change"
    list_display = ["community", "deliberation_day", "quorum", "majority", "publicity_days", "evaluation_days"]
    list_select_related = ["community"]
    search_fields = ["community__name", "community__code"]
    fieldsets = [
        (None, {"fields": ["community"]}),
        (
            _("Time limits (days)"),
            {
                "fields": [
                    "limit_collect",
                    "limit_review",
                    "limit_resolve",
                    "limit_publicize",
                    "limit_implement",
                    "limit_evaluate",
                ]
            },
        ),
        (
            _("Quorum and majority"),
            {"fields": ["quorum_numerator", "quorum_denominator", "majority_numerator", "majority_denominator"]},
        ),
        (_("Publicity and evaluation"), {"fields": ["publicity_days", "evaluation_days"]}),
        (
            _("Monthly deliberation day"),
            {
                "fields": [
                    "day_rule",
                    "day_week",
                    "day_weekday",
                    "day_of_month",
                    "time_of_day",
                    "location",
                    "default_observer_seats",
                ]
            },
        ),
    ]

    @admin.display(description=_("deliberation day"))
    def deliberation_day(self, rules):
        return rules.describe_day()

    @admin.display(description=_("quorum"))
    def quorum(self, rules):
        return f"{rules.quorum_numerator}/{rules.quorum_denominator}"

    @admin.display(description=_("majority (more than)"))
    def majority(self, rules):
        return f"{rules.majority_numerator}/{rules.majority_denominator}"

    def get_readonly_fields(self, request, obj=None):
        return ["community"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "community" and not request.user.is_superuser:
            kwargs["queryset"] = _staff_communities(request.user).filter(council_rules__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from ..services.council import RULE_FIELDS

        community = obj.community if change else form.cleaned_data["community"]
        fields = {name: form.cleaned_data[name] for name in RULE_FIELDS if name in form.cleaned_data}
        saved = run_service(lambda: services.council_rules_update(actor=request.user, community=community, **fields))
        obj.pk = saved.pk
        obj._state.adding = False
