"""Accessibility and small screens, measured in a real browser on the demo's pages.

- axe-core (npm, pinned in package-lock.json, installed by `npm ci`) is injected by Playwright
  into Debian's Chromium on every page in PAGES, as the person in its row; any serious or
  critical WCAG 2.x A/AA finding fails the test, listed page by page.
- The residents' main pages fit a 360-pixel-wide screen, and a 200% text size, with no
  sideways scrolling.
- Forms announce their errors, and the SMS-code login works from the keyboard alone.

To check a new page, add one row to PAGES: who looks at it, and its path (or a URL name, or
a function of the demo that returns the path). A row whose URL name does not resolve yet, or
an `optional` row answering 404, is reported as not built rather than failed.
"""

import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from tests.browser import DESKTOP, PHONE, chromium, require_chromium, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


@dataclass(frozen=True)
class Row:
    who: str  # a demo username, or "anonymous"
    where: object  # a path, a URL name, or a function of the demo returning a path
    phone: bool = False  # also checked at 360 px and at 200% text
    optional: bool = False  # a page another issue builds: 404 means "not yet"


def _first_community(demo):
    return f"/communities/{demo['community'].pk}/"


def _announcement(demo):
    return demo["announcement"].get_absolute_url() if demo["announcement"] else None


def _service(demo):
    return demo["service"].get_absolute_url() if demo["service"] else None


def _topic(demo):
    return f"/topics/{demo['topic'].pk}/" if demo["topic"] else None


def _meeting(demo):
    return f"/meetings/{demo['meeting'].pk}/" if demo["meeting"] else None


def _admin(name, *args):
    return lambda demo: reverse(f"admin:{name}", args=args)


def _admin_change(name, key):
    return lambda demo: reverse(f"admin:{name}", args=[demo[key].pk]) if demo.get(key) else None


PAGES = [
    # Residents' pages, logged out
    Row("anonymous", "home", phone=True),
    Row("anonymous", "community-list", phone=True),
    Row("anonymous", _first_community, phone=True),
    Row("anonymous", "signup", phone=True),
    Row("anonymous", "login", phone=True),
    Row("anonymous", "sms-login", phone=True),
    Row("anonymous", "password_reset"),
    Row("anonymous", "terms", phone=True),
    Row("anonymous", "privacy", phone=True),
    Row("anonymous", "service-list", phone=True),
    Row("anonymous", _service, phone=True),
    Row("anonymous", "open-data-decisions", phone=True),
    Row("anonymous", "activity-list", phone=True),
    Row("anonymous", _topic, phone=True, optional=True),
    Row("anonymous", lambda demo: reverse("community-topics", args=[demo["community"].pk]), phone=True, optional=True),
    Row(
        "anonymous", lambda demo: reverse("community-meetings", args=[demo["community"].pk]), phone=True, optional=True
    ),
    Row("anonymous", _meeting, phone=True, optional=True),
    # Residents' pages, logged in
    Row("resident", "home", phone=True),
    Row("resident", _first_community, phone=True),
    Row("resident", "profile", phone=True),
    Row("resident", "account-delete", phone=True),
    Row("resident", "notifications:inbox", phone=True),
    Row("resident", "announcement-list", phone=True),
    Row("resident", _announcement, phone=True),
    Row("resident", "survey-list", phone=True),
    Row("resident", _topic, optional=True),
    Row("resident", _meeting, optional=True),
    Row("council", "home"),
    # Officials
    Row("official", "announcement-list"),
    Row("official", "open-data-decisions"),
    Row("official", "/dashboard/", optional=True),
    Row("official", _admin("index")),
    Row("official", _admin("information_announcement_changelist")),
    Row("official", _admin("information_announcement_add")),
    Row("official", _admin("communities_community_changelist")),
    # Committee staff in the admin
    Row("staff", "evaluation-list"),
    Row("staff", _admin("index")),
    Row("staff", _admin("information_announcement_changelist")),
    Row("staff", _admin("information_announcement_add")),
    Row("staff", _admin_change("information_announcement_change", "announcement")),
    Row("staff", _admin("information_service_changelist")),
    Row("staff", _admin_change("information_service_change", "service")),
    Row("staff", _admin("information_bodyprofile_changelist")),
    Row("staff", _admin("communities_residency_changelist")),
    Row("staff", _admin("communities_body_changelist")),
    Row("staff", _admin("communities_membership_changelist")),
    Row("staff", _admin("communities_community_changelist")),
    Row("staff", _admin("notifications_notice_changelist")),
    Row("staff", _admin("deliberation_topic_changelist")),
    Row("staff", _admin("deliberation_meeting_changelist")),
    # The superuser
    Row("admin", _admin("index")),
    Row("admin", _admin("communities_user_changelist")),
    Row("admin", _admin("communities_district_changelist")),
    Row("admin", _admin("information_announcement_changelist")),
]


def resolve(row, demo):
    """The row's path, or None when the page does not exist yet."""
    if callable(row.where):
        try:
            return row.where(demo)
        except NoReverseMatch:
            return None
    if str(row.where).startswith("/"):
        return row.where
    try:
        return reverse(row.where)
    except NoReverseMatch:
        return None


@pytest.fixture
def demo(live_server, settings, tmp_path):
    """The small demo, loaded as `seed_demo` loads it, and a few of its rows."""
    from communities.models import Community
    from information.models import Announcement, Service

    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    call_command("seed_demo", stdout=io.StringIO())
    community = Community.objects.get(code="510107001001")
    found = {
        "community": community,
        "announcement": Announcement.objects.filter(community=community, pinned=True).first(),
        "service": Service.objects.filter(community=community).first(),
        "topic": None,
        "meeting": None,
    }
    try:
        from deliberation.models import Meeting, Topic

        found["topic"] = Topic.objects.filter(community=community, step="archive").first()
        found["meeting"] = Meeting.objects.filter(community=community).order_by("-starts_at").first()
    except ImportError:
        pass
    return found


@pytest.fixture
def browser(monkeypatch):
    require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as launched:
        yield launched
    from django.db import connections

    connections.close_all()


def contexts(browser, live_server, viewport):
    """One browser context per person, logged in through a session cookie.

    axe-core and the 200% text rule go in as an inline <script> and <style>, which the site's
    Content-Security-Policy blocks: these contexts bypass it (tests/civic/test_csp_browser.py
    checks the policy itself)."""
    opened = {}

    def context_for(who):
        if who not in opened:
            context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
            context.set_default_timeout(20_000)
            if who != "anonymous":
                context.add_cookies([session_cookie(who, live_server)])
            opened[who] = context
        return opened[who]

    return context_for, opened


def axe_findings(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def test_axe_finds_nothing_serious_on_any_page(browser, live_server, demo):
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run `npm ci`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    context_for, opened = contexts(browser, live_server, DESKTOP)
    problems, checked, not_built = {}, [], []
    try:
        for row in PAGES:
            path = resolve(row, demo)
            if path is None:
                not_built.append(f"{row.who} {row.where}")
                continue
            page = context_for(row.who).new_page()
            response = page.goto(live_server.url + path)
            if response.status == 404 and row.optional:
                not_built.append(f"{row.who} {path}")
                page.close()
                continue
            assert response.status == 200, f"{row.who} {path} answered {response.status}"
            if row.who != "anonymous":
                assert "login" not in page.url.removeprefix(live_server.url + path), f"{row.who} {path}: not logged in"
                assert page.url.startswith(live_server.url + path), f"{row.who} {path}: sent to {page.url}"
            findings = axe_findings(page)
            if findings:
                problems[f"{row.who} {path}"] = findings
            checked.append(path)
            page.close()
    finally:
        for context in opened.values():
            context.close()
    print(f"axe-core checked {len(checked)} pages; not built yet: {not_built or 'none'}")
    assert len(checked) >= 30
    assert not problems, "Serious or critical accessibility findings:\n" + json.dumps(
        problems, ensure_ascii=False, indent=1
    )


OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_main_pages_fit_360_pixels_and_200_percent_text(browser, live_server, demo):
    phone, opened_phone = contexts(browser, live_server, PHONE)
    desktop, opened_desktop = contexts(browser, live_server, DESKTOP)
    too_wide = []
    try:
        for row in PAGES:
            path = resolve(row, demo) if row.phone else None
            if path is None:
                continue
            page = phone(row.who).new_page()
            response = page.goto(live_server.url + path)
            if response.status == 404 and row.optional:
                page.close()
                continue
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                too_wide.append(f"{row.who} {path}: {overflow}px sideways at 360px")
            page.close()
            # 200% text in a desktop window: the text grows, the layout reflows, nothing is cut.
            page = desktop(row.who).new_page()
            page.goto(live_server.url + path)
            page.add_style_tag(content="html { font-size: 200% !important; }")
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                too_wide.append(f"{row.who} {path}: {overflow}px sideways at 200% text")
            page.close()
    finally:
        for context in [*opened_phone.values(), *opened_desktop.values()]:
            context.close()
    assert not too_wide, "\n".join(too_wide)


def _sms_code(folder, phone):
    texts = [json.loads(p.read_text(encoding="utf-8")) for p in Path(folder).rglob("*.txt")]
    newest = max((t for t in texts if t["to"] == phone), key=lambda t: t["at"])
    return re.search(r"\b(\d{6})\b", newest["text"]).group(1)


def test_sms_login_by_keyboard_announces_errors_and_returns_to_the_page(browser, live_server, demo, settings):
    from playwright.sync_api import expect

    target = f"/communities/{demo['community'].pk}/"
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{target}")
        page.locator("a[href^='/accounts/login/sms/']").first.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/accounts/login/sms/\?next="))
        # An empty number: the summary is announced and the field points at its error.
        page.get_by_label("手机号码").focus()
        page.keyboard.press("Enter")
        expect(page.locator("[role=alert]")).to_be_visible()
        field = page.get_by_label("手机号码")
        expect(field).to_have_attribute("aria-invalid", "true")
        described = field.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{ident}").count() == 1 and "error" in ident for ident in described)
        field.fill("13800138001")
        page.keyboard.press("Enter")
        code_field = page.get_by_label("短信验证码")
        expect(code_field).to_be_visible()
        code_field.focus()
        page.keyboard.type(_sms_code(settings.SMS_FILE_PATH, "13800138001"))
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{live_server.url}{target}")
        expect(page.locator(".site-nav__account")).to_contain_text("王晓梅")
    finally:
        context.close()
