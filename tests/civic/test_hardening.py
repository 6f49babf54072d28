"""Hardening (issue 7): production settings, the Content-Security-Policy, and bandit.

- With the production environment README documents (a long random SECRET_KEY, DEBUG off,
  ALLOWED_HOSTS, CIVIC_HTTPS=1), `manage.py check --deploy --fail-level WARNING` passes.
  The switch is off by default, so `make run` and the tests work over plain http.
- Every page of the accessibility audit (tests/civic/test_accessibility.py's PAGES), a few
  more admin forms, the API docs and the error pages carry a Content-Security-Policy that
  allows no inline script and no inline style, and their HTML needs neither: no <script>
  without src (JSON data blocks aside), no on*= handler, no javascript: URL, no style.
(bandit runs in `make lint`, before the tests.)
"""

import io
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.civic.test_accessibility import PAGES, Row, resolve

# A data block is not run, so a policy without 'unsafe-inline' does not need to allow it.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'"}


class ActiveContent(HTMLParser):
    """Walks a page for what would run (or style) without coming from a file of our own.

    `findings` lists inline scripts, event-handler attributes, javascript: URLs, inline styles;
    `text` gathers the text and attribute values a reader sees, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings = []
        self.text = []
        self._inline_script = None

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            self.text.append(value or "")
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}={value!r}>")
            elif name == "style":
                self.findings.append(f"<{tag} style={value!r}>")
            elif name in URL_ATTRIBUTES and is_script_url(value):
                self.findings.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not values.get("src") and (values.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
            self._inline_script = []
        if tag == "style":
            self.findings.append("<style> element")

    def handle_endtag(self, tag):
        if tag == "script" and self._inline_script is not None:
            self.findings.append("inline <script>: " + "".join(self._inline_script).strip()[:80])
            self._inline_script = None

    def handle_data(self, data):
        if self._inline_script is not None:
            self._inline_script.append(data)
        self.text.append(data)


def is_script_url(value):
    """A URL that runs script when followed; browsers ignore spaces and controls in the scheme."""
    squeezed = "".join(ch for ch in (value or "") if ch > " ").lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


def parse(html):
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser


def policy(response):
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.get("Content-Security-Policy")
    assert header, f"{response.status_code} {response.request['PATH_INFO']}: no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def policy_problems(response):
    """What in the response's policy would let inline or injected script or style run."""
    directives = policy(response)
    problems = []
    for kind in ("script-src", "style-src"):
        sources = directives.get(kind, directives.get("default-src"))
        if sources is None:
            problems.append(f"no {kind} and no default-src")
        elif UNSAFE_SOURCES & set(sources):
            problems.append(f"{kind} allows {' '.join(sorted(UNSAFE_SOURCES & set(sources)))}")
    if directives.get("object-src") != ["'none'"]:
        problems.append(f"object-src is {directives.get('object-src')}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is {directives.get('frame-ancestors')}")
    return problems


def production_environment():
    """The environment README's "Production" section documents, over the test run's own."""
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "PYTEST_CURRENT_TEST"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        ALLOWED_HOSTS="civic.example.cn",
        CSRF_TRUSTED_ORIGINS="https://civic.example.cn",
        CIVIC_HTTPS="1",
        BEHIND_TLS_PROXY="1",
        TRUSTED_PROXY_COUNT="1",
        SITE_URL="https://civic.example.cn",
        SMS_BACKEND="notifications.sms.TencentBackend",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    return env


def test_production_settings_pass_the_deploy_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def demo(db, settings, tmp_path):
    """The small demo as `seed_demo` loads it, and the rows the pages need."""
    from communities.models import Community, User
    from deliberation.models import Meeting, Topic
    from information.models import Announcement, Service

    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    call_command("seed_demo", stdout=io.StringIO())
    community = Community.objects.get(code="510107001001")
    return {
        "community": community,
        "announcement": Announcement.objects.filter(community=community, pinned=True).first(),
        "service": Service.objects.filter(community=community).first(),
        "topic": Topic.objects.filter(community=community, step="archive").first(),
        "meeting": Meeting.objects.filter(community=community).order_by("-starts_at").first(),
        "resident": User.objects.get(username="resident"),
    }


def client_for(who):
    from communities.models import User

    client = Client()
    if who != "anonymous":
        client.force_login(User.objects.get(username=who))
    return client


# Beyond the accessibility audit: change forms with inlines and widgets, and the API docs.
MORE_PAGES = [
    Row("admin", lambda demo: reverse("admin:deliberation_topic_change", args=[demo["topic"].pk])),
    Row("admin", lambda demo: reverse("admin:communities_user_change", args=[demo["resident"].pk])),
    Row("admin", lambda demo: reverse("admin:communities_community_change", args=[demo["community"].pk])),
    Row("staff", lambda demo: reverse("admin:deliberation_meeting_change", args=[demo["meeting"].pk])),
    Row("anonymous", "api-docs"),
    Row("staff", "api-docs"),
]


def test_every_page_has_a_policy_without_inline_script_and_needs_none(demo):
    problems, checked = {}, 0
    clients = {}
    for row in [*PAGES, *MORE_PAGES]:
        path = resolve(row, demo)
        if path is None:
            continue
        client = clients.setdefault(row.who, client_for(row.who))
        response = client.get(path)
        if response.status_code == 404 and row.optional:
            continue
        assert response.status_code == 200, f"{row.who} {path} answered {response.status_code}"
        found = policy_problems(response) + parse(response.content.decode()).findings
        if found:
            problems[f"{row.who} {path}"] = found
        checked += 1
    assert checked >= len(PAGES)
    assert not problems, "\n".join(f"{page}: {found}" for page, found in problems.items())


def test_the_api_docs_load_their_start_up_script_as_a_file(db):
    page = Client().get(reverse("api-docs"))
    scripts = [attrs for tag, attrs in _tags(page.content.decode()) if tag == "script"]
    start_up = next(attrs["src"] for attrs in scripts if "script=" in attrs.get("src", ""))
    script = Client().get(start_up.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content
    assert reverse("api-schema").encode() in script.content


def _tags(html):
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


ERROR_PAGES = [
    (False, "/no-such-page/", 404),
    (False, "/api/v1/no-such-endpoint/", 404),
    (True, "/dashboard/", 403),
    (True, "/admin/", 302),
]


@pytest.mark.parametrize(("logged_in", "path", "status"), ERROR_PAGES)
def test_error_answers_carry_the_policy_too(resident, logged_in, path, status):
    client = Client()
    if logged_in:
        client.force_login(resident)
    response = client.get(path)
    assert response.status_code == status
    assert not policy_problems(response)
    if response["Content-Type"].startswith("text/html"):
        assert not parse(response.content.decode()).findings


def test_a_form_refused_for_its_csrf_token_gets_our_page_with_the_policy(db):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "resident", "password": "x"})
    assert response.status_code == 403
    assert not policy_problems(response)
    assert not parse(response.content.decode()).findings
    assert b"/static/css/civic." in response.content  # our page, styled from our own file
