"""Site-wide pieces that read several apps: the council's rules on the community page."""

from django import template
from django.apps import apps

register = template.Library()


@register.simple_tag
def council_rules(community):
    """The community's council rules as residents read them, or None without deliberation (1 query)."""
    if not apps.is_installed("deliberation"):
        return None
    from deliberation.selectors import council_rules_for
    from deliberation.workflow import STEPS

    rules = council_rules_for(community)
    limits = [(step.label, rules.limit_days(step.value)) for step in STEPS if rules.limit_days(step.value)]
    return {
        "rules": rules,
        "day": rules.describe_day(),
        "limits": limits,
        "quorum": f"{rules.quorum_numerator}/{rules.quorum_denominator}",
        "majority": f"{rules.majority_numerator}/{rules.majority_denominator}",
        "customised": rules.pk is not None,
    }
