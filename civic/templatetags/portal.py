"""Site-wide pieces that read several apps: the council's rules on the community page."""

from django import template
from django.apps import apps
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

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


@register.filter
def moment(value):
    """An ISO 8601 date or date-time string (as the API and open data write them) as a local
    date or datetime, for the `date` filter to write in the language's one format; None if not one."""
    if not isinstance(value, str):
        return value
    try:
        parsed = parse_datetime(value)
        if parsed is not None:
            return timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed
        return parse_date(value)
    except ValueError:
        return None
