"""Valid HTML, judged by the W3C Nu HTML Checker over every page of the accessibility list.

Every row of tests/civic/test_accessibility.py's PAGES (residents logged out and in, council,
officials, committee staff and the superuser in the admin), plus every demo topic in each of
its steps, a meeting, and the admin's topic and meeting pages, is fetched as its person and
handed to vnu in one Java run (tests/nu.py). The demo has comments, replies, steps, objections,
progress reports and notices, so every kind of timestamp is on some page.

No error and no warning is allowed: vnu 26.9.27 finds none in Django's own admin markup either
(its sidebar included), so there is no list of known ones to keep.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from core.templatetags.html_time import datetime_attr
from tests.civic.test_accessibility import PAGES, resolve
from tests.nu import nu_check


@pytest.fixture
def demo(settings, tmp_path):
    """The small demo as `seed_demo` loads it, with the rows the page list points at."""
    from communities.models import Community
    from deliberation.models import Meeting, Topic
    from information.models import Announcement, Service

    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    call_command("seed_demo", stdout=io.StringIO())
    community = Community.objects.get(code="510107001001")
    return {
        "community": community,
        "announcement": Announcement.objects.filter(community=community, pinned=True).first(),
        "service": Service.objects.filter(community=community).first(),
        "topic": Topic.objects.filter(community=community, step="archive").first(),
        "meeting": Meeting.objects.filter(community=community).order_by("-starts_at").first(),
        "topics": list(Topic.objects.filter(community=community).order_by("step", "pk")),
    }


def extra_pages(demo):
    """Pages beyond the accessibility list: one topic per step, as a resident and in the admin."""
    rows = []
    seen_steps = set()
    for topic in demo["topics"]:
        if topic.step in seen_steps:
            continue
        seen_steps.add(topic.step)
        rows.append(("resident", f"/topics/{topic.pk}/"))
        rows.append(("staff", reverse("admin:deliberation_topic_change", args=[topic.pk])))
    if demo["meeting"]:
        rows.append(("staff", reverse("admin:deliberation_meeting_change", args=[demo["meeting"].pk])))
    return rows


def fetch_pages(demo):
    from communities.models import User

    clients = {}

    def client_for(who):
        if who not in clients:
            clients[who] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            if who != "anonymous":
                clients[who].force_login(User.objects.get(username=who))
        return clients[who]

    rows = [(row.who, resolve(row, demo)) for row in PAGES] + extra_pages(demo)
    pages = {}
    for who, path in rows:
        if path is None:
            continue
        response = client_for(who).get(path)
        assert response.status_code == 200, f"{who} {path} answered {response.status_code}"
        assert response["Content-Type"].startswith("text/html"), f"{who} {path}: {response['Content-Type']}"
        pages[f"{who} {path}"] = response.content.decode()
    return pages


@pytest.mark.django_db
def test_nu_checker_finds_no_error_on_any_page(demo):
    pages = fetch_pages(demo)
    assert len(pages) >= 60
    findings = nu_check(pages)
    errors = [str(f) for f in findings if f.is_error]
    warnings = [str(f) for f in findings if f.kind == "warning"]
    print(f"vnu checked {len(pages)} pages: {len(errors)} errors, {len(warnings)} warnings")
    assert not errors and not warnings, "\n".join(["Errors:", *errors, "Warnings:", *warnings])


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (datetime.datetime(2026, 12, 7, 13, 51, 26, 149604, tzinfo=datetime.UTC), "2026-12-07T21:51:26+08:00"),
        (datetime.datetime(2026, 12, 7, 16, 0, 0, 999999, tzinfo=datetime.UTC), "2026-12-08T00:00:00+08:00"),
        (datetime.datetime(2026, 12, 7, 21, 51, 26, 5), "2026-12-07T21:51:26"),
        (datetime.date(2026, 12, 7), "2026-12-07"),
        ("2026-12-07T21:51:26.149604+08:00", "2026-12-07T21:51:26+08:00"),
        ("2026-12-07", "2026-12-07"),
        ("2026-13-45", ""),
        ("not a date", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_datetime_attr_writes_what_html_allows(value, written):
    assert datetime_attr(value) == written
    rendered = Template('{% load html_time %}<time datetime="{{ value|datetime_attr }}"></time>').render(
        Context({"value": value})
    )
    assert rendered == f'<time datetime="{written}"></time>'
