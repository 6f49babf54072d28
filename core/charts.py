"""Charts drawn on the server as SVG, the portal's one chart module (the officials' dashboards,
survey results, evaluation reports): bars, stacked bars and a funnel. No script and no internet; legible on a projector (large type, strong contrast) and
on paper (dark ink, every number written out, segments told apart by lightness and by their
printed values, not by colour alone).

A chart is always shown beside a table holding the same numbers: the table is what screen
readers and the exports use; the SVG says in its title and description what it shows.
"""

import itertools
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

from core import figures

# Drawn 420 units wide: about 19 px type on a 30rem desktop column, 13 px on a 360 px phone.
WIDTH = 420
INK = "#1b1f24"
MUTED = "#555e68"
TRACK = "#ece8e3"
BAR = "#8f1d1d"
MARKER = "#1d4f91"
LABEL_SIZE = 17
VALUE_SIZE = 17
# Room for a label, in the chart's own units (the SVG is scaled to the column it sits in).
LABEL_ROOM = WIDTH - 10
# Light to dark, readable in greyscale; text on the darker half is drawn white.
SEQUENCE = ("#f2d4cf", "#d9988c", "#b85a4d", "#8f1d1d", "#4f0c0c")
DIVERGING = ("#8f1d1d", "#d9988c", "#e4e0da", "#8fb0d6", "#1d4f91")
DARK_FILLS = {"#b85a4d", "#8f1d1d", "#4f0c0c", "#1d4f91"}

# One counter for every chart the process draws, whichever page or app asks: two charts on one
# page never share an id (their titles are referenced by id).
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str
    marker: float | None = None


def _text_width(text, size=LABEL_SIZE):
    """Roughly how wide a text is drawn: CJK characters are square, others about half that."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.56 for ch in text)


def _short(label, room=LABEL_ROOM, size=LABEL_SIZE):
    """The label, cut with an ellipsis where it would not fit (the table beside has it whole)."""
    label = str(label)
    if _text_width(label, size) <= room:
        return label
    while label and _text_width(label + "…", size) > room:
        label = label[:-1]
    return label.rstrip() + "…"


def number_text(value):
    """A figure on a chart: rounded as the table beside it rounds it (core.figures, half up to one
    decimal), a trailing ".0" dropped for room ("50" beside the table's "50.0")."""
    return figures.short_text(value)


def percent_text(value):
    shown = number_text(value)
    return shown if value is None else f"{shown}%"


def _joined(parts):
    """The chart's elements as one fragment; a part that is not already safe HTML is escaped."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _svg(body, *, title, description, height):
    chart_id = f"chart-{next(_ids)}"
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        "font-family=\"system-ui, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif\">"
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        body=body,
    )


def bar_chart(bars, *, title, description="", max_value=None, marker_label=""):
    """Horizontal bars, each with its label above and its value written after it.

    `bars` are Bar or (label, value or None, text shown after the bar) tuples. A bar's
    `marker` draws a tick (e.g. the time limit a median is compared with); the
    `marker_label` names it in a key under the bars.
    """
    bars = [bar if isinstance(bar, Bar) else Bar(*bar) for bar in bars]
    values = [b.value for b in bars if b.value is not None] + [b.marker for b in bars if b.marker is not None]
    top = float(max_value or max(values, default=0) or 1)
    track = WIDTH - 88
    row = 58
    # With ticks on the track, values go in a column of their own so that no tick crosses them.
    marked = any(b.marker is not None for b in bars)
    parts = []
    for index, bar in enumerate(bars):
        y = index * row + 2
        width = 0 if bar.value is None else max(round(track * float(bar.value) / top, 1), 0)
        value_x = track + 10 if marked else min(width, track) + 8
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="{}" fill="{}">{}</text>'
                '<rect x="0" y="{}" width="{}" height="22" rx="3" fill="{}"/>'
                '<rect x="0" y="{}" width="{}" height="22" rx="3" fill="{}"/>'
                '<text x="{}" y="{}" font-size="{}" font-weight="700" fill="{}">{}</text>',
                y + 17,
                LABEL_SIZE,
                INK,
                _short(bar.label),
                y + 24,
                track,
                TRACK,
                y + 24,
                width,
                BAR,
                value_x,
                y + 41,
                VALUE_SIZE,
                INK,
                bar.text,
            )  # fmt: skip
        )
        if bar.marker is not None:
            x = round(track * float(bar.marker) / top, 1)
            parts.append(
                format_html(
                    '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{c}" stroke-width="3"/>',
                    x=x,
                    top=y + 20,
                    bottom=y + 50,
                    c=MARKER,
                )  # fmt: skip
            )
    height = len(bars) * row + 6
    if marker_label and any(b.marker is not None for b in bars):
        parts.append(
            format_html(
                '<line x1="0" y1="{y1}" x2="0" y2="{y2}" stroke="{c}" stroke-width="3"/>'
                '<text x="10" y="{ty}" font-size="15" fill="{ink}">{label}</text>',
                y1=height,
                y2=height + 18,
                c=MARKER,
                ty=height + 15,
                ink=INK,
                label=marker_label,
            )  # fmt: skip
        )
        height += 26
    return _svg(_joined(parts), title=title, description=description, height=height)


def stacked_bar_chart(rows, *, segments, title, description="", palette=SEQUENCE):
    """One 100% bar per row, split into segments; each segment wide enough shows its share.

    `rows` are (label, {segment key: count}); `segments` are (key, label) in stacking order.
    A key of the segments (swatch and name) is drawn above the bars.
    """
    rows = list(rows)
    segments = list(segments)
    colours = {key: palette[index % len(palette)] for index, (key, _label) in enumerate(segments)}
    parts = []
    # The key: swatches and names, wrapped onto as many lines as they need.
    x, y = 0, 0
    for key, label in segments:
        text = _short(label, WIDTH - 30, 15)
        width = 22 + _text_width(text, 15)
        if x and x + width > WIDTH:
            x, y = 0, y + 24
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="16" height="16" fill="{}" stroke="{}"/>'
                '<text x="{}" y="{}" font-size="15" fill="{}">{}</text>',
                x,
                y + 2,
                colours[key],
                INK,
                x + 22,
                y + 15,
                INK,
                text,
            )  # fmt: skip
        )
        x += width + 12
    y += 34
    for label, counts in rows:
        total = sum(counts.get(key, 0) or 0 for key, _label in segments)
        parts.append(
            format_html('<text x="0" y="{}" font-size="{}" fill="{}">{}</text>', y + 16, LABEL_SIZE, INK, _short(label))
        )
        bar_y = y + 24
        if not total:
            parts.append(
                format_html(
                    '<rect x="0" y="{}" width="{}" height="28" fill="{}"/><text x="8" y="{}" font-size="15" fill="{}">–</text>',
                    bar_y,
                    WIDTH,
                    TRACK,
                    bar_y + 20,
                    MUTED,
                )  # fmt: skip
            )
        offset = 0.0
        for key, _label in segments:
            count = counts.get(key, 0) or 0
            if not total or not count:
                continue
            width = WIDTH * count / total
            share = 100 * count / total
            fill = colours[key]
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="28" fill="{}" stroke="#ffffff" stroke-width="1"/>',
                    round(offset, 1),
                    bar_y,
                    round(width, 1),
                    fill,
                )  # fmt: skip
            )
            if width >= 44:
                parts.append(
                    format_html(
                        '<text x="{}" y="{}" font-size="14" font-weight="700" text-anchor="middle" fill="{}">{}%</text>',
                        round(offset + width / 2, 1),
                        bar_y + 19,
                        "#ffffff" if fill in DARK_FILLS else INK,
                        figures.figure_text(share, 0),
                    )  # fmt: skip
                )
            offset += width
        y = bar_y + 28 + 16
    return _svg(_joined(parts), title=title, description=description, height=y + 2)


def funnel_chart(stages, *, title, description=""):
    """Centred bars narrowing from the first stage: how many got how far.

    `stages` are (label, count, share of the first in % or None).
    """
    stages = list(stages)
    first = max((count for _label, count, _share in stages), default=0) or 1
    label_width = 118
    span = WIDTH - label_width
    row = 40
    parts = []
    for index, (label, count, share) in enumerate(stages):
        y = index * row + 2
        width = max(span * count / first, 2 if count else 0)
        x = label_width + (span - width) / 2
        text = f"{count}" if share is None else f"{count} · {percent_text(share)}"
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="{}" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="32" rx="2" fill="{}"/>',
                y + 22,
                LABEL_SIZE,
                INK,
                _short(label, label_width - 6),
                round(x, 1),
                y,
                round(width, 1),
                BAR,
            )  # fmt: skip
        )
        if width >= _text_width(text, 15) + 16:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="15" font-weight="700" text-anchor="middle" fill="#ffffff">{}</text>',
                    round(label_width + span / 2, 1),
                    y + 22,
                    text,
                )  # fmt: skip
            )
        else:
            # Too narrow to hold its numbers: they go just right of the bar.
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="15" font-weight="700" fill="{}">{}</text>',
                    round(x + width + 6, 1),
                    y + 22,
                    INK,
                    text,
                )  # fmt: skip
            )
    return _svg(_joined(parts), title=title, description=description, height=len(stages) * row + 4)
