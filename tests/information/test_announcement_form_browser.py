"""The clerk writes an announcement in the admin, in Chromium: their community already chosen,
a Markdown preview rendered as residents will see it (a static script: the CSP forbids inline
ones), then published."""

import pytest

from information.models import Announcement
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clerk_previews_and_publishes_an_announcement(browser_page, live_server):
    from playwright.sync_api import expect

    root = factories.superuser()
    community = factories.CommunityFactory(name="玉林东路社区")
    factories.CommunityFactory(name="别的社区")
    staff = factories.staff_member(community, actor=root, username="clerk")
    page = browser_page
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.goto(f"{live_server.url}/admin/information/announcement/add/")
    expect(page.locator("#id_community option:checked")).to_have_text("玉林东路社区")
    expect(page.locator("#id_street")).to_have_count(0)
    expect(page.locator("#id_district")).to_have_count(0)
    page.locator("#id_title").fill("停水通知")
    page.locator("#id_body").fill(
        "## 停水安排\n\n明天上午 **9 点到 12 点** 停水。<script>alert(1)</script>\n\n- 一栋\n- 二栋"
    )
    page.locator(".announcement-preview-button").click()
    preview = page.locator(".announcement-preview-body")
    expect(preview.locator("strong")).to_have_text("9 点到 12 点")
    expect(preview.locator("h3, h2")).to_have_count(1)
    expect(preview.locator("li")).to_have_count(2)
    expect(preview.locator("script")).to_have_count(0)
    page.screenshot(path="/tmp/adminother-shots/announcement-preview.png", full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    announcement = Announcement.objects.get()
    assert announcement.community == community and announcement.author == staff
    assert "<strong>9 点到 12 点</strong>" in announcement.body_html
