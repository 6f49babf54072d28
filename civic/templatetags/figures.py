"""Figures in templates, rounded by the one rule of core.figures (half up; never truncated).

{% load figures %}{{ row.total|figure }}  {{ c.percent|percent }}  {{ q.mean|mean }}
"""

from django import template

from core import figures

register = template.Library()


@register.filter
def figure(value, places=figures.PLACES):
    """A percentage's or score's number, one decimal ("76.8"), or "–"."""
    return figures.figure_text(value, int(places))


@register.filter
def percent(value):
    """A percentage with its sign ("31.3%"), or "–"."""
    return figures.percent_text(value)


@register.filter
def mean(value):
    """The mean of a 1-5 scale, two decimals ("3.25"), or "–"."""
    return figures.mean_text(value)
