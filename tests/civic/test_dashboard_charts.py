"""The server-drawn SVG charts: well-formed, titled, numbers written out, text kept inert."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from core import charts
from tests import factories

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(str(svg))


def texts(root):
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_bars_are_titled_and_write_their_values():
    root = parse(
        charts.bar_chart(
            [
                charts.Bar("评论过议题", 5.62, "5.6%"),
                charts.Bar("Answered a survey", 85.7, "85.7%"),
                charts.Bar("None", None, "–"),
            ],
            title="Residents who took part",
            description="Share of verified residents",
            max_value=100,
        )
    )
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Residents who took part"
    assert root.find(f"{SVG}desc").text == "Share of verified residents"
    assert {"评论过议题", "5.6%", "85.7%", "–"} <= set(texts(root))
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")][1::2]
    assert widths[0] < widths[1] and widths[2] == 0


def test_markers_are_drawn_with_a_key():
    root = parse(
        charts.bar_chart(
            [charts.Bar("Collect", 3.0, "3 d", marker=30.0), charts.Bar("Review", 1.0, "1 d", marker=15.0)],
            title="Days",
            marker_label="Time limit",
        )
    )
    assert len(list(root.iter(f"{SVG}line"))) == 3  # two ticks and the key's swatch
    assert "Time limit" in texts(root)


def test_long_labels_are_cut_to_fit():
    label = "Resettlement community for land-lost farmers in the third ring of the city"
    root = parse(charts.bar_chart([charts.Bar(label, 1, "1")], title="t"))
    shown = texts(root)[0]
    assert shown.endswith("…") and len(shown) < len(label)


def test_stacked_bars_split_the_whole_width():
    root = parse(
        charts.stacked_bar_chart(
            [("Knowing", {1: 1, 2: 1, 3: 2}), ("Nobody answered", {})],
            segments=[(1, "1"), (2, "2"), (3, "3")],
            title="Satisfaction",
        )
    )
    segments = [rect for rect in root.iter(f"{SVG}rect") if rect.get("height") == "28"]
    filled = [float(rect.get("width")) for rect in segments if rect.get("fill") != charts.TRACK]
    assert sum(filled) == pytest.approx(charts.WIDTH, abs=0.5)
    assert {"25%", "50%", "–"} <= set(texts(root))


def test_the_funnel_narrows_and_writes_counts_and_shares():
    root = parse(
        charts.funnel_chart([("Collect", 10, 100.0), ("Review", 5, 50.0), ("Archive", 0, 0.0)], title="Funnel")
    )
    bars = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert bars[0] > bars[1] > bars[2] == 0
    assert {"10 · 100%", "5 · 50%", "0 · 0%"} <= set(texts(root))


def test_text_in_a_chart_is_inert():
    svg = str(
        charts.bar_chart([charts.Bar("<script>alert(1)</script>", 1, "<b>1</b>")], title="<img src=x onerror=alert(1)>")
    )
    assert "<script>" not in svg and "<b>" not in svg and "<img" not in svg
    parse(svg)


@pytest.mark.django_db
def test_names_on_the_page_are_inert(client, admin_user):
    community = factories.CommunityFactory(name="<img src=x onerror=alert(1)>")
    factories.resident(community, actor=admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "<img src=x onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_one_module_draws_every_chart_and_no_two_share_an_id():
    """Survey results and the dashboards drew charts from two modules, each counting its own
    ids from 1: a page holding one of each had two `chart-1` titles."""
    drawn = [
        charts.bar_chart([("主街", 31.25, charts.percent_text(31.25))], title="a survey question"),
        charts.bar_chart([charts.Bar("Commented", 5.62, "5.6%")], title="taking part"),
        charts.funnel_chart([("Raised", 4, 100.0), ("Reviewed", 2, 50.0)], title="funnel"),
    ]
    ids = [re.search(r'<title id="([^"]+)-title"', str(chart)).group(1) for chart in drawn]
    assert len(set(ids)) == len(ids)
    assert ">31.3%</text>" in drawn[0]
