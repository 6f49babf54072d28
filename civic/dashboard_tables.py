"""The dashboards' panels as tables (with their charts): what the page shows and what the CSV
and XLSX exports write, built from one set of figures (civic.dashboard) in the viewer's
language, so the page and its exports can never disagree.
"""

import csv
import io
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from communities.models import BodyKind, Education, Stage, Typology
from core import charts
from core.figures import figure_text, mean_text, percent_text, short_text
from core.spreadsheets import safe_cell as spreadsheet_safe
from deliberation.workflow import STEPS, Outcome, Step
from surveys import ready_made

from .dashboard import ACTIONS, AGE_BANDS, SCALES

PANELS = (
    ("participation", gettext_lazy("Participation")),
    ("deliberation", gettext_lazy("Deliberation")),
    ("satisfaction", gettext_lazy("Satisfaction")),
    ("cadres", gettext_lazy("Cadres")),
    ("typologies", gettext_lazy("Typologies and stages")),
    ("evaluation", gettext_lazy("Third-party evaluation")),
    ("communities", gettext_lazy("Communities")),
)
# One community's own page has no typology comparison and no list of communities.
COMMUNITY_PANELS = ("participation", "deliberation", "satisfaction", "cadres", "evaluation")
EXPORT_FORMATS = ("csv", "xlsx")

ACTION_LABELS = {
    "commented": gettext_lazy("Commented on a topic"),
    "raised_topic": gettext_lazy("Raised a topic"),
    "attended_meeting": gettext_lazy("Attended a council meeting (public gallery or council seat)"),
    "attended_activity": gettext_lazy("Attended a community activity"),
    "answered_survey": gettext_lazy("Answered a survey"),
    "any": gettext_lazy("Did at least one of these"),
}
SCALE_LABELS = {
    ready_made.KNOWLEDGE_SATISFACTION: gettext_lazy("What they know of community affairs"),
    ready_made.TAKING_PART_SATISFACTION: gettext_lazy("How they can take part"),
}


@dataclass(frozen=True)
class Cell:
    """A table cell: its value as exported (`raw`), as shown, and a link when it names a page."""

    raw: object
    kind: str = "text"
    url: str = ""

    @property
    def text(self):
        if self.raw is None or self.raw == "":
            return "–"
        # The chart beside the table and the key figures round by the same rule (core.figures).
        if self.kind == "percent":
            return figure_text(self.raw)
        if self.kind == "mean":
            return mean_text(self.raw)
        if self.kind == "number" and not isinstance(self.raw, int):
            return figure_text(self.raw)
        if self.kind == "number":
            return formats.number_format(self.raw, force_grouping=True)
        return str(self.raw)

    @property
    def numeric(self):
        return self.kind in ("number", "percent", "mean")


def num(value):
    return Cell(value, "number")


def pct(value):
    return Cell(value, "percent")


def mean(value):
    """The mean of a 1-5 scale (or of activities per resident): shown to two decimals."""
    return Cell(value, "mean")


def text(value, url=""):
    return Cell(str(value) if value is not None else "", "text", url)


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    chart: str = ""
    # What the chart plots, shown above it, when it plots one column of a wider table.
    chart_title: str = ""
    note: str = ""
    # What the page says when there are no rows.
    empty: str = ""
    # A page the table comes from (an evaluation round), linked under it.
    link_url: str = ""
    link_text: str = ""

    @property
    def header(self):
        """(label, numeric) per column: numbers are right-aligned, as in their cells."""
        first = self.rows[0] if self.rows else []
        return [
            (label, index > 0 and index < len(first) and first[index].numeric)
            for index, label in enumerate(self.columns)
        ]

    @property
    def wide(self):
        return len(self.columns) > 5

    def body_html(self):
        """The rows as HTML: the first cell heads its row, numbers are right-aligned, names link.

        Written here rather than in a template loop: a city's community table has thousands of
        cells, and this is several times faster to render.
        """
        lines = []
        for row in self.rows:
            cells = []
            for index, cell in enumerate(row):
                content = escape(cell.text)
                if cell.url:
                    content = f'<a href="{escape(cell.url)}">{content}</a>'
                if index == 0:
                    cells.append(f'<th scope="row">{content}</th>')
                else:
                    cells.append(f'<td class="num">{content}</td>' if cell.numeric else f"<td>{content}</td>")
            lines.append("<tr>" + "".join(cells) + "</tr>")
        return mark_safe("\n".join(lines))  # nosec B308 B703 # every text and URL above went through escape()


@dataclass
class Panel:
    key: str
    title: str
    tables: list
    intro: str = ""


# Building the panels ----------------------------------------------------------------------------


def community_url(community_id):
    return reverse("dashboard-community", args=[community_id])


def _step_label(step):
    return str(Step(step).label)


def _date(value):
    day = parse_date(value) if isinstance(value, str) else value
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else ""


def participation_panel(figures):
    participation = figures["participation"]
    residents = participation["residents"]
    took_part = Table(
        key="participation",
        title=_("Verified residents who took part in the period"),
        columns=[_("What they did"), _("Residents"), _("Share of verified residents (%)")],
        rows=[
            [text(ACTION_LABELS[action]), num(participation[action]["count"]), pct(participation[action]["percent"])]
            for action in ACTIONS
        ],
        note=_("Out of %(count)s verified residents.")
        % {"count": formats.number_format(residents, force_grouping=True)},
    )
    took_part.chart = charts.bar_chart(
        [
            charts.Bar(ACTION_LABELS[a], participation[a]["percent"], charts.percent_text(participation[a]["percent"]))
            for a in ACTIONS
        ],
        title=took_part.title,
        description=_("Share of verified residents, 0 to 100%."),
        max_value=100,
    )
    activity = figures["activity_participation"]
    labels = dict(ready_made.ACTIVITY_BUCKETS)
    activities = Table(
        key="activities",
        title=_("Community activities each resident attended in the period"),
        columns=[_("Activities attended"), _("Residents"), _("Share (%)")],
        rows=[
            [text(labels[value]), num(activity["buckets"][value]), pct(activity["shares"][value])]
            for value in ready_made.ACTIVITY_BUCKET_VALUES
        ],
        note=_(
            "Attended fewer than 2 activities in the period (attendance records): %(under_2)s of verified residents. "
            "Mean: %(mean)s activities per resident."
        )
        % {"under_2": percent_text(activity["under_2"]), "mean": mean_text(activity["mean"])},
    )
    activities.chart = charts.bar_chart(
        [
            charts.Bar(labels[v], activity["shares"][v], charts.percent_text(activity["shares"][v]))
            for v in ready_made.ACTIVITY_BUCKET_VALUES
        ],
        title=activities.title,
        description=activities.note,
        max_value=100,
    )
    return Panel(
        "participation",
        _("Participation"),
        [took_part, activities],
        intro=_(
            "Counted from the records: comments, topics raised, gallery check-ins and council attendance, "
            "activity attendance and survey answers of verified residents in the period."
        ),
    )


def deliberation_panel(figures):
    raised = figures["topics_raised"]
    by_step = Table(
        key="topics_by_step",
        title=_("Topics raised in the period, by the step they stand in now"),
        columns=[_("Step"), _("Topics")],
        rows=[[text(_step_label(step)), num(figures["topics_by_step"][step.value])] for step in STEPS],
        note=_("%(count)s topics raised in the period.")
        % {"count": formats.number_format(raised, force_grouping=True)},
    )
    by_step.chart = charts.bar_chart(
        [
            charts.Bar(_step_label(s), figures["topics_by_step"][s.value], str(figures["topics_by_step"][s.value]))
            for s in STEPS
        ],
        title=by_step.title,
    )
    funnel = Table(
        key="funnel",
        title=_("How far the topics raised in the period got, from collect to archive"),
        columns=[_("Step"), _("Topics that reached it"), _("Share of topics raised (%)")],
        rows=[[text(_step_label(row["step"])), num(row["count"]), pct(row["percent"])] for row in figures["funnel"]],
        note=_("Topics rejected at review, voted down or withdrawn go straight to the archive."),
    )
    funnel.chart = charts.funnel_chart(
        [(_step_label(row["step"]), row["count"], row["percent"]) for row in figures["funnel"]], title=funnel.title
    )
    outcome_total = sum(figures["outcomes"].values())
    outcomes = Table(
        key="outcomes",
        title=_("Outcomes of the topics raised in the period"),
        columns=[_("Outcome"), _("Topics"), _("Share (%)")],
        rows=[
            [
                text(Outcome(o).label),
                num(figures["outcomes"][o.value]),
                pct(round(100 * figures["outcomes"][o.value] / outcome_total, 2) if outcome_total else None),
            ]
            for o in Outcome
        ],
    )
    outcomes.chart = charts.bar_chart(
        [
            charts.Bar(Outcome(o).label, figures["outcomes"][o.value], str(figures["outcomes"][o.value]))
            for o in Outcome
        ],
        title=outcomes.title,
    )
    days = Table(
        key="step_days",
        title=_("Days spent in each step against its time limit"),
        columns=[
            _("Step"),
            _("Median days"),
            _("Time limit (days)"),
            _("Stays that ended"),
            _("Left by the due time (%)"),
        ],
        rows=[
            [
                text(_step_label(row["step"])),
                num(row["median_days"]),
                num(row["limit_days"]),
                num(row["stays"]),
                pct(row["on_time_percent"]),
            ]
            for row in figures["step_days"]
        ],
        note=_(
            "Stays in a step that ended in the period; the time limit is the one the council rules set when the "
            "topic entered the step (the mean where communities' rules differ)."
        ),
    )
    days.chart = charts.bar_chart(
        [
            charts.Bar(
                _step_label(row["step"]),
                row["median_days"],
                "–"
                if row["median_days"] is None
                else _("%(days)s d") % {"days": charts.number_text(row["median_days"])},
                marker=row["limit_days"],
            )
            for row in figures["step_days"]
        ],
        title=days.title,
        description=_("Bars: median days in the step. Blue ticks: the time limit."),
        marker_label=_("Time limit"),
    )
    meetings = figures["meetings"]
    lead = _("Noticed five days ahead")
    meeting_table = Table(
        key="meetings",
        title=_("Council meetings that took place in the period"),
        columns=[_("Measure"), _("Value")],
        rows=[
            [text(_("Meetings (not cancelled)")), num(meetings["meetings"])],
            [text(_("Meetings held (minutes recorded)")), num(meetings["held"])],
            [text(lead), num(meetings["on_time"])],
            [text(_("Share noticed five days ahead (%)")), pct(meetings["on_time_percent"])],
            [text(_("Short-notice meetings")), num(meetings["short_notice"])],
            [text(_("Meetings whose notice was never sent")), num(meetings["not_noticed"])],
            [text(_("Public gallery seats offered")), num(meetings["seats"])],
            [text(_("Gallery seats taken")), num(meetings["taken"])],
            [text(_("Gallery seats used (%)")), pct(meetings["seats_used_percent"])],
            [text(_("Observers checked in")), num(meetings["checked_in"])],
        ],
    )
    other = max(meetings["meetings"] - meetings["on_time"] - meetings["short_notice"], 0)
    meeting_table.chart = charts.stacked_bar_chart(
        [(_("Meetings"), {"on_time": meetings["on_time"], "short": meetings["short_notice"], "other": other})],
        segments=[("on_time", lead), ("short", _("Short notice")), ("other", _("Late or not sent"))],
        title=_("How council meetings were noticed"),
        palette=("#1e6b35", "#d9988c", "#8f1d1d"),
    )
    overdue = Table(
        key="overdue",
        title=_("Overdue topics"),
        columns=[_("Topic"), _("Community"), _("Step"), _("Due"), _("Days overdue")],
        rows=[
            [
                text(row["title"], row["url"]),
                text(row["community"], community_url(row["community_id"])),
                text(_step_label(row["step"])),
                text(_date(parse_datetime(row["due_at"]).date())),
                num(row["days_overdue"]),
            ]
            for row in figures["overdue_topics"]
        ],
        note=_(
            "%(count)s topics are past their step's time limit now, whenever they were raised; the most overdue are listed."
        )
        % {"count": formats.number_format(figures["overdue"], force_grouping=True)},
        empty=_("No topic is overdue."),
    )
    return Panel("deliberation", _("Deliberation"), [by_step, funnel, outcomes, days, meeting_table, overdue])


def satisfaction_panel(figures):
    impressions = figures["impressions"]
    body = Table(
        key="impressions",
        title=_("Good impressions of each body (latest impressions survey)"),
        columns=[_("Body"), _("Answered"), _("Good"), _("Good (%)")],
        rows=[
            [
                text(BodyKind(key).label),
                num(impressions[key]["answered"]),
                num(impressions[key]["good"]),
                pct(impressions[key]["percent"]),
            ]
            for key in ready_made.IMPRESSION_KEYS
        ],
        note=_("Each community's latest impressions survey answered in the period; “don't know” counts as not good."),
    )
    body.chart = charts.bar_chart(
        [
            charts.Bar(BodyKind(k).label, impressions[k]["percent"], charts.percent_text(impressions[k]["percent"]))
            for k in ready_made.IMPRESSION_KEYS
        ],
        title=body.title,
        max_value=100,
    )
    information = figures["information_satisfaction"]
    points = range(1, 6)
    info = Table(
        key="information",
        title=_("Satisfaction with information and with taking part (latest participation survey)"),
        columns=[
            _("Satisfaction with"),
            _("Answered"),
            _("Mean (1-5)"),
            _("Satisfied (4-5, %)"),
            _("Dissatisfied (1-2, %)"),
            *(str(point) for point in points),
        ],  # fmt: skip
        rows=[
            [
                text(SCALE_LABELS[key]),
                num(information[key]["answered"]),
                mean(information[key]["mean"]),
                pct(information[key]["satisfied"]),
                pct(information[key]["dissatisfied"]),
                *(num(information[key]["distribution"][p]) for p in points),
            ]
            for key in SCALES
        ],
        note=_(
            "Said in the survey they took part in fewer than 2 activities last year (self-reported, %(count)s answers): "
            "%(share)s. The participation panel's figure is counted from attendance records instead."
        )
        % {
            "share": percent_text(information["reported_activities"]["under_2"]),
            "count": formats.number_format(information["reported_activities"]["answered"], force_grouping=True),
        },
    )
    info.chart = charts.stacked_bar_chart(
        [(SCALE_LABELS[key], information[key]["distribution"]) for key in SCALES],
        segments=[(1, _("1 very dissatisfied")), (2, "2"), (3, "3"), (4, "4"), (5, _("5 very satisfied"))],
        title=info.title,
        palette=charts.DIVERGING,
    )
    ratings = figures["outcome_ratings"]
    rating_table = Table(
        key="outcome_ratings",
        title=_("Residents' ratings of outcomes (step six) in the period"),
        columns=[_("Score"), _("Ratings"), _("Share (%)")],
        rows=[
            [
                text(point),
                num(ratings["distribution"][point]),
                pct(round(100 * ratings["distribution"][point] / ratings["count"], 2) if ratings["count"] else None),
            ]
            for point in points
        ],
        note=_("%(count)s ratings, mean %(mean)s; satisfied (4-5): %(satisfied)s.")
        % {
            "count": formats.number_format(ratings["count"], force_grouping=True),
            "mean": mean_text(ratings["mean"]),
            "satisfied": percent_text(ratings["satisfied"]),
        },
    )
    rating_table.chart = charts.bar_chart(
        [charts.Bar(str(p), ratings["distribution"][p], str(ratings["distribution"][p])) for p in points],
        title=rating_table.title,
    )
    return Panel("satisfaction", _("Satisfaction"), [body, info, rating_table])


def cadres_panel(figures):
    cadres = figures["cadres"]
    age = Table(
        key="age",
        title=_("Cadres by age"),
        columns=[_("Age"), _("Cadres"), _("Share (%)")],
        rows=[
            [text(label), num(cadres["age_bands"][key]["count"]), pct(cadres["age_bands"][key]["percent"])]
            for key, label, *_r in AGE_BANDS
        ],
        note=_("Over 50: %(share)s of %(count)s cadres holding posts in the community bodies.")
        % {
            "share": percent_text(cadres["over_50"]),
            "count": formats.number_format(cadres["count"], force_grouping=True),
        },
    )
    age.chart = charts.bar_chart(
        [
            charts.Bar(
                label, cadres["age_bands"][key]["percent"], charts.percent_text(cadres["age_bands"][key]["percent"])
            )
            for key, label, *_r in AGE_BANDS
        ],
        title=age.title,
        max_value=100,
    )
    levels = [(level, label) for level, label in Education.choices]
    education = Table(
        key="education",
        title=_("Cadres by education"),
        columns=[_("Education"), _("Cadres"), _("Share (%)")],
        rows=[
            [text(label), num(cadres["education_counts"][level]), pct(cadres["education"][level])]
            for level, label in levels
        ],
        note=_("Junior college or below: %(share)s.") % {"share": percent_text(cadres["junior_college_or_below"])},
    )
    education.chart = charts.bar_chart(
        [
            charts.Bar(label, cadres["education"][level], charts.percent_text(cadres["education"][level]))
            for level, label in levels
        ],
        title=education.title,
        max_value=100,
    )
    by_body = Table(
        key="cadres_by_body",
        title=_("Cadres of each body"),
        columns=[_("Body"), _("Cadres"), _("Over 50 (%)"), _("Junior college or below (%)")],
        rows=[
            [
                text(BodyKind(row["kind"]).label),
                num(row["count"]),
                pct(row["over_50"]),
                pct(row["junior_college_or_below"]),
            ]
            for row in cadres["by_body"]
        ],
    )
    by_body.chart_title = _("Chart: cadres over 50 (%), per body")
    by_body.chart = charts.bar_chart(
        [
            charts.Bar(BodyKind(row["kind"]).label, row["over_50"], charts.percent_text(row["over_50"]))
            for row in cadres["by_body"]
        ],
        title=by_body.chart_title,
        max_value=100,
    )
    return Panel("cadres", _("Cadres"), [age, education, by_body])


def _indicator_columns(first):
    return [
        first, _("Communities"), _("Verified residents"), _("Took part (%)"), _("Attended fewer than 2 activities (%)"),
        _("Topics raised"), _("Reached publicity (%)"), _("Overdue now"), _("Mean outcome rating"),
        _("Good impression: committee (%)"), _("Good impression: council (%)"), _("Cadres over 50 (%)"),
    ]  # fmt: skip


def _indicator_cells(row):
    return [
        num(row["communities"]), num(row["residents"]), pct(row["took_part"]), pct(row["under_2"]), num(row["topics"]),
        pct(row["adopted"]), num(row["overdue"]), mean(row["rating_mean"]), pct(row["good_committee"]),
        pct(row["good_council"]), pct(row["cadres_over_50"]),
    ]  # fmt: skip


def typologies_panel(figures):
    typologies = Table(
        key="typologies",
        title=_("Key indicators by typology"),
        columns=_indicator_columns(_("Typology")),
        rows=[[text(Typology(row["key"]).label), *_indicator_cells(row)] for row in figures["typologies"]],
    )
    typologies.chart_title = _(
        "Chart: share of verified residents who attended fewer than 2 activities (%), by typology"
    )
    typologies.chart = charts.bar_chart(
        [
            charts.Bar(Typology(r["key"]).label, r["under_2"], charts.percent_text(r["under_2"]))
            for r in figures["typologies"]
        ],
        title=typologies.chart_title,
        description=_("The table's column “Attended fewer than 2 activities (%)”, 0 to 100%."),
        max_value=100,
    )
    stages = Table(
        key="stages",
        title=_("Key indicators by development stage"),
        columns=_indicator_columns(_("Development stage")),
        rows=[[text(Stage(row["key"]).label), *_indicator_cells(row)] for row in figures["stages"]],
    )
    stages.chart_title = _("Chart: share of verified residents who took part (%), by development stage")
    stages.chart = charts.bar_chart(
        [
            charts.Bar(Stage(r["key"]).label, r["took_part"], charts.percent_text(r["took_part"]))
            for r in figures["stages"]
        ],
        title=stages.chart_title,
        description=_("The table's column “Took part (%)”, 0 to 100%."),
        max_value=100,
    )
    return Panel("typologies", _("Typologies and stages"), [typologies, stages])


def evaluation_panel(figures):
    evaluation = figures["evaluation"]
    if evaluation is None:
        table = Table(
            key="ranking",
            title=_("Latest third-party evaluation"),
            columns=[_("Rank"), _("Community"), _("Total score")],
            empty=_("No third-party evaluation of this area has been published yet."),
        )
        return Panel("evaluation", _("Third-party evaluation"), [table])
    round_ = evaluation["round"]
    table = Table(
        key="ranking",
        title=_("Ranking of the latest published round: %(title)s") % {"title": round_["title"]},
        columns=[
            _("Rank"),
            _("Community"),
            _("Total score"),
            *(f"{i['name']} (×{short_text(i['weight'], 2)})" for i in evaluation["indicators"]),
        ],
        rows=[
            [
                num(row["rank"]),
                text(row["community"], community_url(row["community_id"])),
                num(row["total"]),
                *(num(score) for score in row["scores"]),
            ]
            for row in evaluation["ranking"]
        ],
        note=_(
            "By %(organisation)s for %(start)s to %(end)s; %(count)s communities evaluated, ranks among all of them."
        )
        % {
            "organisation": round_["organisation"] or _("an evaluator"),
            "start": _date(round_["period_start"]),
            "end": _date(round_["period_end"]),
            "count": evaluation["evaluated"],
        },
        empty=_("The round evaluated no community of this area."),
    )
    table.chart = charts.bar_chart(
        [
            charts.Bar(f"{row['rank']}. {row['community']}", row["total"], charts.number_text(row["total"]))
            for row in evaluation["ranking"][:15]
        ],
        title=_("Chart: total scores, 0 to 100"),
        max_value=100,
    )
    table.chart_title = _("Chart: total scores, 0 to 100")
    table.link_url = round_["url"]
    table.link_text = _("The whole round, with every community's report")
    return Panel("evaluation", _("Third-party evaluation"), [table])


def communities_panel(figures):
    table = Table(
        key="communities",
        title=_("Every community of the area"),
        columns=[
            _("Community"),
            _("District"),
            _("Street or town"),
            _("Typology"),
            _("Development stage"),
            _("Verified residents"),
            _("Took part (%)"),
            _("Attended fewer than 2 activities (%)"),
            _("Topics raised"),
            _("Overdue now"),
            _("Good impression: council (%)"),
            _("Cadres over 50 (%)"),
        ],  # fmt: skip
        rows=[
            [
                text(row["name"], community_url(row["id"])),
                text(row["district"]),
                text(row["street"]),
                text(Typology(row["typology"]).label),
                text(Stage(row["stage"]).label),
                num(row["residents"]),
                pct(row["took_part"]),
                pct(row["under_2"]),
                num(row["topics"]),
                num(row["overdue"]),
                pct(row["good_council"]),
                pct(row["cadres_over_50"]),
            ]
            for row in figures["communities"]
        ],
        empty=_("No community matches these filters."),
    )
    return Panel("communities", _("Communities"), [table])


BUILDERS = {
    "participation": participation_panel,
    "deliberation": deliberation_panel,
    "satisfaction": satisfaction_panel,
    "cadres": cadres_panel,
    "typologies": typologies_panel,
    "evaluation": evaluation_panel,
    "communities": communities_panel,
}


def panels(figures, keys=None):
    return [BUILDERS[key](figures) for key in (keys or [key for key, _label in PANELS])]


# Exports ----------------------------------------------------------------------------------------


def _export_rows(table):
    yield [table.title]
    yield list(table.columns)
    for row in table.rows:
        yield [spreadsheet_safe(cell.raw) if not cell.numeric else cell.raw for cell in row]
    if table.note:
        yield [table.note]


def panel_csv(panel, heading):
    buffer = io.StringIO()
    # A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(line) for line in heading])
    for table in panel.tables:
        writer.writerow([])
        writer.writerows(_export_rows(table))
    return buffer.getvalue().encode("utf-8")


def panel_xlsx(panel, heading):
    workbook = Workbook(write_only=True)
    used = set()
    for table in panel.tables:
        name = table.title[:31]
        for forbidden in "[]:*?/\\":
            name = name.replace(forbidden, " ")
        # Sheet names must be unique; titles cut to 31 characters may not be.
        while name in used:
            name = name[:28] + f"~{len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        for line in heading:
            sheet.append([spreadsheet_safe(line)])
        sheet.append([])
        for row in _export_rows(table):
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
