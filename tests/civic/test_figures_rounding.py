"""One rounding rule for every figure shown (core.figures): a chart, the table beside it, the key
figures and the results pages agree; the exports keep the exact value and say so."""

import csv
import io
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from civic import dashboard_tables
from core import charts, figures


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (76.75, "76.8"),  # half up: neither truncated (76.7) nor to even
        (76.78, "76.8"),
        (76.74, "76.7"),
        (31.25, "31.3"),  # a float whose binary form is 31.249999...
        (0.05, "0.1"),
        (Decimal("77.50"), "77.5"),
        (50, "50.0"),
        (None, "–"),
    ],
)
def test_figures_round_half_up_to_one_decimal(value, shown):
    with translation.override("en"):
        assert figures.figure_text(value) == shown


def test_percentages_means_and_short_forms_round_by_the_same_rule():
    with translation.override("en"):
        assert figures.percent_text(31.25) == "31.3%"
        assert figures.mean_text(3.245) == "3.25"
        assert figures.mean_text(3.0) == "3.00"
        assert figures.short_text(0.25, 2) == "0.25"
        assert figures.short_text(3.0) == "3"
        assert figures.percent_text(None) == "–"


def test_a_survey_chart_and_its_table_write_one_figure():
    """The chart said 31.2 % where the table said 31.3: both are 31.3 now."""
    with translation.override("en"):
        table = Template("{% load figures %}{{ value|figure }}|{{ value|percent }}|{{ m|mean }}").render(
            Context({"value": 31.25, "m": 3.125})
        )
        assert table == "31.3|31.3%|3.13"
        chart = charts.bar_chart([("主街", 31.25, charts.percent_text(31.25))], title="t")
        assert ">31.3%</text>" in chart


def _evaluation_figures(total):
    return {
        "evaluation": {
            "round": {
                "title": "2026 年度评估",
                "organisation": "蓉城评估中心",
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "url": "/evaluation/1/",
            },
            "indicators": [{"name": "工作清单与创新", "weight": 0.25}],
            "ranking": [
                {
                    "rank": 1,
                    "community": "玉林东路社区",
                    "community_id": 1,
                    "total": total,
                    "scores": [Decimal("77.50")],
                }
            ],
            "evaluated": 1,
        }
    }


def test_an_evaluation_total_reads_the_same_in_chart_and_table_and_exports_exactly():
    with translation.override("en"):
        panel = dashboard_tables.evaluation_panel(_evaluation_figures(76.75))
        table = panel.tables[0]
        row = table.rows[0]
        assert row[2].text == "76.8"  # was 76.7: number_format truncates
        assert row[3].text == "77.5"
        assert ">76.8</text>" in table.chart
        assert table.columns[3] == "工作清单与创新 (×0.25)"  # the weight is not cut to ×0.2
        assert table.chart_title == "Chart: total scores, 0 to 100"
        workbook = load_workbook(io.BytesIO(dashboard_tables.panel_xlsx(panel, ["Civic dashboard: x", "exact"])))
        values = [cell for line in workbook.worksheets[0].values for cell in line]
        assert 76.75 in values  # the export keeps the exact figure


def test_chart_labels_drop_only_a_trailing_zero():
    with translation.override("en"):
        assert charts.percent_text(50) == "50%"
        assert charts.percent_text(31.25) == "31.3%"
        assert charts.number_text(76.75) == "76.8"


@pytest.mark.django_db
def test_the_page_names_its_two_fewer_than_two_figures_and_the_typology_charts_metric(client, town):
    client.force_login(town.admin)
    page = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The attendance records' figure and the survey's self-report are told apart.
    assert "<dt>Attended fewer than 2 activities</dt>" in page
    assert "Attended fewer than 2 activities in the period (attendance records)" in page
    assert "Said in the survey they took part in fewer than 2 activities last year (self-reported" in page
    assert "Fewer than twice:" not in page
    # The typology chart says, above it, which column it plots.
    typologies = page.split('id="table-typologies"', 1)[1].split("</figure>", 1)[0]
    assert (
        '<p class="dash-figure__chart-title" aria-hidden="true">Chart: share of verified residents who attended '
        "fewer than 2 activities (%), by typology</p>"
    ) in typologies


@pytest.mark.django_db
def test_an_export_says_its_figures_are_exact(client, town):
    client.force_login(town.admin)
    text = client.get("/dashboard/export/participation.csv", HTTP_ACCEPT_LANGUAGE="en").content.decode("utf-8-sig")
    heading = list(csv.reader(io.StringIO(text)))[:6]
    assert any("Figures are exact, as computed" in " ".join(row) for row in heading)
