"""Charts drawn on the server as SVG: no script, no internet, legible on a projector and on paper.

Every chart is shown beside a table holding the same numbers, which is what screen readers
and exports use; the SVG carries a title saying what it shows.
"""

import itertools

from django.utils.html import format_html, format_html_join

from core import figures

WIDTH = 340
ROW = 46
BAR = 18
TRACK = 268
INK = "#1b1f24"
BAR_FILL = "#8f1d1d"
TRACK_FILL = "#ece8e3"
LABEL_MAX = 21

_ids = itertools.count(1)


def _short(label):
    label = str(label)
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def bar_chart(rows, *, title, max_value=None):
    """Horizontal bars. `rows` are (label, value or None, text shown after the bar)."""
    rows = list(rows)
    values = [value for _label, value, _shown in rows if value is not None]
    top = max_value or max(values, default=0) or 1
    chart_id = f"chart-{next(_ids)}"
    height = len(rows) * ROW + 6
    parts = []
    for index, (label, value, shown) in enumerate(rows):
        y = index * ROW + 4
        width = 0 if value is None else max(round(TRACK * float(value) / float(top), 1), 0)
        parts.append(
            (
                y + 15,
                _short(label),
                y + 22,
                TRACK,
                y + 22,
                width,
                TRACK + 8,
                y + 37,
                shown,
            )
        )
    body = format_html_join(
        "",
        '<text x="0" y="{}" font-size="15" fill="' + INK + '">{}</text>'
        '<rect x="0" y="{}" width="{}" height="' + str(BAR) + '" rx="3" fill="' + TRACK_FILL + '"/>'
        '<rect x="0" y="{}" width="{}" height="' + str(BAR) + '" rx="3" fill="' + BAR_FILL + '"/>'
        '<text x="{}" y="{}" font-size="14" font-weight="600" fill="' + INK + '">{}</text>',
        parts,
    )
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-title" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        body=body,
    )


# The table beside the chart writes the same figure: one rounding rule (core.figures).
percent_text = figures.percent_text
