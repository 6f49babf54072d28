"""The Content-Security-Policy in a real browser: nothing on the key pages is blocked, and
the pages' scripts still do their work.

Chromium reports every blocked script, style, image or frame as a `securitypolicyviolation`
event and a console error; a listener installed before any page script runs collects both.
Then each page shows that its scripts ran: Swagger UI lists the API's operations, the
admin's forms add their date shortcuts, the changelist's select-all box selects the rows.
"""

import datetime

import pytest
from django.utils import timezone

from deliberation import services
from deliberation.workflow import Step
from tests.browser import session_cookie
from tests.fixtures.world import BODY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watch(page):
    """Start collecting CSP violations (events and console errors) for every page `page` loads."""
    console = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    return console


def violations(page, console):
    return page.evaluate("window.__cspViolations") + console


def test_key_pages_run_their_scripts_with_nothing_blocked(browser_page, live_server, world):
    from playwright.sync_api import expect

    topic = services.topic_raise(
        actor=world.author, community=world.community, title="更换楼道灯", body=BODY, category="public_space"
    )
    topic = services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW)
    meeting = services.meeting_schedule(
        actor=world.staff,
        community=world.community,
        starts_at=timezone.now() + datetime.timedelta(days=10),
        location="社区议事厅",
        agenda=[topic.pk],
    )
    page = browser_page
    page.context.add_cookies([session_cookie(world.staff.username, live_server)])
    console = watch(page)

    def visit(path):
        """Load `path`; nothing on it may have been blocked."""
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{path} answered {response.status}"
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        found = violations(page, console)
        console.clear()
        assert not found, f"{path}: {found}"

    for path in ("/", f"/topics/{topic.pk}/", f"/communities/{world.community.pk}/", "/admin/"):
        visit(path)

    visit(f"/admin/deliberation/meeting/{meeting.pk}/change/")
    expect(page.locator(".inline-group").first).to_be_visible()

    visit("/admin/information/announcement/add/")
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()  # DateTimeShortcuts.js ran

    visit("/admin/communities/residency/")
    page.locator("#action-toggle").check()  # actions.js selects every row
    expect(page.locator("input.action-select").first).to_be_checked()

    visit("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI loaded the schema
    assert page.locator(".opblock").count() > 20
