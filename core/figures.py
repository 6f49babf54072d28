"""How a computed figure is written for people: one rounding rule for every page, chart and table.

Selectors compute figures to two decimals (`percent()` and the means); exports write those
values as they are, and say so in their heading. What a page shows is that value rounded
half up (76.75 -> 76.8, 31.25 -> 31.3, never truncated, never rounded to even) to:

- one decimal for percentages, scores and days (`PLACES`);
- two decimals for the mean of a 1-5 scale (`MEAN_PLACES`), the precision such means are
  read at.

A chart's label, the table beside it and a key figure above both go through `figure_text`
or `percent_text`, so one figure always reads the same wherever it is shown.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats

PLACES = 1
MEAN_PLACES = 2
NONE_TEXT = "–"


def percent(part, whole):
    """`part` as a percentage of `whole`, computed to two decimals; None of nothing (whole 0)."""
    return round(100 * part / whole, 2) if whole else None


def rounded(value, places=PLACES):
    """`value` as a Decimal rounded half up to `places` decimals; None stays None.

    A float is read through its shortest decimal form (`repr`), so 31.25 is 31.25 and rounds
    to 31.3 rather than to the binary approximation's 31.2.
    """
    if value is None or value == "":
        return None
    try:
        exact = (
            value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))
        )
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


def figure_text(value, places=PLACES):
    """The figure as shown, in the current language's number format ("76.8"), or "–"."""
    shown = rounded(value, places)
    if shown is None:
        return NONE_TEXT
    return formats.number_format(shown, decimal_pos=places)


def percent_text(value, places=PLACES):
    """A percentage as shown ("31.3%"), or "–"."""
    shown = figure_text(value, places)
    return shown if shown == NONE_TEXT else f"{shown}%"


def mean_text(value):
    """The mean of a 1-5 scale as shown ("3.25"), or "–"."""
    return figure_text(value, MEAN_PLACES)


def short_text(value, places=PLACES):
    """A figure with trailing zeros dropped ("3" days, "×0.25"), rounded by the same rule."""
    shown = rounded(value, places)
    if shown is None:
        return NONE_TEXT
    text = formats.number_format(shown, decimal_pos=places)
    decimal_separator = formats.get_format("DECIMAL_SEPARATOR")
    if decimal_separator in text:
        text = text.rstrip("0").rstrip(decimal_separator)
    return text
